"""The shared query language: what is accepted, how it parses, and how updates apply."""

from __future__ import annotations

from typing import Any

import pytest

from culturecast.storage.database.query import (
    AnyOf,
    Condition,
    apply_update,
    check_collection_name,
    check_document,
    check_page,
    check_path,
    check_sort,
    new_id,
    parse_filter,
    parse_page,
    parse_update,
    upsert_seed,
)


def test_empty_or_missing_filter_has_no_conditions() -> None:
    assert parse_filter(None) == ()
    assert parse_filter({}) == ()


def test_equality_and_operators_parse_to_conditions() -> None:
    nodes = parse_filter({"status": "live", "stats.plays": {"$gte": 10, "$lt": 20}})
    assert nodes == (
        Condition("status", "eq", "live"),
        Condition("stats.plays", "gte", 10),
        Condition("stats.plays", "lt", 20),
    )


def test_in_takes_any_sequence_and_keeps_a_tuple() -> None:
    assert parse_filter({"tag": {"$in": ["a", None]}}) == (Condition("tag", "in", ("a", None)),)
    assert parse_filter({"n": {"$nin": (1, 2.5)}}) == (Condition("n", "nin", (1, 2.5)),)


def test_or_nests_branches() -> None:
    nodes = parse_filter({"$or": [{"a": 1}, {"b": {"$exists": False}, "c": True}]})
    assert nodes == (
        AnyOf(((Condition("a", "eq", 1),), (Condition("b", "exists", False),
                                              Condition("c", "eq", True)))),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("flt", "message"),
    [
        ({"a": {"$regex": "x"}}, "unsupported operator"),
        ({"$and": [{"a": 1}]}, "unsupported operator"),
        ({"a": {"b": 1}}, "unsupported operator"),
        ({"a": [1, 2]}, "JSON scalar"),
        ({"a": {}}, "empty operator"),
        ({"a": {"$in": "abc"}}, "needs a list"),
        ({"a": {"$in": [{"b": 1}]}}, "JSON scalars"),
        ({"a": {"$exists": "yes"}}, "true or false"),
        ({"a": {"$ne": [1]}}, "JSON scalar"),
        ({"a": {"$gt": None}}, "number or a string"),
        ({"a": {"$lt": False}}, "number or a string"),
        ({"a": {"$gt": 1, "$lt": "z"}}, "mix numbers and strings"),
        ({"$or": []}, "at least one"),
        ({"$or": {"a": 1}}, "list of filters"),
        ({"_id": 7}, "always a string"),
        ({"_id": {"$gt": 1}}, "always a string"),
        ({"": 1}, "non-empty"),
        ({"a..b": 1}, "unsupported field path"),
        ({'a"b': 1}, "unsupported field path"),
        ({"a.$b": 1}, "unsupported field path"),
    ],
)
def test_filters_outside_the_subset_raise_value_error(flt: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_filter(flt)


def test_id_accepts_strings_and_none_and_exists() -> None:
    assert parse_filter({"_id": {"$in": ["a", None], "$exists": True}}) == (
        Condition("_id", "in", ("a", None)),
        Condition("_id", "exists", True),
    )


def test_path_splits_into_segments() -> None:
    assert check_path("stats.daily.plays") == ("stats", "daily", "plays")
    assert check_path("标题") == ("标题",)


@pytest.mark.parametrize("name", ["live_events", "a", "stats2"])
def test_portable_collection_names_pass(name: str) -> None:
    assert check_collection_name(name) == name


@pytest.mark.parametrize("name", ["", "Users", "_meta", "1st", "a-b", "a.b", "sqlite_x", "x" * 64])
def test_unportable_collection_names_fail(name: str) -> None:
    with pytest.raises(ValueError, match="collection name"):
        check_collection_name(name)


def test_sort_keeps_pairs_and_refuses_other_directions() -> None:
    assert check_sort([("a", 1), ("b.c", -1)]) == (("a", 1), ("b.c", -1))
    with pytest.raises(ValueError, match="1 or -1"):
        check_sort([("a", 0)])
    with pytest.raises(ValueError, match="1 or -1"):
        check_sort([("a", True)])


@pytest.mark.parametrize(("skip", "limit"), [(-1, None), (0, -1), (True, None), (0, 1.5)])
def test_bad_page_raises(skip: Any, limit: Any) -> None:
    with pytest.raises(ValueError, match=r"skip|limit"):
        check_page(skip, limit)


def test_a_page_fills_in_its_defaults_and_refuses_a_part_it_does_not_name() -> None:
    assert parse_page({}) == ((), 0, None)
    assert parse_page({"sort": [("a", -1)], "skip": 2, "limit": 3}) == ([("a", -1)], 2, 3)
    with pytest.raises(ValueError, match="skip"):
        parse_page({"skip": -1})
    page: Any = {"limt": 3}  # a misspelt keyword to find() is a caller's bug, not "no limit"
    with pytest.raises(TypeError, match="limt"):
        parse_page(page)


def test_documents_need_a_string_id() -> None:
    assert check_document({"_id": "x"}) == "x"
    for doc in ({}, {"_id": 1}, {"_id": ""}):
        with pytest.raises(ValueError, match="_id"):
            check_document(doc)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "at least one"),
        ({"set": {"_id": "x"}}, "_id cannot"),
        ({"inc": {"_id.n": 1}}, "_id cannot"),
        ({"set": {"a": 1}, "unset": ["a"]}, "conflict"),
        ({"set": {"a": 1}, "inc": {"a.b": 1}}, "conflict"),
        ({"inc": {"a": "1"}}, "needs a number"),
        ({"inc": {"a": False}}, "needs a number"),
        ({"unset": "abc"}, "not a string"),
    ],
)
def test_bad_updates_raise(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"set": None, "unset": (), "inc": None} | kwargs
    with pytest.raises(ValueError, match=message):
        parse_update(**args)


def test_similar_but_distinct_paths_do_not_conflict() -> None:
    update = parse_update({"ab": 1}, ["a.bc"], {"a.b": 1})
    assert update.set == {"ab": 1}


def test_apply_update_sets_unsets_and_increments_without_touching_the_input() -> None:
    doc = {"_id": "x", "n": 1, "meta": {"a": 1, "b": [1]}}
    update = parse_update({"meta.c.d": "v", "title": "t"}, ["meta.a", "ghost", "meta.b.deep"],
                          {"n": 2, "stats.plays": 1, "f": 0.5})  # fmt: skip
    result = apply_update(doc, update)
    assert result == {
        "_id": "x", "n": 3, "meta": {"b": [1], "c": {"d": "v"}}, "title": "t",
        "stats": {"plays": 1}, "f": 0.5,
    }  # fmt: skip
    assert doc == {"_id": "x", "n": 1, "meta": {"a": 1, "b": [1]}}


def test_set_values_are_copied_not_shared() -> None:
    value = {"list": [1]}
    result = apply_update({"_id": "x"}, parse_update({"v": value}, (), None))
    value["list"].append(2)
    assert result["v"] == {"list": [1]}


@pytest.mark.parametrize(
    ("doc", "update"),
    [
        ({"_id": "x", "t": "s"}, parse_update({"t.en": 1}, (), None)),
        ({"_id": "x", "t": None}, parse_update({"t.en": 1}, (), None)),
        ({"_id": "x", "t": "s"}, parse_update(None, (), {"t": 1})),
        ({"_id": "x", "t": True}, parse_update(None, (), {"t": 1})),
        ({"_id": "x", "t": [1]}, parse_update(None, (), {"t.n": 1})),
    ],
)
def test_updates_that_cannot_apply_raise(doc: dict[str, Any], update: Any) -> None:
    with pytest.raises(ValueError, match="cannot"):
        apply_update(doc, update)


def test_upsert_seed_takes_only_top_level_equalities() -> None:
    nodes = parse_filter(
        {"_id": "k", "org": "o", "stats.kind": "live", "n": {"$gt": 1}, "gone": None,
         "$or": [{"x": 1}], "tag": {"$in": ["a"]}}
    )  # fmt: skip
    assert upsert_seed(nodes) == {"_id": "k", "org": "o", "stats": {"kind": "live"}, "gone": None}


def test_new_ids_are_distinct_hex_strings() -> None:
    a, b = new_id(), new_id()
    assert a != b
    assert len(a) == 32
    assert int(a, 16) >= 0
