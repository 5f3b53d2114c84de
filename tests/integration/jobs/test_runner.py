"""``execute``, the one way both runners run a delivered job, on real job records (SQLite)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from culturecast.jobs.port import JobContext, JobRegistry
from culturecast.jobs.records import JobRecords, JobStatus
from culturecast.jobs.runner import Outcome, execute
from tests.integration.jobs.conftest import open_sqlite

pytestmark = pytest.mark.integration


@pytest.fixture
async def records(tmp_path: Path) -> AsyncIterator[JobRecords]:
    database = await open_sqlite(tmp_path / "jobs.sqlite")
    try:
        yield JobRecords(database)
    finally:
        await database.close()


class Recorder:
    """A handler that remembers how it was called."""

    def __init__(self) -> None:
        self.calls: list[tuple[JobContext, Mapping[str, Any]]] = []

    async def __call__(self, ctx: JobContext, payload: Mapping[str, Any]) -> None:
        self.calls.append((ctx, payload))
        await ctx.report_progress(60)


async def test_a_job_runs_with_its_payload_and_succeeds(records: JobRecords) -> None:
    handler = Recorder()
    registry = JobRegistry()
    registry.register("probe", handler)
    await records.claim("probe:r1", "probe", {"resource_id": "r1"})

    outcome = await execute(registry, records, "probe:r1")

    assert outcome is Outcome.SUCCEEDED
    [(ctx, payload)] = handler.calls
    assert (ctx.job_id, ctx.attempt) == ("probe:r1", 1)
    assert payload == {"resource_id": "r1"}
    record = await records.get("probe:r1")
    assert record is not None
    assert (record.status, record.progress) == (JobStatus.SUCCEEDED, 100)


async def test_a_redelivered_job_that_already_succeeded_is_skipped(records: JobRecords) -> None:
    handler = Recorder()
    registry = JobRegistry()
    registry.register("probe", handler)
    await records.claim("probe:r1", "probe", {})
    await execute(registry, records, "probe:r1")

    again = await execute(registry, records, "probe:r1")

    assert again is Outcome.SKIPPED
    assert len(handler.calls) == 1
    record = await records.get("probe:r1")
    assert record is not None
    assert record.attempts == 1


async def test_a_redelivery_after_a_crash_is_the_next_attempt(records: JobRecords) -> None:
    handler = Recorder()
    registry = JobRegistry()
    registry.register("probe", handler)
    await records.claim("probe:r1", "probe", {})
    await records.start("probe:r1")  # the first attempt's worker died here

    outcome = await execute(registry, records, "probe:r1")

    assert outcome is Outcome.SUCCEEDED
    assert handler.calls[0][0].attempt == 2


async def test_a_handler_exception_fails_the_job_with_its_message(records: JobRecords) -> None:
    async def broken(ctx: JobContext, payload: Mapping[str, Any]) -> None:
        raise ValueError("duration 0 s is not playable")

    async def silent(ctx: JobContext, payload: Mapping[str, Any]) -> None:
        raise KeyError

    registry = JobRegistry()
    registry.register("broken", broken)
    registry.register("silent", silent)
    await records.claim("j1", "broken", {})
    await records.claim("j2", "silent", {})

    assert await execute(registry, records, "j1") is Outcome.FAILED
    assert await execute(registry, records, "j2") is Outcome.FAILED

    j1 = await records.get("j1")
    j2 = await records.get("j2")
    assert j1 is not None
    assert j2 is not None
    assert (j1.status, j1.error) == (JobStatus.FAILED, "duration 0 s is not playable")
    assert j2.error == "KeyError"  # no message: the type is the reason


async def test_an_unregistered_name_fails_the_job(records: JobRecords) -> None:
    await records.claim("j", "vanished", {})

    assert await execute(JobRegistry(), records, "j") is Outcome.FAILED

    record = await records.get("j")
    assert record is not None
    assert record.error == "no job named 'vanished' is registered"


async def test_an_unknown_job_id_is_skipped(records: JobRecords) -> None:
    assert await execute(JobRegistry(), records, "nobody") is Outcome.SKIPPED


async def test_cancellation_leaves_the_job_running_for_the_next_delivery(
    records: JobRecords,
) -> None:
    started = asyncio.Event()

    async def endless(ctx: JobContext, payload: Mapping[str, Any]) -> None:
        started.set()
        await asyncio.Event().wait()

    registry = JobRegistry()
    registry.register("endless", endless)
    await records.claim("j", "endless", {})
    task = asyncio.create_task(execute(registry, records, "j"))
    await started.wait()

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    record = await records.get("j")
    assert record is not None
    assert (record.status, record.attempts) == (JobStatus.RUNNING, 1)
