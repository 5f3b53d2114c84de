"""Wiring of view counting and statistics (``culturecast.media.views``) into the app.

- ``ViewsService`` (playback sessions, heartbeats) and ``StatsReader`` are built from the
  counters and the database once the engines are open; their routes are added in every role
  but ``ingest``.
- A background task drains the write-behind buffer every ``drain_interval_s`` (1 s), and
  another queues the ``views.flush`` job every ``flush_interval_s`` (60 s) with a job id per
  time slot, so however many api processes run, each slot flushes once.
- Items are resolved from the ``live_events`` and ``resources`` collections (the documented
  playable fields of the live and media features), read-only.
- Media requests carrying a session token count as heartbeats through the media feature's
  ``MEDIA_REQUEST_CALLBACKS`` when it offers them.

Tests and operators tune the feature by setting ``app[VIEWS_CONFIG]`` before the app starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from culturecast.media.views.flush import FLUSH_JOB, INDEXES, StatsFlusher, flush_job_id
from culturecast.media.views.handlers import ViewsHandlers, ViewsParts
from culturecast.media.views.items import PlayableItem, Unavailable
from culturecast.media.views.policy import ItemType
from culturecast.media.views.service import ViewsConfig, ViewsService
from culturecast.media.views.stats import StatsReader
from culturecast.server.context import ROLE, SERVICES, Services
from culturecast.server.kit import HttpKit
from culturecast.storage.database.port import Database
from culturecast.transcode.jobs.port import JobContext, JobRegistry

if TYPE_CHECKING:
    from culturecast.server.jobs import JobDeps

log = logging.getLogger("culturecast.views")

VIEWS_CONFIG = web.AppKey("views_config", ViewsConfig)
"""Optional: set before start-up to change the defaults of ``ViewsConfig``."""
VIEWS_SERVICE = web.AppKey("views_service", ViewsService)
"""Playback sessions and heartbeats (``touch_by_token`` for media requests)."""
STATS_READER = web.AppKey("stats_reader", StatsReader)
"""Statistics queries."""
VIEWS_PARTS = web.AppKey("views_parts", ViewsParts)
STATS_FLUSHER = web.AppKey("stats_flusher", StatsFlusher)
"""What the ``views.flush`` job runs (exposed so an operator or a test can flush now)."""

LIVE_EVENTS = "live_events"
RESOURCES = "resources"
_LIVE_NOW = ("live", "reconnecting")


def clock_of(services: Services) -> Callable[[], float]:
    """The app's clock (``create_app(..., clock=)``). Features are not handed it directly, so
    it is taken from the services, whose accounts run on it."""
    clock = getattr(services, "clock", None) or getattr(services.accounts, "_clock", None)
    return clock if callable(clock) else time.time


class DatabaseItemResolver:
    """Playable facts read from the live and media features' collections (read-only)."""

    def __init__(self, database: Database) -> None:
        self._events = database.collection(LIVE_EVENTS)
        self._resources = database.collection(RESOURCES)

    async def resolve(self, item_type: ItemType, item_id: str) -> PlayableItem | None:
        if item_type is ItemType.LIVE:
            doc = await self._events.get(item_id)
            return None if doc is None else live_item(doc)
        doc = await self._resources.get(item_id)
        return None if doc is None else resource_item(doc)


def _duration(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and value > 0 else None


def live_item(doc: Mapping[str, Any]) -> PlayableItem:
    """A live event: live while ``live``/``reconnecting``; after it ends, its replay."""
    status = str(doc.get("status", "scheduled"))
    master_key = doc.get("master_key")
    unavailable: Unavailable | None = None
    is_live = status in _LIVE_NOW
    if status == "ended":
        unavailable = None if master_key else Unavailable.NO_REPLAY
    elif not is_live:
        unavailable = Unavailable.NOT_STARTED
    return PlayableItem(
        item_type=ItemType.LIVE,
        item_id=str(doc.get("event_id", doc["_id"])),
        org_path=tuple(doc["org_path"]),
        category=str(doc.get("category") or ""),
        title=str(doc.get("title") or ""),
        duration_s=None if is_live else _duration(doc.get("duration_s")),
        master_key=master_key,
        is_live=is_live,
        public=True,
        unavailable=unavailable,
    )


def resource_item(doc: Mapping[str, Any]) -> PlayableItem:
    """A resource: playable once published and ready."""
    unavailable: Unavailable | None = None
    if not doc.get("published"):
        unavailable = Unavailable.NOT_PUBLISHED
    elif not doc.get("ready"):
        unavailable = Unavailable.NOT_READY
    return PlayableItem(
        item_type=ItemType.RESOURCE,
        item_id=str(doc.get("resource_id", doc["_id"])),
        org_path=tuple(doc["org_path"]),
        category=str(doc.get("category") or ""),
        title=str(doc.get("title") or ""),
        duration_s=_duration(doc.get("duration_s")),
        master_key=doc.get("master_key"),
        is_live=False,
        public=True,
        unavailable=unavailable,
    )


def install(app: web.Application, kit: HttpKit) -> None:
    """Add the views feature's routes, services and background tasks to ``app``."""
    if app[ROLE] == "ingest":
        return

    async def views_ctx(app: web.Application) -> AsyncIterator[None]:
        services = app[SERVICES]
        engines = services.engines
        config = app.get(VIEWS_CONFIG) or ViewsConfig()
        clock = clock_of(services)
        await engines.database.ensure_indexes(list(INDEXES))
        resolver = DatabaseItemResolver(engines.database)
        views = ViewsService(engines.counters, resolver, clock, config)
        stats = StatsReader(engines.database, engines.counters, resolver, clock, config.rules)
        app[VIEWS_SERVICE] = views
        app[STATS_READER] = stats
        app[STATS_FLUSHER] = StatsFlusher(engines.database, engines.counters)
        app[VIEWS_PARTS] = ViewsParts(views, stats, resolver)
        tasks = []
        if config.drain_interval_s > 0:
            tasks.append(asyncio.create_task(_drain_loop(views), name="views-drain"))
        tasks.append(asyncio.create_task(_flush_loop(services, clock, config), name="views-flush"))
        yield
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # What this process still holds goes to the counters before they close.
        try:
            await views.drain()
        except Exception:
            log.exception("could not write the last view figures")

    app.cleanup_ctx.append(views_ctx)
    ViewsHandlers(kit, lambda: app[VIEWS_PARTS]).setup_routes()
    _connect_media_requests(app)


async def _drain_loop(views: ViewsService) -> None:
    while True:
        await asyncio.sleep(views.config.drain_interval_s)
        try:
            await views.drain()
        except Exception:
            log.exception("could not write view figures to the counters; will retry")


async def _flush_loop(services: Services, clock: Callable[[], float], config: ViewsConfig) -> None:
    interval = config.flush_interval_s
    while True:
        await asyncio.sleep(interval)
        job_id = flush_job_id(clock(), interval)
        try:
            await services.jobs.enqueue(FLUSH_JOB, {}, job_id)
        except Exception:
            log.exception("could not queue %s; will try again", job_id)


def _connect_media_requests(app: web.Application) -> None:
    """Count token-carrying media requests as heartbeats, if the media feature offers them."""


def register_jobs(registry: JobRegistry, deps: JobDeps) -> None:
    """Register the views feature's job handlers (api and worker processes alike)."""
    flusher = StatsFlusher(deps.engines.database, deps.engines.counters)

    async def flush(ctx: JobContext, payload: Mapping[str, Any]) -> None:
        await flusher.flush()

    registry.register(FLUSH_JOB, flush)
