"""A Celery worker killed mid-job (``kill -9``: no cleanup, no acknowledgement) leaves its job
to the next worker, which runs it to success once.

With a Redis broker, an unacknowledged message comes back only after the broker transport's
``visibility_timeout``. Production uses 6 hours, longer than any transcode, because a shorter
timeout would hand a job still running on a healthy worker to a second worker; this test uses
3 seconds so the redelivery happens within the test.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from culturecast.jobs.celery_app import CeleryJobQueue, make_celery_app
from culturecast.jobs.records import JobRecords, JobStatus
from culturecast.storage.errors import EngineUnavailable
from tests.integration.jobs.conftest import (
    mongo_worker_factory,
    open_mongo,
    open_sqlite,
    read_lines,
    wait_for_record,
)
from tests.support.engines import free_port

pytestmark = pytest.mark.integration

VISIBILITY_TIMEOUT = 3.0


async def test_a_job_whose_worker_was_killed_completes_once_on_another_worker(
    redis_url: str, mongo_url: str, tmp_path: Path
) -> None:
    workers = mongo_worker_factory(
        redis_url,
        mongo_url,
        f"jobs_kill_{uuid.uuid4().hex[:8]}",
        visibility_timeout=VISIBILITY_TIMEOUT,
        log_dir=tmp_path / "workers",
    )
    database = await open_mongo(mongo_url, workers.db_name)
    records = JobRecords(database)
    queue = CeleryJobQueue(make_celery_app(redis_url, queue=workers.queue), records)
    marker = tmp_path / "marker.txt"
    job_id = f"transcode:{uuid.uuid4().hex}"
    try:
        first = workers.start()
        assert await queue.enqueue(
            "test.slow",
            {"path": str(marker), "line": "slow done", "seconds": 4, "steps": 8},
            job_id,
        )
        await wait_for_record(
            records, job_id, lambda r: r.status is JobStatus.RUNNING and r.progress > 0, within=30
        )

        workers.kill(first)

        interrupted = await records.get(job_id)
        assert interrupted is not None
        assert interrupted.status is JobStatus.RUNNING
        assert interrupted.attempts == 1
        assert read_lines(marker) == []

        workers.start()
        done = await wait_for_record(
            records, job_id, lambda r: r.status is JobStatus.SUCCEEDED, within=30
        )
        assert done.attempts == 2
        # A stray third delivery would be refused by the record; give one a chance to show.
        await asyncio.sleep(1.0)
        assert read_lines(marker) == ["slow done"]
        final = await records.get(job_id)
        assert final is not None
        assert final.attempts == 2
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- worker logs ---\n{workers.log()}") from exc
    finally:
        workers.stop_all()
        await queue.close()
        await database.close()


async def test_jobs_wait_in_the_broker_until_a_worker_starts(
    redis_url: str, mongo_url: str, tmp_path: Path
) -> None:
    """The api process needs the broker, not a worker: ping answers and jobs wait queued."""
    workers = mongo_worker_factory(
        redis_url, mongo_url, f"jobs_nowrk_{uuid.uuid4().hex[:8]}", 3600, tmp_path / "workers"
    )
    database = await open_mongo(mongo_url, workers.db_name)
    records = JobRecords(database)
    queue = CeleryJobQueue(make_celery_app(redis_url, queue=workers.queue), records)
    marker = tmp_path / "marker.txt"
    job_id = f"test:{uuid.uuid4().hex}"
    try:
        assert await queue.enqueue(
            "test.write_marker", {"path": str(marker), "line": "late"}, job_id
        )
        await queue.ping()
        waiting = await records.get(job_id)
        assert waiting is not None
        assert waiting.status is JobStatus.QUEUED

        workers.start()
        await wait_for_record(records, job_id, lambda r: r.status is JobStatus.SUCCEEDED, within=30)
        assert read_lines(marker) == ["late"]
    finally:
        workers.stop_all()
        await queue.close()
        await database.close()


async def test_ping_reports_a_broker_that_does_not_answer(tmp_path: Path) -> None:
    app = make_celery_app(f"redis://127.0.0.1:{free_port()}/0")
    database = await open_sqlite(tmp_path / "jobs.sqlite")
    queue = CeleryJobQueue(app, JobRecords(database))
    try:
        with pytest.raises(EngineUnavailable):
            await queue.ping()
        with pytest.raises(EngineUnavailable):
            await queue.enqueue("test.write_marker", {}, "test:unpublished")
        # The refused job left no claim behind, so it can be enqueued once the broker is back.
        assert await JobRecords(database).get("test:unpublished") is None
    finally:
        await queue.close()
        await database.close()
