"""Just enough ISO BMFF (ISO/IEC 14496-12) to tell whether an fMP4 fragment starts with a
keyframe: the flags of the first sample of its first track run (``moof/traf/trun``), else
the track fragment's default (``tfhd``). A part that does is INDEPENDENT=YES and may start a
segment."""

from __future__ import annotations

import struct
from collections.abc import Iterator

_NON_SYNC = 0x00010000
"""sample_is_non_sync_sample in sample flags (§8.8.3.1)."""


def _boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """``(type, payload start, box end)`` of the boxes in ``data[start:end]``."""
    stop = len(data) if end is None else end
    at = start
    while at + 8 <= stop:
        size, kind = struct.unpack_from(">I4s", data, at)
        header = 8
        if size == 1 and at + 16 <= stop:
            size = struct.unpack_from(">Q", data, at + 8)[0]
            header = 16
        elif size == 0:
            size = stop - at
        if size < header or at + size > stop:
            return
        yield kind, at + header, at + size
        at += size


def _named(
    data: bytes, name: bytes, start: int = 0, end: int | None = None
) -> Iterator[tuple[int, int]]:
    """``(payload start, box end)`` of the ``name`` boxes in ``data[start:end]``."""
    for kind, body, box_end in _boxes(data, start, end):
        if kind == name:
            yield body, box_end


def _first_sample_sync(data: bytes, traf: int, end: int) -> bool | None:
    default: int | None = None
    for kind, body, box_end in _boxes(data, traf, end):
        if kind == b"tfhd" and body + 8 <= box_end:
            flags = int.from_bytes(data[body + 1 : body + 4], "big")
            at = body + 8  # version/flags, track_ID
            for bit, width in ((0x1, 8), (0x2, 4), (0x8, 4), (0x10, 4)):
                if flags & bit:
                    at += width
            if flags & 0x20 and at + 4 <= box_end:
                default = struct.unpack_from(">I", data, at)[0]
        elif kind == b"trun" and body + 8 <= box_end:
            flags = int.from_bytes(data[body + 1 : body + 4], "big")
            at = body + 8  # version/flags, sample_count
            if flags & 0x1:
                at += 4
            if flags & 0x4 and at + 4 <= box_end:
                return not struct.unpack_from(">I", data, at)[0] & _NON_SYNC
            if flags & 0x4:
                return None
            if flags & 0x100:
                at += 4
            if flags & 0x200:
                at += 4
            if flags & 0x400 and at + 4 <= box_end:
                return not struct.unpack_from(">I", data, at)[0] & _NON_SYNC
            if default is not None:
                return not default & _NON_SYNC
            return None
    return None


def starts_with_keyframe(data: bytes, video_track: int | None = None) -> bool:
    """Whether the fragment's first video sample (the first track run of ``video_track``, or
    of the first track fragment) is a sync sample; True for audio-only fragments (every AAC
    frame is one), False when it cannot tell."""
    moof = next(_named(data, b"moof"), None)
    if moof is None:
        return False
    for traf_body, traf_end in _named(data, b"traf", *moof):
        if video_track is not None and _track_id(data, traf_body, traf_end) != video_track:
            continue
        return bool(_first_sample_sync(data, traf_body, traf_end))
    return video_track is not None


def _track_id(data: bytes, start: int, end: int) -> int | None:
    for kind, body, box_end in _boxes(data, start, end):
        if kind == b"tfhd" and body + 8 <= box_end:
            return int(struct.unpack_from(">I", data, body + 4)[0])
    return None


def video_track_id(init: bytes) -> int | None:
    """The track ID of the video track of an initialization section (``moov/trak``), None
    when it has none (audio only)."""
    for moov in _named(init, b"moov"):
        for trak_body, trak_end in _named(init, b"trak", *moov):
            track: int | None = None
            for box, b_body, b_end in _boxes(init, trak_body, trak_end):
                if box == b"tkhd" and b_body + 16 <= b_end:
                    version = init[b_body]
                    at = b_body + (4 + 16 if version == 1 else 4 + 8)
                    track = int(struct.unpack_from(">I", init, at)[0])
                elif box == b"mdia" and track is not None:
                    for m_body, m_end in _named(init, b"hdlr", b_body, b_end):
                        handler = init[m_body + 8 : m_body + 12] if m_body + 12 <= m_end else b""
                        if handler == b"vide":
                            return track
    return None
