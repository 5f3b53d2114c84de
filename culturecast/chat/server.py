"""The Socket.IO server of the chat: python-socketio on the aiohttp application.

A thin layer: :class:`ChatNamespace` hands every connection and event to
:class:`~culturecast.chat.service.ChatService` and returns its answer as the
acknowledgement. Transports: websocket, with HTTP long-polling as the fallback for
networks that block websockets (Engine.IO protocol 4). Path ``/socket.io/``.

Hostile input never takes anyone else down:

- frames larger than ``max_http_buffer_size`` (:data:`MAX_FRAME_BYTES`, 32 KiB) are refused
  by the engine, which closes only that connection — on a websocket after telling it
  ``refused {code: too_long}`` (:class:`~culturecast.chat.fanout.PlainWebSocket`). The limit
  is set so that every text the payload parser reads (up to ``MAX_RAW_TEXT`` code points, in
  any script, however a client escapes its JSON) fits in a frame and gets its answer (an ack
  with ``too_long``) instead of a dropped connection;
- binary attachments, payloads of the wrong shape and unknown events are answered with
  ``refused {code: bad_payload}`` and the connection stays up;
- Socket.IO packets that do not even parse are dropped and answered the same way when
  the socket is on ``/chat`` (:class:`ChatSocketServer`).

Several api processes share rooms through ``socketio.AsyncRedisManager`` when Redis is
configured (DESIGN.md § Processes); room broadcasts take the fan-out path of
:mod:`culturecast.chat.fanout` in both cases.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any, Final

import socketio
from aiohttp import web
from socketio import packet as sio_packet

from culturecast.chat.events import NAMESPACE, RefusalCode, ServerEvent, refusal_message
from culturecast.chat.fanout import FanoutManager, FanoutRedisManager, use_plain_websockets
from culturecast.chat.service import ChatService, ConnectRefused
from culturecast.core.addresses import Network, client_ip

log = logging.getLogger("culturecast.chat")

MAX_FRAME_BYTES: Final = 32 * 1024
"""Largest Engine.IO frame a client may send. A ``send`` of the longest raw text the payload
parser reads (``payloads.MAX_RAW_TEXT``, 2,000 code points) is at most 12 bytes per code point
JSON-escaped (an astral character as two ``\\uXXXX``; python-socketio escapes everything
non-ASCII), so 24,000 bytes plus its envelope: it always fits, and a long comment in any
script is answered ``too_long`` with an ack. 32 KiB per frame still bounds what one
connection makes the server buffer (a comment is 200 characters)."""
SOCKETIO_PATH: Final = "socket.io"
REDIS_CHANNEL: Final = "culturecast-chat"


class ChatSocketServer(socketio.AsyncServer):  # type: ignore[misc]
    """``AsyncServer`` that answers unparseable packets instead of logging a traceback."""

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        try:
            await super()._handle_eio_message(eio_sid, data)
        except Exception as exc:  # a client's garbage, not our fault: say so and go on
            log.info("dropped a malformed Socket.IO packet: %s", exc)
            self._binary_packet.pop(eio_sid, None)
            sid = self.manager.sid_from_eio_sid(eio_sid, NAMESPACE)
            if sid is not None:
                await self.emit(
                    ServerEvent.REFUSED,
                    {
                        "code": RefusalCode.BAD_PAYLOAD.value,
                        "message": refusal_message(RefusalCode.BAD_PAYLOAD),
                        "request": "",
                    },
                    to=sid,
                    namespace=NAMESPACE,
                    ignore_queue=True,
                )

    def too_big_packet(self, eio_sid: str) -> str | None:
        """The Engine.IO packet telling a ``/chat`` socket that its frame was over the limit
        (``refused {code: too_long}`` in its language), or None when it has no chat session."""
        sid = self.manager.sid_from_eio_sid(eio_sid, NAMESPACE)
        if sid is None:
            return None
        handler = self.namespace_handlers.get(NAMESPACE)
        session = handler.service.sessions.get(sid) if isinstance(handler, ChatNamespace) else None
        lang = session.lang if session is not None else "zh-CN"
        body = {
            "code": RefusalCode.TOO_LONG.value,
            "message": refusal_message(RefusalCode.TOO_LONG, lang),
            "request": "",
        }
        packet = self.packet_class(
            sio_packet.EVENT, namespace=NAMESPACE, data=[ServerEvent.REFUSED.value, body]
        )
        if session is not None:
            handler.service.refusals[RefusalCode.TOO_LONG.value] += 1
        return "4" + str(packet.encode())

    async def _handle_event(self, eio_sid: str, namespace: str, id: Any, data: Any) -> None:
        # The stock handler indexes data[0] before any check; an empty or odd event must
        # become a refusal, not an exception.
        if not isinstance(data, list) or not data or not isinstance(data[0], str):
            data = ["", data]
        await super()._handle_event(eio_sid, namespace, id, data)


class ChatNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """``/chat``: connection admission and event dispatch to the service."""

    def __init__(self, service: ChatService, trusted_proxies: tuple[Network, ...] = ()) -> None:
        super().__init__(NAMESPACE)
        self.service = service
        self.trusted = trusted_proxies
        """Our reverse proxies (the nginx edge): behind them the viewer's address is taken
        from ``X-Forwarded-For``, so the per-address connect limit sees viewers, not the edge."""

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        request = environ.get("aiohttp.request")
        ip = (
            client_ip(request.remote, request.headers.get("X-Forwarded-For"), self.trusted)
            if request is not None
            else "unknown"
        )
        cookie = self.service.config.device_cookie
        device = request.cookies.get(cookie) if request is not None and cookie else None
        try:
            await self.service.connect(sid, ip, auth, device)
        except ConnectRefused as exc:
            # Socket.IO 4 CONNECT_ERROR: {message, data}; clients see err.message, err.data.
            raise socketio.exceptions.ConnectionRefusedError(
                exc.payload["message"], exc.payload
            ) from None

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        await self.service.disconnect(sid)

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event in ("connect", "disconnect"):
            return await super().trigger_event(event, *args)
        sid = args[0]
        if len(args) > 2:  # several arguments: not one of our events
            data: Any = args[1:]
        else:
            data = args[1] if len(args) == 2 else None
        try:
            return await self.service.handle(sid, event, data)
        except Exception:
            log.exception("chat event %r failed", event)
            return {"ok": False, "code": "internal_error"}


class SocketEmitter:
    """The service's :class:`~culturecast.chat.ports.Emitter` over one ``AsyncServer``."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    async def emit(
        self, event: str, data: Any, *, to: str | None = None, local: bool = False
    ) -> None:
        await self.sio.emit(event, data, to=to, namespace=NAMESPACE, ignore_queue=local)

    async def enter_room(self, sid: str, room: str) -> None:
        await self.sio.enter_room(sid, room, namespace=NAMESPACE)

    async def leave_room(self, sid: str, room: str) -> None:
        await self.sio.leave_room(sid, room, namespace=NAMESPACE)


def create_socket_server(
    redis_url: str | None = None,
    *,
    max_frame_bytes: int = MAX_FRAME_BYTES,
    manager: socketio.AsyncManager | None = None,
) -> socketio.AsyncServer:
    """The Socket.IO server; with ``redis_url`` rooms are shared by every api process.

    Either way room broadcasts go through :mod:`culturecast.chat.fanout` (no task per
    recipient); ``manager`` replaces that (the benchmark measures the stock one)."""
    if manager is None:
        manager = (
            FanoutRedisManager(redis_url, channel=REDIS_CHANNEL)
            if redis_url is not None
            else FanoutManager()
        )
    sio = ChatSocketServer(
        async_mode="aiohttp",
        client_manager=manager,
        max_http_buffer_size=max_frame_bytes,
        transports=["polling", "websocket"],
        logger=False,
        engineio_logger=False,
    )
    use_plain_websockets(sio, too_big=sio.too_big_packet)
    return sio


def attach(sio: socketio.AsyncServer, app: web.Application) -> None:
    """Serve Socket.IO on ``/socket.io/`` of ``app`` (before the app starts)."""
    sio.attach(app, socketio_path=SOCKETIO_PATH)


@contextlib.asynccontextmanager
async def running(
    sio: socketio.AsyncServer, service: ChatService, trusted_proxies: tuple[Network, ...] = ()
) -> AsyncIterator[None]:
    """Serve ``/chat`` with ``service`` and run its periodic pushes; on exit disconnect
    every client (so the web server's shutdown does not wait on open websockets), stop
    the tasks and release the Redis manager."""
    sio.register_namespace(ChatNamespace(service, trusted_proxies))
    if not sio.manager_initialized:
        # Listen to other processes from the start, not from the first local connection.
        sio.manager_initialized = True
        sio.manager.initialize()
    tasks = [
        asyncio.create_task(service.run(), name="chat-pushes"),
        asyncio.create_task(service.follow_room_changes(), name="chat-room-changes"),
    ]
    try:
        yield
    finally:
        await disconnect_all(sio, service)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await service.stop()
        await sio.shutdown()
        await _close_manager(sio.manager)


async def disconnect_all(sio: socketio.AsyncServer, service: ChatService) -> None:
    """Say goodbye to every client of this process: the namespace sessions, then the
    Engine.IO sockets, so pending long-polls return and websockets close at once instead
    of holding the web server's graceful shutdown until they time out (run it on the
    application's ``on_shutdown``, which comes before that wait)."""
    for sid in list(service.sessions):
        with contextlib.suppress(Exception):
            await sio.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)
    for socket in list(sio.eio.sockets.values()):
        with contextlib.suppress(Exception):
            await socket.close(wait=False)


async def _close_manager(manager: Any) -> None:
    thread = getattr(manager, "thread", None)
    if isinstance(thread, asyncio.Task):
        thread.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await thread
    for name in ("pubsub", "redis"):
        conn = getattr(manager, name, None)
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.aclose()
