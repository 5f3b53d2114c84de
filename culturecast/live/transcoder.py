"""One ffmpeg run of a live stream, fed FLV through stdin (DESIGN.md § Live).

Supervised by the ingest process, not Celery: the publisher's bytes are here, and a restart
must take seconds. This class is one run; :mod:`culturecast.live.runtime` starts a new one
when it dies. Writes never block the ingest: when ffmpeg falls behind by more than
``max_backlog`` bytes, tags are dropped up to the next keyframe (the decoder can restart
there) and counted as dropped data in the stream's health.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import signal
from collections.abc import Callable, Sequence

from culturecast.transcode.progress import Progress, ProgressParser

log = logging.getLogger("culturecast.live.transcoder")

STDERR_LINES = 50
"""stderr lines kept per run (the latest), for the log when it dies."""
STDERR_LOGGED = 100
"""At most this many stderr lines per run go to the log as they arrive."""


class Transcoder:
    """One running ffmpeg."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        label: str,
        on_progress: Callable[[Progress], None] | None = None,
        max_backlog: int = 8 * 1024 * 1024,
        redact: Callable[[str], str] | None = None,
    ) -> None:
        self.command = list(command)
        self.redact = redact
        """Applied to every stderr line before it is kept or logged (a push target's key is
        in ffmpeg's messages)."""
        self.label = label
        self.on_progress = on_progress
        self.max_backlog = max_backlog
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
        self._proc: asyncio.subprocess.Process | None = None
        self._readers: list[asyncio.Task[None]] = []
        self._skipping = False
        self.stopping = False
        """The run is being stopped on purpose (its exit is not a crash)."""

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    async def spawn(self) -> None:
        """Start ffmpeg; :meth:`write_initial` must follow before any :meth:`feed`."""
        self._proc = await asyncio.create_subprocess_exec(
            *self.command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # a signal to the ingest's group does not hit ffmpeg
        )
        self._readers = [
            asyncio.create_task(self._read_progress()),
            asyncio.create_task(self._read_stderr()),
        ]
        log.info("live: %s: ffmpeg started (pid %s)", self.label, self._proc.pid)

    def write_initial(self, initial: bytes) -> None:
        """The FLV header, sequence headers and the buffered GOP, before the live tags."""
        self._write(initial)

    def _write(self, data: bytes) -> bool:
        proc = self._proc
        if proc is None or proc.stdin is None or proc.stdin.is_closing():
            return False
        try:
            proc.stdin.write(data)
        except (BrokenPipeError, ConnectionResetError, RuntimeError):
            return False
        return True

    def feed(self, framed: bytes, *, keyframe: bool, video: bool) -> bool:
        """Write one FLV tag; False when it was dropped (backlog or a dead ffmpeg)."""
        proc = self._proc
        if proc is None or proc.stdin is None:
            return False
        transport = proc.stdin.transport
        backlog = transport.get_write_buffer_size()
        if self._skipping:
            if not (video and keyframe) or backlog > self.max_backlog // 2:
                return False
            self._skipping = False
        elif backlog > self.max_backlog:
            self._skipping = True
            log.warning(
                "live: %s: ffmpeg is %d bytes behind; dropping to the next keyframe",
                self.label,
                backlog,
            )
            return False
        return self._write(framed)

    async def wait(self) -> int:
        """Wait for ffmpeg to exit; its exit code (negative: killed by that signal)."""
        assert self._proc is not None
        code = await self._proc.wait()
        for task in self._readers:
            try:
                await asyncio.wait_for(task, 2)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
        return code

    async def stop(self, grace_s: float = 10.0) -> int | None:
        """Close stdin so ffmpeg writes its last segment and exits; kill it past ``grace_s``."""
        self.stopping = True
        proc = self._proc
        if proc is None:
            return None
        if proc.stdin is not None and not proc.stdin.is_closing():
            proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), grace_s)
        except TimeoutError:
            log.warning("live: %s: ffmpeg did not exit in %.0f s; killing it", self.label, grace_s)
            self.kill()
        return await self.wait()

    def kill(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.send_signal(signal.SIGKILL)

    async def _read_progress(self) -> None:
        assert self._proc is not None
        assert self._proc.stdout is not None
        parser = ProgressParser()
        while chunk := await self._proc.stdout.read(4096):
            for block in parser.feed(chunk):
                if self.on_progress is not None:
                    self.on_progress(block)

    async def _read_stderr(self) -> None:
        assert self._proc is not None
        assert self._proc.stderr is not None
        logged = 0
        while line := await self._proc.stderr.readline():
            text = line.decode("utf-8", "replace").rstrip()[:500]
            if self.redact is not None:
                text = self.redact(text)
            if not text:
                continue
            self.stderr_tail.append(text)
            if logged < STDERR_LOGGED:
                logged += 1
                log.info("live: %s: ffmpeg: %s", self.label, text)
