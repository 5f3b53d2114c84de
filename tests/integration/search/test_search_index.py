"""The search index on both database adapters (SQLite and the MongoDB wire server): matches
by characters, pinyin and initials, ranked, kept up to date as resources change."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from culturecast.media.search.service import INDEXES, SearchIndex
from culturecast.storage.database.mongo import MongoDatabase
from culturecast.storage.database.port import Database
from culturecast.storage.database.sqlite import SQLiteDatabase

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "mongodb"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        database: Database = await SQLiteDatabase.open(tmp_path / "db.sqlite3")
        yield database
        await database.close()
        return
    url: str = request.getfixturevalue("mongo_url")
    name = f"search_{uuid.uuid4().hex[:12]}"
    database = await MongoDatabase.open(url, name)
    yield database
    await database.close()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
    try:
        await client.drop_database(name)
    finally:
        await client.close()


RESOURCES: list[dict[str, Any]] = [
    {"_id": "r1", "title": "三国演义", "performer": "袁阔成", "series_title": "评书经典"},
    {"_id": "r2", "title": "评书《三国演义》第一回", "performer": "", "series_title": None},
    {"_id": "r3", "title": "水浒传", "description": "三国演义之后的又一部评书"},
    {"_id": "r4", "title": "梁祝", "performer": "三国剧团", "series_title": None},
    {"_id": "r5", "title": "二泉映月", "performer": "阿炳", "series_title": "三国演义配乐"},
]


@pytest.fixture
async def index(db: Database) -> SearchIndex:
    await db.ensure_indexes(list(INDEXES))
    search = SearchIndex(db)
    for doc in RESOURCES:
        await search.put(doc)
    return search


@pytest.mark.parametrize("q", ["三国演义", "sanguoyanyi", "sgyy"])
async def test_ranked_title_exact_then_title_then_series_then_description(
    index: SearchIndex, q: str
) -> None:
    hits = await index.search(q)
    if q == "三国演义":
        # The description is indexed by characters only.
        assert hits == ["r1", "r2", "r5", "r3"]
    else:
        assert hits == ["r1", "r2", "r5"]


async def test_prefixes_partials_and_performers(index: SearchIndex) -> None:
    assert (await index.search("sanguo"))[:2] == ["r1", "r2"]
    assert "r4" in await index.search("三国")  # performer 三国剧团
    assert await index.search("abing") == ["r5"]
    assert await index.search("nothing") == []
    assert await index.search("《》") == []


async def test_kept_up_to_date(index: SearchIndex) -> None:
    await index.put({"_id": "r1", "title": "红楼梦", "performer": "", "series_title": None})
    assert "r1" not in await index.search("sgyy")
    assert await index.search("hlm") == ["r1"]
    await index.remove("r1")
    assert await index.search("hlm") == []
