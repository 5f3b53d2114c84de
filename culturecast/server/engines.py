"""Open the adapter behind each storage port from the settings: an engine URL selects the
distributed adapter, its absence the embedded twin."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from culturecast.server.settings import Settings
from culturecast.storage.counters.memory import MemoryCounters
from culturecast.storage.counters.port import Counters
from culturecast.storage.counters.redis import RedisCounters
from culturecast.storage.database.mongo import MongoDatabase
from culturecast.storage.database.port import Database
from culturecast.storage.database.sqlite import SQLiteDatabase
from culturecast.storage.objects.local import LocalObjectStore
from culturecast.storage.objects.port import ObjectStore
from culturecast.storage.objects.s3 import S3ObjectStore

READY_TIMEOUT_S = 3.0


@dataclass(slots=True)
class Engines:
    """The open adapters."""

    database: Database
    """Documents (SQLite | MongoDB)."""
    objects: ObjectStore
    """Media bytes (local directory | S3)."""
    counters: Counters
    """Counters and pub/sub (memory | Redis)."""

    async def close(self) -> None:
        for closer in (self.counters.close, self.objects.close, self.database.close):
            await closer()


async def open_engines(settings: Settings, clock: Callable[[], float] = time.time) -> Engines:
    """Open every engine the settings name; on failure close what was opened."""
    opened: list[Callable[[], Awaitable[None]]] = []
    try:
        database: Database
        if settings.mongo_url:
            database = await MongoDatabase.open(settings.mongo_url, settings.mongo_db)
        else:
            database = await SQLiteDatabase.open(settings.sqlite_path)
        opened.append(database.close)

        objects: ObjectStore
        if settings.s3 is not None:
            s3 = S3ObjectStore(
                settings.s3.url,
                access_key=settings.s3.access_key,
                secret_key=settings.s3.secret_key,
                bucket=settings.s3.bucket,
                region=settings.s3.region,
            )
            opened.append(s3.close)
            await s3.ensure_bucket()
            objects = s3
        else:
            objects = LocalObjectStore(settings.objects_dir)
            opened.append(objects.close)

        counters: Counters
        if settings.redis_url:
            counters = await RedisCounters.open(settings.redis_url)
        else:
            counters = MemoryCounters(clock)
        opened.append(counters.close)
    except BaseException:
        for close in reversed(opened):
            await close()
        raise
    return Engines(database=database, objects=objects, counters=counters)


async def check_ready(
    checks: dict[str, tuple[str, Callable[[], Awaitable[None]]]],
) -> tuple[bool, dict[str, Any]]:
    """Ping every engine at once; each gets :data:`READY_TIMEOUT_S`."""

    async def one(ping: Callable[[], Awaitable[None]]) -> str | None:
        try:
            await asyncio.wait_for(ping(), READY_TIMEOUT_S)
        except TimeoutError:
            return f"no answer within {READY_TIMEOUT_S:g} s"
        except Exception as exc:
            return str(exc) or type(exc).__name__
        return None

    names = list(checks)
    results = await asyncio.gather(*(one(checks[n][1]) for n in names))
    report: dict[str, Any] = {}
    for name, error in zip(names, results, strict=True):
        entry: dict[str, Any] = {"engine": checks[name][0], "ok": error is None}
        if error is not None:
            entry["error"] = error
        report[name] = entry
    return all(r is None for r in results), report
