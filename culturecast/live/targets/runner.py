"""Push targets in the ingest process: one ffmpeg per target, fed the FLV tags the publisher
sends (the runtime's ``on_flv`` tap), started when the event goes live here and stopped when
it leaves the air (``reconnecting`` or ``ended``).

Independence: a target's ffmpeg is fed through its own non-blocking pipe with a bounded
backlog (:class:`~culturecast.live.transcoder.Transcoder`): a slow or dead receiver makes its
own copy drop to the next keyframe, never the ingest wait; one target's failure is handled in
its own task. The decisions (retry when, give up when, what the error means) are
:mod:`culturecast.live.targets.model`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from culturecast.live.runtime import LiveRuntime
from culturecast.live.sessions import Status
from culturecast.live.targets.model import (
    ErrorKind,
    TargetError,
    TargetMachine,
    TargetState,
    classify,
    push_command,
    redact,
)
from culturecast.live.targets.store import CONTROL_ACTION, TargetStore, error_of, stored_error
from culturecast.live.transcoder import Transcoder
from culturecast.storage.database.port import Document

log = logging.getLogger("culturecast.live.targets")

MAX_BACKLOG = 2 * 1024 * 1024
"""Bytes one target may fall behind before its copy drops to the next keyframe (this also
bounds how stale a receiver's picture can get: about 3 s at 6 Mbit/s, 20 s at 800 kbit/s)."""
SAVE_EVERY_S = 2.0
"""How often ``bytes_sent`` is stored while a target runs (state changes at once)."""
STOP_GRACE_S = 5.0


class TargetRunner:
    """One target of one event on air in this process."""

    def __init__(
        self,
        doc: Document,
        *,
        store: TargetStore,
        source: Callable[[], bytes],
        ffmpeg: str,
        clock: Callable[[], float],
    ) -> None:
        self.id: str = doc["_id"]
        self.event_id: str = doc["event_id"]
        self.name: str = doc["name"]
        self._url: str = doc["url"]
        self._key: str = doc.get("key") or ""
        self._store = store
        self._source = source
        self._ffmpeg = ffmpeg
        self._clock = clock
        self.machine = TargetMachine(error=error_of(doc))
        self.bytes_before = int(doc.get("bytes_sent") or 0)
        """Bytes of earlier runs."""
        self.run_bytes = 0
        self.proc: Transcoder | None = None
        self._stopping = False
        self._wake = asyncio.Event()
        self._dirty = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._saver: asyncio.Task[None] | None = None

    @property
    def bytes_sent(self) -> int:
        return self.bytes_before + self.run_bytes

    @property
    def label(self) -> str:
        return f"event {self.event_id} target {self.id} ({self.name})"

    def start(self) -> None:
        self.machine.start(self._clock())
        self._dirty.set()
        self._task = asyncio.create_task(self._run())
        self._saver = asyncio.create_task(self._save_loop())

    def feed(self, framed: bytes, keyframe: bool, video: bool) -> None:
        proc = self.proc
        if proc is not None and not proc.stopping:
            proc.feed(framed, keyframe=keyframe, video=video)

    async def stop(self) -> None:
        """Stop the push (the event left the air, or the target was removed)."""
        self._stopping = True
        self._wake.set()
        proc = self.proc
        if proc is not None:
            await proc.stop(grace_s=STOP_GRACE_S)
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._saver is not None:
            self._saver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._saver
        self.machine.stop(self._clock())
        await self._save()

    # ------------------------------------------------------------ runs

    async def _run(self) -> None:
        try:
            while not self._stopping:
                machine = self.machine
                if machine.state is TargetState.CONNECTING:
                    await self._one_run()
                elif machine.state is TargetState.RETRYING:
                    wait = max(0.0, (machine.retry_at or 0.0) - self._clock())
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), wait)
                    if not self._stopping and machine.retry(self._clock()):
                        self._dirty.set()
                else:
                    return  # failed: nothing more until the next show
        except Exception:
            log.exception("live: %s: the runner failed", self.label)

    async def _one_run(self) -> None:
        proc = Transcoder(
            push_command(self._url, self._key, ffmpeg=self._ffmpeg),
            label=self.label,
            on_progress=self._progress,
            max_backlog=MAX_BACKLOG,
            redact=lambda line: redact(line, self._key),
        )
        try:
            await proc.spawn()
        except OSError as exc:
            self._exited(TargetError(ErrorKind.OTHER, str(exc)))
            return
        # No await between spawn's end and the assignment: every later tag is fed.
        proc.write_initial(self._source())
        self.proc = proc
        if self._stopping:  # stopped while ffmpeg was starting
            await proc.stop(grace_s=STOP_GRACE_S)
        code = await proc.wait()
        self.proc = None
        self.bytes_before += self.run_bytes
        self.run_bytes = 0
        if self._stopping:
            return
        self._exited(classify(list(proc.stderr_tail), code))

    def _exited(self, error: TargetError) -> None:
        state = self.machine.exited(error, self._clock())
        log.warning(
            "live: %s: push ended (%s, %s); %s",
            self.label,
            error.kind.value,
            error.detail or "-",
            f"retrying at {self.machine.retry_at:.0f}" if state is TargetState.RETRYING else state,
        )
        self._dirty.set()

    def _progress(self, progress: Any) -> None:
        if progress.total_size:
            self.run_bytes = int(progress.total_size)
            if self.machine.flowing(self._clock()):
                log.info("live: %s: live", self.label)
                self._dirty.set()

    # ------------------------------------------------------------ persistence

    async def _save_loop(self) -> None:
        saved_bytes = -1
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._dirty.wait(), SAVE_EVERY_S)
            if self._dirty.is_set() or self.bytes_sent != saved_bytes:
                self._dirty.clear()
                saved_bytes = self.bytes_sent
                await self._save()

    async def _save(self) -> None:
        m = self.machine
        try:
            await self._store.save(
                self.id,
                {
                    "state": m.state.value,
                    "since": m.since,
                    "error": stored_error(m.error),
                    "bytes_sent": self.bytes_sent,
                },
            )
        except Exception:
            log.exception("live: %s: could not store the state", self.label)


class TargetSupervisor:
    """Every push target of the events on air in this ingest process."""

    def __init__(
        self,
        runtime: LiveRuntime,
        store: TargetStore,
        *,
        ffmpeg: str = "ffmpeg",
    ) -> None:
        self.runtime = runtime
        self.store = store
        self.ffmpeg = ffmpeg
        self.runners: dict[str, dict[str, TargetRunner]] = {}
        """event id → target id → runner."""
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        runtime.on_flv = self._tap
        runtime.service.add_listener(self._on_status)
        runtime.service.add_control_handler(self._on_control)

    def _tap(self, event_id: str, framed: bytes, keyframe: bool, video: bool) -> None:
        runners = self.runners.get(event_id)
        if runners:
            for runner in runners.values():
                try:
                    runner.feed(framed, keyframe, video)
                except Exception:  # the publisher's connection must never see a target's fault
                    log.exception("live: %s: could not feed the push", runner.label)

    # Notices are handled in tasks of their own (in order, through the lock): stopping an
    # ffmpeg may take seconds, and the notice pump serves every listener of the process.

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _on_status(self, event_id: str, status: str) -> None:
        if status == Status.LIVE.value:
            self._spawn(self.sync(event_id))
        elif status in (Status.RECONNECTING.value, Status.ENDED.value):
            self._spawn(self.stop_event(event_id))

    async def _on_control(self, event_id: str, action: str) -> None:
        if action == CONTROL_ACTION:
            self._spawn(self.sync(event_id))

    def _on_air_here(self, event_id: str) -> bool:
        stream = self.runtime.streams.get(event_id)
        return stream is not None and stream.connected and stream.session.status is Status.LIVE

    async def sync(self, event_id: str) -> None:
        """Run exactly the event's stored targets while it is live in this process."""
        try:
            await self._sync(event_id)
        except Exception:
            log.exception("live: event %s: could not start its push targets", event_id)

    async def _sync(self, event_id: str) -> None:
        async with self._lock:
            if not self._on_air_here(event_id):
                return
            docs = {d["_id"]: d for d in await self.store.for_event(event_id)}
            runners = self.runners.setdefault(event_id, {})
            for target_id in [t for t in runners if t not in docs]:
                await runners.pop(target_id).stop()
            stream = self.runtime.streams[event_id]

            def source() -> bytes:
                # The GOP buffer is replaced when a publisher connects: read it late.
                return stream.gop.replay()

            for target_id, doc in docs.items():
                if target_id not in runners:
                    runner = TargetRunner(
                        doc,
                        store=self.store,
                        source=source,
                        ffmpeg=self.ffmpeg,
                        clock=self.runtime.clock,
                    )
                    runners[target_id] = runner
                    runner.start()
                    log.info("live: %s: started", runner.label)

    async def stop_event(self, event_id: str) -> None:
        async with self._lock:
            runners = self.runners.pop(event_id, {})
            await asyncio.gather(*(r.stop() for r in runners.values()))

    async def close(self) -> None:
        for task in list(self._tasks):
            with contextlib.suppress(Exception):
                await task
        for event_id in list(self.runners):
            await self.stop_event(event_id)

    def all(self) -> list[TargetRunner]:
        return [r for runners in self.runners.values() for r in runners.values()]
