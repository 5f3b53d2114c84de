"""Job records on both database adapters: each state change is a compare-and-set, so a stale
or duplicate delivery cannot undo a finished job."""

from __future__ import annotations

import pytest

from culturecast.jobs.records import JobRecords, JobStatus
from culturecast.storage.database.port import Database

pytestmark = pytest.mark.integration


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def records(database: Database, clock: Clock) -> JobRecords:
    return JobRecords(database, clock=clock)


async def test_claim_creates_a_queued_record(records: JobRecords, clock: Clock) -> None:
    assert await records.claim("transcode:r1", "transcode", {"resource_id": "r1", "n": [1, 2]})

    record = await records.get("transcode:r1")
    assert record is not None
    assert record.name == "transcode"
    assert record.payload == {"resource_id": "r1", "n": [1, 2]}
    assert record.status is JobStatus.QUEUED
    assert (record.attempts, record.progress, record.error) == (0, 0, None)
    assert record.created == record.updated == clock.now


@pytest.mark.parametrize("state", ["queued", "running", "succeeded"])
async def test_claim_refuses_an_id_that_is_queued_running_or_succeeded(
    records: JobRecords, state: str
) -> None:
    await records.claim("j", "transcode", {"v": 1})
    if state != "queued":
        await records.start("j")
    if state == "succeeded":
        await records.succeed("j")

    assert await records.claim("j", "other", {"v": 2}) is False

    record = await records.get("j")
    assert record is not None
    assert record.status == state
    assert (record.name, record.payload) == ("transcode", {"v": 1})


async def test_claiming_a_failed_job_requeues_it_for_a_retry(
    records: JobRecords, clock: Clock
) -> None:
    await records.claim("j", "transcode", {"v": 1})
    await records.start("j")
    await records.fail("j", "ffmpeg exited with 1")
    clock.now += 60

    assert await records.claim("j", "transcode", {"v": 2}) is True

    record = await records.get("j")
    assert record is not None
    assert record.status is JobStatus.QUEUED
    assert record.payload == {"v": 2}
    assert record.error is None
    assert record.attempts == 1
    assert record.updated == clock.now
    assert record.created == clock.now - 60


async def test_start_marks_running_and_counts_each_delivery(
    records: JobRecords, clock: Clock
) -> None:
    await records.claim("j", "transcode", {})
    clock.now += 5

    first = await records.start("j")
    second = await records.start("j")  # redelivered after its worker died

    assert first is not None
    assert second is not None
    assert (first.status, first.attempts, first.updated) == (JobStatus.RUNNING, 1, clock.now)
    assert second.attempts == 2


@pytest.mark.parametrize("finish", ["succeed", "fail"])
async def test_a_finished_job_is_never_started_again(records: JobRecords, finish: str) -> None:
    await records.claim("j", "transcode", {})
    await records.start("j")
    if finish == "succeed":
        await records.succeed("j")
    else:
        await records.fail("j", "boom")

    assert await records.start("j") is None
    record = await records.get("j")
    assert record is not None
    assert record.attempts == 1


async def test_start_of_an_unknown_job_is_refused(records: JobRecords) -> None:
    assert await records.start("nobody") is None
    assert await records.get("nobody") is None


async def test_progress_is_recorded_clamped_and_only_while_running(records: JobRecords) -> None:
    await records.claim("j", "transcode", {})
    await records.progress("j", 30)  # not running yet: ignored
    queued = await records.get("j")
    assert queued is not None
    assert queued.progress == 0

    await records.start("j")
    await records.progress("j", 37.5)
    running = await records.get("j")
    assert running is not None
    assert running.progress == 37.5

    await records.progress("j", 250)
    over = await records.get("j")
    assert over is not None
    assert over.progress == 100
    await records.progress("j", -3)
    under = await records.get("j")
    assert under is not None
    assert under.progress == 0


async def test_succeed_and_fail_apply_only_to_a_running_job(records: JobRecords) -> None:
    await records.claim("j", "transcode", {})
    assert await records.succeed("j") is False  # never started
    await records.start("j")

    assert await records.succeed("j") is True
    assert await records.fail("j", "late duplicate failed") is False

    record = await records.get("j")
    assert record is not None
    assert record.status is JobStatus.SUCCEEDED
    assert (record.progress, record.error) == (100, None)


async def test_fail_records_the_reason(records: JobRecords) -> None:
    await records.claim("j", "transcode", {})
    await records.start("j")

    assert await records.fail("j", "不是媒体文件 (not a media file)") is True

    record = await records.get("j")
    assert record is not None
    assert record.status is JobStatus.FAILED
    assert record.error == "不是媒体文件 (not a media file)"


async def test_release_forgets_only_a_never_started_claim(records: JobRecords) -> None:
    await records.claim("unsent", "transcode", {})
    await records.claim("started", "transcode", {})
    await records.start("started")

    assert await records.release("unsent") is True
    assert await records.release("started") is False

    assert await records.get("unsent") is None
    assert await records.claim("unsent", "transcode", {}) is True
    assert await records.get("started") is not None


async def test_unfinished_lists_queued_and_running_jobs_oldest_first(
    records: JobRecords, clock: Clock
) -> None:
    # Claimed in this order, which is not the order of their ids.
    for job_id in ("c-first", "a-done", "b-second", "d-failed", "e-running"):
        clock.now += 1
        await records.claim(job_id, "transcode", {})
    await records.start("a-done")
    await records.succeed("a-done")
    await records.start("d-failed")
    await records.fail("d-failed", "x")
    await records.start("e-running")

    unfinished = await records.unfinished()

    assert [r.job_id for r in unfinished] == ["c-first", "b-second", "e-running"]
