"""HLS media playlists of a live event (RFC 8216), read from ffmpeg and written by us.

ffmpeg writes, per rendition and per transcoder run, an event playlist into the spool; the
packager reads it (:func:`parse_media_playlist`), gives every segment our own continuous
number across runs, and writes three playlists to the object store:

* ``index.m3u8`` — the sliding window live viewers poll (:func:`live_playlist`),
* ``event.m3u8`` — every segment since the start, the recording (:func:`event_playlist`),
* ``replay/<rendition>/index.m3u8`` — the replay, once ended (:func:`vod_playlist`).

Each run after the first starts with EXT-X-DISCONTINUITY (RFC 8216 §4.3.2.3): timestamps,
and possibly encoding parameters, change when ffmpeg restarts or the publisher reconnects.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from culturecast.core.llhls import CMAF_SEGMENT_NAME

SEGMENT_NAME = "seg_{:06d}.ts"
"""Our segment names inside a rendition (numbering continues across runs)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """A segment line of a playlist as read."""

    uri: str
    """As written (relative file name for ffmpeg's playlists)."""
    duration: float
    """EXTINF duration in seconds."""
    program_date_time: float | None = None
    """EXT-X-PROGRAM-DATE-TIME of the segment, epoch seconds."""
    discontinuity: bool = False
    """Preceded by EXT-X-DISCONTINUITY."""
    map_uri: str | None = None
    """The EXT-X-MAP (fMP4 initialization section) in force for it."""


@dataclass(frozen=True, slots=True)
class Segment:
    """One published segment of a rendition."""

    sequence: int
    """Our media sequence number (from 0, continuous across runs)."""
    duration: float
    """Seconds."""
    program_date_time: float | None = None
    """Wall-clock time of its first frame (epoch seconds)."""
    discontinuity: bool = False
    """First segment of a run after the first."""
    map_uri: str | None = None
    """CMAF (low-latency mode): the EXT-X-MAP initialization section's name; None for
    MPEG-TS."""

    @property
    def name(self) -> str:
        """Its object name within the rendition."""
        if self.map_uri is not None:
            return CMAF_SEGMENT_NAME.format(self.sequence)
        return SEGMENT_NAME.format(self.sequence)


@dataclass(frozen=True, slots=True)
class ParsedPlaylist:
    """A media playlist as read."""

    entries: list[Entry]
    """Segments in order."""
    ended: bool
    """EXT-X-ENDLIST was present."""
    media_sequence: int = 0
    """EXT-X-MEDIA-SEQUENCE."""
    independent: bool = False
    """EXT-X-INDEPENDENT-SEGMENTS was present (every segment starts on a keyframe)."""


def parse_pdt(value: str) -> float | None:
    """RFC 8216 §4.3.2.6 date-time (ffmpeg writes ``+0000``, others ``Z`` or ``+08:00``)."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = text[:-2] + ":" + text[-2:]
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def format_pdt(epoch: float) -> str:
    """``2026-05-01T12:00:00.000Z``."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_media_playlist(text: str) -> ParsedPlaylist:
    """Segments of a media playlist; tolerant of tags it does not know."""
    entries: list[Entry] = []
    duration: float | None = None
    pdt: float | None = None
    discontinuity = False
    ended = False
    independent = False
    media_sequence = 0
    map_uri: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#EXTINF:"):
            try:
                duration = float(line[8:].split(",", 1)[0])
            except ValueError:
                duration = None
        elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            pdt = parse_pdt(line.partition(":")[2])
        elif line == "#EXT-X-DISCONTINUITY":
            discontinuity = True
        elif line == "#EXT-X-ENDLIST":
            ended = True
        elif line.startswith("#EXT-X-MAP:"):
            _, _, rest = line.partition('URI="')
            map_uri = rest.partition('"')[0] or None
        elif line == "#EXT-X-INDEPENDENT-SEGMENTS":
            independent = True
        elif line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            try:
                media_sequence = int(line.partition(":")[2])
            except ValueError:
                media_sequence = 0
        elif not line.startswith("#"):
            if duration is not None:
                entries.append(Entry(line, duration, pdt, discontinuity, map_uri))
            duration, pdt, discontinuity = None, None, False
    return ParsedPlaylist(entries, ended, media_sequence, independent)


def target_duration(segments: Sequence[Segment], nominal_s: float) -> int:
    """RFC 8216 §4.3.3.1: every EXTINF rounded to the nearest integer is at most this."""
    longest = max((s.duration for s in segments), default=nominal_s)
    return max(1, math.ceil(nominal_s), round(longest))


def _segment_lines(
    segments: Sequence[Segment], prefix: str, first: bool, map_uri: str | None = None
) -> list[str]:
    """``map_uri``: the EXT-X-MAP in force before the first of ``segments``."""
    lines: list[str] = []
    for i, seg in enumerate(segments):
        if seg.discontinuity and not (first and i == 0 and seg.sequence == 0):
            lines.append("#EXT-X-DISCONTINUITY")
        if seg.map_uri is not None and seg.map_uri != map_uri:
            lines.append(f'#EXT-X-MAP:URI="{prefix}{seg.map_uri}"')
            map_uri = seg.map_uri
        if seg.program_date_time is not None:
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{format_pdt(seg.program_date_time)}")
        lines.append(f"#EXTINF:{seg.duration:.6f},")
        lines.append(prefix + seg.name)
    return lines


def version(segments: Sequence[Segment]) -> int:
    """RFC 8216 §7: EXT-X-MAP outside an I-frame playlist needs version 6."""
    return 6 if any(s.map_uri is not None for s in segments) else 3


def _head(version: int, target: int, independent: bool) -> list[str]:
    # RFC 8216 §4.3.5.1: only when every segment starts on a keyframe; a copied rung cut by
    # time between the source's keyframes has segments that need the one before.
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{version}"]
    if independent:
        lines.append("#EXT-X-INDEPENDENT-SEGMENTS")
    return [*lines, f"#EXT-X-TARGETDURATION:{target}"]


def live_playlist(
    segments: Sequence[Segment],
    *,
    window: int,
    nominal_s: float,
    ended: bool,
    independent: bool = True,
) -> str:
    """The sliding window for live viewers: the last ``window`` segments.

    RFC 8216 §6.2.2: the media sequence is the first listed segment's number, and the
    discontinuity sequence counts the EXT-X-DISCONTINUITY tags that slid out of the window.
    """
    shown = list(segments[-window:]) if window > 0 else list(segments)
    first = shown[0].sequence if shown else (segments[-1].sequence + 1 if segments else 0)
    slid_out = sum(1 for s in segments if s.sequence < first and s.discontinuity)
    lines = _head(version(shown), target_duration(shown, nominal_s), independent)
    lines.append(f"#EXT-X-MEDIA-SEQUENCE:{first}")
    if slid_out:
        lines.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{slid_out}")
    lines += _segment_lines(shown, "", first=True)
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def event_playlist(
    segments: Sequence[Segment], *, nominal_s: float, ended: bool, independent: bool = True
) -> str:
    """Every segment since the start (RFC 8216 §4.3.3.5 EVENT): the recording."""
    lines = _head(version(segments), target_duration(segments, nominal_s), independent)
    lines += ["#EXT-X-PLAYLIST-TYPE:EVENT", "#EXT-X-MEDIA-SEQUENCE:0"]
    lines += _segment_lines(segments, "", first=True)
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


class EventLines:
    """The recording's segment lines, formatted once each: the packager rewrites
    ``event.m3u8`` after every segment, and formatting a 2-hour show's 7,200 one-second
    segments anew each time took 50 ms per rendition, every second, on the ingest's loop."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._count = 0
        self._longest = 0.0
        self._map: str | None = None

    def extend(self, segments: Sequence[Segment]) -> None:
        """Format the segments after those already formatted."""
        for i, seg in enumerate(segments[self._count :], start=self._count):
            self._lines += _segment_lines([seg], "", first=i == 0, map_uri=self._map)
            self._map = seg.map_uri or self._map
            self._longest = max(self._longest, seg.duration)
        self._count = max(self._count, len(segments))

    def text(
        self, segments: Sequence[Segment], *, nominal_s: float, ended: bool, independent: bool
    ) -> str:
        """:func:`event_playlist` of ``segments`` (which only ever grow)."""
        self.extend(segments)
        target = max(1, math.ceil(nominal_s), round(self._longest)) if segments else None
        head_version = version(segments[:1])
        lines = _head(head_version, target or target_duration(segments, nominal_s), independent)
        lines += ["#EXT-X-PLAYLIST-TYPE:EVENT", "#EXT-X-MEDIA-SEQUENCE:0", *self._lines]
        if ended:
            lines.append("#EXT-X-ENDLIST")
        return "\n".join(lines) + "\n"


def vod_playlist(
    segments: Sequence[Segment], *, nominal_s: float, prefix: str, independent: bool = True
) -> str:
    """The replay of a rendition (RFC 8216 §4.3.3.5 VOD), segment URIs prefixed by ``prefix``
    (``../../720p/`` from ``replay/720p/index.m3u8``)."""
    lines = _head(version(segments), target_duration(segments, nominal_s), independent)
    lines += ["#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-MEDIA-SEQUENCE:0"]
    lines += _segment_lines(segments, prefix, first=True)
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def segments_from(parsed: ParsedPlaylist) -> list[Segment]:
    """Our own playlist read back (``event.m3u8``): segment numbers from the names."""
    segments: list[Segment] = []
    for entry in parsed.entries:
        name = entry.uri.rsplit("/", 1)[-1]
        stem, dot, extension = name.rpartition(".")
        cmaf = extension == "m4s" and entry.map_uri is not None
        if not (dot and stem.startswith("seg_") and stem[4:].isdigit()) or not (
            extension == "ts" or cmaf
        ):
            raise ValueError(f"not one of our segment names: {entry.uri!r}")
        map_uri = entry.map_uri.rsplit("/", 1)[-1] if cmaf and entry.map_uri else None
        segments.append(
            Segment(
                int(stem[4:]),
                entry.duration,
                entry.program_date_time,
                entry.discontinuity,
                map_uri,
            )
        )
    return segments
