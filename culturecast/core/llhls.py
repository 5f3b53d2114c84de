"""Low-latency HLS (RFC 8216bis §6.2.5.2) rules shared by the packager and the delivery.

The packager (``live``) names parts and announces each one on :data:`PART_CHANNEL`; the
delivery (``media``) holds a blocking playlist reload (``_HLS_msn``/``_HLS_part``) until the
playlist it serves has that part. Both read the same names from here, and the decision is a
pure function of what the playlist shows and the clock.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum

PART_CHANNEL = "live:parts"
"""Pub/sub channel: one message per part written, ``{"key": <playlist key>, "msn", "part"}``."""

PART_NAME = "part_{:06d}_{:d}.m4s"
"""Part ``index`` of media segment ``msn`` within a rendition."""
CMAF_SEGMENT_NAME = "seg_{:06d}.m4s"
"""A whole CMAF segment (its parts, concatenated)."""
INIT_NAME = "init_{:d}.mp4"
"""The initialization section (EXT-X-MAP) of transcoder run ``n``."""

TIMEOUT_TARGETS = 3
"""A blocked reload waits at most this many target durations, then gets the playlist as it is."""
FUTURE_LIMIT = 2
"""``_HLS_msn`` more than this past the newest segment is refused (400, RFC 8216bis)."""

_PART_KEY = re.compile(r"(?:^|/)part_([0-9]+)_([0-9]+)\.m4s$")
_PART_URI = re.compile(r'URI="(?:[^"]*/)?part_([0-9]+)_([0-9]+)\.m4s"')
_SEGMENT_URI = re.compile(r"(?:^|/)seg_([0-9]+)\.(?:m4s|ts)$")


@dataclass(frozen=True, slots=True)
class Edge:
    """Where a live media playlist ends."""

    msn: int
    """Media sequence number of the newest (possibly open) segment."""
    part: int
    """Index of its newest part (-1: none listed)."""
    target_s: float
    """EXT-X-TARGETDURATION."""
    ended: bool


def part_message(playlist_key: str, msn: int, part: int) -> bytes:
    return json.dumps({"key": playlist_key, "msn": msn, "part": part}).encode()


def parse_part_message(raw: bytes) -> tuple[str, int, int] | None:
    try:
        message = json.loads(raw)
        return str(message["key"]), int(message["msn"]), int(message["part"])
    except (ValueError, KeyError, TypeError):
        return None


def edge_of(text: str) -> Edge | None:
    """The edge of a playlist we wrote; None when it lists nothing yet."""
    msn, part, target, ended = -1, -1, 1.0, False
    for line in text.splitlines():
        if line.startswith("#EXT-X-PART:"):
            found = _PART_URI.search(line)
            if found:
                m, p = int(found.group(1)), int(found.group(2))
                if (m, p) > (msn, part):
                    msn, part = m, p
        elif line.startswith("#EXT-X-TARGETDURATION:"):
            try:
                target = float(line.partition(":")[2])
            except ValueError:
                target = 1.0
        elif line == "#EXT-X-ENDLIST":
            ended = True
        elif line and not line.startswith("#"):
            found = _SEGMENT_URI.search(line)
            if found and int(found.group(1)) > msn:
                # A whole segment after every listed part: its parts slid out.
                msn, part = int(found.group(1)), 1 << 30
    if msn < 0:
        return None
    return Edge(msn, part, target, ended)


class Reload(Enum):
    """What to do with a blocking playlist reload."""

    ANSWER = "answer"
    """The playlist has what was asked for (or never will: it ended): send it."""
    WAIT = "wait"
    """Hold the request until the next part is announced or the deadline."""
    TIMEOUT = "timeout"
    """Held long enough: send the playlist as it is."""
    TOO_FAR = "too_far"
    """Asked for a segment far in the future: 400."""


def reload_decision(
    edge: Edge | None, msn: int, part: int | None, *, waited_s: float, target_s: float = 1.0
) -> Reload:
    """RFC 8216bis §6.2.5.2: hold until the playlist contains part ``part`` of segment
    ``msn`` (without ``part``: the whole segment ``msn``, i.e. a later one has begun);
    a part index past a segment's last part means the next segment's first."""
    target = edge.target_s if edge is not None else target_s
    newest = edge.msn if edge is not None else -1
    if msn > newest + FUTURE_LIMIT:
        return Reload.TOO_FAR
    if edge is not None:
        if edge.ended:
            return Reload.ANSWER
        if part is None and edge.msn > msn:
            return Reload.ANSWER
        if part is not None and (edge.msn, edge.part) >= (msn, part):
            return Reload.ANSWER
    if waited_s >= TIMEOUT_TARGETS * target:
        return Reload.TIMEOUT
    return Reload.WAIT


def blocking_query(query: dict[str, str]) -> tuple[int, int | None] | None:
    """``(msn, part)`` of ``_HLS_msn``/``_HLS_part``; None when not a blocking reload.
    ``ValueError`` when malformed (→ 400; a part without an msn is malformed too)."""
    raw_msn, raw_part = query.get("_HLS_msn"), query.get("_HLS_part")
    if raw_msn is None:
        if raw_part is not None:
            raise ValueError("_HLS_part without _HLS_msn")
        return None
    if not raw_msn.isascii() or not raw_msn.isdigit():
        raise ValueError("_HLS_msn must be a non-negative integer")
    if raw_part is not None and (not raw_part.isascii() or not raw_part.isdigit()):
        raise ValueError("_HLS_part must be a non-negative integer")
    return int(raw_msn), (int(raw_part) if raw_part is not None else None)


def part_of(key: str) -> tuple[str, int, int] | None:
    """``(folder, msn, part)`` of a part's object key (``live/<event>/<rendition>/part_…``);
    None for any other key. The folder ends with ``/``: its playlist is in it."""
    found = _PART_KEY.search(key)
    if found is None:
        return None
    folder = key[: key.rfind("/") + 1]
    return folder, int(found.group(1)), int(found.group(2))


def part_decision(edge: Edge | None, msn: int, part: int, *, waited_s: float) -> Reload:
    """A request for a part that is not stored (yet). The one the playlist's
    EXT-X-PRELOAD-HINT names (the next part of the open segment, or the first of the next
    segment) is held until it is written, at most three target durations, as RFC 8216bis
    §6.2.6 asks; any other missing part is answered 404 at once (``TIMEOUT``).
    ``ANSWER``: the playlist lists it now, so the part is stored: fetch it again."""
    if edge is None:
        return Reload.TIMEOUT
    if (edge.msn, edge.part) >= (msn, part):
        return Reload.ANSWER
    hinted = (msn == edge.msn and part == edge.part + 1) or (msn == edge.msn + 1 and part == 0)
    if edge.ended or not hinted or waited_s >= TIMEOUT_TARGETS * edge.target_s:
        return Reload.TIMEOUT
    return Reload.WAIT
