"""The job-queue contract, run against both runners: in-process (on SQLite, as in standalone
mode) and Celery (a real worker process on a Redis broker and MongoDB, as in distributed
mode). The handlers are the real jobs of ``tests.support.job_worker``."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from culturecast.jobs.celery_app import CeleryJobQueue, make_celery_app
from culturecast.jobs.inprocess import InProcessJobQueue
from culturecast.jobs.port import JobQueue
from culturecast.jobs.records import JobRecords, JobStatus
from culturecast.storage.database.port import Database
from culturecast.storage.errors import EngineUnavailable
from tests.integration.jobs.conftest import (
    WorkerFactory,
    mongo_worker_factory,
    open_mongo,
    open_sqlite,
    read_lines,
    wait_for_record,
)
from tests.support.job_worker import build_registry

pytestmark = pytest.mark.integration


@dataclass
class Harness:
    queue: JobQueue
    records: JobRecords
    tmp: Path

    def job_id(self) -> str:
        return f"test:{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def celery_workers(
    redis_url: str, mongo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerFactory]:
    """One worker process for the whole module: starting Celery takes seconds."""
    workers = mongo_worker_factory(
        redis_url,
        mongo_url,
        f"jobs_contract_{uuid.uuid4().hex[:8]}",
        visibility_timeout=3600,
        log_dir=tmp_path_factory.mktemp("celery-workers"),
    )
    workers.start()
    yield workers
    workers.stop_all()


@pytest.fixture(params=["inprocess", "celery"])
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    database: Database
    queue: JobQueue
    if request.param == "inprocess":
        database = await open_sqlite(tmp_path / "jobs.sqlite")
        records = JobRecords(database)
        queue = await InProcessJobQueue.open(build_registry(), records)
    else:
        workers: WorkerFactory = request.getfixturevalue("celery_workers")
        database = await open_mongo(request.getfixturevalue("mongo_url"), workers.db_name)
        records = JobRecords(database)
        queue = CeleryJobQueue(make_celery_app(workers.broker_url, queue=workers.queue), records)
    try:
        yield Harness(queue, records, tmp_path)
    finally:
        await queue.close()
        await database.close()


async def test_enqueue_runs_the_handler_once_with_the_payload(harness: Harness) -> None:
    marker = harness.tmp / "marker.txt"
    job_id = harness.job_id()

    assert await harness.queue.enqueue(
        "test.write_marker", {"path": str(marker), "line": "hello 文化云"}, job_id
    )

    record = await wait_for_record(
        harness.records, job_id, lambda r: r.status is JobStatus.SUCCEEDED
    )
    assert read_lines(marker) == ["hello 文化云"]
    assert record.attempts == 1
    assert record.progress == 100
    assert record.error is None


async def test_a_duplicate_job_id_is_refused_and_runs_once(harness: Harness) -> None:
    marker = harness.tmp / "marker.txt"
    job_id = harness.job_id()
    payload = {"path": str(marker), "line": "once"}

    assert await harness.queue.enqueue("test.write_marker", payload, job_id) is True
    assert await harness.queue.enqueue("test.write_marker", payload, job_id) is False
    await wait_for_record(harness.records, job_id, lambda r: r.status is JobStatus.SUCCEEDED)
    assert await harness.queue.enqueue("test.write_marker", payload, job_id) is False

    assert read_lines(marker) == ["once"]


async def test_a_failing_handler_leaves_the_job_failed_with_its_reason(harness: Harness) -> None:
    job_id = harness.job_id()

    assert await harness.queue.enqueue("test.fail", {"reason": "not a media file"}, job_id)

    record = await wait_for_record(harness.records, job_id, lambda r: r.status is JobStatus.FAILED)
    assert record.error == "not a media file"
    assert record.attempts == 1


async def test_a_failed_job_can_be_enqueued_again(harness: Harness) -> None:
    marker = harness.tmp / "marker.txt"
    job_id = harness.job_id()
    assert await harness.queue.enqueue("test.fail", {"reason": "disk full"}, job_id)
    await wait_for_record(harness.records, job_id, lambda r: r.status is JobStatus.FAILED)

    retried = await harness.queue.enqueue(
        "test.write_marker", {"path": str(marker), "line": "retried"}, job_id
    )

    assert retried is True
    record = await wait_for_record(
        harness.records, job_id, lambda r: r.status is JobStatus.SUCCEEDED
    )
    assert read_lines(marker) == ["retried"]
    assert record.error is None
    assert record.attempts == 2


async def test_an_unknown_job_name_fails_with_a_reason(harness: Harness) -> None:
    job_id = harness.job_id()

    assert await harness.queue.enqueue("test.no_such_job", {}, job_id)

    record = await wait_for_record(harness.records, job_id, lambda r: r.status is JobStatus.FAILED)
    assert record.error == "no job named 'test.no_such_job' is registered"


async def test_progress_is_visible_in_the_record_while_running(harness: Harness) -> None:
    marker = harness.tmp / "marker.txt"
    gate = harness.tmp / "gate"
    job_id = harness.job_id()
    payload = {"path": str(marker), "line": "done", "percent": 42.5, "gate": str(gate)}

    assert await harness.queue.enqueue("test.gate", payload, job_id)

    running = await wait_for_record(
        harness.records, job_id, lambda r: r.status is JobStatus.RUNNING and r.progress > 0
    )
    assert running.progress == 42.5
    assert read_lines(marker) == []
    gate.touch()
    done = await wait_for_record(harness.records, job_id, lambda r: r.status is JobStatus.SUCCEEDED)
    assert done.progress == 100
    assert read_lines(marker) == ["done"]


async def test_ping_answers_while_open_and_a_closed_queue_refuses_work(harness: Harness) -> None:
    await harness.queue.ping()

    await harness.queue.close()

    with pytest.raises(EngineUnavailable):
        await harness.queue.ping()
    with pytest.raises(EngineUnavailable):
        await harness.queue.enqueue("test.write_marker", {}, harness.job_id())
    assert harness.queue.engine in {"inprocess", "celery"}
