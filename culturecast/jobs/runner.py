"""Running one delivered job: the single code path both runners (in-process, Celery) share,
so they cannot disagree about what "run a job" means."""

from __future__ import annotations

import asyncio
import logging
from enum import StrEnum

from culturecast.core.text import without_paths
from culturecast.jobs.port import JobContext, JobRegistry
from culturecast.jobs.records import JobRecords

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    """What :func:`execute` did with a delivery."""

    SKIPPED = "skipped"
    """Nothing ran: no such record, or the job already succeeded or failed."""
    SUCCEEDED = "succeeded"
    FAILED = "failed"


async def execute(registry: JobRegistry, records: JobRecords, job_id: str) -> Outcome:
    """Run the job ``job_id`` once, for one delivery.

    The record decides whether to run (a redelivered job that already finished is skipped),
    counts the attempt, and gets the result: succeeded, or failed with the handler's exception
    message. Handler exceptions are logged and recorded, never raised; database errors are
    raised, so the runner can retry the delivery. Cancellation (a runner shutting down) leaves
    the record ``running``, so the next delivery or restart runs the job again.
    """
    record = await records.start(job_id)
    if record is None:
        current = await records.get(job_id)
        log.info(
            "job %s not run: %s",
            job_id,
            "no record" if current is None else f"already {current.status}",
        )
        return Outcome.SKIPPED

    async def report_progress(percent: float) -> None:
        await records.progress(job_id, percent)

    context = JobContext(job_id=job_id, attempt=record.attempts, report_progress=report_progress)
    log.info("job %s (%s) attempt %d started", job_id, record.name, record.attempts)
    try:
        handler = registry.get(record.name)
        await handler(context, record.payload)
    except asyncio.CancelledError:
        log.warning("job %s (%s) interrupted; it will run again", job_id, record.name)
        raise
    except Exception as exc:
        # The message is what an admin reads in the record (the type alone when it is empty),
        # without the server's file-system paths; the log keeps the whole exception.
        reason = without_paths(str(exc)) or type(exc).__name__
        log.exception("job %s (%s) failed: %s", job_id, record.name, reason)
        await records.fail(job_id, reason)
        return Outcome.FAILED
    await records.succeed(job_id)
    log.info("job %s (%s) succeeded", job_id, record.name)
    return Outcome.SUCCEEDED
