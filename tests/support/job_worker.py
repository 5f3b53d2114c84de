"""Small real jobs for the job-queue tests, and a Celery worker process that runs them.

Run as ``python -m tests.support.job_worker --broker URL (--sqlite PATH | --mongo URL --db NAME)
[--queue Q] [--visibility-timeout S] [--restore-interval S] [--name NODE] [--concurrency N]``.
The in-process tests register the same jobs through :func:`build_registry`, so both runners
are exercised with identical handlers.

Jobs (payload keys in brackets):

* ``test.write_marker`` [path, line]: append ``line`` to the file ``path``.
* ``test.slow`` [path, line, seconds, steps]: report progress in ``steps`` steps over
  ``seconds``, then append ``line``.
* ``test.gate`` [path, line, percent, gate]: report ``percent``, wait until the file ``gate``
  exists, then append ``line`` (lets a test look at a running job without guessing times).
* ``test.fail`` [reason]: raise ``RuntimeError(reason)``.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from culturecast.jobs.celery_app import make_celery_app, run_worker
from culturecast.jobs.port import JobContext, JobRegistry
from culturecast.jobs.records import JOB_INDEXES, JobRecords
from culturecast.storage.database.port import Database


def append_line(path: str, line: str) -> None:
    with Path(path).open("a", encoding="utf-8") as f:
        f.write(line + "\n")


async def write_marker(ctx: JobContext, payload: Mapping[str, Any]) -> None:
    append_line(payload["path"], payload["line"])


async def slow(ctx: JobContext, payload: Mapping[str, Any]) -> None:
    steps = int(payload.get("steps", 10))
    for step in range(steps):
        await ctx.report_progress(100 * step / steps)
        await asyncio.sleep(float(payload["seconds"]) / steps)
    append_line(payload["path"], payload["line"])


async def gate(ctx: JobContext, payload: Mapping[str, Any]) -> None:
    await ctx.report_progress(float(payload["percent"]))
    gate_file = Path(payload["gate"])
    # The test opening the gate may be another process: a file is the simplest shared signal.
    while not await asyncio.to_thread(gate_file.exists):  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    append_line(payload["path"], payload["line"])


async def fail(ctx: JobContext, payload: Mapping[str, Any]) -> None:
    raise RuntimeError(payload["reason"])


def build_registry() -> JobRegistry:
    registry = JobRegistry()
    registry.register("test.write_marker", write_marker)
    registry.register("test.slow", slow)
    registry.register("test.gate", gate)
    registry.register("test.fail", fail)
    return registry


async def open_database(sqlite: str | None, mongo: str | None, db_name: str) -> Database:
    if sqlite is not None:
        from culturecast.storage.database.sqlite import SQLiteDatabase

        database: Database = await SQLiteDatabase.open(Path(sqlite))
    else:
        from culturecast.storage.database.mongo import MongoDatabase

        assert mongo is not None
        database = await MongoDatabase.open(mongo, db_name)
    await database.ensure_indexes(JOB_INDEXES)
    return database


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--broker", required=True)
    engine = parser.add_mutually_exclusive_group(required=True)
    engine.add_argument("--sqlite")
    engine.add_argument("--mongo")
    parser.add_argument("--db", default="culturecast_test")
    parser.add_argument("--queue", default="culturecast.jobs")
    parser.add_argument("--visibility-timeout", type=float, default=3600.0)
    parser.add_argument("--restore-interval", type=float, default=60.0)
    parser.add_argument("--name", default="test-worker@%h")
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()

    @asynccontextmanager
    async def services() -> AsyncIterator[tuple[JobRegistry, JobRecords]]:
        database = await open_database(args.sqlite, args.mongo, args.db)
        try:
            yield build_registry(), JobRecords(database)
        finally:
            await database.close()

    app = make_celery_app(
        args.broker,
        worker_services=services,
        queue=args.queue,
        visibility_timeout=args.visibility_timeout,
        restore_interval=args.restore_interval,
    )
    return run_worker(app, args.concurrency, extra_args=["-n", args.name])


if __name__ == "__main__":
    raise SystemExit(main())
