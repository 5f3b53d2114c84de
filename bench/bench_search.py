"""Search: 100,000 resources in the term index, p50/p99 of a query, on SQLite and MongoDB.

Titles are drawn from a pool of classic works and forms (三国演义, 梁祝, 二泉映月 …) with an
episode number, performers from a pool of names, so a query such as ``sgyy`` matches a few
thousand resources and ``三国演义第12回`` a handful, as in a provincial library. The index
is filled through ``SearchIndex.put`` (what the catalogue calls when a resource changes);
each query runs ``SearchIndex.search`` (the prefix range on the index plus ranking). MongoDB
is the wire server the tests use (``CULTURECAST_TEST_MONGO_URL`` or a local one).

    .venv/bin/python bench/bench_search.py [--resources 100000] [--queries 200]
        [--adapters sqlite mongodb]

The goal (issue 17): a query's p99 well under 100 ms at 100,000 resources on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from culturecast.media.search.service import INDEXES, SearchIndex
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
QUERIES = ["sgyy", "sanguo", "三国", "三国演义第12回", "lz", "liangzhu", "yueju", "阿炳", "hlm"]


async def fill(database: Database, count: int, rng: random.Random) -> float:
    await database.ensure_indexes(list(INDEXES))
    index = SearchIndex(database)
    started = time.perf_counter()
    for n in range(count):
        work = rng.choice(WORKS)
        await index.put(
            {
                "_id": f"r{n:06d}",
                "title": f"{rng.choice(FORMS)}《{work}》第{rng.randint(1, 120)}回",
                "performer": rng.choice(PERFORMERS),
                "series_title": f"{work}全集",
                "description": f"{work}的演出录像",
            }
        )
        if n and n % 10_000 == 0:
            print(f"  indexed {n}", flush=True)
    return time.perf_counter() - started


async def measure(database: Database, queries: int, rng: random.Random) -> list[float]:
    index = SearchIndex(database)
    latencies = []
    for _ in range(queries):
        q = rng.choice(QUERIES)
        started = time.perf_counter()
        await index.search(q)
        latencies.append(time.perf_counter() - started)
    return latencies


async def run(adapter: str, resources: int, queries: int, workdir: Path) -> None:
    rng = random.Random(17)
    if adapter == "sqlite":
        database: Database = await SQLiteDatabase.open(workdir / "bench.sqlite3")
        await bench(adapter, database, resources, queries, rng)
        return
    with mongo_server(workdir / "mongo") as url:
        database = await MongoDatabase.open(url, f"bench_{uuid.uuid4().hex[:8]}")
        await bench(adapter, database, resources, queries, rng)


async def bench(
    adapter: str, database: Database, resources: int, queries: int, rng: random.Random
) -> None:
    try:
        fill_s = await fill(database, resources, rng)
        latencies = sorted(await measure(database, queries, rng))
    finally:
        await database.close()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000
    print(
        f"{adapter}: {resources} resources indexed in {fill_s:.0f} s; "
        f"{queries} queries: p50 {p50:.1f} ms, p99 {p99:.1f} ms",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--adapters", nargs="+", default=["sqlite", "mongodb"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for adapter in args.adapters:
            (Path(tmp) / "mongo").mkdir(exist_ok=True)
            asyncio.run(run(adapter, args.resources, args.queries, Path(tmp)))


if __name__ == "__main__":
    main()
