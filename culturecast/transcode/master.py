"""Our HLS master playlist, written from the plan rather than taken from ffmpeg.

ffmpeg's own master omits CODECS for stream-copied renditions and knows nothing of our
bit-rate intent; players (Safari, hls.js) use CODECS to skip renditions they cannot decode and
BANDWIDTH to choose one, so we write every attribute ourselves (RFC 8216 §4.3.4.2).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from culturecast.transcode.command import PLAYLIST_NAME
from culturecast.transcode.ladder import PlannedRung

AAC_LC = "mp4a.40.2"
"""RFC 6381 codec string of AAC-LC (the only audio we publish)."""

# RFC 6381 §3.3 / ISO 14496-15: avc1.PPCCLL = profile_idc, constraint flags, level_idc (hex).
_AVC_PROFILE = {"baseline": "42E0", "main": "4D40", "high": "6400"}


def avc_codec(profile: str, level: str) -> str:
    """``avc1.64001F`` for High@3.1, and so on."""
    try:
        prefix = _AVC_PROFILE[profile]
    except KeyError:
        raise ValueError(f"unknown H.264 profile {profile!r}") from None
    major, _, minor = level.partition(".")
    if not major.isdigit() or not (minor or "0").isdigit():
        raise ValueError(f"bad H.264 level {level!r}")
    level_idc = int(major) * 10 + int(minor or "0")
    return f"avc1.{prefix}{level_idc:02X}"


def codecs_for(rung: PlannedRung) -> str:
    """The CODECS attribute of a rendition."""
    if rung.kind == "audio":
        return AAC_LC
    video = avc_codec(rung.profile, rung.level)
    return f"{video},{AAC_LC}" if rung.audio_kbps else video


def variant_uri(rung: PlannedRung) -> str:
    """The media playlist of a rendition, relative to the master."""
    return f"{rung.name}/{PLAYLIST_NAME}"


def build_master(planned: Sequence[PlannedRung]) -> str:
    """The master playlist text for ``planned`` (renditions as laid out by command.py)."""
    if not planned:
        raise ValueError("cannot write a master playlist for an empty plan")
    lines = ["#EXTM3U", "#EXT-X-VERSION:3"]
    if all(r.independent for r in planned):
        # RFC 8216 §4.3.5.1: in a master it applies to every media playlist.
        lines.append("#EXT-X-INDEPENDENT-SEGMENTS")
    for rung in planned:
        attrs = [
            f"BANDWIDTH={rung.bandwidth}",
            f"AVERAGE-BANDWIDTH={rung.average_bandwidth}",
            f'CODECS="{codecs_for(rung)}"',
        ]
        if rung.kind == "video":
            attrs.append(f"RESOLUTION={rung.width}x{rung.height}")
            if rung.fps:
                attrs.append(f"FRAME-RATE={rung.fps:.3f}")
        lines += [f"#EXT-X-STREAM-INF:{','.join(attrs)}", variant_uri(rung)]
    return "\n".join(lines) + "\n"


_ATTR = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')


def parse_attributes(text: str) -> dict[str, str]:
    """RFC 8216 §4.2 attribute list → dict (quotes removed)."""
    return {k: v.strip('"') for k, v in _ATTR.findall(text)}


def verify_master(text: str, planned: Sequence[PlannedRung]) -> list[str]:
    """Problems of ``text`` as the master for ``planned``; empty when it lists every rendition
    once, in order, with BANDWIDTH, CODECS and (for video) RESOLUTION matching the plan."""
    problems: list[str] = []
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != "#EXTM3U":
        return ["the playlist does not start with #EXTM3U"]
    variants: list[tuple[dict[str, str], str]] = []
    for i, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF:"):
            uri = lines[i + 1] if i + 1 < len(lines) else ""
            if not uri or uri.startswith("#"):
                problems.append(f"EXT-X-STREAM-INF on line {i + 1} has no URI")
                continue
            variants.append((parse_attributes(line.partition(":")[2]), uri))
    if len(variants) != len(planned):
        problems.append(f"{len(variants)} variants listed, {len(planned)} planned")
    for (attrs, uri), rung in zip(variants, planned, strict=False):
        where = f"variant {rung.name}"
        if uri != variant_uri(rung):
            problems.append(f"{where}: URI {uri!r}, expected {variant_uri(rung)!r}")
        if not attrs.get("BANDWIDTH", "").isdigit():
            problems.append(f"{where}: BANDWIDTH missing")
        if attrs.get("CODECS") != codecs_for(rung):
            problems.append(
                f"{where}: CODECS {attrs.get('CODECS')!r}, expected {codecs_for(rung)!r}"
            )
        if rung.kind == "video" and attrs.get("RESOLUTION") != f"{rung.width}x{rung.height}":
            problems.append(f"{where}: RESOLUTION {attrs.get('RESOLUTION')!r}")
    return problems
