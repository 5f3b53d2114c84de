"""The job-queue port.

A job is a named handler plus a JSON payload, identified by a job id chosen by the caller
(``transcode:<resource_id>``) so enqueueing the same work twice runs it once. Handlers are
registered by name in a :class:`JobRegistry` by the composition root, in the api process
(in-process runner) and in the worker process (Celery) alike.

Delivery is at least once: a worker that dies mid-job leaves the job to be delivered again.
Handlers must therefore be idempotent, and the runner records each job's state in the
database (``jobs`` collection) so a job that already succeeded is never run again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a running handler is told about itself."""

    job_id: str
    """The job's id."""
    attempt: int
    """1 for the first delivery, 2 after one redelivery, and so on."""
    report_progress: Callable[[float], Awaitable[None]]
    """Record progress in percent (0–100), visible through the job's record."""


type JobHandler = Callable[[JobContext, Mapping[str, Any]], Awaitable[None]]


@dataclass(slots=True)
class JobRegistry:
    """Job names and their handlers."""

    handlers: dict[str, JobHandler] = field(default_factory=dict)
    """Handler for each job name."""

    def register(self, name: str, handler: JobHandler) -> None:
        if name in self.handlers:
            raise ValueError(f"job {name!r} is registered twice")
        self.handlers[name] = handler

    def get(self, name: str) -> JobHandler:
        try:
            return self.handlers[name]
        except KeyError:
            raise LookupError(f"no job named {name!r} is registered") from None


class JobQueue(Protocol):
    """Where work is handed to a runner."""

    @property
    def engine(self) -> str:
        """A short name for readiness reports: ``"inprocess"`` or ``"celery"``."""

    async def enqueue(self, name: str, payload: Mapping[str, Any], job_id: str) -> bool:
        """Queue job ``name`` with ``payload`` under ``job_id``. False (and nothing queued)
        when a job with that id is already queued, running or done."""

    async def ping(self) -> None:
        """Return when the queue's engine answers; ``EngineUnavailable`` otherwise."""

    async def close(self, grace_s: float | None = None) -> None:
        """Stop taking work; the in-process runner finishes jobs in flight first, waiting at
        most ``grace_s`` seconds (None: its own default) before it cancels them."""
