"""The thin asyncio RTMP server around the sans-I/O :class:`RtmpServerConnection`.

Sockets and time live here; protocol, byte caps and deadlines in ``live/rtmp/`` (this
module arms the connection's ``next_timer``); which connections are kept in
``live/slots.py``; admission and media in the :class:`Gate` (``live/runtime.py``). Every
connection is isolated: whatever goes wrong with one (malformed bytes, a bug in a handler)
closes that one with a logged reason and nothing else. Limits: connections per process and
per address, with room kept for connections that finish the handshake; messages and held
bytes per connection and across the connections that have not published; the handshake,
publish and idle deadlines; and the output buffer towards a client that does not read.
Closes and refusals of connections that never published are logged through a
:class:`~culturecast.live.slots.LogThrottle`: one flooding client cannot flood the log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from culturecast.live.admission import Refusal
from culturecast.live.rtmp import ConnectionState, RtmpServerConnection
from culturecast.live.rtmp.events import (
    CodecIdentified,
    ConnectionClosed,
    FlvTag,
    HandshakeComplete,
    MetaData,
    PublishEnded,
    PublishRequested,
)
from culturecast.live.rtmp.limits import MIB, ConnectionLimits, UnpublishedBudget
from culturecast.live.slots import ConnectionSlots, LogThrottle, Stage

log = logging.getLogger("culturecast.live.ingest")

#: Closes with nothing worth flushing: reset the socket rather than keep a TIME_WAIT for it.
_ABORT_CODES = frozenset({"output_overflow", "ingest_busy"})


class Publisher(Protocol):
    """An admitted publish, as the runtime handles it."""

    def on_bytes(self, count: int, now: float) -> None: ...
    def on_tag(self, tag_type: int, timestamp: int, data: bytes, now: float) -> None: ...
    def on_metadata(self, values: dict[str, object]) -> None: ...
    def check_codec(self, kind: str, codec: str) -> Refusal | None: ...
    def left(self, reason: str, now: float) -> None: ...
    def bind(self, disconnect: Callable[[str, str], None]) -> None:
        """Give the publisher a way to close its connection (stop, disable, failures)."""


class Gate(Protocol):
    """Admission: a publisher for an accepted publish, or the refusal."""

    async def admit(self, *, app: str, stream_key: str, remote: str) -> Publisher | Refusal: ...


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """Per-process and per-connection limits."""

    max_connections: int = 200
    """Open RTMP connections per process."""
    max_connections_per_address: int = 10
    """Connections that are not publishing from one IPv4 address or IPv6 /64 (0: no cap)."""
    connection: ConnectionLimits = field(default_factory=ConnectionLimits)
    """Byte caps and deadlines of each connection."""
    unpublished_bytes: int = 8 * MIB
    """Bytes all connections that have not published may hold between them."""
    max_output_bytes: int = 1 * MIB
    """Unsent bytes towards a client before it is dropped (it stopped reading)."""


class RtmpIngest:
    """Listens for RTMP publishers."""

    def __init__(
        self,
        gate: Gate,
        *,
        host: str,
        port: int,
        limits: IngestLimits | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.gate = gate
        self.host = host
        self.port = port
        self.limits = limits or IngestLimits()
        self.clock = clock
        self.connections: set[_RtmpProtocol] = set()
        self.slots = ConnectionSlots(
            max_connections=self.limits.max_connections,
            max_per_address=self.limits.max_connections_per_address,
        )
        self.budget = UnpublishedBudget(self.limits.unpublished_bytes)
        self.throttle = LogThrottle()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _RtmpProtocol(self), self.host, self.port, reuse_address=True
        )
        sockets = self._server.sockets
        if sockets and self.port == 0:
            self.port = sockets[0].getsockname()[1]
        log.info("live: RTMP ingest listening on %s:%d", self.host, self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections):
            conn.shutdown("the ingest is shutting down", "shutdown")
        if self._server is not None:
            await self._server.wait_closed()

    def log_connection(
        self, level: int, host: str, code: str, message: str, *args: object, known: bool = False
    ) -> None:
        """Log about one connection; unless ``known`` (it published), repeats from one
        address are summarised."""
        if not known:
            silenced = self.throttle.allow(host, code, self.clock())
            if silenced is None:
                return
            if silenced:
                message += " (and %d more like it from this address)"
                args = (*args, silenced)
        log.log(level, message, *args)


class _RtmpProtocol(asyncio.Protocol):
    def __init__(self, ingest: RtmpIngest) -> None:
        self.ingest = ingest
        self.conn = RtmpServerConnection(
            now=ingest.clock(), limits=ingest.limits.connection, budget=ingest.budget
        )
        self.transport: asyncio.Transport | None = None
        self.host = "?"
        self.remote = "?"
        self.publisher: Publisher | None = None
        self._published = False
        self._closed = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0

    # ------------------------------------------------------------ asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple):
            self.host = str(peer[0])
            self.remote = f"{peer[0]}:{peer[1]}"
        else:
            self.host = self.remote = str(peer)
        ingest = self.ingest
        transport.set_write_buffer_limits(high=ingest.limits.max_output_bytes)
        admission = ingest.slots.admit(self, self.host)
        if admission.refusal is not None:
            refusal = admission.refusal
            ingest.log_connection(
                logging.WARNING,
                self.host,
                refusal.code,
                "live: connection from %s refused (%s): %s",
                self.remote,
                refusal.code,
                refusal.message,
            )
            self._closed = True
            transport.abort()
            return
        ingest.connections.add(self)
        if isinstance(admission.evict, _RtmpProtocol):
            admission.evict.shutdown(
                "the ingest is full: the oldest unfinished handshake of the busiest address "
                f"made room for {self.remote}",
                "ingest_busy",
            )
        self._arm_timer()

    def data_received(self, data: bytes) -> None:
        if self._closed:
            return
        now = self.ingest.clock()
        try:
            self.conn.receive_data(data, now)
            if self.publisher is not None:
                self.publisher.on_bytes(len(data), now)
            self._pump(now)
        except Exception:
            log.exception("live: connection from %s failed", self.remote)
            self.shutdown("internal error while handling the connection", "internal_error")

    def connection_lost(self, exc: Exception | None) -> None:
        if self._closed:
            return  # refused at accept, or already finished
        if not self.conn.is_closed:
            self.conn.close("the client closed the connection" if exc is None else f"{exc}")
            try:
                self._pump(self.ingest.clock())
            except Exception:
                log.exception("live: cleanup of %s failed", self.remote)
        self._finish()

    def pause_writing(self) -> None:
        self.shutdown("the client stopped reading our replies", "output_overflow")

    # ------------------------------------------------------------ events

    def _pump(self, now: float) -> None:
        out = self.conn.data_to_send()
        if out and self.transport is not None and not self.transport.is_closing():
            self.transport.write(out)
        while (event := self.conn.next_event()) is not None:
            if isinstance(event, HandshakeComplete):
                self.ingest.slots.advance(self, Stage.CONNECTED)
            elif isinstance(event, FlvTag):
                if self.publisher is not None:
                    self.publisher.on_tag(event.tag_type, event.timestamp, event.data, now)
            elif isinstance(event, MetaData):
                if self.publisher is not None:
                    self.publisher.on_metadata(dict(event.values))
            elif isinstance(event, CodecIdentified):
                publisher = self.publisher
                if publisher is not None:
                    refusal = publisher.check_codec(event.kind.value, event.codec)
                    if refusal is not None and not self.conn.is_closed:
                        self.conn.reject_publish(refusal.code, refusal.message)
                        out = self.conn.data_to_send()
                        if out and self.transport is not None:
                            self.transport.write(out)
            elif isinstance(event, PublishRequested):
                if self.transport is not None:
                    # Nothing useful arrives before the answer; let the kernel hold it.
                    self.transport.pause_reading()
                self._spawn(self._admit(event))
            elif isinstance(event, PublishEnded):
                self.ingest.slots.advance(self, Stage.CONNECTED)
                self._leave(event.reason, now)
            elif isinstance(event, ConnectionClosed):
                self._leave(event.reason, now)
                level = logging.INFO if event.code in ("closed", "shutdown") else logging.WARNING
                self.ingest.log_connection(
                    level,
                    self.host,
                    event.code,
                    "live: connection from %s closed (%s): %s",
                    self.remote,
                    event.code,
                    event.reason,
                    known=self._published,
                )
                out = self.conn.data_to_send()
                if self.transport is not None:
                    if event.code in _ABORT_CODES:
                        self.transport.abort()
                    else:
                        if out and not self.transport.is_closing():
                            self.transport.write(out)
                        self.transport.close()
                self._finish()
        self._arm_timer()

    def _arm_timer(self) -> None:
        """Have :meth:`_on_timer` called at the connection's next deadline. A timer already
        armed for an earlier time stays: it re-arms when it finds nothing due, so a
        deadline that moves on with every read (idle) costs nothing per read."""
        if self._closed:
            return
        at = self.conn.next_timer()
        if at is None or (self._timer is not None and self._timer_at <= at):
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = at
        delay = max(0.0, at - self.ingest.clock())
        self._timer = asyncio.get_running_loop().call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self._closed:
            return
        now = self.ingest.clock()
        try:
            self.conn.handle_timer(now)
            self._pump(now)
        except Exception:
            log.exception("live: timer of %s failed", self.remote)
            self.shutdown("internal error while handling the connection", "internal_error")

    def _leave(self, reason: str, now: float) -> None:
        publisher, self.publisher = self.publisher, None
        if publisher is not None:
            try:
                publisher.left(reason, now)
            except Exception:
                log.exception("live: publisher cleanup failed for %s", self.remote)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _admit(self, event: PublishRequested) -> None:
        try:
            result = await self.ingest.gate.admit(
                app=event.app, stream_key=event.stream_key, remote=self.remote
            )
        except Exception:
            log.exception("live: admission failed for %s", self.remote)
            result = Refusal("internal_error", "服务器内部错误，请稍后重试。Internal error; retry.")
        if self.conn.is_closed or self._closed:
            if not isinstance(result, Refusal):
                result.left("the client left during admission", self.ingest.clock())
            return
        if isinstance(result, Refusal):
            self.conn.reject_publish(result.code, result.message)
        else:
            self.publisher = result
            result.bind(self.disconnect)
            self.conn.accept_publish()
            self._published = True
            self.ingest.slots.advance(self, Stage.PUBLISHING)
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()
        self._pump(self.ingest.clock())

    # ------------------------------------------------------------ closing

    def disconnect(self, code: str, message: str) -> None:
        """Refuse the running publish and close (event stopped or disabled)."""
        if self.conn.is_closed:
            return
        if self.conn.state in (ConnectionState.PUBLISHING, ConnectionState.PUBLISH_PENDING):
            self.conn.reject_publish(code, message)
        else:
            self.conn.close(message, code)
        self._pump(self.ingest.clock())

    def shutdown(self, reason: str, code: str) -> None:
        if not self.conn.is_closed:
            self.conn.close(reason, code)
            try:
                self._pump(self.ingest.clock())
            except Exception:
                log.exception("live: closing %s failed", self.remote)
        if self.transport is not None:
            if code in _ABORT_CODES:
                self.transport.abort()
            else:
                self.transport.close()
        self._finish()

    def _finish(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.ingest.connections.discard(self)
        self.ingest.slots.remove(self)
