"""ABR ladders as data, and the plan for one source.

A :class:`Ladder` says what we would like to offer; :func:`plan_ladder` says what we will
actually produce for one source: rungs capped at the source's size (never upscaled, aspect
ratio kept, even dimensions), duplicates dropped, the top rung passed through without
re-encoding when the source allows, and an audio-only rung for weak networks.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Literal

from culturecast.transcode.probe import SourceInfo

type Profile = Literal["baseline", "main", "high"]

# H.264 Annex A, Table A-1: (level, max macroblocks/s, max frame size in macroblocks,
# max video bit rate in kbit/s for Baseline/Main; High allows 1.25×).
_H264_LEVELS: tuple[tuple[str, int, int, int], ...] = (
    ("3.0", 40_500, 1_620, 10_000),
    ("3.1", 108_000, 3_600, 14_000),
    ("3.2", 216_000, 5_120, 20_000),
    ("4.0", 245_760, 8_192, 20_000),
    ("4.1", 245_760, 8_192, 50_000),
    ("4.2", 522_240, 8_704, 50_000),
    ("5.0", 589_824, 22_080, 135_000),
    ("5.1", 983_040, 36_864, 240_000),
    ("5.2", 2_073_600, 36_864, 240_000),
)

# ffprobe's names of the H.264 profiles every HLS player decodes, 8-bit 4:2:0 only.
_PLAYABLE_H264_PROFILES = frozenset({"Constrained Baseline", "Baseline", "Main", "High"})
_PLAYABLE_PIX_FMTS = frozenset({"yuv420p", "yuvj420p"})


@dataclass(frozen=True, slots=True)
class Rung:
    """One video rendition we would like to offer."""

    name: str
    """Short label, also the variant's directory (``1080p``)."""
    width: int
    """Box width: the picture fits inside width × height (swapped for portrait sources)."""
    height: int
    """Box height."""
    video_kbps: int
    """Target average video bit rate."""
    maxrate_kbps: int
    """VBV peak rate; the master playlist's BANDWIDTH is built from it."""
    bufsize_kbps: int
    """VBV buffer size."""
    audio_kbps: int = 128
    """AAC bit rate muxed into this rendition."""
    profile: Profile = "high"
    """H.264 profile for encoded output."""
    level: str | None = None
    """H.264 level (``"4.1"``); ``None`` picks the lowest level that fits size, fps and rate."""


@dataclass(frozen=True, slots=True)
class Ladder:
    """The renditions to offer, largest first."""

    rungs: tuple[Rung, ...]
    """Video rungs, largest first."""
    audio_only_kbps: int = 64
    """Bit rate of the audio-only rendition; 0 for none."""


@dataclass(frozen=True, slots=True)
class PlannedRung:
    """One rendition that will be produced for a given source."""

    name: str
    """Variant name: directory and ``var_stream_map`` name."""
    kind: Literal["video", "audio"]
    """``video`` (video with muxed audio when the source has audio) or ``audio`` (audio only)."""
    width: int
    """Output width (0 for audio-only)."""
    height: int
    """Output height (0 for audio-only)."""
    video_kbps: int
    """Average video bit rate (for pass-through: the source's)."""
    maxrate_kbps: int
    """Peak video bit rate."""
    bufsize_kbps: int
    """VBV buffer."""
    audio_kbps: int
    """AAC bit rate (0 when the source has no audio)."""
    profile: str
    """H.264 profile name as written in CODECS: ``baseline``, ``main`` or ``high``."""
    level: str
    """H.264 level (``"4.1"``); empty for audio-only."""
    fps: float | None = None
    """Output frame rate (the source's)."""
    passthrough: bool = False
    """Video is stream-copied from the source, not re-encoded."""
    audio_copy: bool = False
    """Audio is stream-copied (source already AAC-LC)."""
    independent: bool = True
    """Every segment starts on a keyframe (RFC 8216 §4.3.3.6 EXT-X-INDEPENDENT-SEGMENTS).
    False for a copied rung whose source keyframes fall on every n-th segment cut only
    (:func:`copy_fits_segments`): its segments are cut by time in between."""

    @property
    def average_bandwidth(self) -> int:
        """Average bits per second of the rendition (RFC 8216 §4.3.4.2 AVERAGE-BANDWIDTH)."""
        return (self.video_kbps + self.audio_kbps) * 1000

    @property
    def bandwidth(self) -> int:
        """Peak bits per second, with 10 % MPEG-TS overhead (RFC 8216 §4.3.4.2 BANDWIDTH)."""
        return (self.maxrate_kbps + self.audio_kbps) * 1100


def _rung(name: str, w: int, h: int, kbps: int, audio: int, profile: Profile) -> Rung:
    # Apple's HLS authoring spec keeps peak within ~110 % of average for VOD; 1.07 leaves
    # room for the TS overhead inside that.
    return Rung(name, w, h, kbps, round(kbps * 1.07), round(kbps * 1.5), audio, profile)


# The default rungs: name, width, height, live and VOD video kbit/s, audio kbit/s, profile.
# VOD runs at slightly lower rates than live, since VOD can spend more CPU per frame.
_DEFAULT_RUNGS: tuple[tuple[str, int, int, int, int, int, Profile], ...] = (
    ("1080p", 1920, 1080, 5000, 4500, 128, "high"),
    ("720p", 1280, 720, 2800, 2500, 128, "high"),
    ("480p", 854, 480, 1400, 1200, 96, "main"),
    ("360p", 640, 360, 800, 700, 96, "main"),
)

DEFAULT_LIVE_LADDER = Ladder(
    rungs=tuple(_rung(n, w, h, live, a, p) for n, w, h, live, _, a, p in _DEFAULT_RUNGS),
    audio_only_kbps=64,
)
"""Live: 1080p/720p/480p/360p and 64 kbit/s audio-only."""

DEFAULT_VOD_LADDER = Ladder(
    rungs=tuple(_rung(n, w, h, vod, a, p) for n, w, h, _, vod, a, p in _DEFAULT_RUNGS),
    audio_only_kbps=64,
)
"""VOD: slightly lower rates than live, since VOD can spend more CPU per frame."""


_ENTRY = re.compile(
    r"^(?P<name>[A-Za-z0-9_-]{1,32}):(?P<w>\d+)x(?P<h>\d+):(?P<kbps>\d+)(?::(?P<audio>\d+))?$"
)
_AUDIO_ENTRY = re.compile(r"^audio:(?P<kbps>\d+)$")


def parse_ladder(text: str) -> Ladder:
    """Parse a settings string: ``1080p:1920x1080:5000,720p:1280x720:2800:128,audio:64``.

    Each video entry is ``name:WIDTHxHEIGHT:VIDEO_KBPS[:AUDIO_KBPS]``; ``audio:KBPS`` sets the
    audio-only rung (``audio:0`` for none; 64 when absent). Raises ``ValueError`` naming the
    bad entry.
    """
    rungs: list[Rung] = []
    audio_only = 64
    seen_audio = False
    entries = [e.strip() for e in text.split(",")]
    if not text.strip():
        raise ValueError("ladder is empty: expected entries like 1080p:1920x1080:5000")
    for index, entry in enumerate(entries, start=1):
        where = f"ladder entry {index} ({entry!r})"
        if m := _AUDIO_ENTRY.match(entry):
            if seen_audio:
                raise ValueError(f"{where}: audio-only rung given twice")
            seen_audio = True
            audio_only = int(m["kbps"])
            if audio_only and not 16 <= audio_only <= 320:
                raise ValueError(f"{where}: audio bit rate must be 16–320 kbit/s or 0")
            continue
        m = _ENTRY.match(entry)
        if m is None:
            raise ValueError(
                f"{where}: expected name:WIDTHxHEIGHT:VIDEO_KBPS[:AUDIO_KBPS] or audio:KBPS"
            )
        w, h, kbps = int(m["w"]), int(m["h"]), int(m["kbps"])
        audio = int(m["audio"]) if m["audio"] else 128
        if not (16 <= w <= 7680 and 16 <= h <= 7680) or w % 2 or h % 2:
            raise ValueError(f"{where}: width and height must be even numbers from 16 to 7680")
        if not 50 <= kbps <= 100_000:
            raise ValueError(f"{where}: video bit rate must be 50–100000 kbit/s")
        if not 16 <= audio <= 320:
            raise ValueError(f"{where}: audio bit rate must be 16–320 kbit/s")
        if any(r.name == m["name"] for r in rungs) or m["name"] == "audio":
            raise ValueError(f"{where}: name {m['name']!r} is used twice")
        profile: Profile = "high" if min(w, h) >= 720 else "main"
        rungs.append(replace(_rung(m["name"], w, h, kbps, audio, profile)))
    if not rungs:
        raise ValueError("ladder has no video rung")
    rungs.sort(key=lambda r: (r.width * r.height, r.video_kbps), reverse=True)
    return Ladder(tuple(rungs), audio_only)


def format_ladder(ladder: Ladder) -> str:
    """The settings string for ``ladder`` (inverse of :func:`parse_ladder`)."""
    parts = [f"{r.name}:{r.width}x{r.height}:{r.video_kbps}:{r.audio_kbps}" for r in ladder.rungs]
    return ",".join([*parts, f"audio:{ladder.audio_only_kbps}"])


def h264_level(width: int, height: int, fps: float | None, maxrate_kbps: int, profile: str) -> str:
    """The lowest H.264 level (Annex A) that allows this size, frame rate and peak rate."""
    frame_mbs = math.ceil(width / 16) * math.ceil(height / 16)
    mbps = frame_mbs * (fps or 30.0)
    rate_factor = 1.25 if profile == "high" else 1.0
    for level, max_mbps, max_fs, max_br in _H264_LEVELS:
        if frame_mbs <= max_fs and mbps <= max_mbps and maxrate_kbps <= max_br * rate_factor:
            return level
    return _H264_LEVELS[-1][0]


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def fit_size(src_w: int, src_h: int, box_w: int, box_h: int) -> tuple[int, int, bool]:
    """Size of a ``src_w``×``src_h`` picture fitted in the box, and whether it was capped.

    Portrait sources use the box turned on its side, so "720p" means 720 lines on the
    short side either way. Never upscales; keeps the aspect ratio; even dimensions (4:2:0).
    """
    if src_h > src_w:
        box_w, box_h = box_h, box_w
    scale = min(box_w / src_w, box_h / src_h)
    if scale >= 1:
        return src_w - src_w % 2, src_h - src_h % 2, True
    return min(_even(src_w * scale), box_w), min(_even(src_h * scale), box_h), False


def _source_level(source: SourceInfo) -> str:
    if source.video_level is None:
        return ""
    return f"{source.video_level // 10}.{source.video_level % 10}"


def _source_profile(source: SourceInfo) -> str:
    return {"High": "high", "Main": "main"}.get(source.video_profile or "", "baseline")


def keyframes_fit_segments(keyframe_interval_s: float, segment_s: float) -> bool:
    """Whether keyframes every ``keyframe_interval_s`` can cut segments of ``segment_s``.

    A segment can only start on a keyframe, so the segment length must be a whole multiple of
    the keyframe interval (OBS "keyframe interval 2 s" with 2 s or 4 s segments).
    """
    if keyframe_interval_s <= 0 or keyframe_interval_s > segment_s + 0.05:
        return False
    ratio = segment_s / keyframe_interval_s
    return abs(ratio - round(ratio)) < 0.05


MAX_CUT_COPY_KEYFRAME_S = 2.0
"""The longest keyframe interval a copied rung may have when its segments are shorter than
it: OBS's default, and what the HLS authoring spec for Apple devices recommends. A player
that joins or switches on a segment without a keyframe decodes from the keyframe at most
this far back (hls.js loads the segment before)."""


def copy_fits_segments(keyframe_interval_s: float, segment_s: float) -> bool:
    """Whether a copied rung can be cut into ``segment_s`` segments: its keyframes fit them
    (:func:`keyframes_fit_segments`), or every keyframe falls on a segment cut (the interval
    is a whole multiple of the segment, at most :data:`MAX_CUT_COPY_KEYFRAME_S`) and the
    segments in between are cut by time — so the cuts stay where the encoded rungs put their
    keyframes, and viewers of short live segments keep the source's picture (OBS's 2 s
    keyframes with 1 s segments) without a re-encode.
    """
    if keyframes_fit_segments(keyframe_interval_s, segment_s):
        return True
    if segment_s <= 0 or keyframe_interval_s > MAX_CUT_COPY_KEYFRAME_S + 0.05:
        return False
    ratio = keyframe_interval_s / segment_s
    return round(ratio) >= 1 and abs(ratio - round(ratio)) < 0.05


def plan_ladder(
    ladder: Ladder,
    source: SourceInfo,
    *,
    live: bool = False,
    segment_s: float = 6.0,
    keyframe_interval_s: float | None = None,
    allow_passthrough: bool = True,
) -> list[PlannedRung]:
    """The renditions to produce for ``source``, largest first, audio-only last.

    Pass-through of the top rung needs an H.264 8-bit 4:2:0 source without rotation, no
    larger than the top rung, at no more than its peak rate; for live also a keyframe interval
    (measured by the ingest) that the segment length can cut (:func:`copy_fits_segments`:
    copied video has keyframes only where the source put them; a rung cut between them is
    not ``independent``). Audio is copied on that rung when it is already AAC-LC.
    """
    has_audio_aac_lc = audio_can_copy(source)
    planned: list[PlannedRung] = []
    if source.has_video and source.width > 0 and source.height > 0:
        src_w, src_h = source.display_width, source.display_height
        sizes: dict[tuple[int, int], PlannedRung] = {}
        for rung in ladder.rungs:
            w, h, capped = fit_size(src_w, src_h, rung.width, rung.height)
            name = f"{min(w, h)}p" if capped else rung.name
            level = rung.level or h264_level(w, h, source.fps, rung.maxrate_kbps, rung.profile)
            # Later (smaller) rungs replace earlier ones of the same size: a 360p source gets
            # the 360p rung's bit rate, not the 1080p rung's.
            sizes.pop((w, h), None)
            sizes[(w, h)] = PlannedRung(
                name=name,
                kind="video",
                width=w,
                height=h,
                video_kbps=rung.video_kbps,
                maxrate_kbps=rung.maxrate_kbps,
                bufsize_kbps=rung.bufsize_kbps,
                audio_kbps=rung.audio_kbps if source.has_audio else 0,
                profile=rung.profile,
                level=level,
                fps=source.fps,
            )
        planned = sorted(sizes.values(), key=lambda r: r.width * r.height, reverse=True)
        _dedupe_names(planned)
        if allow_passthrough:
            planned = [_copy_audio_if_cheaper(r, source) for r in planned]
        if planned and allow_passthrough:
            top = planned[0]
            source_kbps = _source_video_kbps(source)
            kf_ok = (
                copy_fits_segments(keyframe_interval_s, segment_s)
                if keyframe_interval_s is not None
                else not live
            )
            independent = keyframe_interval_s is None or keyframes_fit_segments(
                keyframe_interval_s, segment_s
            )
            if (
                source.video_codec == "h264"
                and source.video_profile in _PLAYABLE_H264_PROFILES
                and source.pix_fmt in _PLAYABLE_PIX_FMTS
                and source.rotation == 0
                and (top.width, top.height) == (source.width, source.height)
                and source_kbps is not None
                and source_kbps <= top.maxrate_kbps
                and kf_ok
            ):
                audio_kbps = top.audio_kbps
                if has_audio_aac_lc and source.audio_bit_rate:
                    audio_kbps = math.ceil(source.audio_bit_rate / 1000)
                planned[0] = replace(
                    top,
                    video_kbps=source_kbps,
                    profile=_source_profile(source),
                    level=_source_level(source) or top.level,
                    passthrough=True,
                    audio_copy=has_audio_aac_lc,
                    audio_kbps=audio_kbps,
                    independent=independent,
                )
    if source.has_audio and (ladder.audio_only_kbps > 0 or not planned):
        kbps = ladder.audio_only_kbps or 64
        audio_only = audio_only_rung(kbps)
        if allow_passthrough:
            audio_only = _copy_audio_if_cheaper(audio_only, source)
        planned.append(audio_only)
    return planned


def audio_only_rung(kbps: int, *, copy: bool = False) -> PlannedRung:
    """The ``audio`` rendition: no picture, ``kbps`` of AAC (the source's rate when copied)."""
    return PlannedRung(
        name="audio",
        kind="audio",
        width=0,
        height=0,
        video_kbps=0,
        maxrate_kbps=0,
        bufsize_kbps=0,
        audio_kbps=kbps,
        profile="",
        level="",
        audio_copy=copy,
    )


def _copy_audio_if_cheaper(rung: PlannedRung, source: SourceInfo) -> PlannedRung:
    # ffmpeg encodes audio once per rendition (the HLS muxer refuses one stream in two
    # variants), so every copy saves one AAC encode; copying AAC-LC that is no larger than
    # the rung's budget also spares the listener a second generation of lossy coding.
    if rung.audio_copy or not audio_can_copy(source) or not source.audio_bit_rate:
        return rung
    source_kbps = math.ceil(source.audio_bit_rate / 1000)
    if source_kbps > rung.audio_kbps:
        return rung
    return replace(rung, audio_copy=True, audio_kbps=source_kbps)


def _source_video_kbps(source: SourceInfo) -> int | None:
    if source.video_bit_rate:
        return math.ceil(source.video_bit_rate / 1000)
    if source.bit_rate:
        # Containers such as MKV and FLV-from-RTMP often give only the overall rate.
        return math.ceil((source.bit_rate - (source.audio_bit_rate or 0)) / 1000)
    return None


def _dedupe_names(planned: list[PlannedRung]) -> None:
    # Two capped rungs cannot share a size, but a capped "1080p"→"720p" could meet a
    # configured "720p" of another aspect; suffix to keep directories distinct.
    seen: set[str] = set()
    for i, rung in enumerate(planned):
        name, n = rung.name, 2
        while name in seen or name == "audio":
            name, n = f"{rung.name}-{n}", n + 1
        seen.add(name)
        if name != rung.name:
            planned[i] = replace(rung, name=name)


def audio_can_copy(source: SourceInfo) -> bool:
    """Whether the source's audio can go into HLS untouched (AAC-LC, which every player plays)."""
    return source.audio_codec == "aac" and source.audio_profile in (None, "LC")


def audio_kbps_for(source: SourceInfo, stereo_kbps: int) -> int:
    """AAC-LC bit rate for ``source`` given the rate configured for stereo.

    Mono (most 评书 and lectures) gets half: 64 kbit/s mono AAC-LC is the usual rate for
    speech and carries as much per channel as 128 kbit/s stereo. Never more than the source
    had (rounded up to 8 kbit/s) — a 64 kbit/s MP3 gains nothing from 128 kbit/s AAC — but
    not below 32 kbit/s per channel, where AAC-LC itself starts to sound poor.
    """
    channels = min(source.audio_channels or 2, 2)
    kbps = stereo_kbps if channels == 2 else max(16, stereo_kbps // 2)
    if source.audio_bit_rate:
        source_kbps = math.ceil(source.audio_bit_rate / 8000) * 8
        kbps = min(kbps, max(source_kbps, 32 * channels))
    return kbps


def plan_audio(source: SourceInfo, *, kbps: int = 128, loudnorm: bool = False) -> PlannedRung:
    """The single rendition of an audio resource (评书, music): remuxed when already AAC-LC
    and not loudness-normalised, else encoded at :func:`audio_kbps_for` of ``kbps`` (the
    stereo rate; mono gets half)."""
    if not source.has_audio:
        raise ValueError("the source has no audio stream")
    copy = audio_can_copy(source) and not loudnorm
    if copy and source.audio_bit_rate:
        kbps = math.ceil(source.audio_bit_rate / 1000)
    elif not copy:
        kbps = audio_kbps_for(source, kbps)
    return audio_only_rung(kbps, copy=copy)
