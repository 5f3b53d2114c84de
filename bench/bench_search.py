"""Search: 100,000 resources in the term index, p50/p99 of each query, on SQLite and MongoDB.

Titles are drawn from a pool of classic works and forms (三国演义, 梁祝, 二泉映月 …) with an
episode number, performers from a pool of names, so a query such as ``sgyy`` matches a few
thousand resources and ``三国演义第12回`` a handful, as in a provincial library. The index
is filled through ``SearchIndex.put_many`` (what the catalogue's rebuild calls: about 60 term
rows a resource, written in bulk through ``Collection.put_many``); each query runs
``SearchIndex.search`` (the prefix range on the index plus ranking).

MongoDB is ``CULTURECAST_TEST_MONGO_URL`` when set (a real server: the full load), else the
wire server the tests use (mongoeco on SQLite). That stand-in cannot hold 100,000 resources
(about 6 million term rows). tests/support/mongo_wire_server.py removed its two whole-collection
scans per write (the ``_id`` duplicate scan and the ``_id`` type probes), but each upsert still
costs milliseconds in mongoeco itself (measured with 300 resources on a loaded machine: 18,829
term rows in 599 s, 31 rows/s; a query on 18,829 rows about 100 ms) — days for this load. On it
the bench loads ``--stand-in-resources`` (default 40, about 2,500 term rows) and labels the row
``mongodb (stand-in)``: those figures measure the stand-in, not MongoDB.

    .venv/bin/python bench/bench_search.py [--resources 100000] [--queries 50]
        [--adapters sqlite mongodb] [--stand-in-resources 40]

The goal (issue 17): a query's p99 well under 100 ms at 100,000 resources on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from culturecast.media.search.service import COLLECTION, INDEXES, SearchIndex
from culturecast.storage.database.mongo import MongoDatabase
from culturecast.storage.database.port import Database
from culturecast.storage.database.sqlite import SQLiteDatabase
from tests.support.engines import mongo_server

WORKS = [
    "三国演义", "水浒传", "西游记", "红楼梦", "梁祝", "二泉映月", "牡丹亭", "霸王别姬",
    "天仙配", "女驸马", "白蛇传", "穆桂英挂帅", "花木兰", "茶馆", "雷雨", "黄河大合唱",
    "春江花月夜", "高山流水", "十面埋伏", "阳关三叠",
]  # fmt: skip
FORMS = ["评书", "越剧", "黄梅戏", "京剧", "昆曲", "合唱", "民乐", "话剧"]
PERFORMERS = ["袁阔成", "单田芳", "刘兰芳", "严凤英", "梅兰芳", "阿炳", "茅威涛", "王珮瑜"]
QUERIES = {
    "initials sgyy": "sgyy",
    "pinyin sanguo": "sanguo",
    "chars 三国": "三国",
    "exact 三国演义第12回": "三国演义第12回",
    "initials lz": "lz",
    "pinyin yueju": "yueju",
    "performer 阿炳": "阿炳",
}
BATCH = 500
"""Resources indexed per ``put_many`` call (the catalogue's rebuild page)."""


@dataclass(frozen=True, slots=True)
class Result:
    adapter: str
    resources: int
    terms: int
    fill_s: float
    rows: dict[str, tuple[int, float, float]]
    """Query label -> (hits, p50 ms, p99 ms)."""


def resources(count: int, rng: random.Random) -> list[dict[str, str]]:
    out = []
    for n in range(count):
        work = rng.choice(WORKS)
        out.append(
            {
                "_id": f"r{n:06d}",
                "title": f"{rng.choice(FORMS)}《{work}》第{rng.randint(1, 120)}回",
                "performer": rng.choice(PERFORMERS),
                "series_title": f"{work}全集",
                "description": f"{work}的演出录像",
            }
        )
    return out


async def fill(database: Database, docs: list[dict[str, str]]) -> float:
    await database.ensure_indexes(list(INDEXES))
    index = SearchIndex(database)
    started = time.perf_counter()
    for at in range(0, len(docs), BATCH):
        await index.put_many(docs[at : at + BATCH])
        if at and at % 20_000 == 0:
            print(f"  indexed {at} ({time.perf_counter() - started:.0f} s)", flush=True)
    return time.perf_counter() - started


def percentile(sorted_s: list[float], p: float) -> float:
    return sorted_s[min(len(sorted_s) - 1, int(len(sorted_s) * p))] * 1000


async def measure(database: Database, queries: int) -> dict[str, tuple[int, float, float]]:
    index = SearchIndex(database)
    rows = {}
    for label, q in QUERIES.items():
        hits = len(await index.search(q))  # warm
        latencies = []
        for _ in range(queries):
            started = time.perf_counter()
            await index.search(q)
            latencies.append(time.perf_counter() - started)
        latencies.sort()
        rows[label] = (hits, statistics.median(latencies) * 1000, percentile(latencies, 0.99))
    return rows


async def bench(adapter: str, database: Database, count: int, queries: int) -> Result:
    try:
        fill_s = await fill(database, resources(count, random.Random(17)))
        terms = await database.collection(COLLECTION).count()
        rows = await measure(database, queries)
    finally:
        await database.close()
    return Result(adapter, count, terms, fill_s, rows)


async def run(adapter: str, count: int, queries: int, workdir: Path) -> Result:
    if adapter == "sqlite":
        database: Database = await SQLiteDatabase.open(workdir / "bench.sqlite3")
        return await bench("sqlite", database, count, queries)
    label = "mongodb" if os.environ.get("CULTURECAST_TEST_MONGO_URL") else "mongodb (stand-in)"
    (workdir / "mongo").mkdir(exist_ok=True)
    with mongo_server(workdir / "mongo") as url:
        database = await MongoDatabase.open(url, f"bench_{uuid.uuid4().hex[:8]}", server_timeout=60)
        return await bench(label, database, count, queries)


def table(results: list[Result], queries: int) -> str:
    lines = [f"search bench: {queries} runs of each query", ""]
    for r in results:
        lines.append(
            f"{r.adapter}: {r.resources:,} resources, {r.terms:,} term rows, "
            f"index built in {r.fill_s:.1f} s ({r.resources / r.fill_s:,.0f} resources/s)"
        )
        lines.append(f"  {'query':<24} {'hits':>7} {'p50 ms':>8} {'p99 ms':>8}")
        for label, (hits, p50, p99) in r.rows.items():
            lines.append(f"  {label:<24} {hits:>7,} {p50:>8.1f} {p99:>8.1f}")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--stand-in-resources", type=int, default=40)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--adapters", nargs="+", default=["sqlite", "mongodb"])
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for adapter in args.adapters:
            count = args.resources
            if adapter == "mongodb" and not os.environ.get("CULTURECAST_TEST_MONGO_URL"):
                count = min(count, args.stand_in_resources)
            print(f"{adapter}: indexing {count:,} resources", flush=True)
            results.append(asyncio.run(run(adapter, count, args.queries, Path(tmp))))
    print(table(results, args.queries), flush=True)


if __name__ == "__main__":
    main()
