"""The aiohttp application factory: wires settings, engines, services and every package's
routes. Engines are opened and closed by ``cleanup_ctx``; state lives in typed ``AppKey``s."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from typing import Literal

from aiohttp import web

from culturecast.jobs.records import JOB_INDEXES, JobRecords
from culturecast.server import health, jobs_api
from culturecast.server.accounts import handlers as account_handlers
from culturecast.server.accounts.service import INDEXES as ACCOUNT_INDEXES
from culturecast.server.accounts.service import AccountService
from culturecast.server.api import ApiRoutes
from culturecast.server.context import METRICS, ROLE, ROUTES, SERVICES, SETTINGS, Services
from culturecast.server.engines import open_engines
from culturecast.server.features import chat, engagement, live, media, views
from culturecast.server.features.share_cards import FeatureShareCards
from culturecast.server.jobs import JobDeps, account_service, build_registry, open_job_queue
from culturecast.server.jsonapi import error_middleware
from culturecast.server.kit import HttpKit
from culturecast.server.maintenance import maintenance_ctx
from culturecast.server.metrics import Metrics
from culturecast.server.settings import Settings
from culturecast.server.web import pages
from culturecast.server.web.cards import SHARE_CARDS

log = logging.getLogger("culturecast.server")

type AppRole = Literal["standalone", "api", "ingest"]


def create_app(
    settings: Settings, role: AppRole = "standalone", clock: Callable[[], float] = time.time
) -> web.Application:
    """The HTTP application for one process role."""
    metrics = Metrics()
    app = web.Application(
        client_max_size=settings.max_body_bytes, middlewares=[error_middleware(metrics)]
    )
    app[SETTINGS] = settings
    app[METRICS] = metrics
    app[ROLE] = role
    routes = ApiRoutes(app.router)
    app[ROUTES] = routes
    stopping = ShutdownClock(settings.shutdown_timeout_s)

    async def services_ctx(app: web.Application) -> AsyncIterator[None]:
        engines = await open_engines(settings, clock)
        try:
            await engines.database.ensure_indexes([*ACCOUNT_INDEXES, *JOB_INDEXES])
            accounts = account_service(settings, engines, clock)
            await _first_admin(settings, accounts)
            records = JobRecords(engines.database, clock)
            registry = build_registry(JobDeps(settings, engines, clock))
            jobs = await open_job_queue(settings, role, registry, records)
        except BaseException:
            await engines.close()
            raise
        app[SERVICES] = Services(
            settings=settings,
            engines=engines,
            accounts=accounts,
            jobs=jobs,
            job_records=records,
            clock=clock,
        )
        yield
        # Shutdown in reverse: stop taking jobs, finishing those in flight within what is left
        # of the shutdown timeout (aiohttp spent the rest waiting for requests), then engines.
        await jobs.close(grace_s=stopping.remaining())
        await engines.close()

    app.on_shutdown.append(stopping.begin)
    app.cleanup_ctx.append(services_ctx)
    health.setup_routes(routes)
    if role != "ingest":
        app.cleanup_ctx.append(maintenance_ctx(clock))
        account_handlers.setup_routes(routes)
        jobs_api.setup_routes(routes)
        pages.setup_routes(app, public_url=settings.public_url)
    kit = HttpKit(app, routes)
    for feature in (live, media, views, chat, engagement):
        feature.install(app, kit)
    if role != "ingest":
        app[SHARE_CARDS] = FeatureShareCards(app)
    return app


class ShutdownClock:
    """One deadline for the whole graceful stop, ``CULTURECAST_SHUTDOWN_TIMEOUT`` from the
    signal (aiohttp's ``on_shutdown``, which runs before it waits for in-flight requests):
    that wait and the wait for jobs in flight share it, so a process is down within the
    timeout plus what closing the engines takes — not the timeout once per thing waited for."""

    def __init__(self, timeout_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout_s = timeout_s
        self._clock = clock
        self._started: float | None = None

    async def begin(self, _: web.Application) -> None:
        if self._started is None:
            self._started = self._clock()

    def remaining(self) -> float:
        """Seconds left until the deadline (the whole timeout if the stop has not begun)."""
        if self._started is None:
            return self.timeout_s
        return max(0.0, self._started + self.timeout_s - self._clock())


async def _first_admin(settings: Settings, accounts: AccountService) -> None:
    password = settings.admin_password or secrets.token_urlsafe(12)
    created = await accounts.ensure_first_admin(settings.admin_user, password)
    if created and not settings.admin_password:
        log.warning(
            "created the first platform admin %r with the generated password %s — sign in and "
            "change it (or set CULTURECAST_ADMIN_PASSWORD before the first start)",
            settings.admin_user,
            password,
        )
    elif created:
        log.info("created the first platform admin %r", settings.admin_user)
