"""Pull and playout sources in the ingest process: at ``scheduled_at`` (at once when it is
past) an ffmpeg reads the event's source and writes FLV to its stdout, and those tags go into
the same path a pushed RTMP stream takes (:meth:`LiveRuntime.admit_event`, then
``Stream.on_tag`` as the RTMP connection feeds it). The ladder, health, replay, chat and
statistics are therefore a pushed event's.

A pull that drops is retried every few seconds while its event waits in ``reconnecting``;
the grace rules of :mod:`culturecast.live.sessions` end it when the source stays away. A
playout airs its items one after another (each its own ffmpeg with ``-re``, the plan is
:func:`~culturecast.live.sources.playout.next_item`); without ``loop`` the event ends after
the last item, with ``loop`` it starts over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence

from culturecast.core.errors import Sentence
from culturecast.core.periodic import Periodic
from culturecast.live.admission import Refusal
from culturecast.live.rtmp import amf0, flv
from culturecast.live.runtime import LiveRuntime, Stream
from culturecast.live.service import AsyncResolver
from culturecast.live.sessions import Status, StopReason
from culturecast.live.sources import playout, pull, status
from culturecast.live.sources.flv_reader import FlvError, FlvReader, Tag
from culturecast.live.sources.hls_gate import HlsGate, gate_input_args
from culturecast.live.sources.status import SourceStatus
from culturecast.storage.database.port import Document

log = logging.getLogger("culturecast.live.sources")

type Resources = Callable[[Sequence[str]], Awaitable[Mapping[str, Document | None]]]
"""Resource ids → their documents (None when deleted), for the playout plan."""
type MediaInput = Callable[[str], Awaitable[str | None]]
"""An object key → what ffmpeg reads it from (a local path or a presigned URL)."""

SOURCE_TYPES = ("pull", "playout")
RETRY_S = 1.0
"""Pause after the first failed attempt of a pull (doubled after each further one)."""
MAX_RETRY_S = 60.0
PULL_ATTEMPTS = 8
"""Failed attempts in a row after which a pull that never went on air ends its event."""
READ_CHUNK = 64 * 1024


class SourceFeed:
    """One pull or playout event fed by this process."""

    def __init__(self, supervisor: SourceSupervisor, event_id: str) -> None:
        self.sup = supervisor
        self.event_id = event_id
        self.proc: asyncio.subprocess.Process | None = None
        self.stopping = False
        self.ended = False
        self.stderr_tail: deque[str] = deque(maxlen=8)
        self.task: asyncio.Task[None] | None = None
        self.status = SourceStatus()
        self.stream: Stream | None = None
        """Admitted once and kept across playout items, so the event stays live between
        them (their timestamps are shifted to follow on)."""
        self.after: int | None = None
        self.round = 0
        self.ts_base = 0
        self.ts_last = -1
        self.delivered = False
        self.stdin = asyncio.subprocess.DEVNULL
        """What ffmpeg reads on its stdin (the SRT ingest writes the caller's stream there)."""
        self.refused = False
        """This attempt was refused by the policy (its reason is the status's error)."""

    @property
    def label(self) -> str:
        return f"event {self.event_id}"

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self.stopping = True
        self._kill()
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task

    def _kill(self) -> None:
        proc = self.proc
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()

    async def _save(self) -> None:
        await self.sup.runtime.service.events.save_source_status(
            self.event_id, self.status.stored()
        )

    async def _fail(self, code: str, sentence: Sentence) -> None:
        self.status.fail(code, sentence, self.sup.runtime.clock())
        self.refused = True
        await self._save()

    # ------------------------------------------------------------ plan

    async def _run(self) -> None:
        try:
            while not self.stopping and not self.ended:
                doc = await self.sup.runtime.service.events.get(self.event_id)
                if doc is None or doc.get("status") == Status.ENDED.value:
                    return
                source = doc.get("source") or {}
                if source.get("type") == "pull":
                    await self._pull(doc, source["url"])
                else:
                    await self._playout(doc)
        except Exception:
            log.exception("live: %s: the source runner failed", self.label)
        finally:
            if self.stream is not None:
                await self._leave(self.stream, "the source ended")
            self.sup.feeds.pop(self.event_id, None)

    async def _pull(self, doc: Document, url: str) -> None:
        """One attempt; then a pause that doubles with each failure in a row (up to
        ``MAX_RETRY_S``). A pull that never delivered gives up after ``attempts`` failures
        and ends its event; one that went on air follows the grace rules instead."""
        gate: HlsGate | None = None
        self.delivered = self.refused = False
        try:
            resuming = doc.get("status") != Status.SCHEDULED.value
            command, gate = await self._pull_command(url, resuming=resuming)
            if command is not None:
                await self._feed(command)
                if gate is not None and gate.ended and not self.stopping and not self.ended:
                    # The HLS source's show is over: so is the relay (no retry, no grace).
                    log.info("live: %s: the pulled HLS ended; ending the event", self.label)
                    await self._end()
                    return
                if self.stream is not None:
                    await self._leave(self.stream, "the source ended")
        finally:
            if gate is not None:
                await gate.close()
        if self.stopping or self.ended:
            return
        if self.delivered:
            self.status.attempts = 0
        else:
            self.status.attempts += 1
            if not self.refused:
                tail = " | ".join(self.stderr_tail)[-300:]
                self.status.fail(
                    status.NOT_CONNECTED, status.not_connected(tail), self.sup.runtime.clock()
                )
        await self._save()
        never_aired = doc.get("status") == Status.SCHEDULED.value
        if never_aired and self.status.attempts >= self.sup.pull_attempts:
            log.warning(
                "live: %s: the pull failed %d times; ending", self.label, self.status.attempts
            )
            await self._fail(
                status.GAVE_UP, status.gave_up(self.status.attempts, self.status.error)
            )
            await self.sup.runtime.service.end_unaired(self.event_id)
            self.ended = True
            return
        pause = min(self.sup.retry_s * 2 ** max(0, self.status.attempts - 1), MAX_RETRY_S)
        await asyncio.sleep(pause)

    async def _pull_command(
        self, url: str, *, resuming: bool = False
    ) -> tuple[list[str] | None, HlsGate | None]:
        """Resolved and checked again right before connecting (DNS may have changed since
        the event was created), then pinned to the checked address; an http(s) source is
        read through a gate that checks every URL its playlists name."""
        try:
            parsed = pull.check_url(url)
            addresses = pull.check_addresses(await self.sup.resolve(parsed.host), self.sup.allow)
        except pull.PullRefused as refused:
            log.warning("live: %s: pull refused: %s", self.label, refused.sentence.en)
            await self._fail(refused.code, refused.sentence)
            return None, None
        head = [self.sup.ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "warning"]
        if parsed.scheme in ("http", "https"):
            gate = HlsGate(
                parsed.url,
                resolve=self.sup.resolve,
                allow=self.sup.allow,
                on_refused=self._gate_refused,
                resuming=resuming,
            )
            local = await gate.start()
            return [*head, *gate_input_args(local), *FLV_OUTPUT], gate
        pinned = pull.pinned(parsed, addresses[0])
        return [*head, *pull.pull_input_args(parsed, pinned), *FLV_OUTPUT], None

    def _gate_refused(self, refused: pull.PullRefused) -> None:
        self.status.fail(refused.code, refused.sentence, self.sup.runtime.clock())
        self.refused = True
        self.sup.runtime.spawn(self._save())

    async def _playout(self, doc: Document) -> None:
        plan = await self._next(doc)
        if isinstance(plan, playout.Done):
            log.info("live: %s: the playout list is over; ending the event", self.label)
            await self._end()
            return
        self.after, self.round = plan.position, plan.round
        command = await self._playout_command(plan.resource_id)
        if command is None:
            await self._skip(
                plan.position,
                plan.resource_id,
                "playout_item_missing",
                status.item_failed(plan.resource_id, "unreadable"),
            )
            return
        self.status.item = {
            "position": plan.position,
            "resource_id": plan.resource_id,
            "round": plan.round,
        }
        await self._save()
        if not await self._feed(command) and not self.stopping and not self.ended:
            tail = " | ".join(self.stderr_tail)[-300:]
            await self._skip(
                plan.position,
                plan.resource_id,
                status.ITEM_FAILED,
                status.item_failed(plan.resource_id, tail),
            )
            if not self.delivered and self.stream is not None:
                await self._leave(self.stream, "the item failed")
            await asyncio.sleep(self.sup.retry_s)

    async def _skip(self, position: int, resource_id: str, code: str, sentence: Sentence) -> None:
        log.warning(
            "live: %s: playout item %d (%s) skipped: %s",
            self.label,
            position,
            resource_id,
            sentence.en,
        )
        self.status.skip(position, resource_id, code, sentence, self.sup.runtime.clock())
        await self._save()

    async def _next(self, doc: Document) -> playout.Next | playout.Done:
        source = doc["source"]
        items: list[str] = list(source.get("items") or [])
        docs = await self.sup.resources(items)
        plan = playout.next_item(
            items,
            self.after,
            self.round,
            docs,
            doc.get("org_path") or [],
            loop=bool(source.get("loop")),
        )
        for skip in plan.skipped:
            await self._skip(skip.position, skip.resource_id, skip.code, skip.sentence)
        return plan

    async def _playout_command(self, resource_id: str) -> list[str] | None:
        docs = await self.sup.resources([resource_id])
        resource = docs.get(resource_id)
        key = (resource or {}).get("hls_master_key")
        where = await self.sup.media_input(key) if key else None
        if where is None:
            log.warning("live: %s: playout item %s cannot be read", self.label, resource_id)
            return None
        return [
            self.sup.ffmpeg,
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "warning",
            "-re",
            "-i",
            where,
            *FLV_OUTPUT,
        ]

    async def _end(self) -> None:
        stream = self.sup.runtime.streams.get(self.event_id)
        if stream is not None:
            await stream.apply(stream.session.stop(self.sup.runtime.clock(), StopReason.STOPPED))
        elif await self.sup.runtime.service.end_unaired(self.event_id) is None:
            # Not scheduled any more: on air with no stream here (a crashed feed).
            await self.sup.runtime.service.end_orphan(self.event_id, StopReason.STOPPED)
        self.ended = True

    # ------------------------------------------------------------ one ffmpeg

    async def _admitted(self) -> Stream | None:
        """The event's stream, admitted now unless this feed holds it already."""
        if self.stream is not None and self.stream.connected:
            return self.stream
        admitted = await self.sup.runtime.admit_event(self.event_id, remote="source")
        if isinstance(admitted, Refusal):
            log.warning("live: %s: not admitted: %s", self.label, admitted.message)
            if admitted.code in ("event_ended", "event_disabled"):
                self.ended = True
            return None
        admitted.bind(self._disconnected)
        self.stream = admitted
        self.ts_base, self.ts_last = 0, -1
        return admitted

    async def _feed(self, command: list[str]) -> bool:
        """Run one ffmpeg into the event; True when its output ended normally. A pull
        leaves the stream after it (the event goes reconnecting); a playout keeps it."""
        stream = await self._admitted()
        if stream is None:
            return False
        self.ts_base = self.ts_last + 40 if self.ts_last >= 0 else 0
        self.stderr_tail.clear()
        ok = False
        try:
            ok = await self._pump(command, stream)
        finally:
            self._kill()
            if self.proc is not None:
                with contextlib.suppress(Exception):
                    await self.proc.wait()
            self.proc = None
        return ok

    async def _pump(self, command: list[str], stream: Stream) -> bool:
        clock = self.sup.runtime.clock
        try:
            proc = self.proc = await asyncio.create_subprocess_exec(
                *command,
                stdin=self.stdin,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            log.error("live: %s: ffmpeg cannot start: %s", self.label, exc)
            return False
        assert proc.stdout is not None
        assert proc.stderr is not None
        errors = asyncio.create_task(self._read_stderr(proc.stderr))
        reader = FlvReader()
        codecs: dict[str, str | None] = {"video": None, "audio": None}
        try:
            while not self.stopping and not self.ended:
                data = await proc.stdout.read(READ_CHUNK)
                if not data:
                    break
                now = clock()
                stream.on_bytes(len(data), now)
                for tag in reader.feed(data):
                    if not self._deliver(stream, tag, now, codecs):
                        return False
        except FlvError as exc:
            log.warning("live: %s: ffmpeg wrote no FLV: %s", self.label, exc)
            return False
        finally:
            if not self.stopping and proc.returncode is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(proc.wait(), 5.0)
            self._kill()
            code = await proc.wait()
            with contextlib.suppress(Exception):
                await errors
        if code not in (0, None):
            log.warning(
                "live: %s: the source's ffmpeg exited with %s: %s",
                self.label,
                code,
                " | ".join(self.stderr_tail) or "(no output)",
            )
            return False
        return not self.stopping

    def _deliver(
        self,
        stream: Stream,
        tag: Tag,
        now: float,
        codecs: dict[str, str | None],
    ) -> bool:
        tag_type, data = tag.tag_type, tag.data
        if tag_type == flv.TAG_SCRIPT:
            with contextlib.suppress(Exception):
                values = amf0.decode_all(data)
                if len(values) > 1 and values[0] == "onMetaData" and isinstance(values[1], dict):
                    stream.on_metadata(dict(values[1]))
        elif tag_type in (flv.TAG_VIDEO, flv.TAG_AUDIO):
            kind = "video" if tag_type == flv.TAG_VIDEO else "audio"
            if codecs[kind] is None:
                codec = flv.video_codec(data) if kind == "video" else flv.audio_codec(data)
                if codec is not None:
                    codecs[kind] = codec
                    refusal = stream.check_codec(kind, codec)
                    if refusal is not None:
                        log.warning("live: %s: source refused: %s", self.label, refusal.message)
                        return False
        timestamp = tag.timestamp + self.ts_base
        self.ts_last = max(self.ts_last, timestamp)
        self.delivered = True
        stream.on_tag(tag_type, timestamp, data, now)
        return True

    async def _read_stderr(self, stderr: asyncio.StreamReader) -> None:
        while line := await stderr.readline():
            self.stderr_tail.append(line.decode("utf-8", "replace").rstrip())

    def _disconnected(self, code: str, message: str) -> None:
        """The runtime drops the feed (stopped, disabled, shutdown)."""
        log.info("live: %s: feed stopped (%s)", self.label, code)
        if code != "shutdown":
            self.ended = True
        self._kill()

    async def _leave(self, stream: Stream, reason: str) -> None:
        self.stream = None
        went_live = stream.went_live
        stream.left(reason, self.sup.runtime.clock())
        await self.sup.runtime.release(self.event_id)
        # Let the session take the leave (live → reconnecting) before anything re-admits.
        for _ in range(200):
            if not went_live or stream.session.status is not Status.LIVE:
                break
            await asyncio.sleep(0.05)


FLV_OUTPUT = ["-map", "0:v:0?", "-map", "0:a:0?", "-c", "copy", "-f", "flv", "-"]
"""A copy into FLV on stdout (the ladder re-encodes; the codec check is the ingest's)."""


class SourceSupervisor:
    """Starts the feeds of pull and playout events that are due, in this ingest process."""

    def __init__(
        self,
        runtime: LiveRuntime,
        *,
        resolve: AsyncResolver,
        allow: Sequence[pull.Network],
        resources: Resources,
        media_input: MediaInput,
        ffmpeg: str = "ffmpeg",
        scan_s: float = 1.0,
        retry_s: float = RETRY_S,
        pull_attempts: int = PULL_ATTEMPTS,
    ) -> None:
        self.runtime = runtime
        self.resolve = resolve
        self.allow = tuple(allow)
        self.resources = resources
        self.media_input = media_input
        self.ffmpeg = ffmpeg
        self.scan_s = scan_s
        self.retry_s = retry_s
        self.pull_attempts = pull_attempts
        self.feeds: dict[str, SourceFeed] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(
            Periodic("live: starting due sources", self.scan_s, self.scan, logger=log).run()
        )

    async def scan(self) -> None:
        for doc in await self.runtime.service.events.due_sources(self.runtime.clock()):
            event_id = doc["_id"]
            if event_id in self.feeds:
                continue
            if await self.runtime.service.counters.get_flag(f"live:publishing:{event_id}"):
                continue  # fed by another ingest
            feed = self.feeds[event_id] = SourceFeed(self, event_id)
            log.info("live: event %s: starting its %s source", event_id, doc["source"]["type"])
            feed.start()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await asyncio.gather(*(feed.stop() for feed in list(self.feeds.values())))
