"""The live media playlist of a low-latency event (LL-HLS, RFC 8216bis §4.4.4.9, §6.2.5).

Every segment is a CMAF (fMP4) segment, also listed whole (EXTINF + URI), so players without
LL support play the same playlist as an ordinary live one. For the recent segments and the
open one, its parts are listed too (EXT-X-PART, INDEPENDENT=YES on a part that starts with a
keyframe), then the part being written next (EXT-X-PRELOAD-HINT). EXT-X-SERVER-CONTROL says
the delivery holds blocking reloads (CAN-BLOCK-RELOAD) and how far behind the edge players
start (PART-HOLD-BACK, two part targets: the RFC's minimum, see :data:`HOLD_BACK_PARTS`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from culturecast.core.llhls import PART_NAME
from culturecast.live.playlist import Segment, _head, _segment_lines, format_pdt, target_duration

HOLD_BACK_PARTS = 2
"""PART-HOLD-BACK in part targets. RFC 8216bis §4.4.3.8: it MUST be at least two and SHOULD
be at least three. Two, because the third part is a third of a second of every viewer's
latency, the low mode's whole point (issue 13: ≤ 2 s glass to glass): measured with
``bench/bench_glass_to_glass.py --modes low`` on one quiet run each, three parts gave a 2.12 s
median (p90 2.73), two 1.92 s (p90 2.05), neither with a stall. A player that stalls moves
back by itself (hls.js ``liveSyncOnStallIncrease``)."""


@dataclass(frozen=True, slots=True)
class Part:
    """One partial segment."""

    msn: int
    """The media segment it belongs to."""
    index: int
    """Its place in the segment, from 0."""
    duration: float
    independent: bool
    """Starts with a keyframe."""

    @property
    def name(self) -> str:
        return PART_NAME.format(self.msn, self.index)


@dataclass(slots=True)
class OpenSegment:
    """The segment being written: its parts so far."""

    msn: int
    map_uri: str
    discontinuity: bool = False
    program_date_time: float | None = None
    parts: list[Part] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return sum(p.duration for p in self.parts)


def part_target(part_s: float, parts: Sequence[Part]) -> float:
    """PART-TARGET: no part is longer (RFC 8216bis §4.4.4.9), at least the nominal length."""
    longest = max((p.duration for p in parts), default=part_s)
    return math.ceil(max(part_s, longest) * 1000) / 1000


def _part_line(part: Part) -> str:
    line = f'#EXT-X-PART:DURATION={part.duration:.5f},URI="{part.name}"'
    return line + (",INDEPENDENT=YES" if part.independent else "")


def ll_live_playlist(
    segments: Sequence[Segment],
    parts: Sequence[Part],
    open_segment: OpenSegment | None,
    *,
    window: int,
    nominal_s: float,
    part_s: float,
    ended: bool,
    independent: bool = True,
) -> str:
    """The sliding window of an LL event: the last ``window`` whole segments, the parts of
    those of them that ``parts`` still has, the open segment's parts and the preload hint.

    ``parts``: the recent parts of whole segments (older ones may be left out: RFC 8216bis
    asks for parts only within three target durations of the end)."""
    shown = list(segments[-window:]) if window > 0 else list(segments)
    pending = open_segment.parts if open_segment is not None and not ended else []
    first = shown[0].sequence if shown else (open_segment.msn if open_segment else 0)
    slid_out = sum(1 for s in segments if s.sequence < first and s.discontinuity)
    listed_parts = [p for p in parts if p.msn >= first] + list(pending)
    target = target_duration(shown, nominal_s)
    p_target = part_target(part_s, listed_parts)
    lines = _head(6, target, independent)
    if not ended:
        hold = HOLD_BACK_PARTS * p_target
        lines.append(f"#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK={hold:.3f}")
    lines.append(f"#EXT-X-PART-INF:PART-TARGET={p_target:.3f}")
    lines.append(f"#EXT-X-MEDIA-SEQUENCE:{first}")
    if slid_out:
        lines.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{slid_out}")
    by_msn: dict[int, list[Part]] = {}
    for part in parts:
        by_msn.setdefault(part.msn, []).append(part)
    map_uri: str | None = None
    for i, seg in enumerate(shown):
        seg_lines = _segment_lines([seg], "", first=i == 0 and seg.sequence == 0, map_uri=map_uri)
        map_uri = seg.map_uri or map_uri
        own = [_part_line(p) for p in by_msn.get(seg.sequence, [])]
        # Tags of the segment (discontinuity, map, date) first, then its parts, then EXTINF.
        lines += seg_lines[:-2] + own + seg_lines[-2:]
    if open_segment is not None and not ended:
        if open_segment.discontinuity and shown:
            lines.append("#EXT-X-DISCONTINUITY")
        if open_segment.map_uri != map_uri:
            lines.append(f'#EXT-X-MAP:URI="{open_segment.map_uri}"')
        if open_segment.program_date_time is not None and pending:
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{format_pdt(open_segment.program_date_time)}")
        lines += [_part_line(p) for p in pending]
        following = Part(open_segment.msn, len(pending), 0.0, False)
        lines.append(f'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="{following.name}"')
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"
