"""How a ``culturecast worker`` process behaves as operators meet it: a stop (SIGTERM, as a
deploy sends) lets the running job finish, and ``concurrency`` > 1 runs jobs side by side in
forked processes that each open their own engines."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from culturecast.jobs.celery_app import CeleryJobQueue, make_celery_app
from culturecast.jobs.records import JobRecords, JobStatus
from tests.integration.jobs.conftest import (
    WorkerFactory,
    mongo_worker_factory,
    open_mongo,
    read_lines,
    wait_for_record,
)

pytestmark = pytest.mark.integration

type Harness = tuple[WorkerFactory, JobRecords, CeleryJobQueue]
type Setup = Callable[[], AbstractAsyncContextManager[Harness]]


@pytest.fixture
def celery_setup(redis_url: str, mongo_url: str, tmp_path: Path) -> Setup:
    @asynccontextmanager
    async def setup() -> AsyncIterator[Harness]:
        workers = mongo_worker_factory(
            redis_url, mongo_url, f"jobs_{uuid.uuid4().hex[:8]}", 3600, tmp_path / "workers"
        )
        database = await open_mongo(mongo_url, workers.db_name)
        records = JobRecords(database)
        queue = CeleryJobQueue(make_celery_app(redis_url, queue=workers.queue), records)
        try:
            yield workers, records, queue
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- worker logs ---\n{workers.log()}") from exc
        finally:
            workers.stop_all()
            await queue.close()
            await database.close()

    return setup


async def test_a_stopped_worker_finishes_its_running_job_first(
    celery_setup: Setup, tmp_path: Path
) -> None:
    marker = tmp_path / "marker.txt"
    async with celery_setup() as (workers, records, queue):
        worker = workers.start()
        payload = {"path": str(marker), "line": "finished", "seconds": 1.5, "steps": 5}
        assert await queue.enqueue("test.slow", payload, "job:deploy")
        await wait_for_record(
            records, "job:deploy", lambda r: r.status is JobStatus.RUNNING, within=30
        )

        exit_code = workers.terminate(worker)

        record = await records.get("job:deploy")
        assert record is not None
        assert (record.status, record.attempts) == (JobStatus.SUCCEEDED, 1)
        assert read_lines(marker) == ["finished"]
        assert exit_code == 0


async def test_a_worker_with_concurrency_two_runs_two_jobs_at_once(
    celery_setup: Setup, tmp_path: Path
) -> None:
    marker = tmp_path / "marker.txt"
    gate = tmp_path / "gate"
    async with celery_setup() as (workers, records, queue):
        workers.start(concurrency=2)
        for job_id in ("job:1", "job:2"):
            payload = {"path": str(marker), "line": job_id, "percent": 5, "gate": str(gate)}
            assert await queue.enqueue("test.gate", payload, job_id)

        # Both run before either may finish: two processes, one job each.
        for job_id in ("job:1", "job:2"):
            await wait_for_record(
                records, job_id, lambda r: r.status is JobStatus.RUNNING, within=30
            )
        gate.touch()
        for job_id in ("job:1", "job:2"):
            await wait_for_record(records, job_id, lambda r: r.status is JobStatus.SUCCEEDED)
        assert sorted(read_lines(marker)) == ["job:1", "job:2"]
