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

Each delivery then costs the socket's writer one websocket frame. :class:`PlainWebSocket`
makes that frame cheap: no per-message deflate — compressing a 150-byte comment once per
recipient with that recipient's own zlib context is CPU per delivery for a few bytes
saved, and the reference Engine.IO server turned it off by default in engine.io 4
(``perMessageDeflate: false``); browsers offer it on every connection, so it would
otherwise be on for everyone — and no ``inspect.iscoroutinefunction`` per frame.

Written against python-socketio 5.x and python-engineio 4.x (``server.eio.sockets``,
``AsyncSocket.queue``, ``closing``/``closed``); ``tests/integration/chat/test_chat_fanout.py``
pins the behaviour on real clients of both transports.
"""

from __future__ import annotations

from typing import Any

import socketio
from aiohttp import web
from engineio import packet as eio_packet
from engineio.async_drivers import aiohttp as eio_aiohttp
from socketio import packet as sio_packet

RoomKey = tuple[str, str]
"""(namespace, sid) of a socket in the room index."""


class FanoutManager(socketio.AsyncManager):  # type: ignore[misc]
    """``AsyncManager`` that delivers a room emit without a task per recipient."""

    def __init__(self) -> None:
        super().__init__()
        self._rooms_of: dict[RoomKey, set[Any]] = {}

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
        sockets = self.server.eio.sockets
        for sid, eio_sid in self.get_participants(namespace, room):
            if sid in skip:
                continue
            socket = sockets.get(eio_sid)
            if socket is None or socket.closed or socket.closing:
                continue
            queue = socket.queue
            for p in packets:
                queue.put_nowait(p)

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


class PlainWebSocket(eio_aiohttp.WebSocket):  # type: ignore[misc]
    """Engine.IO's aiohttp websocket without per-message deflate (see the module's docs)."""

    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        request = environ["aiohttp.request"]
        self._sock = web.WebSocketResponse(
            max_msg_size=self.server.max_http_buffer_size, compress=False
        )
        await self._sock.prepare(request)
        self.environ = environ
        await self.handler(self)
        return self._sock

    async def send(self, message: str | bytes) -> None:
        if isinstance(message, bytes):
            await self._sock.send_bytes(message)
        else:
            await self._sock.send_str(message)


def use_plain_websockets(sio: socketio.AsyncServer) -> None:
    """Serve ``sio``'s websockets with :class:`PlainWebSocket` (aiohttp mode only).

    Engine.IO looks its transport up in a driver table shared by every server of the
    process; this server gets its own copy with the one entry replaced."""
    drivers = sio.eio._async
    if drivers.get("websocket") is eio_aiohttp.WebSocket:
        sio.eio._async = {**drivers, "websocket": PlainWebSocket}
