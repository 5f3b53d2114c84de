"""Wiring of the chat feature into the application (see the package's own docs).

Socket.IO (namespace ``/chat`` on ``/socket.io/``) and the replay's comments route run in the
``standalone`` and ``api`` roles; an ``ingest`` process has no chat. The chat reads live
events through the live service (:class:`LiveEventsReader` over ``LiveService.summary``;
the live package owns ``live_events``), and accounts through the kit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from aiohttp import web
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from culturecast.chat import http as chat_http
from culturecast.chat.access import EventView
from culturecast.chat.fanout import FanoutManager
from culturecast.chat.policy import CommentPolicy, PolicyConfig
from culturecast.chat.server import (
    SocketEmitter,
    attach,
    create_socket_server,
    disconnect_all,
    running,
)
from culturecast.chat.service import ChatConfig, ChatService
from culturecast.chat.store import INDEXES, ChatStore
from culturecast.chat.words import read_default_words
from culturecast.core.access import Caller
from culturecast.core.device import DEVICE_COOKIE
from culturecast.jobs.port import JobRegistry
from culturecast.live import visibility
from culturecast.live.store import EventSummary
from culturecast.server.context import METRICS, ROLE, SERVICES, SETTINGS
from culturecast.server.features.live import LIVE_SERVICE
from culturecast.server.kit import HttpKit

if TYPE_CHECKING:
    from culturecast.server.jobs import JobDeps

CHAT = web.AppKey("chat", ChatService)


class EventSummaries(Protocol):
    """What chat uses of the live package (``LiveService`` and its ``EventStore``)."""

    async def summary(self, event_id: str) -> EventSummary | None: ...

    async def media_timeline(self, event_id: str) -> list[tuple[float, float]] | None: ...


class LiveEventsReader:
    """Chat's read-only view of live events, through the live package, and the live
    package's rule of who may see an event (``live/visibility.py``)."""

    def __init__(self, events: EventSummaries) -> None:
        self._events = events

    async def get(self, event_id: str) -> EventView | None:
        summary = await self._events.summary(event_id)
        return None if summary is None else event_view(summary)

    def may_see(self, caller: Caller | None, event: EventView) -> bool:
        return visibility.may_see(caller, event.org_path, public=event.public)

    async def media_timeline(self, event_id: str) -> list[tuple[float, float]] | None:
        return await self._events.media_timeline(event_id)


def event_view(summary: EventSummary) -> EventView:
    return EventView(
        id=summary.event_id,
        org_id=summary.org_id,
        org_path=summary.org_path,
        status=summary.status,
        started_at=summary.started_at,
        public=summary.public,
    )


class KitIdentities:
    """Accounts as chat needs them, through the kit."""

    def __init__(self, kit: HttpKit) -> None:
        self._kit = kit

    async def caller_from_token(self, token: str) -> Caller | None:
        return await self._kit.caller_from_token(token)

    async def guest_chat(self, org_id: str) -> bool:
        info = await self._kit.org_info(org_id)
        return bool(info and info.get("guest_chat", True))

    async def is_user_name(self, nickname: str) -> bool:
        return await self._kit.is_user_name(nickname)


class ChatCollector:
    """The chat's figures on ``/metrics``, read at each scrape."""

    def __init__(self, service: ChatService, manager: object) -> None:
        self._service = service
        self._manager = manager if isinstance(manager, FanoutManager) else None

    def collect(self) -> Iterator[Metric]:
        service = self._service
        yield GaugeMetricFamily(
            "culturecast_chat_sockets",
            "Chat sockets connected to this process",
            value=len(service.sessions),
        )
        yield GaugeMetricFamily(
            "culturecast_chat_rooms",
            "Chat rooms with a member on this process",
            value=len(service.rooms),
        )
        yield CounterMetricFamily(
            "culturecast_chat_messages",
            "Comments accepted and broadcast by this process",
            value=service.messages_sent,
        )
        refusals = CounterMetricFamily(
            "culturecast_chat_refusals", "Chat requests refused, by code", labels=["code"]
        )
        for code, count in sorted(service.refusals.items()):
            refusals.add_metric([code], count)
        yield refusals
        if self._manager is not None:
            deliveries = CounterMetricFamily(
                "culturecast_chat_deliveries",
                "Room broadcasts delivered to this process's sockets: written directly to a "
                "websocket, or queued (slow readers, long-polling)",
                labels=["path"],
            )
            deliveries.add_metric(["direct"], self._manager.direct_writes)
            deliveries.add_metric(["queued"], self._manager.queued_writes)
            yield deliveries


def install(app: web.Application, kit: HttpKit) -> None:
    """Add the chat feature's routes, services and background tasks to ``app``."""
    if app[ROLE] not in ("standalone", "api"):
        return
    sio = create_socket_server(app[SETTINGS].redis_url)
    attach(sio, app)
    chat_http.setup_routes(kit, lambda: app[CHAT])

    async def chat_ctx(app: web.Application) -> AsyncIterator[None]:
        engines = app[SERVICES].engines
        await engines.database.ensure_indexes(INDEXES)
        policy = CommentPolicy(PolicyConfig(sensitive_words=tuple(read_default_words())))
        identities = KitIdentities(kit)
        settings = app[SETTINGS]
        config = ChatConfig(device_cookie=DEVICE_COOKIE)
        if settings.chat_reserved_names is not None:
            config = replace(config, reserved_names=settings.chat_reserved_names)
        events = LiveEventsReader(app[LIVE_SERVICE])
        service = ChatService(
            store=ChatStore(engines.database),
            events=events,
            identities=identities,
            counters=engines.counters,
            policy=policy,
            emitter=SocketEmitter(sio),
            clock=app[SERVICES].clock,
            config=config,
            user_names=identities,
            timelines=events,
        )
        app[CHAT] = service
        app[METRICS].add_collector(ChatCollector(service, sio.manager))
        if LIVE_SERVICE in app:
            # Status changes reach every process; chat pushes chat_state the moment a show
            # goes live or ends (sends read the status anyway, so nothing depends on it).
            app[LIVE_SERVICE].add_listener(service.on_status)
        async with running(sio, service, app[SETTINGS].trusted_proxies):
            yield

    async def goodbye(app: web.Application) -> None:
        # on_shutdown runs before aiohttp waits for open requests: close sockets first.
        if CHAT in app:
            await disconnect_all(sio, app[CHAT])

    app.cleanup_ctx.append(chat_ctx)
    app.on_shutdown.append(goodbye)


def register_jobs(registry: JobRegistry, deps: JobDeps) -> None:
    """Register the chat feature's job handlers (api and worker processes alike)."""
