"""The ingest process's live runtime: admission, one :class:`Stream` per event on air, and
the wiring that performs the decisions of :mod:`culturecast.live.sessions`.

Per event: the GOP buffer and first-GOP probe (``gop.py``), the health meter
(``health.py``), the current ffmpeg run (``transcoder.py``) and the packager
(``packager.py``). A transcoder that dies is replaced within a second or so, fed the buffered
GOP; the publisher never notices. One event's failure never reaches another's: every
decision runs inside the stream's own task and lock, with errors logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import shutil
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from culturecast.core.llhls import PART_CHANNEL, part_message
from culturecast.core.periodic import Periodic
from culturecast.live import admission, sessions
from culturecast.live.admission import Refusal
from culturecast.live.gop import FirstGop, GopBuffer
from culturecast.live.health import HealthMeter
from culturecast.live.ladders import LIVE_LADDER
from culturecast.live.latency import LatencyMode, mode_of
from culturecast.live.ll_packager import PARTS_PER_SEGMENT, LowLatencyPackager
from culturecast.live.overload import Action, Shedder
from culturecast.live.packager import Packager
from culturecast.live.playlist import Segment
from culturecast.live.rtmp import flv
from culturecast.live.service import LiveService
from culturecast.live.sessions import Session, Status, StopReason
from culturecast.live.source import (
    AacConfig,
    AvcConfig,
    parse_aac_sequence_header,
    parse_avc_sequence_header,
    source_info,
)
from culturecast.live.transcoder import Transcoder
from culturecast.storage.objects.port import ObjectStore
from culturecast.transcode.command import EncoderSettings, live_hls_command
from culturecast.transcode.ladder import Ladder, PlannedRung, plan_ladder
from culturecast.transcode.probe import SourceInfo
from culturecast.transcode.progress import Progress

log = logging.getLogger("culturecast.live.runtime")

PUBLISHER_FLAG_TTL_S = 10
"""The "someone publishes this event" flag expires this long after its holder stops
refreshing it (a crashed ingest does not block the event forever)."""
SHED_STOP_GRACE_S = 2.0
"""How long a run that overload replaces may take to write its last segment."""


@dataclass(frozen=True, slots=True)
class RuntimeConfig:
    """Knobs of the live pipeline (constructor parameters; see the README for settings)."""

    spool_dir: Path
    """Where ffmpeg writes (``<data_dir>/spool/live``)."""
    ladder: Ladder = LIVE_LADDER
    """Renditions to offer, capped at the source."""
    segment_s: float = 1.0
    """HLS segment length."""
    window: int = 20
    """Segments in the live sliding window (20 s at 1 s segments)."""
    encoder: EncoderSettings = field(default_factory=EncoderSettings)
    """x264 preset and the ffmpeg executable."""
    health_interval_s: float = 2.0
    """How often health figures are stored on the event."""
    poll_s: float = 0.2
    """How often the packager looks at the spool where nothing wakes it (no inotify); with
    inotify it publishes a segment the moment ffmpeg lists it."""


class LiveRuntime:
    """Admission gate for the RTMP ingest and owner of every stream in this process."""

    def __init__(
        self,
        service: LiveService,
        objects: ObjectStore,
        config: RuntimeConfig,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.service = service
        self.objects = objects
        self.config = config
        self.clock = clock
        self.instance = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.streams: dict[str, Stream] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        service.add_control_handler(self.on_control)
        self.on_segment: Callable[[str, str, Segment, float], None] | None = None
        """Test and benchmark hook: (event_id, rendition, segment, listed_at)."""
        self.on_flv: Callable[[str, bytes, bool, bool], None] | None = None
        """Push targets' tap (``live/targets/runner.py``): (event_id, framed FLV tag,
        keyframe, video) for every tag of an admitted publisher; must not block."""

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # ------------------------------------------------------------ admission

    async def admit(self, *, app: str, stream_key: str, remote: str) -> Stream | Refusal:
        """Admit or refuse one publish (the ingest's :class:`~culturecast.live.ingest.Gate`)."""
        refusal = admission.wrong_app(app)
        if refusal is not None:
            await self.service.record_refusal(None, refusal, remote)
            return refusal
        doc, stale = await self.service.find_by_key(stream_key)
        if doc is None:
            refusal = admission.unknown_key()
            await self.service.record_refusal(None, refusal, remote)
            return refusal
        if stale:
            refusal = admission.stale_key()
            await self.service.record_refusal(doc["_id"], refusal, remote)
            return refusal
        return await self._admit_doc(doc, remote)

    async def admit_event(self, event_id: str, *, remote: str) -> Stream | Refusal:
        """Admit the ingest's own feed of an event (a pull or playout source,
        ``live/sources/runner.py``): the same rules as a publish, decided by the event id."""
        doc = await self.service.events.get(event_id)
        if doc is None:
            return admission.unknown_key()
        return await self._admit_doc(doc, remote)

    async def _admit_doc(self, doc: dict[str, Any], remote: str) -> Stream | Refusal:
        event_id = doc["_id"]
        stream = self.streams.get(event_id)
        status = Status(doc["status"])
        if stream is not None and status is Status.ENDED:  # ended elsewhere (API fallback)
            await stream.apply(stream.session.ended_elsewhere())
            stream = None
        publishing = stream is not None and stream.connected
        facts = admission.EventFacts(event_id, status, bool(doc.get("disabled")), publishing)
        refusal = admission.decide(facts)
        if refusal is None and not await self._claim(event_id):
            refusal = admission.decide(
                admission.EventFacts(event_id, status, facts.disabled, publishing=True)
            )
        if refusal is not None:
            await self.service.record_refusal(event_id, refusal, remote)
            return refusal
        if stream is None:
            session = Session.resume(
                event_id,
                status,
                grace_s=float(doc.get("reconnect_grace_s") or self.service.default_grace_s),
                disabled=bool(doc.get("disabled")),
                started_at=doc.get("started_at"),
            )
            mode = mode_of(doc, self.service.default_latency_mode)
            stream = self.streams[event_id] = Stream(self, event_id, session, mode)
        stream.connect(remote)
        log.info("live: publish admitted for event %s from %s", event_id, remote)
        return stream

    def _flag(self, event_id: str) -> str:
        return f"live:publishing:{event_id}"

    async def _claim(self, event_id: str) -> bool:
        counters = self.service.counters
        return bool(
            await counters.set_flag(self._flag(event_id), PUBLISHER_FLAG_TTL_S, self.instance)
        )

    async def release(self, event_id: str) -> None:
        counters = self.service.counters
        if await counters.get_flag(self._flag(event_id)) == self.instance:
            await counters.delete(self._flag(event_id))

    async def refresh(self, event_id: str) -> None:
        await self.service.counters.expire(self._flag(event_id), PUBLISHER_FLAG_TTL_S)

    # ------------------------------------------------------------ control

    async def on_control(self, event_id: str, action: str) -> None:
        """``stop``/``disable`` requested by an api process."""
        stream = self.streams.get(event_id)
        if stream is None:
            return
        now = self.clock()
        if action == "stop":
            await stream.apply(stream.session.stop(now, StopReason.STOPPED))
        elif action == "disable":
            await stream.apply(stream.session.set_disabled(True, now))

    async def recover(self) -> None:
        """Adopt events left on air by an ingest that is gone (or by this one before a
        restart): wait for their publisher until the grace period is over, then end them, so
        no event stays "live" forever. Another ingest's event is safe: its publisher holds
        the flag, and ending is compare-and-set on the status."""
        now = self.clock()
        for doc in await self.service.events.on_air():
            event_id = doc["_id"]
            if event_id in self.streams or await self.service.counters.get_flag(
                self._flag(event_id)
            ):
                continue
            grace = float(doc.get("reconnect_grace_s") or self.service.default_grace_s)
            session = Session.resume(
                event_id, Status(doc["status"]), grace_s=grace, started_at=doc.get("started_at")
            )
            mode = mode_of(doc, self.service.default_latency_mode)
            stream = self.streams[event_id] = Stream(self, event_id, session, mode)
            log.warning("live: event %s was left on air; waiting for its publisher", event_id)
            await stream.apply(
                session.left_on_air(
                    now, left_at=doc.get("left_at"), deadline=doc.get("reconnect_deadline")
                )
            )

    async def close(self) -> None:
        """Process shutdown: drop publishers and transcoders; events stay for a new ingest."""
        for stream in list(self.streams.values()):
            await stream.shutdown()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


class Stream:
    """One event on air in this process (and the ingest's Publisher for it)."""

    def __init__(
        self,
        runtime: LiveRuntime,
        event_id: str,
        session: Session,
        mode: LatencyMode = LatencyMode.STANDARD,
    ) -> None:
        self.runtime = runtime
        self.mode = mode
        self.event_id = event_id
        self.session = session
        self.connected = False
        self.remote = ""
        self.lock = asyncio.Lock()
        self.spool = runtime.config.spool_dir / event_id
        shutil.rmtree(self.spool, ignore_errors=True)  # leftovers of an earlier process
        knobs: dict[str, Any] = {
            "segment_s": runtime.config.segment_s,
            "window": runtime.config.window,
            "poll_s": runtime.config.poll_s,
            "clock": runtime.clock,
            "on_segment": self._segment_listed,
        }
        self.packager: Packager
        if mode is LatencyMode.LOW:
            self.packager = LowLatencyPackager(
                event_id,
                runtime.objects,
                part_s=runtime.config.segment_s / PARTS_PER_SEGMENT,
                announce=self._announce_part,
                **knobs,
            )
        else:
            self.packager = Packager(event_id, runtime.objects, **knobs)
        self.run_no = 0
        self.transcoder: Transcoder | None = None
        self.alive: set[Transcoder] = set()
        self.plan: list[PlannedRung] | None = None
        self.shedder: Shedder | None = None
        """Overload: which rungs of ``plan`` the runs encode (:mod:`culturecast.live.overload`)."""
        self.source: SourceInfo | None = None
        self._disconnect: Callable[[str, str], None] | None = None
        self._grace: asyncio.Task[None] | None = None
        self._health_task: asyncio.Task[None] | None = None
        self.timeline: list[tuple[float, float]] = []
        """``(wall, media)`` at each listed segment that added media (``core/mediatime.py``):
        saved with the recording so its replay places comments by media time."""
        self._reset_publisher_state()

    async def _announce_part(self, playlist_key: str, msn: int, part: int) -> None:
        """Wake the blocked playlist reloads of every api process (``media/delivery.py``)."""
        await self.runtime.service.counters.publish(
            PART_CHANNEL, part_message(playlist_key, msn, part)
        )

    def _reset_publisher_state(self) -> None:
        self.gop = GopBuffer()
        self.first = FirstGop(self.runtime.config.segment_s)
        self.pending: list[bytes] | None = []
        self.health = HealthMeter()
        self.metadata: dict[str, object] = {}
        self.avc: AvcConfig | None = None
        self.aac: AacConfig | None = None
        self.refused = False
        self.went_live = False
        self.want_transcoder = False

    # ------------------------------------------------------------ Publisher protocol

    def connect(self, remote: str) -> None:
        self.connected = True
        self.remote = remote
        self._reset_publisher_state()
        self.plan = None
        self._health_task = self.runtime.spawn(self._health_loop())

    def bind(self, disconnect: Callable[[str, str], None]) -> None:
        self._disconnect = disconnect

    def on_bytes(self, count: int, now: float) -> None:
        self.health.on_bytes(count, now)

    def on_metadata(self, values: dict[str, object]) -> None:
        self.metadata = values

    def check_codec(self, kind: str, codec: str) -> Refusal | None:
        if kind == "video":
            self.health.video_codec = codec
        else:
            self.health.audio_codec = codec
        refusal = admission.check_codec(kind, codec)
        if refusal is not None:
            self.refused = True
            self.runtime.spawn(
                self.runtime.service.record_refusal(self.event_id, refusal, self.remote)
            )
        return refusal

    def on_tag(self, tag_type: int, timestamp: int, data: bytes, now: float) -> None:
        if self.refused or tag_type not in (flv.TAG_AUDIO, flv.TAG_VIDEO, flv.TAG_SCRIPT):
            return
        video = tag_type == flv.TAG_VIDEO
        keyframe = video and flv.is_keyframe(data) and not flv.is_sequence_header(tag_type, data)
        if tag_type != flv.TAG_SCRIPT:
            self.health.on_tag(tag_type, timestamp, keyframe, now)
            if flv.is_sequence_header(tag_type, data):
                self._read_config(tag_type, data)
        framed = self.gop.add(tag_type, timestamp, data)
        if self.runtime.on_flv is not None:
            self.runtime.on_flv(self.event_id, framed, keyframe, video)
        if self.pending is not None:
            # Before the first run: hold everything from the first keyframe on, so the show
            # starts at its beginning; sequence headers and metadata go in the prelude.
            ready = not self.went_live and self.first.add(tag_type, timestamp, data)
            if tag_type != flv.TAG_SCRIPT and not flv.is_sequence_header(tag_type, data):
                if self.first.first_keyframe_ms is not None or not self.gop.has_video:
                    self.pending.append(framed)
                else:
                    self.health.on_dropped()
            if ready:
                self.went_live = True
                self.runtime.spawn(self.apply(self.session.publish_started(now)))
            return
        transcoder = self.transcoder
        if (
            transcoder is not None
            and not transcoder.stopping
            and not transcoder.feed(framed, keyframe=keyframe, video=video)
        ):
            self.health.on_dropped()

    def left(self, reason: str, now: float) -> None:
        if not self.connected:
            return
        self.connected = False
        log.info("live: publisher of event %s left (%s)", self.event_id, reason)
        if self._health_task is not None:
            self._health_task.cancel()
        self.runtime.spawn(self.runtime.release(self.event_id))
        if self.went_live:
            self.runtime.spawn(self.apply(self.session.publisher_left(now)))
        elif not self.session.live:
            self.pending = []

    # ------------------------------------------------------------ decisions

    async def apply(self, decisions: list[sessions.Decision]) -> None:
        """Perform decisions in order (one stream at a time)."""
        async with self.lock:
            for decision in decisions:
                try:
                    if not await self._perform(decision):
                        return
                except Exception:
                    log.exception("live: event %s: %s failed", self.event_id, decision)

    async def _perform(self, d: sessions.Decision) -> bool:
        service = self.runtime.service
        if isinstance(d, sessions.Persist):
            if await service.events.save_session(self.event_id, d.fields) is None:
                log.warning(
                    "live: event %s was ended elsewhere; dropping the stream", self.event_id
                )
                for then in self.session.ended_elsewhere():
                    if not await self._perform(then):
                        break
                return False
        elif isinstance(d, sessions.StandDown):
            await self.packager.close()
            self.runtime.streams.pop(self.event_id, None)
            return False
        elif isinstance(d, sessions.StartTranscoder):
            self.runtime.spawn(self._start_run(d.delay_s))
        elif isinstance(d, sessions.StopTranscoder):
            await self._stop_transcoder()
        elif isinstance(d, sessions.DisconnectPublisher):
            if self._disconnect is not None:
                self._disconnect(d.code, d.message)
        elif isinstance(d, sessions.StartGraceTimer):
            if self._grace is not None:
                self._grace.cancel()
            self._grace = self.runtime.spawn(self._grace_timer(d.deadline))
        elif isinstance(d, sessions.CancelGraceTimer):
            if self._grace is not None and self._grace is not asyncio.current_task():
                self._grace.cancel()
            self._grace = None
        elif isinstance(d, sessions.EndPlaylists):
            await self.packager.finish()
            await service.events.save_media_duration(self.event_id, self.packager.media_duration())
            await service.events.save_media_timeline(self.event_id, self.timeline)
        elif isinstance(d, sessions.QueueReplay):
            await service.queue_replay(self.event_id)
        elif isinstance(d, sessions.Notify):
            await service.publish_status(self.event_id, d.status.value)
            if d.status is Status.ENDED:
                self.runtime.streams.pop(self.event_id, None)
                shutil.rmtree(self.spool, ignore_errors=True)
        return True

    async def _grace_timer(self, deadline: float) -> None:
        await asyncio.sleep(max(0.0, deadline - self.runtime.clock()))
        await self.apply(self.session.tick(self.runtime.clock()))

    # ------------------------------------------------------------ transcoder runs

    def _read_config(self, tag_type: int, data: bytes) -> None:
        try:
            if tag_type == flv.TAG_VIDEO and flv.video_codec(data) == "h264":
                self.avc = parse_avc_sequence_header(data)
                self.health.width, self.health.height = self.avc.width, self.avc.height
            elif tag_type == flv.TAG_AUDIO and flv.audio_codec(data) == "aac":
                self.aac = parse_aac_sequence_header(data)
        except (ValueError, IndexError) as exc:
            log.warning("live: event %s: unreadable decoder config: %s", self.event_id, exc)

    def _make_plan(self) -> list[PlannedRung]:
        config = self.runtime.config
        source = source_info(
            metadata=self.metadata,
            video_codec=self.health.video_codec if self.gop.has_video else None,
            audio_codec=self.health.audio_codec if self.gop.has_audio else None,
            avc=self.avc,
            aac=self.aac,
            measured_fps=self.first.fps,
            measured_video_kbps=self.first.video_kbps,
        )
        if source.has_video and (source.width <= 0 or source.height <= 0):
            raise ValueError("the picture size is unknown (no SPS, no metadata)")
        self.source = source
        if self.health.width is None:
            self.health.width, self.health.height = source.width, source.height
        planned = plan_ladder(
            config.ladder,
            source,
            live=True,
            segment_s=config.segment_s,
            keyframe_interval_s=self.first.keyframe_interval_s,
        )
        log.info(
            "live: event %s: source %dx%d %s/%s kf=%s → %s",
            self.event_id,
            source.width,
            source.height,
            source.video_codec,
            source.audio_codec,
            self.first.keyframe_interval_s,
            ", ".join(f"{r.name}{'(copy)' if r.passthrough else ''}" for r in planned),
        )
        return planned

    async def _start_run(self, delay_s: float) -> None:
        if delay_s:
            await asyncio.sleep(delay_s)
        async with self.lock:
            if not self.connected or not self.session.live:
                return
            if self.transcoder is not None and not self.transcoder.stopping:
                return
            first = self.pending is not None
            if self.plan is None:
                try:
                    self.plan = self._make_plan()
                except ValueError as exc:
                    log.warning("live: event %s: cannot plan: %s", self.event_id, exc)
                    if self._disconnect is not None:
                        self._disconnect("unreadable_stream", f"无法识别视频参数。{exc}")
                    return
            assert self.source is not None
            if self.shedder is None or self.shedder.plan != self.plan:
                self.shedder = Shedder.for_plan(self.plan)
            ladder = self.shedder.ladder()
            self.run_no += 1
            run_dir = self.spool / f"run-{self.run_no}"
            run_dir.mkdir(parents=True, exist_ok=True)
            config = self.runtime.config
            low = self.mode is LatencyMode.LOW
            command = live_hls_command(
                ladder.planned,
                self.source,
                str(run_dir),
                config.segment_s,
                settings=config.encoder,
                part_s=config.segment_s / PARTS_PER_SEGMENT if low else None,
            )
            transcoder = Transcoder(command, label=f"event {self.event_id} run {self.run_no}")
            transcoder.on_progress = lambda p: self._on_progress(transcoder, p)
            self.packager.add_run(
                self.run_no, run_dir, ladder.planned, offered=self.plan, stand_ins=ladder.stand_ins
            )
            try:
                await transcoder.spawn()
            except OSError as exc:
                log.error("live: event %s: ffmpeg cannot start: %s", self.event_id, exc)
                return
            # No await between here and the assignment: every tag lands either in what is
            # written now or in a later feed().
            if first and self.pending is not None:
                initial = b"".join([self.gop.prelude(), *self.pending])
                self.pending = None
            else:
                initial = self.gop.replay()
                self.health.on_transcoder_restart()
            transcoder.write_initial(initial)
            self.shedder.run_started(self.runtime.clock())
            self.transcoder = transcoder
            self.alive.add(transcoder)
            self.runtime.spawn(self._watch(transcoder, self.run_no))

    async def _watch(self, transcoder: Transcoder, run_no: int) -> None:
        code = await transcoder.wait()
        self.alive.discard(transcoder)
        await self.packager.close_run(run_no)
        if transcoder.stopping:
            return
        log.warning(
            "live: event %s: ffmpeg run %d exited with %s; last output: %s",
            self.event_id,
            run_no,
            code,
            " | ".join(list(transcoder.stderr_tail)[-5:]) or "(none)",
        )
        if self.transcoder is transcoder:
            self.transcoder = None
        await self.apply(self.session.transcoder_exited(self.runtime.clock()))

    def _on_progress(self, transcoder: Transcoder, progress: Progress) -> None:
        self.health.on_progress(progress.speed, progress.fps, progress.drop_frames)
        shedder = self.shedder
        if shedder is None or transcoder is not self.transcoder or transcoder.stopping:
            return
        change = shedder.progress(self.runtime.clock(), progress.out_time_s, progress.speed)
        policy = shedder.policy
        self.health.on_ladder(shedder.speed, shedder.shed_names, policy.sheds, policy.restores)
        if change is None:
            return
        log.warning(
            "live: event %s: encoding at %.2fx real time; %s → %s",
            self.event_id,
            change.speed,
            "shedding a rung" if change.action is Action.SHED else "restoring a rung",
            ", ".join(r.name for r in shedder.ladder().planned),
        )
        self.runtime.spawn(self._restart_run(transcoder))

    async def _restart_run(self, transcoder: Transcoder) -> None:
        """Overload changed the ladder: the current run ends, a new one starts on the new
        ladder from the buffered GOP (a discontinuity in every playlist)."""
        async with self.lock:
            if self.transcoder is not transcoder:
                return
            self.transcoder = None
            # A starved ffmpeg may take long to write its last segment; the new run starts
            # from the buffered GOP anyway.
            await transcoder.stop(grace_s=SHED_STOP_GRACE_S)
        await self._start_run(0)

    async def _stop_transcoder(self) -> None:
        transcoder, self.transcoder = self.transcoder, None
        if transcoder is not None:
            await transcoder.stop()

    def _segment_listed(self, rendition: str, segment: Segment, listed_at: float) -> None:
        media = self.packager.media_duration()
        if not self.timeline or media > self.timeline[-1][1]:
            self.timeline.append((round(listed_at, 3), round(media, 3)))
        hook = self.runtime.on_segment
        if hook is not None:
            hook(self.event_id, rendition, segment, listed_at)

    # ------------------------------------------------------------ health

    async def _health_loop(self) -> None:
        service = self.runtime.service

        async def store() -> None:
            now = self.runtime.clock()
            await service.events.save_health(self.event_id, self.health.snapshot(now), now)
            await self.runtime.refresh(self.event_id)

        name = f"live: event {self.event_id}: storing health"
        await Periodic(name, self.runtime.config.health_interval_s, store, logger=log).run()

    async def shutdown(self) -> None:
        if self._disconnect is not None and self.connected:
            self._disconnect("shutdown", "推流服务器正在重启，请重新连接。The ingest restarts.")
        if self._grace is not None:
            self._grace.cancel()
        self.transcoder = None
        for transcoder in list(self.alive):
            await transcoder.stop(grace_s=5.0)
        await self.packager.close()
