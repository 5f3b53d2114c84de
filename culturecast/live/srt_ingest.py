"""SRT ingest: ``srt://HOST:CULTURECAST_SRT_PORT?streamid=<stream_key>``.

GStreamer's ``srtsrc`` (gst-plugins-bad, through PyGObject) listens; its
``caller-connecting`` signal hands us each caller's stream id during the SRT handshake,
before any media, and the caller is admitted exactly as an RTMP publish is
(:meth:`LiveRuntime.admit`: unknown, stale, ended or busy keys are refused by name and
recorded). ffmpeg's libsrt cannot do this: its listener accepts whichever caller comes.
An admitted caller's MPEG-TS goes from the ``appsink`` into an ffmpeg that copies it to FLV,
and those tags take the pull sources' path (:class:`SourceFeed`) into the event.

One caller at a time per port (a second is refused with ``srt_busy``): ``srtsrc`` serves one
connection. gstreamer 1.22 with ``authentication=true`` also drops a caller whose stream id
differs from the element's ``streamid`` property, so the admitted id is set there before the
handshake completes. Optional ``CULTURECAST_SRT_PASSPHRASE`` (AES, 10 to 79 characters).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from typing import Any

from culturecast.live.admission import Refusal
from culturecast.live.runtime import Stream
from culturecast.live.sources.runner import FLV_OUTPUT, SourceFeed, SourceSupervisor

log = logging.getLogger("culturecast.live.srt")

ADMIT_TIMEOUT_S = 5.0
MAX_BUFFERED = 8 * 1024 * 1024
"""Bytes of a caller's stream waiting for ffmpeg at most."""


def available() -> bool:
    """PyGObject with GStreamer's ``srtsrc``."""
    try:
        gst = _gst()
    except (ImportError, ValueError):
        return False
    return gst.ElementFactory.find("srtsrc") is not None


def _gst() -> Any:
    import gi

    gi.require_version("Gst", "1.0")
    from gi.repository import Gio, Gst

    del Gio  # loaded so GSocketAddress arguments are typed
    if not Gst.is_initialized():
        Gst.init(None)
    return Gst


class SrtFeed(SourceFeed):
    """One admitted SRT caller: its TS on ffmpeg's stdin, FLV into the event."""

    def __init__(self, supervisor: SourceSupervisor, stream: Stream) -> None:
        super().__init__(supervisor, stream.event_id)
        self.stream = stream
        stream.bind(self._disconnected)
        self.stdin = asyncio.subprocess.PIPE
        self.started = asyncio.Event()

    @property
    def label(self) -> str:
        return f"event {self.event_id} (srt)"

    async def _run(self) -> None:
        try:
            command = [
                self.sup.ffmpeg,
                "-hide_banner",
                "-nostdin",
                "-loglevel",
                "warning",
                "-f",
                "mpegts",
                "-i",
                "pipe:0",
                *FLV_OUTPUT,
            ]
            await self._feed(command)
        except Exception:
            log.exception("live: %s: the srt feed failed", self.label)
        finally:
            if self.stream is not None:
                await self._leave(self.stream, "the srt caller left")

    def write(self, data: bytes) -> None:
        """Bytes before ffmpeg runs, or beyond ``MAX_BUFFERED`` while it lags, are dropped
        (MPEG-TS resynchronises at the next packet)."""
        proc = self.proc
        if proc is None or proc.stdin is None or proc.stdin.is_closing():
            return
        if proc.stdin.transport.get_write_buffer_size() > MAX_BUFFERED:
            if self.stream is not None:
                self.stream.health.on_dropped()
            return
        proc.stdin.write(data)

    def close_input(self) -> None:
        proc = self.proc
        if proc is not None and proc.stdin is not None and not proc.stdin.is_closing():
            proc.stdin.close()


class SrtIngest:
    """The listener; :meth:`start` needs PyGObject and ``srtsrc`` (:func:`available`)."""

    def __init__(
        self, sources: SourceSupervisor, *, host: str, port: int, passphrase: str | None = None
    ) -> None:
        self.sources = sources
        self.runtime = sources.runtime
        self.host = host
        self.port = port
        self.passphrase = passphrase
        self.current: SrtFeed | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pipeline: Any = None
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()

    async def start(self) -> None:
        gst = _gst()
        self._loop = asyncio.get_running_loop()
        uri = f"srt://{self.host}:{self.port}?mode=listener"
        pipeline = gst.Pipeline.new("srt-ingest")
        src = gst.ElementFactory.make("srtsrc", "src")
        src.set_property("uri", uri)
        src.set_property("authentication", True)
        src.set_property("keep-listening", True)
        src.set_property("wait-for-connection", True)
        if self.passphrase:
            src.set_property("passphrase", self.passphrase)
        sink = gst.ElementFactory.make("appsink", "sink")
        sink.set_property("sync", False)
        sink.set_property("max-buffers", 256)
        pipeline.add(src)
        pipeline.add(sink)
        src.link(sink)
        src.connect("caller-connecting", self._caller_connecting)
        src.connect("caller-removed", self._caller_removed)
        pipeline.set_state(gst.State.PLAYING)
        self._pipeline = pipeline
        self._thread = threading.Thread(
            target=self._pull_samples, args=(gst, sink), name="srt-ingest", daemon=True
        )
        self._thread.start()
        log.info("live: SRT ingest listening on %s:%d", self.host, self.port)

    async def close(self) -> None:
        self._closing.set()
        if self._pipeline is not None:
            gst = _gst()
            await asyncio.to_thread(self._pipeline.set_state, gst.State.NULL)
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5.0)
        if self.current is not None:
            await self.current.stop()

    # ------------------------------------------------------------ GStreamer threads

    def _caller_connecting(self, element: Any, address: Any, stream_id: str | None) -> bool:
        """In an SRT thread, during the handshake: admit by stream id, or refuse."""
        remote = _remote(address)
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(self._admit(stream_id or "", remote), self._loop)
        try:
            accepted = future.result(ADMIT_TIMEOUT_S)
        except (concurrent.futures.TimeoutError, Exception):
            log.exception("live: srt caller from %s: admission failed", remote)
            return False
        if accepted:
            element.set_property("streamid", stream_id)
        return accepted

    def _caller_removed(self, element: Any, *args: Any) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._caller_gone)

    def _pull_samples(self, gst: Any, sink: Any) -> None:
        bus = self._pipeline.get_bus()
        while not self._closing.is_set():
            sample = sink.emit("try-pull-sample", 200 * gst.MSECOND)
            if sample is not None:
                buffer = sample.get_buffer()
                ok, info = buffer.map(gst.MapFlags.READ)
                if ok:
                    data = bytes(info.data)
                    buffer.unmap(info)
                    assert self._loop is not None
                    self._loop.call_soon_threadsafe(self._on_data, data)
            message = bus.pop_filtered(gst.MessageType.ERROR)
            if message is not None:
                error, debug = message.parse_error()
                log.error("live: SRT ingest error: %s (%s)", error.message, debug)

    # ------------------------------------------------------------ the loop

    async def _admit(self, stream_id: str, remote: str) -> bool:
        current = self.current
        if current is not None and current.task is not None and not current.task.done():
            log.warning("live: srt caller from %s refused: srt_busy", remote)
            return False
        key = stream_id.removeprefix("#!::r=").split(",", 1)[0]  # SRT access control form
        admitted = await self.runtime.admit(app="live", stream_key=key, remote=remote)
        if isinstance(admitted, Refusal):
            log.warning(
                "live: srt caller from %s refused: %s: %s", remote, admitted.code, admitted.message
            )
            return False
        feed = self.current = SrtFeed(self.sources, admitted)
        feed.start()
        return True

    def _on_data(self, data: bytes) -> None:
        if self.current is not None:
            self.current.write(data)

    def _caller_gone(self) -> None:
        if self.current is not None:
            log.info("live: %s: the srt caller left", self.current.label)
            self.current.close_input()


def _remote(address: Any) -> str:
    with contextlib.suppress(Exception):
        return str(address.get_address().to_string())
    return "srt"
