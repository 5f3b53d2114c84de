"""The in-process runner's own promises: a restart finishes what a crashed or stopped process
left, close() lets jobs in flight finish, and concurrency runs jobs side by side."""

from __future__ import annotations

from pathlib import Path

import pytest

from culturecast.jobs.inprocess import InProcessJobQueue
from culturecast.jobs.records import JobRecords, JobStatus
from tests.integration.jobs.conftest import open_sqlite, read_lines, wait_for_record
from tests.support.job_worker import build_registry

pytestmark = pytest.mark.integration


async def test_a_restart_completes_jobs_a_crashed_process_left_running_or_queued(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "jobs.sqlite"
    marker = tmp_path / "marker.txt"
    # The crashed process: one job started (and never finished), one still waiting.
    crashed = await open_sqlite(db_path)
    crashed_records = JobRecords(crashed)
    await crashed_records.claim(
        "job:running", "test.write_marker", {"path": str(marker), "line": "a"}
    )
    await crashed_records.claim(
        "job:queued", "test.write_marker", {"path": str(marker), "line": "b"}
    )
    assert await crashed_records.start("job:running") is not None
    await crashed.close()

    database = await open_sqlite(db_path)
    records = JobRecords(database)
    queue = await InProcessJobQueue.open(build_registry(), records)
    try:
        resumed = await wait_for_record(
            records, "job:running", lambda r: r.status is JobStatus.SUCCEEDED
        )
        waited = await wait_for_record(
            records, "job:queued", lambda r: r.status is JobStatus.SUCCEEDED
        )
    finally:
        await queue.close()
        await database.close()

    assert resumed.attempts == 2
    assert waited.attempts == 1
    assert sorted(read_lines(marker)) == ["a", "b"]


async def test_close_lets_a_job_in_flight_finish(tmp_path: Path) -> None:
    database = await open_sqlite(tmp_path / "jobs.sqlite")
    records = JobRecords(database)
    queue = await InProcessJobQueue.open(build_registry(), records)
    marker = tmp_path / "marker.txt"
    payload = {"path": str(marker), "line": "finished", "seconds": 0.5, "steps": 5}
    try:
        assert await queue.enqueue("test.slow", payload, "job:slow")
        await wait_for_record(records, "job:slow", lambda r: r.status is JobStatus.RUNNING)

        await queue.close()

        record = await records.get("job:slow")
        assert record is not None
        assert record.status is JobStatus.SUCCEEDED
        assert read_lines(marker) == ["finished"]
    finally:
        await database.close()


async def test_a_job_cut_off_at_close_runs_again_at_the_next_start(tmp_path: Path) -> None:
    db_path = tmp_path / "jobs.sqlite"
    marker = tmp_path / "marker.txt"
    gate = tmp_path / "gate"
    payload = {"path": str(marker), "line": "done", "percent": 10, "gate": str(gate)}
    database = await open_sqlite(db_path)
    records = JobRecords(database)
    queue = await InProcessJobQueue.open(build_registry(), records, close_timeout=0.2)
    assert await queue.enqueue("test.gate", payload, "job:gated")
    await wait_for_record(records, "job:gated", lambda r: r.status is JobStatus.RUNNING)

    await queue.close()

    cut_off = await records.get("job:gated")
    assert cut_off is not None
    assert cut_off.status is JobStatus.RUNNING
    assert read_lines(marker) == []

    gate.touch()
    restarted = await InProcessJobQueue.open(build_registry(), records)
    try:
        done = await wait_for_record(
            records, "job:gated", lambda r: r.status is JobStatus.SUCCEEDED
        )
    finally:
        await restarted.close()
        await database.close()
    assert done.attempts == 2
    assert read_lines(marker) == ["done"]


async def test_concurrency_runs_that_many_jobs_at_once(tmp_path: Path) -> None:
    database = await open_sqlite(tmp_path / "jobs.sqlite")
    records = JobRecords(database)
    queue = await InProcessJobQueue.open(build_registry(), records, concurrency=2)
    gate = tmp_path / "gate"
    marker = tmp_path / "marker.txt"
    try:
        for name in ("job:1", "job:2"):
            payload = {"path": str(marker), "line": name, "percent": 5, "gate": str(gate)}
            assert await queue.enqueue("test.gate", payload, name)

        # Both are running before either may finish: they run side by side.
        for name in ("job:1", "job:2"):
            await wait_for_record(records, name, lambda r: r.status is JobStatus.RUNNING)
        gate.touch()
        for name in ("job:1", "job:2"):
            await wait_for_record(records, name, lambda r: r.status is JobStatus.SUCCEEDED)
    finally:
        await queue.close()
        await database.close()
    assert sorted(read_lines(marker)) == ["job:1", "job:2"]


async def test_concurrency_below_one_is_refused(tmp_path: Path) -> None:
    database = await open_sqlite(tmp_path / "jobs.sqlite")
    try:
        with pytest.raises(ValueError, match="concurrency"):
            InProcessJobQueue(build_registry(), JobRecords(database), concurrency=0)
    finally:
        await database.close()
