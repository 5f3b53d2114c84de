"""The thin asyncio RTMP server around the sans-I/O :class:`RtmpServerConnection`.

Sockets, time and limits live here; protocol in ``live/rtmp/``; admission and media in the
:class:`Gate` (``live/runtime.py``). Every connection is isolated: whatever goes wrong with
one (malformed bytes, a bug in a handler) closes that one with a logged reason and nothing
else. Limits: connections per process, the handshake and ``connect``/``publish`` deadlines,
an idle timeout while publishing, the largest RTMP message, and the output buffer towards a
client that does not read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from culturecast.live.admission import Refusal, ingest_full
from culturecast.live.rtmp import ConnectionState, RtmpServerConnection
from culturecast.live.rtmp.events import (
    CodecIdentified,
    ConnectionClosed,
    FlvTag,
    MetaData,
    PublishEnded,
    PublishRequested,
)

log = logging.getLogger("culturecast.live.ingest")


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
    handshake_timeout_s: float = 10.0
    """From accept to a finished handshake."""
    publish_timeout_s: float = 30.0
    """From accept to an admitted publish."""
    idle_timeout_s: float = 15.0
    """No bytes for this long while publishing: the encoder is gone."""
    max_message_bytes: int = 8 * 1024 * 1024
    """Largest RTMP message (a 4K keyframe fits)."""
    max_output_bytes: int = 1024 * 1024
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
        self._server: asyncio.Server | None = None
        self._reaper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _RtmpProtocol(self), self.host, self.port, reuse_address=True
        )
        sockets = self._server.sockets
        if sockets and self.port == 0:
            self.port = sockets[0].getsockname()[1]
        self._reaper = asyncio.create_task(self._reap())
        log.info("live: RTMP ingest listening on %s:%d", self.host, self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        for conn in list(self.connections):
            conn.shutdown("the ingest is shutting down", "shutdown")
        if self._server is not None:
            await self._server.wait_closed()

    async def _reap(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            now = self.clock()
            for conn in list(self.connections):
                try:
                    conn.check_timeouts(now)
                except Exception:
                    log.exception("live: timeout check failed")


class _RtmpProtocol(asyncio.Protocol):
    def __init__(self, ingest: RtmpIngest) -> None:
        self.ingest = ingest
        self.conn = RtmpServerConnection(max_message_size=ingest.limits.max_message_bytes)
        self.transport: asyncio.Transport | None = None
        self.remote = "?"
        self.opened_at = ingest.clock()
        self.publisher: Publisher | None = None
        self._admitting = False
        self._closed = False
        self._tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------ asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.remote = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        limits = self.ingest.limits
        transport.set_write_buffer_limits(high=limits.max_output_bytes)
        if len(self.ingest.connections) >= limits.max_connections:
            refusal = ingest_full(limits.max_connections)
            log.warning("live: connection from %s refused (%s)", self.remote, refusal.code)
            self._closed = True
            transport.abort()
            return
        self.ingest.connections.add(self)

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
            if isinstance(event, FlvTag):
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
                self._admitting = True
                if self.transport is not None:
                    # Nothing useful arrives before the answer; let the kernel hold it.
                    self.transport.pause_reading()
                self._spawn(self._admit(event))
            elif isinstance(event, PublishEnded):
                self._leave(event.reason, now)
            elif isinstance(event, ConnectionClosed):
                self._leave(event.reason, now)
                level = logging.INFO if event.code in ("closed", "shutdown") else logging.WARNING
                log.log(
                    level,
                    "live: connection from %s closed (%s): %s",
                    self.remote,
                    event.code,
                    event.reason,
                )
                out = self.conn.data_to_send()
                if self.transport is not None:
                    if out and not self.transport.is_closing():
                        self.transport.write(out)
                    self.transport.close()
                self._finish()

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
        self._admitting = False
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
            self.transport.abort() if code == "output_overflow" else self.transport.close()
        self._finish()

    def check_timeouts(self, now: float) -> None:
        limits = self.ingest.limits
        state = self.conn.state
        age = now - self.opened_at
        if state in (ConnectionState.AWAIT_C0C1, ConnectionState.AWAIT_C2):
            if age > limits.handshake_timeout_s:
                self.shutdown(
                    f"no handshake within {limits.handshake_timeout_s:g} s", "handshake_timeout"
                )
        elif state is ConnectionState.PUBLISHING:
            last = self.conn.last_received_at or self.opened_at
            if now - last > limits.idle_timeout_s:
                self.shutdown(f"no data for {limits.idle_timeout_s:g} s", "idle_timeout")
        elif (
            state is not ConnectionState.CLOSED
            and not self._admitting
            and age > limits.publish_timeout_s
        ):
            self.shutdown(f"no publish within {limits.publish_timeout_s:g} s", "publish_timeout")

    def _finish(self) -> None:
        self._closed = True
        self.ingest.connections.discard(self)
