"""Job records: the ``jobs`` collection, one document per job id, on the database port.

A record is the truth about a job, whichever runner carries it: brokers and in-process
queues only say "look at job X". Every state change is a compare-and-set on ``status`` so
that two deliveries of the same job (at-least-once delivery) cannot both finish it::

    queued ──start──▶ running ──succeed──▶ succeeded
      ▲                  │  ▲
      │                  │  └─start (redelivered after a crash; attempts + 1)
      │                  └──fail──▶ failed
      └──────claim (a retry)──────────┘

Document shape::

    {_id: job_id, name, payload, status, attempts, progress, error, created, updated}

Times are float seconds since the epoch from the clock given to :class:`JobRecords`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from culturecast.storage.database.port import Collection, Database, Document, IndexSpec
from culturecast.storage.errors import DuplicateKeyError

JOBS_COLLECTION = "jobs"

JOB_INDEXES: tuple[IndexSpec, ...] = (
    # A restarted in-process runner looks up unfinished jobs; admins list recent failures.
    IndexSpec(JOBS_COLLECTION, (("status", 1), ("created", 1))),
)
"""Indexes the ``jobs`` collection needs; pass them to ``Database.ensure_indexes`` at start."""


class JobStatus(StrEnum):
    """Where a job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


UNFINISHED: tuple[JobStatus, ...] = (JobStatus.QUEUED, JobStatus.RUNNING)
"""Statuses from which a delivery may (re)start the job."""


@dataclass(frozen=True, slots=True)
class JobRecord:
    """One job as stored."""

    job_id: str
    """The caller-chosen id (``transcode:<resource_id>``)."""
    name: str
    """The registered handler's name."""
    payload: Mapping[str, Any]
    """JSON arguments for the handler."""
    status: JobStatus
    """Current state."""
    attempts: int
    """How many times a runner started the job (2 after one redelivery)."""
    progress: float
    """Percent done, 0–100, as last reported by the handler."""
    error: str | None
    """Why the job failed; None unless ``status`` is ``failed``."""
    created: float
    """When the job was first queued (epoch seconds)."""
    updated: float
    """When the record last changed (epoch seconds)."""

    @classmethod
    def from_document(cls, doc: Document) -> JobRecord:
        return cls(
            job_id=str(doc["_id"]),
            name=str(doc["name"]),
            payload=dict(doc.get("payload") or {}),
            status=JobStatus(doc["status"]),
            attempts=int(doc.get("attempts", 0)),
            progress=float(doc.get("progress", 0)),
            error=doc.get("error"),
            created=float(doc["created"]),
            updated=float(doc["updated"]),
        )


class JobRecords:
    """The ``jobs`` collection, with one method per state change."""

    def __init__(self, database: Database, clock: Callable[[], float] = time.time) -> None:
        self._jobs: Collection = database.collection(JOBS_COLLECTION)
        self._clock = clock

    async def claim(self, job_id: str, name: str, payload: Mapping[str, Any]) -> bool:
        """Create the record of a new job in ``queued``. False when the id is taken by a job
        that is queued, running or succeeded. A failed job is claimed again (reset to
        ``queued``, attempts kept): that is how a failed job is retried."""
        now = self._clock()
        # What a claim sets, on a new record and on a failed one it re-arms alike.
        queued: Document = {
            "name": name,
            "payload": dict(payload),
            "status": JobStatus.QUEUED.value,
            "progress": 0,
            "error": None,
            "updated": now,
        }
        try:
            await self._jobs.insert({"_id": job_id, **queued, "attempts": 0, "created": now})
        except DuplicateKeyError:
            pass
        else:
            return True
        rearmed = await self._jobs.update_one(
            {"_id": job_id, "status": JobStatus.FAILED.value}, set=queued
        )
        return rearmed is not None

    async def release(self, job_id: str) -> bool:
        """Forget a claim that was never handed to a runner (the broker refused the message),
        so the caller may enqueue it again. Only a never-started record is removed."""
        return await self._jobs.delete_one(
            {"_id": job_id, "status": JobStatus.QUEUED.value, "attempts": 0}
        )

    async def start(self, job_id: str) -> JobRecord | None:
        """Mark a delivered job running and count the attempt. None when the job must not run:
        no such record, or it already succeeded or failed (a stale redelivery)."""
        doc = await self._jobs.update_one(
            {"_id": job_id, "status": {"$in": [s.value for s in UNFINISHED]}},
            set={"status": JobStatus.RUNNING.value, "updated": self._clock()},
            inc={"attempts": 1},
        )
        return None if doc is None else JobRecord.from_document(doc)

    async def progress(self, job_id: str, percent: float) -> None:
        """Record progress of a running job, clamped to 0–100."""
        await self._jobs.update_one(
            {"_id": job_id, "status": JobStatus.RUNNING.value},
            set={"progress": min(100.0, max(0.0, float(percent))), "updated": self._clock()},
        )

    async def succeed(self, job_id: str) -> bool:
        """Mark a running job succeeded; False when it was not running (another delivery
        finished it first)."""
        doc = await self._jobs.update_one(
            {"_id": job_id, "status": JobStatus.RUNNING.value},
            set={
                "status": JobStatus.SUCCEEDED.value,
                "progress": 100.0,
                "error": None,
                "updated": self._clock(),
            },
        )
        return doc is not None

    async def fail(self, job_id: str, reason: str) -> bool:
        """Mark a running job failed with a reason a person can read; False when it was not
        running."""
        doc = await self._jobs.update_one(
            {"_id": job_id, "status": JobStatus.RUNNING.value},
            set={"status": JobStatus.FAILED.value, "error": reason, "updated": self._clock()},
        )
        return doc is not None

    async def get(self, job_id: str) -> JobRecord | None:
        """The record of a job, or None."""
        doc = await self._jobs.get(job_id)
        return None if doc is None else JobRecord.from_document(doc)

    async def unfinished(self, limit: int | None = None) -> Sequence[JobRecord]:
        """Jobs queued or running, oldest first: what a restarted in-process runner owes."""
        docs = await self._jobs.find(
            {"status": {"$in": [s.value for s in UNFINISHED]}},
            sort=[("created", 1)],
            limit=limit,
        )
        return [JobRecord.from_document(doc) for doc in docs]
