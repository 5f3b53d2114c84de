"""Fixtures of the job-queue tests: databases on both adapters, and Celery worker processes
running ``tests.support.job_worker``."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from culturecast.jobs.records import JOB_INDEXES, JobRecord, JobRecords
from culturecast.storage.database.mongo import MongoDatabase
from culturecast.storage.database.port import Database
from culturecast.storage.database.sqlite import SQLiteDatabase

REPO_ROOT = Path(__file__).resolve().parents[3]


async def open_sqlite(path: Path) -> Database:
    database = await SQLiteDatabase.open(path)
    await database.ensure_indexes(JOB_INDEXES)
    return database


async def open_mongo(url: str, db_name: str) -> Database:
    database = await MongoDatabase.open(url, db_name)
    await database.ensure_indexes(JOB_INDEXES)
    return database


@pytest.fixture(params=["sqlite", "mongodb"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        db = await open_sqlite(tmp_path / "jobs.sqlite")
    else:
        url = request.getfixturevalue("mongo_url")
        db = await open_mongo(url, f"jobs_{uuid.uuid4().hex[:12]}")
    try:
        yield db
    finally:
        await db.close()


async def wait_for_record(
    records: JobRecords,
    job_id: str,
    predicate: Callable[[JobRecord], bool],
    within: float = 15.0,
) -> JobRecord:
    """Poll the job's record until ``predicate`` holds (the runners are other tasks or other
    processes: their progress can only be observed, not stepped)."""
    last: JobRecord | None = None
    try:
        async with asyncio.timeout(within):
            while True:
                last = await records.get(job_id)
                if last is not None and predicate(last):
                    return last
                await asyncio.sleep(0.05)
    except TimeoutError:
        pass
    raise AssertionError(f"job {job_id} did not reach the expected state; last record: {last}")


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


@dataclass
class WorkerFactory:
    """Starts ``tests.support.job_worker`` processes and stops them all at teardown."""

    broker_url: str
    db_name: str
    engine_args: list[str]
    queue: str
    visibility_timeout: float
    log_dir: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, concurrency: int = 1) -> subprocess.Popen[bytes]:
        n = len(self.procs)
        log = (self.log_dir / f"worker-{n}.log").open("wb")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.job_worker",
                "--broker",
                self.broker_url,
                *self.engine_args,
                "--queue",
                self.queue,
                "--visibility-timeout",
                str(self.visibility_timeout),
                "--restore-interval",
                "0.5",
                "--name",
                f"{self.queue}-{n}@%h",
                "--concurrency",
                str(concurrency),
            ],
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.procs.append(proc)
        return proc

    def terminate(self, proc: subprocess.Popen[bytes]) -> int:
        """SIGTERM, as a deploy or ``docker stop`` sends: Celery's warm shutdown."""
        proc.terminate()
        return proc.wait(timeout=30)

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        """``kill -9``: no cleanup, no acknowledgement, like a lost node."""
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def log(self) -> str:
        return "\n".join(
            p.read_text(errors="replace") for p in sorted(self.log_dir.glob("worker-*.log"))
        )


def mongo_worker_factory(
    redis_url: str, mongo_url: str, db_name: str, visibility_timeout: float, log_dir: Path
) -> WorkerFactory:
    """Workers on Mongo database ``db_name``, consuming a queue of their own."""
    log_dir.mkdir(parents=True, exist_ok=True)
    return WorkerFactory(
        broker_url=redis_url,
        db_name=db_name,
        engine_args=["--mongo", mongo_url, "--db", db_name],
        queue=f"jobs-{uuid.uuid4().hex[:8]}",
        visibility_timeout=visibility_timeout,
        log_dir=log_dir,
    )
