"""The packager of a low-latency event (LL-HLS): ffmpeg writes fMP4 fragments of a part's
length (``transcode.command.live_hls_command(part_s=…)``); every one is uploaded as a part
(``part_<msn>_<i>.m4s``) the moment ffmpeg lists it, the live playlist is rewritten with it
(:mod:`culturecast.live.ll_playlist`), and the part is announced (``announce``: the counters'
pub/sub, which wakes blocked playlist reloads in every api process). A part that starts with
a keyframe, once the open segment is about a segment long, closes that segment: its parts
joined are uploaded as ``seg_<msn>.m4s`` and listed whole (event playlist, replay), so
players without LL support play the same playlists.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from culturecast.core.hls import SEGMENT_CACHE
from culturecast.core.llhls import INIT_NAME
from culturecast.live import playlist
from culturecast.live.cmaf import starts_with_keyframe, video_track_id
from culturecast.live.ll_playlist import OpenSegment, Part, ll_live_playlist
from culturecast.live.packager import Packager, _Rendition, _Run
from culturecast.live.playlist import Segment
from culturecast.storage.objects.port import ObjectStore
from culturecast.transcode.command import PLAYLIST_NAME
from culturecast.transcode.ladder import PlannedRung

log = logging.getLogger("culturecast.live.ll_packager")

CMAF_TYPE = "video/iso.segment"
INIT_TYPE = "video/mp4"
PARTS_PER_SEGMENT = 3
"""Parts of a segment: 1 s segments in parts of a third of a second (RFC 8216bis suggests
parts of 0.2–0.5 s... a player holds back three parts, so one second)."""
PARTS_KEPT = 4
"""Segments whose parts stay listed (RFC 8216bis: at least the last three target durations)."""

type Announce = Callable[[str, int, int], Awaitable[None]]
"""``announce(playlist_key, msn, part)``: a part is in that playlist now."""


@dataclass(slots=True)
class _Parts:
    map_uri: str | None = None
    video_track: int | None = None
    open: OpenSegment | None = None
    open_bytes: list[bytes] = field(default_factory=list)
    recent: list[Part] = field(default_factory=list)


class LowLatencyPackager(Packager):
    """A :class:`Packager` whose renditions are CMAF segments made of parts."""

    def __init__(
        self,
        event_id: str,
        objects: ObjectStore,
        *,
        part_s: float = 1 / 3,
        announce: Announce | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(event_id, objects, **kwargs)
        self.part_s = part_s
        self.announce = announce
        self._parts: dict[str, _Parts] = {}

    async def _before_end(self) -> None:
        for name in list(self._parts):
            await self._close_segment(name)

    async def _publish(
        self, run: _Run, name: str, rung: PlannedRung, entries: Sequence[playlist.Entry]
    ) -> None:
        done = run.published.get(name, 0)
        rendition = await self._rendition(name)
        state = self._parts.setdefault(name, _Parts())
        if done == 0 and entries:
            await self._close_segment(name)
            rendition.pending_discontinuity = bool(rendition.segments)
            rendition.independent = rendition.independent and rung.independent
            if not await self._upload_init(run, name, rung, entries[0], state):
                return
        for entry in entries[done:]:
            source = run.directory / rung.name / entry.uri
            try:
                data = await asyncio.to_thread(source.read_bytes)
            except FileNotFoundError:
                log.warning("live: part %s vanished before upload", source)
                run.published[name] = run.published.get(name, 0) + 1
                continue
            keyframe = starts_with_keyframe(data, state.video_track)
            open_seg = state.open
            if open_seg is not None and open_seg.parts:
                long_enough = open_seg.duration + entry.duration / 2 >= self.segment_s
                if long_enough and (keyframe or not rendition.independent):
                    await self._close_segment(name)
            if state.open is None:
                sequence = rendition.segments[-1].sequence + 1 if rendition.segments else 0
                assert state.map_uri is not None
                state.open = OpenSegment(
                    sequence,
                    state.map_uri,
                    rendition.pending_discontinuity,
                    entry.program_date_time or self.clock() - entry.duration,
                )
                rendition.pending_discontinuity = False
            open_seg = state.open
            part = Part(open_seg.msn, len(open_seg.parts), entry.duration, keyframe)
            await self.objects.put(self.prefix(name) + part.name, data, CMAF_TYPE, SEGMENT_CACHE)
            open_seg.parts.append(part)
            state.open_bytes.append(data)
            run.published[name] = run.published.get(name, 0) + 1
            await self._write_playlists(name)
            await self._announce(name, part)

    async def _upload_init(
        self, run: _Run, name: str, rung: PlannedRung, first: playlist.Entry, state: _Parts
    ) -> bool:
        if first.map_uri is None:
            log.warning("live: event %s: %s lists no EXT-X-MAP", self.event_id, rung.name)
            return False
        try:
            init = await asyncio.to_thread((run.directory / rung.name / first.map_uri).read_bytes)
        except FileNotFoundError:
            return False
        state.map_uri = INIT_NAME.format(run.number)
        state.video_track = video_track_id(init)
        await self.objects.put(self.prefix(name) + state.map_uri, init, INIT_TYPE, SEGMENT_CACHE)
        return True

    async def _close_segment(self, name: str) -> None:
        state = self._parts.get(name)
        if state is None or state.open is None or not state.open.parts:
            return
        open_seg, body = state.open, b"".join(state.open_bytes)
        segment = Segment(
            open_seg.msn,
            open_seg.duration,
            open_seg.program_date_time,
            open_seg.discontinuity,
            open_seg.map_uri,
        )
        await self.objects.put(self.prefix(name) + segment.name, body, CMAF_TYPE, SEGMENT_CACHE)
        rendition = self._renditions[name]
        rendition.segments.append(segment)
        state.recent = [
            p for p in state.recent if p.msn > segment.sequence - PARTS_KEPT
        ] + open_seg.parts
        state.open, state.open_bytes = None, []
        if self.on_segment is not None:
            self.on_segment(name, segment, self.clock())

    async def _announce(self, name: str, part: Part) -> None:
        if self.announce is None:
            return
        try:
            await self.announce(self.prefix(name) + PLAYLIST_NAME, part.msn, part.index)
        except Exception:
            log.warning("live: event %s: could not announce a part", self.event_id, exc_info=True)

    def _live_text(self, name: str, rendition: _Rendition) -> str:
        state = self._parts.get(name) or _Parts()
        return ll_live_playlist(
            rendition.segments,
            state.recent,
            state.open,
            window=self.window,
            nominal_s=self.segment_s,
            part_s=self.part_s,
            ended=self._ended,
            independent=rendition.independent,
        )
