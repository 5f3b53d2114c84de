"""Periodic upkeep queued as jobs. Every api process schedules it, and the job id carries the
day, so across any number of processes each day's job runs once."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from culturecast.core.periodic import Periodic
from culturecast.server.context import SERVICES
from culturecast.server.jobs import PURGE_TOKENS_JOB

log = logging.getLogger("culturecast.maintenance")

CST_OFFSET_S = 8 * 3600
"""China Standard Time is UTC+8 all year."""
CHECK_EVERY_S = 3600.0


def daily_job_id(name: str, now: float) -> str:
    """``name:YYYY-MM-DD`` for the day of ``now`` in China Standard Time."""
    return f"{name}:{time.strftime('%Y-%m-%d', time.gmtime(now + CST_OFFSET_S))}"


def maintenance_ctx(
    clock: Callable[[], float] = time.time, every_s: float = CHECK_EVERY_S
) -> Callable[[web.Application], contextlib.AbstractAsyncContextManager[None]]:
    """A cleanup context that queues each day's upkeep jobs while the app runs."""

    @contextlib.asynccontextmanager
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        async def queue_today() -> None:
            jobs = app[SERVICES].jobs
            job_id = daily_job_id(PURGE_TOKENS_JOB, clock())
            try:
                if await jobs.enqueue(PURGE_TOKENS_JOB, {}, job_id):
                    log.info("queued %s", job_id)
            except Exception:
                log.exception("could not queue %s; will try again", job_id)

        task = Periodic("maintenance", every_s, queue_today, first_now=True)
        task.start()
        yield
        await task.stop()

    return ctx
