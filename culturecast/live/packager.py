"""Publishes a live event's HLS from the spool to the object store as segments complete.

ffmpeg writes each transcoder run into its own spool directory (``run-<n>/<rendition>/``)
with ``temp_file`` (files appear only when complete). The moment ffmpeg renames a playlist
into place (:mod:`culturecast.live.spool_watch`: inotify), or at the latest every ``poll_s``
(the fallback where nothing wakes it), the packager reads each run's playlists, and for
every new segment, in order:

1. uploads the segment (``live/<event>/<rendition>/seg_<n>.ts``, immutable),
2. then rewrites the playlists that name it — ``index.m3u8`` (sliding window) and
   ``event.m3u8`` (the recording) — so no viewer is ever sent a segment that is not there,
3. and, once every rendition of the run has a segment, the master (our own, from the plan).

Segment numbers continue across runs; the first segment of every run after the first is
marked EXT-X-DISCONTINUITY. Runs are drained in order: a run's segments are published only
after the previous run was closed (its ffmpeg exited and its last files were read).
The numbering is recovered from ``event.m3u8`` in the store, so a restarted ingest process
continues an event where it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from culturecast.core.hls import (
    LIVE_PLAYLIST_CACHE,
    MASTER_CACHE,
    PLAYLIST_TYPE,
    SEGMENT_CACHE,
    SEGMENT_TYPE,
)
from culturecast.core.periodic import Periodic
from culturecast.live import playlist
from culturecast.live.playlist import Segment
from culturecast.live.spool_watch import SpoolWatch
from culturecast.storage.errors import ObjectNotFound
from culturecast.storage.objects.port import ObjectStore
from culturecast.transcode.command import PLAYLIST_NAME
from culturecast.transcode.ladder import PlannedRung
from culturecast.transcode.master import build_master

log = logging.getLogger("culturecast.live.packager")


@dataclass(slots=True)
class _Run:
    number: int
    directory: Path
    planned: list[PlannedRung]
    offered: list[PlannedRung]
    """What the master announces: the plan, or the whole ladder while rungs are shed."""
    stand_ins: dict[str, str] = field(default_factory=dict)
    """Shed rendition → the rendition of this run whose segments it carries meanwhile."""
    published: dict[str, int] = field(default_factory=dict)
    closed: bool = False
    drained: bool = False


@dataclass(slots=True)
class _Rendition:
    segments: list[Segment] = field(default_factory=list)
    pending_discontinuity: bool = False
    loaded: bool = False
    independent: bool = True
    recording: playlist.EventLines = field(default_factory=playlist.EventLines)


class Packager:
    """One event's uploader."""

    def __init__(
        self,
        event_id: str,
        objects: ObjectStore,
        *,
        segment_s: float = 1.0,
        window: int = 20,
        poll_s: float = 0.2,
        watch_poll_s: float = 2.0,
        clock: Callable[[], float] = time.time,
        on_segment: Callable[[str, Segment, float], None] | None = None,
    ) -> None:
        self.event_id = event_id
        self.objects = objects
        self.segment_s = segment_s
        self.window = window
        self.poll_s = poll_s
        self.watch_poll_s = watch_poll_s
        self.clock = clock
        self.on_segment = on_segment
        self._runs: list[_Run] = []
        self._renditions: dict[str, _Rendition] = {}
        self._master_plan: list[str] | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._ended = False
        self._watch: SpoolWatch | None = None

    def prefix(self, rendition: str = "") -> str:
        base = f"live/{self.event_id}/"
        return base + (f"{rendition}/" if rendition else "")

    # ------------------------------------------------------------ runs

    def add_run(
        self,
        number: int,
        directory: Path,
        planned: Sequence[PlannedRung],
        *,
        offered: Sequence[PlannedRung] | None = None,
        stand_ins: Mapping[str, str] | None = None,
    ) -> None:
        """A transcoder run started writing ``planned`` into ``directory``. While rungs are
        shed (:mod:`culturecast.live.overload`) the master still ``offered`` every rendition
        and each shed one carries the segments of its ``stand_ins`` entry, after a
        discontinuity, so a player on it plays on."""
        offer = list(offered) if offered is not None else list(planned)
        self._runs.append(_Run(number, directory, list(planned), offer, dict(stand_ins or {})))
        if self._watch is None:
            self._watch = SpoolWatch()
        self._watch.add(directory)
        if self._task is None:
            self._task = asyncio.create_task(self._loop())

    async def close_run(self, number: int) -> None:
        """The run's ffmpeg exited: publish what it left, then let later runs go."""
        for run in self._runs:
            if run.number == number:
                run.closed = True
        await self.poll()

    def media_duration(self) -> float:
        """Seconds of published media in the longest rendition."""
        return max(
            (sum(s.duration for s in r.segments) for r in self._renditions.values()), default=0.0
        )

    async def finish(self) -> None:
        """Every run closed: publish the rest, then EXT-X-ENDLIST on every playlist."""
        for run in self._runs:
            run.closed = True
        await self.poll()
        await self._stop()
        async with self._lock:
            await self._before_end()
            self._ended = True
            for name in self._renditions:
                await self._write_playlists(name)

    async def _before_end(self) -> None:
        """What a packager publishes last before EXT-X-ENDLIST (the low-latency one: the
        segments its open parts make). Called with the lock held."""

    async def close(self) -> None:
        """Stop polling (process shutdown) without ending the playlists."""
        await self._stop()

    async def _stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._watch is not None:
            self._watch.close()
            self._watch = None

    # ------------------------------------------------------------ polling

    async def _loop(self) -> None:
        # The store may be briefly unavailable; the next round retries what is left.
        name = f"live: packaging {self.event_id}"
        await Periodic(
            name, self.poll_s, self.poll, first_now=True, sleep=self._pause, logger=log
        ).run()

    async def _pause(self, poll_s: float) -> None:
        """Between rounds: until ffmpeg renames a playlist into place where inotify works
        (the timeout is only a safety net), else ``poll_s``."""
        watch = self._watch
        if watch is not None and watch.active:
            await watch.wait(self.watch_poll_s)
        else:
            await asyncio.sleep(poll_s)

    async def poll(self) -> None:
        """Publish every complete segment not yet published."""
        async with self._lock:
            for run in self._runs:
                if run.drained:
                    continue
                await self._scan(run)
                if not run.closed:
                    break  # later runs wait for this one
                run.drained = True

    async def _scan(self, run: _Run) -> None:
        for rung in run.planned:
            path = run.directory / rung.name / PLAYLIST_NAME
            try:
                text = await asyncio.to_thread(path.read_text)
            except (FileNotFoundError, NotADirectoryError):
                continue
            entries = playlist.parse_media_playlist(text).entries
            names = [rung.name, *(shed for shed, by in run.stand_ins.items() if by == rung.name)]
            fresh = len(entries) > run.published.get(rung.name, 0)
            for name in names:
                await self._publish(run, name, rung, entries)
            if fresh:
                await self._maybe_master(run)

    async def _publish(
        self, run: _Run, name: str, rung: PlannedRung, entries: Sequence[playlist.Entry]
    ) -> None:
        """The new ``entries`` of ``rung``'s playlist in this run, as segments of ``name``
        (the rung itself, or a shed rendition it stands in for)."""
        done = run.published.get(name, 0)
        rendition = await self._rendition(name)
        if done == 0 and entries:
            rendition.pending_discontinuity = bool(rendition.segments)
            # A run whose copied rung is cut between keyframes makes the whole recording
            # of that rendition dependent; one that was so stays so.
            rendition.independent = rendition.independent and rung.independent
        for entry in entries[done:]:
            source = run.directory / rung.name / entry.uri
            sequence = rendition.segments[-1].sequence + 1 if rendition.segments else 0
            segment = Segment(
                sequence,
                entry.duration,
                entry.program_date_time or self.clock() - entry.duration,
                rendition.pending_discontinuity,
            )
            key = self.prefix(name) + segment.name
            try:
                await self.objects.put_file(key, source, SEGMENT_TYPE, SEGMENT_CACHE)
            except FileNotFoundError:
                log.warning("live: segment %s vanished before upload", source)
                run.published[name] = run.published.get(name, 0) + 1
                continue
            rendition.pending_discontinuity = False
            rendition.segments.append(segment)
            run.published[name] = run.published.get(name, 0) + 1
            await self._write_playlists(name)
            if self.on_segment is not None:
                self.on_segment(name, segment, self.clock())

    async def _rendition(self, name: str) -> _Rendition:
        rendition = self._renditions.get(name)
        if rendition is None:
            rendition = self._renditions[name] = _Rendition()
        if not rendition.loaded:
            rendition.loaded = True
            # Continue an event this process did not start (ingest restart).
            try:
                text = (await self.objects.get(self.prefix(name) + "event.m3u8")).decode()
                parsed = playlist.parse_media_playlist(text)
                rendition.segments = playlist.segments_from(parsed)
                rendition.independent = parsed.independent
            except ObjectNotFound:
                pass
        return rendition

    def _live_text(self, name: str, rendition: _Rendition) -> str:
        """The rendition's live (window) playlist; the low-latency packager adds parts."""
        return playlist.live_playlist(
            rendition.segments,
            window=self.window,
            nominal_s=self.segment_s,
            ended=self._ended,
            independent=rendition.independent,
        )

    async def _write_playlists(self, name: str) -> None:
        rendition = self._renditions[name]
        segments = rendition.segments
        live = self._live_text(name, rendition)
        # The recording first: the window never names a segment the recording lacks.
        if not self._ended or segments:
            recording = rendition.recording.text(
                segments,
                nominal_s=self.segment_s,
                ended=self._ended,
                independent=rendition.independent,
            )
            await self.objects.put(
                self.prefix(name) + "event.m3u8",
                recording.encode(),
                PLAYLIST_TYPE,
                LIVE_PLAYLIST_CACHE,
            )
        await self.objects.put(
            self.prefix(name) + PLAYLIST_NAME, live.encode(), PLAYLIST_TYPE, LIVE_PLAYLIST_CACHE
        )

    async def _maybe_master(self, run: _Run) -> None:
        names = [r.name for r in run.offered]
        if names == self._master_plan:
            return
        if not all(self._renditions.get(n) and self._renditions[n].segments for n in names):
            return
        text = build_master(run.offered)
        await self.objects.put(
            self.prefix() + "master.m3u8", text.encode(), PLAYLIST_TYPE, MASTER_CACHE
        )
        self._master_plan = names
