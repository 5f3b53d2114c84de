"""Wiring of the chat feature into the application (see the package's own docs).

Socket.IO (namespace ``/chat`` on ``/socket.io/``) and the replay's comments route run in the
``standalone`` and ``api`` roles; an ``ingest`` process has no chat. The chat reads live
events from the live package's ``live_events`` collection through :class:`LiveEventsReader`
(read-only), and accounts through the kit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from culturecast.chat import http as chat_http
from culturecast.chat.access import Caller, EventView
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
from culturecast.jobs.port import JobRegistry
from culturecast.live import visibility
from culturecast.media.views.handlers import DEVICE_COOKIE
from culturecast.server.context import METRICS, ROLE, SERVICES, SETTINGS
from culturecast.server.features.live import LIVE_SERVICE
from culturecast.server.kit import HttpKit
from culturecast.storage.database.port import Database

if TYPE_CHECKING:
    from culturecast.server.jobs import JobDeps

CHAT = web.AppKey("chat", ChatService)
LIVE_EVENTS = "live_events"


class LiveEventsReader:
    """Chat's read-only view of ``live_events`` (owned by the live package), and the live
    package's rule of who may see an event (``live/visibility.py``)."""

    def __init__(self, database: Database) -> None:
        self._events = database.collection(LIVE_EVENTS)

    async def get(self, event_id: str) -> EventView | None:
        doc = await self._events.get(event_id)
        if doc is None:
            return None
        return event_view(doc)

    def may_see(self, caller: Caller | None, event: EventView) -> bool:
        return visibility.may_see(caller, event.org_path, public=event.public)


def event_view(doc: dict[str, Any]) -> EventView:
    org_id = str(doc.get("org_id") or "")
    path = doc.get("org_path") or [org_id]
    started = doc.get("started_at")
    return EventView(
        id=str(doc["_id"]),
        org_id=org_id,
        org_path=tuple(str(p) for p in path),
        status=str(doc.get("status", "scheduled")),
        started_at=float(started) if isinstance(started, int | float) else None,
        public=visibility.is_public(doc),
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
        service = ChatService(
            store=ChatStore(engines.database),
            events=LiveEventsReader(engines.database),
            identities=identities,
            counters=engines.counters,
            policy=policy,
            emitter=SocketEmitter(sio),
            clock=app[SERVICES].clock,
            config=config,
            user_names=identities,
        )
        app[CHAT] = service
        app[METRICS].add_collector(ChatCollector(service, sio.manager))
        if LIVE_SERVICE in app:
            # Status changes reach every process; chat pushes chat_state the moment a show
            # goes live or ends (sends read the status anyway, so nothing depends on it).
            app[LIVE_SERVICE].add_listener(service.on_status)
        async with running(sio, service):
            yield

    async def goodbye(app: web.Application) -> None:
        # on_shutdown runs before aiohttp waits for open requests: close sockets first.
        if CHAT in app:
            await disconnect_all(sio, app[CHAT])

    app.cleanup_ctx.append(chat_ctx)
    app.on_shutdown.append(goodbye)


def register_jobs(registry: JobRegistry, deps: JobDeps) -> None:
    """Register the chat feature's job handlers (api and worker processes alike)."""
