"""SQLite: an equality filter on a field leading a declared index searches that index (the
plan SQLite chooses for the statement the adapter runs), and still matches lists holding the
value, as the contract requires."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from culturecast.storage.database.port import IndexSpec
from culturecast.storage.database.sqlite import SQLiteDatabase

pytestmark = pytest.mark.integration

DOCS = [
    {"_id": "a", "owner": "ann", "n": 1},
    {"_id": "b", "owner": "bob", "n": 2},
    {"_id": "c", "owner": ["bob", "ann"], "n": 3},
    {"_id": "d", "owner": 7, "n": 4},
    {"_id": "e", "n": 5},
    {"_id": "f", "owner": [7.0], "n": 6},
    {"_id": "g", "owner": "7", "n": 7},
]


async def plans(path: Path, flt: dict[str, object]) -> tuple[list[str], list[str]]:
    """The ids ``find(flt)`` returns and the plan of the statement it ran."""
    db = await SQLiteDatabase.open(path)
    try:
        await db.ensure_indexes([IndexSpec("items", (("owner", 1),))])
        coll = db.collection("items")
        await coll.put_many(DOCS)
        statements: list[str] = []
        await db._run(lambda: db._conn.set_trace_callback(statements.append))
        found = [doc["_id"] for doc in await coll.find(flt)]
        await db._run(lambda: db._conn.set_trace_callback(None))
    finally:
        await db.close()
    (select,) = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    with contextlib.closing(sqlite3.connect(path)) as conn:
        plan = [str(row[3]) for row in conn.execute("EXPLAIN QUERY PLAN " + select)]
    return found, plan


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"owner": "ann"}, ["a", "c"]),
        ({"owner": {"$in": ["bob", "zed"]}}, ["b", "c"]),
        ({"owner": 7}, ["d", "f"]),
        ({"owner": "bob", "n": 2}, ["b"]),
    ],
)
async def test_equality_on_an_indexed_field_searches_the_index(
    tmp_path: Path, flt: dict[str, object], expected: list[str]
) -> None:
    found, plan = await plans(tmp_path / "db.sqlite3", flt)
    assert found == expected
    assert any("SEARCH items USING INDEX ix_items__owner_1" in step for step in plan), plan
    assert not any(step.startswith("SCAN items") and "INDEX" not in step for step in plan), plan


async def test_equality_on_an_unindexed_field_still_matches(tmp_path: Path) -> None:
    found, _ = await plans(tmp_path / "db.sqlite3", {"n": 3})
    assert found == ["c"]
