"""The jobs every process knows, and how each role gets its job queue."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import celery

from culturecast.jobs.celery_app import CeleryJobQueue, make_celery_app
from culturecast.jobs.inprocess import InProcessJobQueue
from culturecast.jobs.port import JobContext, JobQueue, JobRegistry
from culturecast.jobs.records import JobRecords
from culturecast.server.accounts.passwords import Passwords
from culturecast.server.accounts.service import AccountService
from culturecast.server.engines import Engines, open_engines
from culturecast.server.settings import Settings

PURGE_TOKENS_JOB = "accounts.purge_expired_tokens"


@dataclass(frozen=True, slots=True)
class JobDeps:
    """What job handlers are built from, in an api process and a worker process alike."""

    settings: Settings
    """The process settings."""
    engines: Engines
    """Open adapters."""
    clock: Callable[[], float]
    """Wall clock."""


def build_registry(deps: JobDeps) -> JobRegistry:
    """Every job handler, wired to the services it needs: the accounts' upkeep and each
    feature's jobs (``server/features/*.py``: ``register_jobs``)."""
    from culturecast.server.features import chat, live, media, views

    registry = JobRegistry()
    accounts = account_service(deps.settings, deps.engines, deps.clock)

    async def purge_tokens(ctx: JobContext, payload: Mapping[str, Any]) -> None:
        await accounts.purge_expired_tokens()

    registry.register(PURGE_TOKENS_JOB, purge_tokens)
    for feature in (live, media, views, chat):
        feature.register_jobs(registry, deps)
    return registry


def account_service(
    settings: Settings, engines: Engines, clock: Callable[[], float]
) -> AccountService:
    return AccountService(
        engines.database,
        engines.counters,
        Passwords(),
        clock,
        token_ttl_s=settings.token_ttl_s,
        login_attempts=settings.login_attempts,
    )


def celery_app(settings: Settings, *, worker: bool) -> celery.Celery:
    if not settings.redis_url:
        raise ValueError("CULTURECAST_REDIS_URL is required for the Celery job queue")
    return make_celery_app(
        settings.redis_url,
        worker_services=worker_services(settings) if worker else None,
        visibility_timeout=settings.job_visibility_timeout_s,
        restore_interval=min(60.0, max(1.0, settings.job_visibility_timeout_s / 2)),
    )


async def open_job_queue(
    settings: Settings, role: str, registry: JobRegistry, records: JobRecords
) -> JobQueue:
    """Standalone runs jobs in-process; an api process with Redis hands them to workers."""
    if role in ("api", "ingest") and settings.redis_url:
        return CeleryJobQueue(celery_app(settings, worker=False), records)
    return await InProcessJobQueue.open(registry, records)


def worker_services(
    settings: Settings, clock: Callable[[], float] = time.time
) -> Callable[[], AbstractAsyncContextManager[tuple[JobRegistry, JobRecords]]]:
    """What a ``culturecast worker`` process opens (once) to run jobs."""

    @asynccontextmanager
    async def services() -> AsyncIterator[tuple[JobRegistry, JobRecords]]:
        engines = await open_engines(settings, clock)
        try:
            yield (
                build_registry(JobDeps(settings, engines, clock)),
                JobRecords(engines.database, clock),
            )
        finally:
            await engines.close()

    return services
