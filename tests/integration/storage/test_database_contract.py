"""The database port's contract: every test runs against SQLite and against MongoDB (the Mongo
wire server of ``mongo_url``), and both must behave the same."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from culturecast.storage.database.mongo import MongoDatabase
from culturecast.storage.database.port import Collection, Database, Document, IndexSpec
from culturecast.storage.database.sqlite import SCHEMA_VERSION, SQLiteDatabase
from culturecast.storage.errors import DuplicateKeyError, EngineUnavailable
from tests.support.engines import free_port

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Store:
    """One place data lives; ``open`` gives a new handle on it (for reopen tests)."""

    kind: str
    open: Callable[[], Awaitable[Database]]


@pytest.fixture(params=["sqlite", "mongodb"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        path = tmp_path / "culturecast.sqlite3"
        yield Store("sqlite", lambda: SQLiteDatabase.open(path))
        return
    url: str = request.getfixturevalue("mongo_url")
    name = f"contract_{uuid.uuid4().hex[:16]}"
    yield Store("mongodb", lambda: MongoDatabase.open(url, name))
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
    try:
        await client.drop_database(name)
    finally:
        await client.close()


@pytest.fixture
async def db(store: Store) -> AsyncIterator[Database]:
    database = await store.open()
    yield database
    await database.close()


@pytest.fixture
def coll(db: Database) -> Collection:
    return db.collection("items")


async def seed(coll: Collection, docs: Sequence[Document]) -> None:
    for doc in docs:
        await coll.insert(doc)


def ids(docs: Sequence[Document]) -> list[str]:
    return [doc["_id"] for doc in docs]


async def matching(coll: Collection, flt: dict[str, Any]) -> list[str]:
    return ids(await coll.find(flt))


PEOPLE: list[Document] = [
    {"_id": "a", "name": "Ann", "age": 30, "score": 1.5, "tags": ["opera", "music"],
     "active": True, "stats": {"plays": 10, "city": "Xi'an"}},
    {"_id": "b", "name": "Bo", "age": 25, "score": 2, "tags": ["film"], "active": False,
     "stats": {"plays": 3}, "note": None},
    {"_id": "c", "name": "Cy", "age": 35, "tags": [], "active": True, "stats": {"plays": 7}},
    {"_id": "d", "name": "Di", "age": "unknown", "active": 1, "stats": {}},
    {"_id": "e", "name": "Ed", "age": 25, "tags": ["music", None], "stats": {"plays": 10}},
]  # fmt: skip


@pytest.fixture
async def people(coll: Collection) -> Collection:
    await seed(coll, PEOPLE)
    return coll


# --- identity and basic reads -----------------------------------------------------------


async def test_engine_names_itself(db: Database, store: Store) -> None:
    assert db.engine == store.kind


async def test_collection_knows_its_name(db: Database) -> None:
    assert db.collection("live_events").name == "live_events"


async def test_inserted_document_reads_back_equal(coll: Collection) -> None:
    doc: Document = {
        "_id": "r1", "title": "三国演义 第1回", "duration": 1834.5, "episodes": 120,
        "published": True, "cover": None, "tags": ["评书", "audio"],
        "meta": {"performer": "袁阔成", "nested": {"deep": [1, 2.5, "x"]}},
    }  # fmt: skip
    await coll.insert(doc)
    assert await coll.get("r1") == doc


async def test_get_unknown_id_is_none(coll: Collection) -> None:
    await coll.insert({"_id": "x"})
    assert await coll.get("y") is None


async def test_insert_reusing_id_raises_duplicate_key(coll: Collection) -> None:
    await coll.insert({"_id": "x", "v": 1})
    with pytest.raises(DuplicateKeyError):
        await coll.insert({"_id": "x", "v": 2})
    assert await coll.get("x") == {"_id": "x", "v": 1}


@pytest.mark.parametrize("doc", [{"v": 1}, {"_id": 5}, {"_id": ""}])
async def test_insert_needs_a_string_id(coll: Collection, doc: Document) -> None:
    with pytest.raises(ValueError, match="_id"):
        await coll.insert(doc)
    assert await coll.count() == 0


async def test_collections_are_separate(db: Database) -> None:
    await db.collection("one").insert({"_id": "x", "v": 1})
    await db.collection("two").insert({"_id": "x", "v": 2})
    assert await db.collection("one").get("x") == {"_id": "x", "v": 1}
    assert await db.collection("two").get("x") == {"_id": "x", "v": 2}


@pytest.mark.parametrize("name", ["Users", "", "a.b", "_meta", "9lives", "sqlite_master"])
async def test_unportable_collection_name_is_refused(db: Database, name: str) -> None:
    with pytest.raises(ValueError, match="collection name"):
        db.collection(name)


async def test_unused_collection_is_empty(db: Database) -> None:
    coll = db.collection("never_written")
    assert await coll.find() == []
    assert await coll.count() == 0
    assert await coll.find_one({}) is None


# --- filters ------------------------------------------------------------------------------


async def test_find_without_filter_returns_all_in_id_order(coll: Collection) -> None:
    await seed(coll, [{"_id": "c"}, {"_id": "a"}, {"_id": "b"}])
    assert ids(await coll.find()) == ["a", "b", "c"]


async def test_equality_on_a_string(people: Collection) -> None:
    assert await matching(people, {"name": "Bo"}) == ["b"]


async def test_equality_on_strings_with_quotes_escapes_and_unicode(coll: Collection) -> None:
    tricky = 'say "hi"\\ \n 文化云 \u00e9'
    await seed(coll, [{"_id": "x", "title": tricky, "tags": [tricky]}, {"_id": "y", "hi": "x"}])
    assert await matching(coll, {"title": tricky}) == ["x"]
    assert await matching(coll, {"tags": {"$in": ["other", tricky]}}) == ["x"]
    # Appearing inside another value or as a key is not equality.
    assert await matching(coll, {"title": "hi"}) == []
    assert await matching(coll, {"hi": "hi"}) == []


async def test_equality_on_numbers_ignores_int_or_float(people: Collection) -> None:
    assert await matching(people, {"score": 2.0}) == ["b"]
    assert await matching(people, {"age": 25}) == ["b", "e"]


async def test_equality_keeps_booleans_apart_from_numbers(people: Collection) -> None:
    assert await matching(people, {"active": True}) == ["a", "c"]
    assert await matching(people, {"active": 1}) == ["d"]
    assert await matching(people, {"active": False}) == ["b"]


async def test_equality_does_not_match_across_types(people: Collection) -> None:
    assert await matching(people, {"age": "25"}) == []
    assert await matching(people, {"age": "unknown"}) == ["d"]


async def test_none_matches_missing_and_null(people: Collection) -> None:
    assert await matching(people, {"note": None}) == ["a", "b", "c", "d", "e"]
    assert await matching(people, {"score": None}) == ["c", "d", "e"]


async def test_equality_on_a_list_means_membership(people: Collection) -> None:
    assert await matching(people, {"tags": "music"}) == ["a", "e"]
    assert await matching(people, {"tags": "film"}) == ["b"]
    assert await matching(people, {"tags": "jazz"}) == []


async def test_in_matches_any_value_and_list_members(people: Collection) -> None:
    assert await matching(people, {"name": {"$in": ["Ann", "Cy", "Zed"]}}) == ["a", "c"]
    assert await matching(people, {"tags": {"$in": ["film", "opera"]}}) == ["a", "b"]
    assert await matching(people, {"age": {"$in": [25, "unknown"]}}) == ["b", "d", "e"]
    assert await matching(people, {"name": {"$in": []}}) == []


async def test_in_with_none_also_matches_missing(people: Collection) -> None:
    assert await matching(people, {"score": {"$in": [None, 2]}}) == ["b", "c", "d", "e"]


async def test_nin_excludes_values_and_keeps_missing(people: Collection) -> None:
    assert await matching(people, {"age": {"$nin": [25, 30]}}) == ["c", "d"]
    assert await matching(people, {"score": {"$nin": [1.5]}}) == ["b", "c", "d", "e"]
    assert await matching(people, {"tags": {"$nin": ["music"]}}) == ["b", "c", "d"]
    assert await matching(people, {"name": {"$nin": []}}) == ["a", "b", "c", "d", "e"]


async def test_ne_keeps_missing_and_lists_without_the_value(people: Collection) -> None:
    assert await matching(people, {"age": {"$ne": 25}}) == ["a", "c", "d"]
    assert await matching(people, {"score": {"$ne": 2}}) == ["a", "c", "d", "e"]
    assert await matching(people, {"tags": {"$ne": "music"}}) == ["b", "c", "d"]
    assert await matching(people, {"active": {"$ne": True}}) == ["b", "d", "e"]


async def test_ne_none_means_present_and_not_null(people: Collection) -> None:
    assert await matching(people, {"note": {"$ne": None}}) == []
    assert await matching(people, {"score": {"$ne": None}}) == ["a", "b"]


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"age": {"$gt": 25}}, ["a", "c"]),
        ({"age": {"$gte": 25}}, ["a", "b", "c", "e"]),
        ({"age": {"$lt": 30}}, ["b", "e"]),
        ({"age": {"$lte": 30}}, ["a", "b", "e"]),
        ({"score": {"$gt": 1.5}}, ["b"]),
        ({"score": {"$gte": 1.5}}, ["a", "b"]),
        ({"age": {"$gt": 25, "$lt": 35}}, ["a"]),
    ],
)
async def test_numeric_comparisons(
    people: Collection, flt: dict[str, Any], expected: list[str]
) -> None:
    assert await matching(people, flt) == expected


async def test_string_comparisons_use_code_point_order(people: Collection) -> None:
    assert await matching(people, {"name": {"$gte": "Bo", "$lt": "Di"}}) == ["b", "c"]
    # A number never compares with a string field, and a string never with a number field.
    assert await matching(people, {"age": {"$gt": "a"}}) == ["d"]
    assert await matching(people, {"name": {"$gt": 0}}) == []


async def test_comparison_matches_any_list_element(coll: Collection) -> None:
    await seed(coll, [{"_id": "x", "v": [1, 9]}, {"_id": "y", "v": [4, 5]}, {"_id": "z", "v": 2}])
    assert await matching(coll, {"v": {"$gt": 8}}) == ["x"]
    assert await matching(coll, {"v": {"$lt": 3}}) == ["x", "z"]


async def test_exists(people: Collection) -> None:
    assert await matching(people, {"note": {"$exists": True}}) == ["b"]
    assert await matching(people, {"tags": {"$exists": False}}) == ["d"]
    assert await matching(people, {"stats.plays": {"$exists": False}}) == ["d"]


async def test_dotted_paths_reach_nested_fields(people: Collection) -> None:
    assert await matching(people, {"stats.plays": 10}) == ["a", "e"]
    assert await matching(people, {"stats.plays": {"$lt": 8}}) == ["b", "c"]
    assert await matching(people, {"stats.city": "Xi'an"}) == ["a"]
    assert await matching(people, {"stats.plays.deeper": None}) == ["a", "b", "c", "d", "e"]


async def test_nested_object_is_not_an_equality_match(coll: Collection) -> None:
    await seed(coll, [{"_id": "x", "v": {"w": 1}}, {"_id": "y", "v": 1}])
    assert await matching(coll, {"v": 1}) == ["y"]


async def test_several_fields_combine_with_and(people: Collection) -> None:
    assert await matching(people, {"age": 25, "tags": "music"}) == ["e"]
    assert await matching(people, {"active": True, "stats.plays": {"$gte": 8}}) == ["a"]


async def test_or_matches_any_branch(people: Collection) -> None:
    assert await matching(people, {"$or": [{"name": "Ann"}, {"age": {"$gt": 30}}]}) == ["a", "c"]


async def test_or_combines_with_other_fields(people: Collection) -> None:
    flt = {"age": 25, "$or": [{"tags": "film"}, {"stats.plays": 10}]}
    assert await matching(people, flt) == ["b", "e"]
    assert await matching(people, {"$or": [{}]}) == ["a", "b", "c", "d", "e"]


async def test_id_operators(people: Collection) -> None:
    assert await matching(people, {"_id": "c"}) == ["c"]
    assert await matching(people, {"_id": {"$in": ["e", "a", "zz"]}}) == ["a", "e"]
    assert await matching(people, {"_id": {"$nin": ["a", "b"]}}) == ["c", "d", "e"]
    assert await matching(people, {"_id": {"$gt": "b", "$lte": "d"}}) == ["c", "d"]
    assert await matching(people, {"_id": {"$ne": "a"}}) == ["b", "c", "d", "e"]
    assert await matching(people, {"_id": None}) == []


async def test_find_one_returns_first_match_in_id_order(people: Collection) -> None:
    found = await people.find_one({"age": 25})
    assert found is not None
    assert found["_id"] == "b"
    assert await people.find_one({"age": 99}) is None


async def test_count(people: Collection) -> None:
    assert await people.count() == 5
    assert await people.count({"tags": "music"}) == 2
    assert await people.count({"age": {"$gt": 100}}) == 0


@pytest.mark.parametrize(
    "flt",
    [
        {"name": {"$regex": "A.*"}},
        {"$and": [{"name": "Ann"}]},
        {"$nor": [{"name": "Ann"}]},
        {"name": {"$eq": "Ann"}},
        {"tags": {"$elemMatch": {"$eq": "x"}}},
        {"name": {"$not": {"$eq": "Ann"}}},
        {"stats": {"plays": 10}},
        {"tags": ["opera", "music"]},
        {"name": {}},
        {"name": {"$in": "Ann"}},
        {"name": {"$in": [["Ann"]]}},
        {"age": {"$gt": None}},
        {"age": {"$gt": True}},
        {"note": {"$exists": 1}},
        {"$or": []},
        {"$or": [{"name": {"$regex": "x"}}]},
        {"$where": "1"},
        {"a..b": 1},
        {"_id": 5},
    ],
)
async def test_filter_outside_the_subset_raises_value_error(
    people: Collection, flt: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the contract is the exception type
        await people.find(flt)
    with pytest.raises(ValueError):  # noqa: PT011
        await people.update_many(flt, set={"touched": True})
    assert await people.count({"touched": True}) == 0


# --- sort, skip, limit --------------------------------------------------------------------


async def test_sort_ascending_breaks_ties_by_id(people: Collection) -> None:
    docs = await people.find({"stats.plays": {"$exists": True}}, sort=[("stats.plays", 1)])
    assert ids(docs) == ["b", "c", "a", "e"]


async def test_sort_descending_still_breaks_ties_by_ascending_id(people: Collection) -> None:
    docs = await people.find({"stats.plays": {"$exists": True}}, sort=[("stats.plays", -1)])
    assert ids(docs) == ["a", "e", "c", "b"]


async def test_sort_on_several_keys(people: Collection) -> None:
    docs = await people.find({"age": {"$gte": 0}}, sort=[("age", -1), ("name", -1)])
    assert ids(docs) == ["c", "a", "e", "b"]


async def test_missing_fields_sort_first_ascending_and_last_descending(coll: Collection) -> None:
    await seed(coll, [{"_id": "x", "t": 3.5}, {"_id": "y"}, {"_id": "z", "t": 1}])
    assert ids(await coll.find(sort=[("t", 1)])) == ["y", "z", "x"]
    assert ids(await coll.find(sort=[("t", -1)])) == ["x", "z", "y"]


async def test_sort_by_id_descending(people: Collection) -> None:
    assert ids(await people.find(sort=[("_id", -1)])) == ["e", "d", "c", "b", "a"]


async def test_strings_sort_by_code_point(coll: Collection) -> None:
    await seed(coll, [{"_id": "1", "s": "b"}, {"_id": "2", "s": "B"}, {"_id": "3", "s": "文"}])
    assert ids(await coll.find(sort=[("s", 1)])) == ["2", "1", "3"]


async def test_skip_and_limit_paginate(coll: Collection) -> None:
    await seed(coll, [{"_id": f"{i:02d}", "n": i} for i in range(10)])
    pages = [await coll.find(sort=[("n", -1)], skip=skip, limit=4) for skip in (0, 4, 8)]
    assert [ids(page) for page in pages] == [
        ["09", "08", "07", "06"],
        ["05", "04", "03", "02"],
        ["01", "00"],
    ]
    assert ids(await coll.find(skip=7)) == ["07", "08", "09"]
    assert await coll.find(limit=0) == []


@pytest.mark.parametrize(
    "kwargs",
    [{"skip": -1}, {"limit": -1}, {"sort": [("n", 2)]}, {"sort": [("n", True)]},
     {"sort": [("$n", 1)]}],
)  # fmt: skip
async def test_bad_paging_or_sort_raises_value_error(
    coll: Collection, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        await coll.find(**kwargs)


# --- updates ------------------------------------------------------------------------------


async def test_update_one_sets_dotted_paths_and_returns_the_new_document(
    coll: Collection,
) -> None:
    await coll.insert({"_id": "x", "title": "old", "stats": {"plays": 1}})
    updated = await coll.update_one(
        {"_id": "x"}, set={"title": "new", "stats.likes": 5, "cover.url": "c.jpg"}
    )
    expected = {"_id": "x", "title": "new", "stats": {"plays": 1, "likes": 5},
                "cover": {"url": "c.jpg"}}  # fmt: skip
    assert updated == expected
    assert await coll.get("x") == expected


async def test_update_one_unsets_fields(coll: Collection) -> None:
    await coll.insert({"_id": "x", "a": 1, "b": {"c": 2, "d": 3}})
    updated = await coll.update_one({"_id": "x"}, unset=["a", "b.c", "missing", "b.d.e"])
    assert updated == {"_id": "x", "b": {"d": 3}}


async def test_inc_counts_a_missing_field_as_zero(coll: Collection) -> None:
    await coll.insert({"_id": "x", "plays": 2})
    updated = await coll.update_one(
        {"_id": "x"}, inc={"plays": 3, "likes": 1, "stats.seconds": 1.5}
    )
    assert updated == {"_id": "x", "plays": 5, "likes": 1, "stats": {"seconds": 1.5}}
    updated = await coll.update_one({"_id": "x"}, inc={"plays": -5, "stats.seconds": 0.25})
    assert updated is not None
    assert updated["plays"] == 0
    assert updated["stats"]["seconds"] == pytest.approx(1.75)


async def test_inc_on_a_string_raises_value_error_and_changes_nothing(coll: Collection) -> None:
    await coll.insert({"_id": "x", "title": "t", "n": 1})
    with pytest.raises(ValueError):  # noqa: PT011
        await coll.update_one({"_id": "x"}, inc={"title": 1}, set={"n": 2})
    assert await coll.get("x") == {"_id": "x", "title": "t", "n": 1}


async def test_set_through_a_scalar_raises_value_error(coll: Collection) -> None:
    await coll.insert({"_id": "x", "title": "t"})
    with pytest.raises(ValueError):  # noqa: PT011
        await coll.update_one({"_id": "x"}, set={"title.en": "t"})
    assert await coll.get("x") == {"_id": "x", "title": "t"}


@pytest.mark.parametrize(
    "update",
    [{}, {"set": {"_id": "y"}}, {"unset": ["_id"]}, {"set": {"a": 1}, "inc": {"a": 1}},
     {"set": {"a": 1, "a.b": 2}}, {"inc": {"a": "1"}}, {"inc": {"a": True}},
     {"set": {"$a": 1}}, {"unset": "a"}],
)  # fmt: skip
async def test_bad_update_raises_value_error(coll: Collection, update: dict[str, Any]) -> None:
    await coll.insert({"_id": "x", "a": 0})
    with pytest.raises(ValueError):  # noqa: PT011
        await coll.update_one({"_id": "x"}, **update)
    assert await coll.get("x") == {"_id": "x", "a": 0}


async def test_update_one_without_a_match_returns_none(coll: Collection) -> None:
    await coll.insert({"_id": "x", "n": 1})
    assert await coll.update_one({"n": 2}, set={"n": 3}) is None
    assert await coll.count() == 1


async def test_update_one_changes_only_the_first_match_in_id_order(coll: Collection) -> None:
    await seed(coll, [{"_id": "b", "s": "new"}, {"_id": "a", "s": "new"}])
    updated = await coll.update_one({"s": "new"}, set={"s": "claimed"})
    assert updated == {"_id": "a", "s": "claimed"}
    assert await matching(coll, {"s": "new"}) == ["b"]


async def test_upsert_creates_from_the_filter_equalities(coll: Collection) -> None:
    created = await coll.update_one(
        {"_id": "day:2025-01-01", "org": "o1", "stats.kind": "live", "plays": {"$gte": 0}},
        inc={"plays": 1},
        set={"title": "t"},
        upsert=True,
    )
    expected = {"_id": "day:2025-01-01", "org": "o1", "stats": {"kind": "live"}, "plays": 1,
                "title": "t"}  # fmt: skip
    assert created == expected
    assert await coll.get("day:2025-01-01") == expected


async def test_upsert_without_id_invents_a_string_id(coll: Collection) -> None:
    created = await coll.update_one({"key": "k"}, set={"v": 1}, upsert=True)
    assert created is not None
    assert isinstance(created["_id"], str)
    assert created["_id"]
    assert await coll.get(created["_id"]) == {"_id": created["_id"], "key": "k", "v": 1}


async def test_upsert_updates_an_existing_match(coll: Collection) -> None:
    await coll.insert({"_id": "x", "key": "k", "n": 1})
    updated = await coll.update_one({"key": "k"}, inc={"n": 1}, upsert=True)
    assert updated == {"_id": "x", "key": "k", "n": 2}
    assert await coll.count() == 1


async def test_upsert_onto_an_existing_id_with_another_state_raises(coll: Collection) -> None:
    await coll.insert({"_id": "x", "state": "live"})
    with pytest.raises(DuplicateKeyError):
        await coll.update_one({"_id": "x", "state": "scheduled"}, set={"state": "live"},
                              upsert=True)  # fmt: skip
    assert await coll.get("x") == {"_id": "x", "state": "live"}


async def test_compare_and_set_has_exactly_one_winner(coll: Collection) -> None:
    await coll.insert({"_id": "ev", "status": "scheduled", "version": 1})
    results = await asyncio.gather(
        *(
            coll.update_one(
                {"_id": "ev", "status": "scheduled", "version": 1},
                set={"status": "live", "by": who},
                inc={"version": 1},
            )
            for who in ("p1", "p2", "p3", "p4")
        )
    )
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert winners[0]["version"] == 2
    assert await coll.get("ev") == winners[0]


async def test_concurrent_increments_lose_nothing(coll: Collection) -> None:
    await asyncio.gather(
        *(coll.update_one({"_id": "c"}, inc={"n": 1}, upsert=True) for _ in range(25))
    )
    assert await coll.get("c") == {"_id": "c", "n": 25}


async def test_update_many_updates_every_match_and_counts_them(people: Collection) -> None:
    assert await people.update_many({"age": 25}, set={"group": "young"}, inc={"n": 1}) == 2
    assert await matching(people, {"group": "young", "n": 1}) == ["b", "e"]
    assert await people.update_many({"age": 99}, set={"group": "old"}) == 0
    assert await people.count({"group": "old"}) == 0


async def test_replace_swaps_the_whole_document(coll: Collection) -> None:
    await coll.insert({"_id": "x", "a": 1, "b": 2})
    assert await coll.replace({"_id": "x", "c": 3}) is True
    assert await coll.get("x") == {"_id": "x", "c": 3}


async def test_replace_of_a_missing_document_is_false(coll: Collection) -> None:
    assert await coll.replace({"_id": "ghost", "c": 3}) is False
    assert await coll.get("ghost") is None


async def test_put_many_inserts_and_replaces_by_id(coll: Collection) -> None:
    await coll.insert({"_id": "x", "a": 1, "b": 2})
    await coll.put_many([{"_id": "x", "c": 3}, {"_id": "y", "v": 1}, {"_id": "y", "v": 2}])
    assert await coll.find() == [{"_id": "x", "c": 3}, {"_id": "y", "v": 2}]
    await coll.put_many([])
    docs = [{"_id": f"t{n:05d}", "n": n, "text": "三国演义" * 4} for n in range(300)]
    await coll.put_many(docs)
    assert await coll.count({"n": {"$gte": 0}}) == 300
    assert await coll.get("t00299") == docs[-1]


async def test_put_many_needs_string_ids_and_keeps_unique_indexes(db: Database) -> None:
    users = db.collection("users")
    with pytest.raises(ValueError, match="_id"):
        await users.put_many([{"_id": "u0"}, {"v": 1}])
    assert await users.count() == 0
    await db.ensure_indexes([USERNAME])
    await users.insert({"_id": "u1", "username": "li"})
    with pytest.raises(DuplicateKeyError):
        await users.put_many([{"_id": "u2", "username": "li"}])
    assert ids(await users.find()) == ["u1"]


async def test_delete_one_removes_the_first_match(people: Collection) -> None:
    assert await people.delete_one({"age": 25}) is True
    assert await matching(people, {"age": 25}) == ["e"]
    assert await people.delete_one({"age": 99}) is False
    assert await people.count() == 4


async def test_delete_many_removes_every_match(people: Collection) -> None:
    assert await people.delete_many({"tags": "music"}) == 2
    assert ids(await people.find()) == ["b", "c", "d"]
    assert await people.delete_many({"tags": "music"}) == 0
    assert await people.delete_many({}) == 3
    assert await people.count() == 0


# --- indexes ------------------------------------------------------------------------------

USERNAME = IndexSpec("users", (("username", 1),), unique=True)


async def test_unique_index_refuses_a_clashing_insert(db: Database) -> None:
    await db.ensure_indexes([USERNAME])
    users = db.collection("users")
    await users.insert({"_id": "u1", "username": "li"})
    with pytest.raises(DuplicateKeyError):
        await users.insert({"_id": "u2", "username": "li"})
    assert ids(await users.find()) == ["u1"]


async def test_unique_index_refuses_a_clashing_update(db: Database) -> None:
    await db.ensure_indexes([USERNAME])
    users = db.collection("users")
    await seed(users, [{"_id": "u1", "username": "li"}, {"_id": "u2", "username": "wang"}])
    with pytest.raises(DuplicateKeyError):
        await users.update_one({"_id": "u2"}, set={"username": "li"})
    with pytest.raises(DuplicateKeyError):
        await users.replace({"_id": "u2", "username": "li"})
    assert await users.get("u2") == {"_id": "u2", "username": "wang"}


async def test_unique_index_is_sparse(db: Database) -> None:
    await db.ensure_indexes([USERNAME])
    users = db.collection("users")
    await seed(users, [{"_id": "g1"}, {"_id": "g2"}, {"_id": "n1", "username": None},
                       {"_id": "n2", "username": None}])  # fmt: skip
    assert await users.count() == 4


async def test_unique_compound_index_clashes_only_on_all_keys(db: Database) -> None:
    await db.ensure_indexes([IndexSpec("daily", (("item", 1), ("day", -1)), unique=True)])
    daily = db.collection("daily")
    await seed(daily, [{"_id": "1", "item": "a", "day": "d1"}, {"_id": "2", "item": "a",
                       "day": "d2"}, {"_id": "3", "item": "b", "day": "d1"},
                       {"_id": "4", "item": "a"}, {"_id": "5", "item": "a"}])  # fmt: skip
    with pytest.raises(DuplicateKeyError):
        await daily.insert({"_id": "6", "item": "b", "day": "d1"})
    assert await daily.count() == 5


async def test_unique_index_on_a_dotted_path(db: Database) -> None:
    await db.ensure_indexes([IndexSpec("orgs", (("code.gb", 1),), unique=True)])
    orgs = db.collection("orgs")
    await orgs.insert({"_id": "o1", "code": {"gb": "610000"}})
    with pytest.raises(DuplicateKeyError):
        await orgs.insert({"_id": "o2", "code": {"gb": "610000"}})
    await orgs.insert({"_id": "o3", "code": {"gb": "610100"}})
    assert ids(await orgs.find()) == ["o1", "o3"]


async def test_ensure_indexes_is_idempotent_and_plain_indexes_allow_duplicates(
    db: Database,
) -> None:
    specs = [USERNAME, IndexSpec("users", (("org", 1), ("created_at", -1)))]
    await db.ensure_indexes(specs)
    await db.ensure_indexes(specs)
    users = db.collection("users")
    await seed(users, [{"_id": "u1", "username": "a", "org": "o", "created_at": 1.0},
                       {"_id": "u2", "username": "b", "org": "o", "created_at": 2.0}])  # fmt: skip
    docs = await users.find({"org": "o"}, sort=[("created_at", -1)])
    assert ids(docs) == ["u2", "u1"]


async def test_unique_index_over_existing_duplicates_raises(db: Database) -> None:
    users = db.collection("users")
    await seed(users, [{"_id": "u1", "username": "li"}, {"_id": "u2", "username": "li"}])
    with pytest.raises(DuplicateKeyError):
        await db.ensure_indexes([USERNAME])
    assert await users.count() == 2


# --- lifecycle ----------------------------------------------------------------------------


async def test_data_survives_close_and_reopen(store: Store) -> None:
    first = await store.open()
    await first.ensure_indexes([USERNAME])
    await first.collection("users").insert({"_id": "u1", "username": "li", "n": 1})
    await first.close()
    second = await store.open()
    try:
        users = second.collection("users")
        assert await users.get("u1") == {"_id": "u1", "username": "li", "n": 1}
        with pytest.raises(DuplicateKeyError):
            await users.insert({"_id": "u2", "username": "li"})
    finally:
        await second.close()


async def test_two_handles_on_one_store_share_writes(store: Store) -> None:
    one, two = await store.open(), await store.open()
    try:
        counters = [one.collection("counters"), two.collection("counters")]
        await asyncio.gather(
            *(counters[i % 2].update_one({"_id": "c"}, inc={"n": 1}, upsert=True)
              for i in range(20))
        )  # fmt: skip
        assert await counters[0].get("c") == {"_id": "c", "n": 20}
        assert await counters[1].get("c") == {"_id": "c", "n": 20}
    finally:
        await one.close()
        await two.close()


async def test_ping_answers(db: Database) -> None:
    await db.ping()


async def test_closed_database_is_unavailable(store: Store) -> None:
    database = await store.open()
    await database.ping()
    await database.close()
    with pytest.raises(EngineUnavailable):
        await database.ping()


# --- engines that cannot be reached ------------------------------------------------------


async def test_mongo_on_a_closed_port_is_unavailable_quickly() -> None:
    database = await MongoDatabase.open(
        f"mongodb://127.0.0.1:{free_port()}/?directConnection=true", "nowhere", server_timeout=0.3
    )
    try:
        started = time.monotonic()
        with pytest.raises(EngineUnavailable):
            await database.ping()
        with pytest.raises(EngineUnavailable):
            await database.collection("items").insert({"_id": "x"})
        assert time.monotonic() - started < 5
    finally:
        await database.close()


async def test_sqlite_in_a_missing_directory_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailable):
        await SQLiteDatabase.open(tmp_path / "missing" / "db.sqlite3")


# --- SQLite only ---------------------------------------------------------------------------


async def test_sqlite_records_its_schema_version_for_migrations(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    database = await SQLiteDatabase.open(path)
    await database.close()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT value FROM _meta WHERE key = 'schema_version'").fetchall()
        journal = conn.execute("PRAGMA journal_mode").fetchone()
    assert rows == [(str(SCHEMA_VERSION),)]
    assert journal == ("wal",)
