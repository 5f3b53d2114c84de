"""Room broadcasts at scale: one encoded frame, one plain loop, no task per recipient.

python-socketio's stock ``AsyncManager.emit`` already encodes a packet once per emit, but
then starts one asyncio task per recipient (``server._send_eio_packet``), each of which
looks the socket up, checks its ping deadline, logs and awaits ``queue.put``; with 5,000
sockets in a room that is 5,000 tasks per comment, and profiling the benchmark
(``bench/bench_chat_fanout.py``) put task creation and scheduling at about a quarter of
the server's time. Here the same Engine.IO packet object (its ``encode`` is cached, so the
websocket writer of every socket sends the same string) is put straight on each socket's
outgoing queue with ``put_nowait``: the queue is unbounded, so nothing waits, and the
per-socket writer (websocket) or the pending long-poll (polling) takes it from there, in
order — it is the queue ``AsyncSocket.send`` uses. Skipped on the way: the ping deadline
check, which the engine's service task runs for every socket anyway.

A second cost was quadratic: the stock ``basic_disconnect`` copies and scans every room of
the namespace — and every socket has a room of its own — to find the rooms of the socket
that leaves, so 5,000 sockets leaving took 25 million membership tests. The managers here
keep an index of each socket's rooms.

:class:`FanoutManager` is the single-process manager; :class:`FanoutRedisManager` is
``AsyncRedisManager`` (rooms across api processes) whose local deliveries — of this
process's emits and of those arriving from Redis — take the same path.

Then the writer. Putting a packet on a socket's queue wakes that socket's writer task,
which re-arms a ``wait_for`` timer, drains the queue and builds and writes a websocket frame:
with the tasks gone, profiling put these wake-ups at 35-40 % of the server's time. So a
broadcast whose recipient is an upgraded websocket with an idle writer (blocked on an empty
queue: nothing of its own is pending or half-sent) and a transport that is keeping up (less
than :data:`DIRECT_WRITE_LIMIT` bytes buffered) is written to that socket's transport
directly — one frame built once per emit (server frames are unmasked, so every recipient gets
the same bytes). Everything else — a writer busy or blocked on a slow reader, a long-poll
socket, an upgrade in progress, a socket closing — takes the queue as before, and the first
queued packet makes the writer busy, so nothing written directly can overtake it: each
socket still gets its packets in order.

Each delivery then costs the socket's writer one websocket frame. :class:`PlainWebSocket`
makes that frame cheap: no per-message deflate — compressing a 150-byte comment once per
recipient with that recipient's own zlib context is CPU per delivery for a few bytes
saved, and the reference Engine.IO server turned it off by default in engine.io 4
(``perMessageDeflate: false``); browsers offer it on every connection, so it would
otherwise be on for everyone — and no ``inspect.iscoroutinefunction`` per frame.

Written against python-socketio 5.x and python-engineio 4.x (``server.eio.sockets``,
``AsyncSocket.queue``, ``closing``/``closed``/``upgraded``, the websocket writer blocked in
``queue.get``: ``asyncio.Queue._getters``); ``tests/integration/chat/test_chat_fanout.py``
pins the behaviour on real clients of both transports, slow readers included.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import socketio
from aiohttp import WSCloseCode, web
from engineio import packet as eio_packet
from engineio.async_drivers import aiohttp as eio_aiohttp
from socketio import packet as sio_packet

RoomKey = tuple[str, str]
"""(namespace, sid) of a socket in the room index."""

DIRECT_WRITE_LIMIT: Final = 64 * 1024
"""Bytes a socket's transport may hold unsent and still be written to directly; beyond it the
socket is a slow reader and its deliveries wait in its queue, where its writer applies
backpressure."""


def text_frame(text: str) -> bytes:
    """One unmasked, final websocket text frame (RFC 6455 § 5.2) carrying ``text``."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        header = bytes((0x81, size))
    elif size < 1 << 16:
        header = bytes((0x81, 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + size.to_bytes(8, "big")
    return header + payload


@dataclass(slots=True)
class Websocket:
    """An Engine.IO socket's open websocket, for direct writes."""

    response: web.WebSocketResponse
    transport: asyncio.Transport


Websockets = dict[str, Websocket]
"""Open websockets by Engine.IO session id (filled by :class:`PlainWebSocket`)."""


class FanoutManager(socketio.AsyncManager):  # type: ignore[misc]
    """``AsyncManager`` that delivers a room emit without a task per recipient."""

    def __init__(self) -> None:
        super().__init__()
        self._rooms_of: dict[RoomKey, set[Any]] = {}
        self.websockets: Websockets = {}
        """Shared with the server's websocket transport by :func:`use_plain_websockets`."""
        self.direct_writes = 0
        """Deliveries written straight to a websocket."""
        self.queued_writes = 0
        """Deliveries put on a socket's queue (slow readers, long-polls, upgrades)."""

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        if callback is not None:
            # Each recipient needs its own acknowledgement id: the stock path.
            await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to
            )
            return
        room = to or room
        if namespace not in self.rooms:
            return
        # Same argument convention as the stock emit: a tuple is several arguments.
        if isinstance(data, tuple):
            args = list(data)
        elif data is not None:
            args = [data]
        else:
            args = []
        skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
        encoded = self.server.packet_class(
            sio_packet.EVENT, namespace=namespace, data=[event, *args]
        ).encode()
        if not isinstance(encoded, list):
            encoded = [encoded]
        # One Engine.IO packet object for everyone: Packet.encode caches its string.
        packets = [eio_packet.Packet(eio_packet.MESSAGE, p) for p in encoded]
        # Text packets only (binary attachments take several frames: the queue).
        frame = text_frame(packets[0].encode()) if len(packets) == 1 else None
        sockets = self.server.eio.sockets
        websockets = self.websockets
        direct = queued = 0
        for sid, eio_sid in self.get_participants(namespace, room):
            if sid in skip:
                continue
            socket = sockets.get(eio_sid)
            if socket is None or socket.closed or socket.closing:
                continue
            queue = socket.queue
            if frame is not None and queue.empty() and queue._getters and socket.upgraded:
                ws = websockets.get(eio_sid)
                if (
                    ws is not None
                    and not ws.response.closed
                    and not ws.transport.is_closing()
                    and ws.transport.get_write_buffer_size() < DIRECT_WRITE_LIMIT
                ):
                    ws.transport.write(frame)
                    direct += 1
                    continue
            for p in packets:
                queue.put_nowait(p)
            queued += 1
        self.direct_writes += direct
        self.queued_writes += queued

    # -- the room index ------------------------------------------------------------

    def basic_enter_room(self, sid: str, namespace: str, room: Any, eio_sid: Any = None) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        self._rooms_of.setdefault((namespace, sid), set()).add(room)

    def basic_leave_room(self, sid: str, namespace: str, room: Any) -> None:
        super().basic_leave_room(sid, namespace, room)
        key = (namespace, sid)
        rooms = self._rooms_of.get(key)
        if rooms is not None:
            rooms.discard(room)
            if not rooms:
                del self._rooms_of[key]

    def get_rooms(self, sid: str, namespace: str) -> list[Any]:
        return [r for r in self._rooms_of.get((namespace, sid), ()) if r is not None]

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        # The stock method, with the rooms taken from the index instead of a scan.
        if namespace not in self.rooms:
            return
        for room in list(self._rooms_of.get((namespace, sid), ())):
            self.basic_leave_room(sid, namespace, room)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            sids = pending.get(namespace)
            if sids is not None and sid in sids:
                sids.remove(sid)
                if not sids:
                    del pending[namespace]


class FanoutRedisManager(socketio.AsyncRedisManager, FanoutManager):  # type: ignore[misc]
    """``AsyncRedisManager`` whose local deliveries are :class:`FanoutManager`'s.

    The method order puts :class:`FanoutManager` between ``AsyncPubSubManager`` and
    ``AsyncManager``, so the pub/sub layer's local delivery (``super().emit``) is ours.
    """

    def __init__(self, url: str, *, channel: str) -> None:
        socketio.AsyncRedisManager.__init__(self, url, channel=channel)


type TooBig = Callable[[str], str | None]
"""Engine.IO sid → the text frame telling that socket its frame was too big (None: nothing)."""


class _TellingWebSocketResponse(web.WebSocketResponse):
    """aiohttp's websocket response that, closing for a frame over the size limit (1009,
    RFC 6455 § 7.4.1), first sends ``farewell`` — so the client learns why. aiohttp reads
    only the frame header before refusing it, so nothing big is ever buffered."""

    farewell: Callable[[], str | None] | None = None

    async def close(
        self, *, code: int = WSCloseCode.OK, message: bytes = b"", drain: bool = True
    ) -> bool:
        if code == WSCloseCode.MESSAGE_TOO_BIG and self.farewell is not None and not self.closed:
            farewell, self.farewell = self.farewell, None
            text = farewell()
            if text is not None:
                with contextlib.suppress(Exception):
                    await self.send_str(text)
        return await super().close(code=code, message=message, drain=drain)


class PlainWebSocket(eio_aiohttp.WebSocket):  # type: ignore[misc]
    """Engine.IO's aiohttp websocket without per-message deflate, listed in ``websockets``
    while open so broadcasts can write to it directly (see the module's docs); a frame over
    the limit is answered with ``too_big``'s frame before the connection closes."""

    def __init__(
        self, handler: Any, server: Any, *, websockets: Websockets, too_big: TooBig | None = None
    ) -> None:
        super().__init__(handler, server)
        self._websockets = websockets
        self._too_big = too_big

    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        request = environ["aiohttp.request"]
        self._sock = _TellingWebSocketResponse(
            max_msg_size=self.server.max_http_buffer_size, compress=False
        )
        # The handler is the Engine.IO socket's own (a bound method): its sid is the key.
        eio_sid = getattr(getattr(self.handler, "__self__", None), "sid", None)
        too_big = self._too_big
        if too_big is not None and eio_sid is not None:
            self._sock.farewell = functools.partial(too_big, eio_sid)
        await self._sock.prepare(request)
        self.environ = environ
        transport = request.transport
        if eio_sid is not None and isinstance(transport, asyncio.Transport):
            self._websockets[eio_sid] = Websocket(self._sock, transport)
        try:
            await self.handler(self)
        finally:
            if eio_sid is not None:
                self._websockets.pop(eio_sid, None)
        return self._sock

    async def send(self, message: str | bytes) -> None:
        if isinstance(message, bytes):
            await self._sock.send_bytes(message)
        else:
            await self._sock.send_str(message)


def use_plain_websockets(sio: socketio.AsyncServer, *, too_big: TooBig | None = None) -> None:
    """Serve ``sio``'s websockets with :class:`PlainWebSocket` (aiohttp mode only), listed
    for direct writes when the manager is a :class:`FanoutManager`; ``too_big`` gives the
    frame that tells a socket its frame was over the limit.

    Engine.IO looks its transport up in a driver table shared by every server of the
    process; this server gets its own copy with the one entry replaced."""
    drivers = sio.eio._async
    if drivers.get("websocket") is eio_aiohttp.WebSocket:
        manager = sio.manager
        websockets = manager.websockets if isinstance(manager, FanoutManager) else {}
        transport = functools.partial(PlainWebSocket, websockets=websockets, too_big=too_big)
        sio.eio._async = {**drivers, "websocket": transport}
