"""The in-process job runner (standalone mode): an asyncio queue of job ids and a few worker
tasks in the api process. It replaces Celery on one machine; the job records in the database
are what survive a restart, so :meth:`InProcessJobQueue.start` picks up every job a previous
process left queued or running."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, Final, Self, TypedDict, Unpack

from culturecast.jobs.port import JobRegistry
from culturecast.jobs.records import JobRecords
from culturecast.jobs.runner import execute
from culturecast.storage.errors import EngineUnavailable

log = logging.getLogger(__name__)


class QueueOptions(TypedDict, total=False):
    """How an in-process queue runs, each part optional."""

    concurrency: int
    """How many jobs run at once (1 when left out)."""
    close_timeout: float
    """Seconds ``close`` waits for running jobs when given no grace (30 when left out)."""


class InProcessJobQueue:
    """A :class:`~culturecast.jobs.port.JobQueue` whose workers are asyncio tasks."""

    engine: Final = "inprocess"

    def __init__(
        self, registry: JobRegistry, records: JobRecords, **options: Unpack[QueueOptions]
    ) -> None:
        self._concurrency = options.get("concurrency", 1)
        if self._concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._close_timeout = options.get("close_timeout", 30.0)
        self._registry = registry
        self._records = records
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        # Ids queued or running here: the restart scan and a re-armed claim may both name a
        # job, and it must sit in the queue once.
        self._pending: set[str] = set()
        self._workers: list[asyncio.Task[None]] = []
        self._closed = False

    @classmethod
    async def open(
        cls, registry: JobRegistry, records: JobRecords, **options: Unpack[QueueOptions]
    ) -> Self:
        """A started queue (see :meth:`start`)."""
        queue = cls(registry, records, **options)
        await queue.start()
        return queue

    async def start(self) -> None:
        """Re-queue what a previous process left unfinished, then start the workers. A job
        left ``running`` was interrupted mid-way; it runs again as its next attempt."""
        if self._workers or self._closed:
            raise RuntimeError("the in-process job queue was already started")
        leftovers = await self._records.unfinished()
        for record in leftovers:
            self._put(record.job_id)
        if leftovers:
            log.info("re-queued %d unfinished job(s) from a previous run", len(leftovers))
        self._workers = [
            asyncio.create_task(self._work(), name=f"inprocess-job-worker-{n}")
            for n in range(self._concurrency)
        ]

    async def enqueue(self, name: str, payload: Mapping[str, Any], job_id: str) -> bool:
        if self._closed:
            raise EngineUnavailable("the in-process job queue is closed")
        if not await self._records.claim(job_id, name, payload):
            return False
        self._put(job_id)
        return True

    async def ping(self) -> None:
        if self._closed:
            raise EngineUnavailable("the in-process job queue is closed")
        if any(worker.done() for worker in self._workers):
            raise EngineUnavailable("an in-process job worker has stopped")

    async def close(self, grace_s: float | None = None) -> None:
        """Stop taking work, let jobs in flight finish (up to ``grace_s`` seconds, by default
        ``close_timeout``, then cancel them: they stay ``running`` and the next start runs
        them again). Jobs still waiting stay ``queued`` in the database for the next start."""
        if self._closed:
            return
        self._closed = True
        self._queue.shutdown(immediate=True)
        if not self._workers:
            return
        wait = self._close_timeout if grace_s is None else max(0.0, grace_s)
        _, unfinished = await asyncio.wait(self._workers, timeout=wait)
        for worker in unfinished:
            worker.cancel()
        if unfinished:
            log.warning("cancelled %d job(s) still running at close", len(unfinished))
            await asyncio.wait(unfinished)

    def _put(self, job_id: str) -> None:
        if job_id in self._pending:
            return
        try:
            self._queue.put_nowait(job_id)
        except asyncio.QueueShutDown:
            # Closed while enqueueing: the record stays queued and the next start runs it.
            return
        self._pending.add(job_id)

    async def _work(self) -> None:
        while True:
            try:
                job_id = await self._queue.get()
            except asyncio.QueueShutDown:
                return
            try:
                await execute(self._registry, self._records, job_id)
            except Exception:
                # A database error while recording: the record stays queued/running and the
                # next start retries it; this worker keeps serving the others.
                log.exception("job %s could not be run", job_id)
            finally:
                self._pending.discard(job_id)
                self._queue.task_done()
