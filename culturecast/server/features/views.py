"""Wiring of view counting and statistics (``culturecast.media.views``) into the app.

- ``ViewsService`` (playback sessions, heartbeats) and ``StatsReader`` are built from the
  counters and the database once the engines are open; their routes are added in every role
  but ``ingest``.
- A background task drains the write-behind buffer every ``drain_interval_s`` (1 s), and
  another queues the ``views.flush`` job every ``flush_interval_s`` (60 s) with a job id per
  time slot, so however many api processes run, each slot flushes once.
- Items are resolved through the live and media features' ``playable()`` (``LIVE_SERVICE``,
  ``MEDIA_SERVICE``). Live status notices (every process hears them) reach
  ``ViewsService.on_live_status``, so a show that ended stops counting its live sessions at
  once; the event's record, re-read once what a process knows is a second old, covers a lost
  notice (``views/onair.py``).
- Media requests carrying a session token count as heartbeats through the media feature's
  ``MEDIA_REQUEST_CALLBACKS``.

Tests and operators tune the feature by setting ``app[VIEWS_CONFIG]`` before the app starts.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client.core import CounterMetricFamily, Metric

from culturecast.chat.service import likes_key
from culturecast.core.periodic import Periodic
from culturecast.jobs.port import JobContext, JobRegistry
from culturecast.live.service import LivePlayable
from culturecast.live.service import master_key as live_master_key
from culturecast.media.catalogue.service import ResourcePlayable
from culturecast.media.views.flush import FLUSH_JOB, INDEXES, StatsFlusher, flush_job_id
from culturecast.media.views.geoip import open_geoip
from culturecast.media.views.handlers import ViewsHandlers, ViewsParts
from culturecast.media.views.hotwords import INDEXES as HOTWORD_INDEXES
from culturecast.media.views.hotwords import SearchTerms
from culturecast.media.views.items import ItemStores, PlayableItem, Unavailable
from culturecast.media.views.policy import ItemType
from culturecast.media.views.service import ViewsConfig, ViewsService
from culturecast.media.views.stats import StatsReader
from culturecast.server.context import METRICS, ROLE, SERVICES, Services
from culturecast.server.features.cards import CARD_FACTS, AppCardFacts
from culturecast.server.features.chat import CHAT
from culturecast.server.features.live import LIVE_SERVICE
from culturecast.server.features.media import (
    MEDIA_REQUEST_CALLBACKS,
    MEDIA_SERVICE,
    MEDIA_TOKEN_VIEWERS,
    SEARCH_RECORDER,
)
from culturecast.server.kit import HttpKit
from culturecast.server.settings import SettingsError

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


class FeatureItemResolver:
    """Playable facts from the live and media features' services (``playable``)."""

    def __init__(self, app: web.Application) -> None:
        self._app = app

    async def resolve(self, item_type: ItemType, item_id: str) -> PlayableItem | None:
        if item_type is ItemType.LIVE:
            event = await self._app[LIVE_SERVICE].playable(item_id)
            return None if event is None else live_item(event)
        resource = await self._app[MEDIA_SERVICE].playable(item_id)
        return None if resource is None else resource_item(resource)


def _duration(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and value > 0 else None


def live_item(event: LivePlayable) -> PlayableItem:
    """A live event: live while on air; after it ends, its replay (counted as the event)."""
    unavailable: Unavailable | None = None
    if event.status == "ended":
        # Without a replay the live feature still names the (closed) live playlist.
        if event.master_key == live_master_key(event.event_id):
            unavailable = Unavailable.NO_REPLAY
    elif not event.is_live:
        unavailable = Unavailable.NOT_STARTED
    return PlayableItem(
        item_type=ItemType.LIVE,
        item_id=event.event_id,
        org_path=tuple(event.org_path),
        category=event.category or "",
        title=event.title or "",
        duration_s=None if event.is_live else _duration(event.duration_s),
        master_key=event.master_key,
        is_live=event.is_live,
        public=event.public,
        unavailable=unavailable,
        ended_at=event.ended_at,
    )


def resource_item(resource: ResourcePlayable) -> PlayableItem:
    """A resource: playable once ready; by anyone once published, before by its staff."""
    unavailable: Unavailable | None = None
    if not resource.ready:
        unavailable = Unavailable.NOT_READY
    return PlayableItem(
        item_type=ItemType.RESOURCE,
        item_id=resource.resource_id,
        org_path=tuple(resource.org_path),
        category=resource.category or "",
        title=resource.title or "",
        duration_s=_duration(resource.duration_s),
        master_key=resource.master_key,
        is_live=False,
        public=resource.published,
        unavailable=unavailable,
    )


class ChatEngagement:
    """A live show's comments and likes, from the chat feature (absent: none)."""

    def __init__(self, app: web.Application) -> None:
        self._app = app

    async def comments_and_likes(self, event_id: str) -> tuple[int, int]:
        if CHAT not in self._app:
            return 0, 0
        chat = self._app[CHAT]
        comments = await chat.store.comment_count(event_id)
        likes = await chat.counters.get_int(likes_key(event_id))
        return comments, likes


class ViewsCollector:
    """View counting's figures on ``/metrics``, read at each scrape."""

    def __init__(self, views: ViewsService) -> None:
        self._views = views

    def collect(self) -> Iterator[Metric]:
        views = self._views
        yield CounterMetricFamily(
            "culturecast_views_sessions_started",
            "Playback sessions started by this process",
            value=views.sessions_started,
        )
        beats = CounterMetricFamily(
            "culturecast_views_beats",
            "Heartbeats (source heartbeat) and token-carrying media requests (source media) "
            "by outcome: accepted, ignored, show_ended, unknown session",
            labels=["source", "outcome"],
        )
        for (source, outcome), count in sorted(views.beats.items()):
            beats.add_metric([source, outcome], count)
        yield beats


def install(app: web.Application, kit: HttpKit) -> None:
    """Add the views feature's routes, services and background tasks to ``app``."""
    if app[ROLE] == "ingest":
        return

    async def views_ctx(app: web.Application) -> AsyncIterator[None]:
        services = app[SERVICES]
        engines = services.engines
        config = app.get(VIEWS_CONFIG) or ViewsConfig(
            flush_interval_s=services.settings.views_flush_interval_s
        )
        clock = services.clock
        await engines.database.ensure_indexes(list(INDEXES))
        resolver = FeatureItemResolver(app)
        views = ViewsService(engines.counters, resolver, clock, config)
        stores = ItemStores(engines.database, engines.counters, resolver, clock)
        stats = StatsReader(stores, config.rules, services.accounts)
        app[VIEWS_SERVICE] = views
        app[METRICS].add_collector(ViewsCollector(views))
        app[STATS_READER] = stats
        app[CARD_FACTS] = AppCardFacts(services.accounts, stats)
        app[STATS_FLUSHER] = StatsFlusher(engines.database, engines.counters)
        await engines.database.ensure_indexes(list(HOTWORD_INDEXES))
        search_terms = SearchTerms(engines.database, clock)
        try:
            geo = open_geoip(services.settings.geoip_db)
        except ValueError as exc:
            raise SettingsError("CULTURECAST_GEOIP_DB", str(exc)) from None
        app[VIEWS_PARTS] = ViewsParts(
            views,
            stats,
            resolver,
            geo=geo,
            trusted_proxies=services.settings.trusted_proxies,
            engagement=ChatEngagement(app),
            search_terms=search_terms,
        )
        app[SEARCH_RECORDER] = search_terms.record_search
        if LIVE_SERVICE in app:
            app[LIVE_SERVICE].add_listener(views.on_live_status)
        tasks = []
        if config.drain_interval_s > 0:
            tasks.append(Periodic("views-drain", config.drain_interval_s, lambda: _drain(views)))
        tasks.append(
            Periodic(
                "views-flush", config.flush_interval_s, lambda: _flush(services, clock, config)
            )
        )
        for task in tasks:
            task.start()
        yield
        for task in tasks:
            await task.stop()
        # What this process still holds goes to the counters before they close.
        try:
            await views.drain()
        except Exception:
            log.exception("could not write the last view figures")

    app.cleanup_ctx.append(views_ctx)
    ViewsHandlers(kit, lambda: app[VIEWS_PARTS]).setup_routes()
    _connect_media_requests(app)


async def _drain(views: ViewsService) -> None:
    try:
        await views.drain()
    except Exception:
        log.exception("could not write view figures to the counters; will retry")


async def _flush(services: Services, clock: Callable[[], float], config: ViewsConfig) -> None:
    job_id = flush_job_id(clock(), config.flush_interval_s)
    try:
        await services.jobs.enqueue(FLUSH_JOB, {}, job_id)
    except Exception:
        log.exception("could not queue %s; will try again", job_id)


def _connect_media_requests(app: web.Application) -> None:
    """Count token-carrying media requests (``/media/t/<token>/<key>``) as heartbeats, and
    tell the media gate whose session a token is."""
    callbacks = app.get(MEDIA_REQUEST_CALLBACKS)
    if callbacks is None:
        return

    async def touched(token: str, key: str) -> None:
        await app[VIEWS_SERVICE].touch_by_token(token, key)

    callbacks.append(touched)

    async def viewer_of(token: str) -> str | None:
        return await app[VIEWS_SERVICE].viewer_of(token)

    # The media gate lets a draft's staff preview it through their session's token.
    app[MEDIA_TOKEN_VIEWERS].append(viewer_of)


def register_jobs(registry: JobRegistry, deps: JobDeps) -> None:
    """Register the views feature's job handlers (api and worker processes alike)."""
    flusher = StatsFlusher(deps.engines.database, deps.engines.counters)

    async def flush(ctx: JobContext, payload: Mapping[str, Any]) -> None:
        await flusher.flush()

    registry.register(FLUSH_JOB, flush)
