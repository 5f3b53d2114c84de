"""What a media file is, from ffprobe's JSON, and whether we accept it.

DESIGN.md § Accounts/security: ffmpeg never reads a URL or playlist from user input. The
defences here are layered:

1. :func:`check_input_path` accepts only an absolute, normalised path inside an allowed
   directory that the caller found to be a regular file (the ``stat`` stays with the caller,
   so this module does no I/O).
2. :func:`probe_command` runs ffprobe with ``-protocol_whitelist file`` (no network, no
   ``concat:``/``subfile:`` protocols), ``-format_whitelist`` (no ``hls``/``concat``/image
   demuxers, which would open further files named inside the upload), and probe limits.
3. :func:`find_problems` re-checks the probed result: container on the allowlist, real audio
   or video streams, caps on size, duration, resolution and pixel count.
"""

from __future__ import annotations

import math
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Demuxers whose content is plain audio/video. ffprobe reports a demuxer by its full name,
# which for some is itself a comma-separated list ("mov,mp4,m4a,3gp,3g2,mj2").
SAFE_FORMATS: tuple[str, ...] = (
    "mov,mp4,m4a,3gp,3g2,mj2",
    "matroska,webm",
    "flv",
    "avi",
    "mpegts",
    "mpeg",
    "asf",
    "mp3",
    "aac",
    "wav",
    "w64",
    "flac",
    "ogg",
    "amr",
    "ape",
)

# Demuxers that read other files or URLs named inside the input, or that are not files at
# all. They are refused by name so the reason is clear ("unsafe_format").
UNSAFE_FORMATS: frozenset[str] = frozenset(
    {
        "hls",
        "applehttp",
        "m3u8",
        "concat",
        "ffconcat",
        "dash",
        "sdp",
        "rtsp",
        "lavfi",
        "tee",
        "mpd",
        "tty",
        "data",
        "bin",
        "subviewer",
        "webvtt",
        "srt",
    }
)

# Codecs that mean "a still picture", whatever container holds them.
IMAGE_CODECS: frozenset[str] = frozenset(
    {"png", "mjpeg", "jpegls", "bmp", "gif", "webp", "tiff", "jpeg2000", "jpegxl", "pam", "ppm"}
)


@dataclass(frozen=True, slots=True)
class ProbeLimits:
    """Caps applied to uploaded and ingested media (DESIGN.md § Media resources)."""

    max_size_bytes: int = 20 * 1024**3
    """Largest accepted file (20 GiB)."""
    max_duration_s: float = 12 * 3600.0
    """Longest accepted duration (a whole-day festival recording is split by the uploader)."""
    max_width: int = 7680
    """Widest accepted picture (8K)."""
    max_height: int = 7680
    """Tallest accepted picture (8K, either orientation)."""
    max_pixels: int = 7680 * 4320
    """Largest accepted width × height."""
    probesize: int = 10_000_000
    """ffprobe/ffmpeg ``-probesize`` in bytes: how much is read to find the streams."""
    analyzeduration_us: int = 10_000_000
    """ffprobe/ffmpeg ``-analyzeduration`` in microseconds."""


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """The parts of ffprobe's answer the transcoder needs."""

    container: str
    """ffprobe's ``format_name`` (e.g. ``mov,mp4,m4a,3gp,3g2,mj2``)."""
    duration_s: float | None
    """Duration in seconds, when known."""
    size_bytes: int | None = None
    """File size reported by ffprobe, when known."""
    bit_rate: int | None = None
    """Overall bit rate in bit/s, when known."""
    has_video: bool = False
    """A real video stream exists (cover art attached to audio files does not count)."""
    has_audio: bool = False
    """An audio stream exists."""
    video_codec: str | None = None
    """e.g. ``h264``, ``vp8``."""
    width: int = 0
    """Coded width in pixels."""
    height: int = 0
    """Coded height in pixels."""
    fps: float | None = None
    """Average frame rate."""
    video_bit_rate: int | None = None
    """Video bit rate in bit/s, when known."""
    pix_fmt: str | None = None
    """e.g. ``yuv420p``."""
    video_profile: str | None = None
    """e.g. ``High``, ``Constrained Baseline``."""
    video_level: int | None = None
    """H.264 level × 10 (e.g. 40 for 4.0), as ffprobe reports it."""
    rotation: int = 0
    """Display rotation in degrees (0, 90, 180, 270) from the display matrix or tags."""
    video_frames: int | None = None
    """Number of video frames, when the container says."""
    audio_codec: str | None = None
    """e.g. ``aac``, ``mp3``."""
    audio_profile: str | None = None
    """e.g. ``LC``, ``HE-AAC``."""
    audio_channels: int | None = None
    """Channel count."""
    audio_sample_rate: int | None = None
    """Sample rate in Hz."""
    audio_bit_rate: int | None = None
    """Audio bit rate in bit/s, when known."""

    @property
    def display_width(self) -> int:
        """Width as shown, after rotation (ffmpeg autorotates when it decodes)."""
        return self.height if self.rotation % 180 == 90 else self.width

    @property
    def display_height(self) -> int:
        """Height as shown, after rotation."""
        return self.width if self.rotation % 180 == 90 else self.height


class MediaRejected(Exception):
    """A file or stream we refuse, with a stable code and a sentence a person can act on."""

    def __init__(self, code: str, message: str, message_zh: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.message_zh = message_zh


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def _rate(value: Any) -> float | None:
    """ffprobe rates are fractions such as ``30000/1001``; ``0/0`` means unknown."""
    if not isinstance(value, str) or "/" not in value:
        return _float(value)
    num, _, den = value.partition("/")
    n, d = _float(num), _float(den)
    if n is None or d is None or d == 0 or n <= 0:
        return None
    return n / d


def _rotation(stream: Mapping[str, Any]) -> int:
    for side in stream.get("side_data_list") or ():
        if isinstance(side, Mapping) and "rotation" in side:
            value = _int(side.get("rotation"))
            if value is not None:
                return value % 360
    tags = stream.get("tags") or {}
    value = _int(tags.get("rotate")) if isinstance(tags, Mapping) else None
    return value % 360 if value is not None else 0


def _is_cover_art(stream: Mapping[str, Any]) -> bool:
    disposition = stream.get("disposition") or {}
    return bool(isinstance(disposition, Mapping) and disposition.get("attached_pic"))


def parse_probe(data: Mapping[str, Any]) -> SourceInfo:
    """Turn ``ffprobe -of json -show_streams -show_format`` output into a :class:`SourceInfo`.

    The first real video stream and the first audio stream are the ones used.
    """
    fmt = data.get("format") or {}
    streams = [s for s in data.get("streams") or () if isinstance(s, Mapping)]
    video = next(
        (s for s in streams if s.get("codec_type") == "video" and not _is_cover_art(s)), None
    )
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    duration = _float(fmt.get("duration"))
    if duration is None:
        durations = [d for s in streams if (d := _float(s.get("duration"))) is not None]
        duration = max(durations) if durations else None
    fields: dict[str, Any] = {
        "container": str(fmt.get("format_name") or ""),
        "duration_s": duration,
        "size_bytes": _int(fmt.get("size")),
        "bit_rate": _int(fmt.get("bit_rate")),
    }
    if video is not None:
        level = _int(video.get("level"))
        fields.update(
            has_video=True,
            video_codec=video.get("codec_name"),
            width=_int(video.get("width")) or 0,
            height=_int(video.get("height")) or 0,
            fps=_rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate")),
            video_bit_rate=_int(video.get("bit_rate")),
            pix_fmt=video.get("pix_fmt"),
            video_profile=video.get("profile"),
            video_level=level if level is not None and level > 0 else None,
            rotation=_rotation(video),
            video_frames=_int(video.get("nb_frames")),
        )
    if audio is not None:
        fields.update(
            has_audio=True,
            audio_codec=audio.get("codec_name"),
            audio_profile=audio.get("profile"),
            audio_channels=_int(audio.get("channels")),
            audio_sample_rate=_int(audio.get("sample_rate")),
            audio_bit_rate=_int(audio.get("bit_rate")),
        )
    return SourceInfo(**fields)


def _problem(code: str, message: str, message_zh: str) -> MediaRejected:
    return MediaRejected(code, message, message_zh)


def find_problems(
    info: SourceInfo, limits: ProbeLimits, size_bytes: int | None = None
) -> list[MediaRejected]:
    """Every reason to refuse ``info``, most fundamental first; empty when acceptable.

    ``size_bytes`` is the size the caller measured (preferred over ffprobe's).
    """
    size = size_bytes if size_bytes is not None else info.size_bytes
    if size == 0:
        return [_problem("empty", "The file is empty.", "文件为空。")]
    problems: list[MediaRejected] = []
    if size is not None and size > limits.max_size_bytes:
        problems.append(
            _problem(
                "too_large",
                f"The file is {size} bytes; the limit is {limits.max_size_bytes}.",
                f"文件大小 {size} 字节,超过上限 {limits.max_size_bytes} 字节。",
            )
        )
    container = info.container
    if set(container.split(",")) & UNSAFE_FORMATS:
        problems.append(
            _problem(
                "unsafe_format",
                f"Playlists and other indirect formats ({container}) are not accepted; "
                "upload the media file itself.",
                f"不接受播放列表等间接格式({container}),请上传媒体文件本身。",
            )
        )
        return problems
    image_only = (
        container.endswith("_pipe")
        or container in {"image2", "gif", "webp"}
        or (
            info.has_video
            and not info.has_audio
            and (info.video_codec in IMAGE_CODECS)
            and (info.video_frames is None or info.video_frames <= 1)
        )
    )
    if image_only:
        problems.append(
            _problem(
                "not_media",
                "This is a picture, not audio or video.",
                "这是图片,不是音频或视频。",
            )
        )
        return problems
    if not info.has_video and not info.has_audio:
        problems.append(
            _problem(
                "not_media",
                "No audio or video stream was found in the file.",
                "文件中没有音频或视频。",
            )
        )
        return problems
    if container not in SAFE_FORMATS:
        problems.append(
            _problem(
                "unsafe_format",
                f"The container format {container or 'unknown'} is not accepted; "
                "use MP4, MKV/WebM, FLV, TS, MP3, M4A, WAV, FLAC or OGG.",
                f"不支持的封装格式 {container or '未知'},"
                "请使用 MP4、MKV/WebM、FLV、TS、MP3、M4A、WAV、FLAC 或 OGG。",
            )
        )
    if info.duration_s is None or info.duration_s <= 0:
        problems.append(
            _problem("empty", "The file has no playable duration.", "文件没有可播放的时长。")
        )
    elif info.duration_s > limits.max_duration_s:
        problems.append(
            _problem(
                "too_long",
                f"The file lasts {info.duration_s:.0f} s; the limit is "
                f"{limits.max_duration_s:.0f} s.",
                f"时长 {info.duration_s:.0f} 秒,超过上限 {limits.max_duration_s:.0f} 秒。",
            )
        )
    if info.has_video:
        w, h = info.width, info.height
        if w <= 0 or h <= 0:
            problems.append(
                _problem("not_media", "The video has no picture size.", "视频没有画面尺寸。")
            )
        elif w > limits.max_width or h > limits.max_height:
            problems.append(
                _problem(
                    "resolution_too_large",
                    f"The picture is {w}×{h}; the limit is {limits.max_width}×{limits.max_height}.",
                    f"画面 {w}×{h} 超过上限 {limits.max_width}×{limits.max_height}。",
                )
            )
        elif w * h > limits.max_pixels:
            problems.append(
                _problem(
                    "too_many_pixels",
                    f"The picture has {w * h} pixels; the limit is {limits.max_pixels}.",
                    f"画面像素 {w * h} 超过上限 {limits.max_pixels}。",
                )
            )
    return problems


def validate_source(
    info: SourceInfo, limits: ProbeLimits, size_bytes: int | None = None
) -> SourceInfo:
    """Return ``info`` if acceptable, else raise the first :class:`MediaRejected`."""
    problems = find_problems(info, limits, size_bytes)
    if problems:
        raise problems[0]
    return info


def probe_failure(returncode: int, stderr: str) -> MediaRejected:
    """The rejection to report when ffprobe itself refused or failed on a file."""
    if "not on whitelist" in stderr:
        # "[png_pipe @ 0x55…] Format not on whitelist": pictures are refused as not media.
        demuxer = stderr.partition("not on whitelist")[0].rpartition("[")[2].partition(" @")[0]
        if demuxer.endswith("_pipe") or demuxer in {"image2", "gif", "webp"}:
            return _problem(
                "not_media", "This is a picture, not audio or video.", "这是图片,不是音频或视频。"
            )
    if "not on whitelist" in stderr or "Unsafe file name" in stderr:
        return _problem(
            "unsafe_format",
            "Playlists and other indirect formats are not accepted; upload the media file itself.",
            "不接受播放列表等间接格式,请上传媒体文件本身。",
        )
    return _problem(
        "not_media",
        f"The file could not be read as audio or video (ffprobe exit {returncode}).",
        "无法将文件识别为音频或视频。",
    )


def check_input_path(path: str, allowed_dirs: Sequence[str], is_regular_file: bool) -> str:
    """Return ``path`` if ffmpeg may read it, else raise ``ValueError``.

    Pure: the caller ``stat``s the (already resolved, symlink-free) path and passes whether it
    is a regular file. An absolute path cannot carry a protocol prefix (``http:``,
    ``concat:``), since ffmpeg only treats ``name:`` as a protocol before the first ``/``.
    """
    if not path.startswith("/"):
        raise ValueError(f"input must be an absolute path, got {path!r}")
    if any(ch in path for ch in "\0\n\r"):
        raise ValueError("input path contains control characters")
    if posixpath.normpath(path) != path or "/../" in f"{path}/":
        raise ValueError(f"input path is not normalised: {path!r}")
    inside = False
    for root in allowed_dirs:
        root_norm = posixpath.normpath(root)
        if root_norm.startswith("/") and posixpath.commonpath([root_norm, path]) == root_norm:
            inside = path != root_norm
            if inside:
                break
    if not inside:
        raise ValueError(f"input {path!r} is outside the allowed directories")
    if not is_regular_file:
        raise ValueError(f"input {path!r} is not a regular file")
    return path


def format_whitelist() -> str:
    """The ``-format_whitelist`` value: every safe demuxer name, comma-joined."""
    return ",".join(SAFE_FORMATS)


def probe_command(path: str, limits: ProbeLimits, ffprobe: str = "ffprobe") -> list[str]:
    """The ffprobe command line for a checked local file (see :func:`check_input_path`)."""
    return [
        ffprobe,
        "-hide_banner",
        "-v",
        "error",
        "-protocol_whitelist",
        "file",
        "-format_whitelist",
        format_whitelist(),
        "-probesize",
        str(limits.probesize),
        "-analyzeduration",
        str(limits.analyzeduration_us),
        "-of",
        "json",
        "-show_streams",
        "-show_format",
        path,
    ]
