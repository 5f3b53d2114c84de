"""ffmpeg command lines, built as ``list[str]`` from a plan and pinned by golden tests.

Nothing here runs a process. Every command reads either ``pipe:0`` (live: FLV from the
ingest) or one checked absolute local path (VOD, see ``probe.check_input_path``), always with
a protocol whitelist, probe limits and, for files, the demuxer forced to the one ffprobe found
and accepted, so no playlist or URL is ever followed (DESIGN.md § Accounts/security).

Output layout of the HLS builders (``out_dir`` absolute)::

    out_dir/<variant>/index.m3u8       media playlist per rendition
    out_dir/<variant>/seg_00000.ts     MPEG-TS segments
    out_dir/ffmpeg-master.m3u8         ffmpeg's own master (diagnostic only)

Single-rendition outputs (audio resources, and the per-rendition reference in
bench/commands.py) use the same layout, so one uploader and one master writer serve every case.

Our ``master.m3u8`` is written by :mod:`culturecast.transcode.master` from the plan, because
ffmpeg's lacks CODECS for stream-copied renditions; ffmpeg's is named differently so the two
never overwrite each other.

Live playlists: ffmpeg writes the *full* event playlist (``-hls_playlist_type event``,
``-hls_list_size 0``), never a sliding window. The full playlist is the record the replay
packager turns into VOD when the show ends, and the live server derives the short sliding
window that viewers poll from it in memory (live playlists are served from memory anyway),
so ffmpeg keeps one source of truth and no segment is ever deleted before upload.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from culturecast.transcode.ladder import PlannedRung, fit_size, plan_audio
from culturecast.transcode.probe import (
    SAFE_FORMATS,
    ProbeLimits,
    SourceInfo,
    format_whitelist,
)

FFMPEG_MASTER_NAME = "ffmpeg-master.m3u8"
"""ffmpeg's own master playlist, kept beside ours for diagnosis."""
PLAYLIST_NAME = "index.m3u8"
"""Media playlist file name inside each variant directory."""
SEGMENT_PATTERN = "seg_%05d.ts"
PART_PATTERN = "part_%05d.m4s"
"""Low-latency mode: ffmpeg cuts fMP4 fragments of a part's length; the packager composes
segments of them (:mod:`culturecast.live.ll_packager`)."""
INIT_NAME = "init.mp4"
"""The fMP4 initialization section ffmpeg writes next to each variant's playlist."""
"""Segment file names inside each variant directory."""


@dataclass(frozen=True, slots=True)
class EncoderSettings:
    """Knobs that are not part of the ladder."""

    preset: str = "veryfast"
    """x264 preset; tests use ``ultrafast``."""
    audio_sample_rate: int = 48_000
    """Sample rate of encoded AAC."""
    ffmpeg: str = "ffmpeg"
    """The ffmpeg executable."""


def _check_out_dir(out_dir: str) -> str:
    # ffmpeg expands %-patterns in output names, and a relative path would depend on the
    # worker's cwd; both are refused rather than escaped.
    if not out_dir.startswith("/") or "%" in out_dir or any(c in out_dir for c in "\0\n\r"):
        raise ValueError(f"out_dir must be an absolute path without '%': {out_dir!r}")
    return out_dir.rstrip("/") or "/"


def _head(settings: EncoderSettings) -> list[str]:
    # -progress pipe:1 gives machine-readable key=value blocks on stdout (progress.py);
    # -nostats keeps the human status line off stderr, which then holds only warnings.
    return [
        settings.ffmpeg,
        "-hide_banner",
        "-nostats",
        "-loglevel",
        "warning",
        "-progress",
        "pipe:1",
        "-y",
    ]


def _limits(limits: ProbeLimits) -> list[str]:
    return [
        "-probesize",
        str(limits.probesize),
        "-analyzeduration",
        str(limits.analyzeduration_us),
    ]


def _live_input(limits: ProbeLimits) -> list[str]:
    # The FLV demuxer never opens other resources; "pipe" alone is the tightest whitelist.
    return ["-f", "flv", "-protocol_whitelist", "pipe", *_limits(limits), "-i", "pipe:0"]


def _demuxer(source: SourceInfo) -> str:
    if source.container not in SAFE_FORMATS:
        raise ValueError(f"container {source.container!r} was not accepted by validation")
    # "mov,mp4,m4a,3gp,3g2,mj2" is selected by its first name.
    return source.container.split(",")[0]


def _file_input(
    source: SourceInfo, input_path: str, limits: ProbeLimits, seek_s: float | None = None
) -> list[str]:
    if not input_path.startswith("/"):
        raise ValueError(f"input must be an absolute local path: {input_path!r}")
    # -ss before -i seeks in the demuxer (fast) instead of decoding up to the position.
    seek = ["-ss", _seconds(seek_s)] if seek_s is not None else []
    return [
        "-nostdin",
        "-protocol_whitelist",
        "file",
        "-format_whitelist",
        format_whitelist(),
        *_limits(limits),
        "-f",
        _demuxer(source),
        *seek,
        "-i",
        input_path,
    ]


def _gop(fps: float | None, segment_s: float) -> int:
    return max(1, round((fps or 30.0) * segment_s))


def _seconds(value: float) -> str:
    return f"{value:g}"


def _video_codec_args(
    index: int, rung: PlannedRung, segment_s: float, settings: EncoderSettings
) -> list[str]:
    v = f"v:{index}"
    if rung.passthrough:
        return [f"-c:{v}", "copy"]
    # x264 keeps its default threads: capping small rungs at one thread measured no CPU
    # saving (bench/, 0.91 vs 0.92 CPU-s/s) and ffmpeg 5.1 then runs those encoders on its
    # own main thread, one after another, so the ladder fell behind real time (1.2× wall).
    # Keyframes at every segment boundary, by time (robust to variable frame rate) and by a
    # fixed GOP with scene-cut keyframes off, so every rung cuts its segments at the same
    # instants and players can switch renditions at any segment.
    return [
        f"-c:{v}",
        "libx264",
        f"-preset:{v}",
        settings.preset,
        f"-profile:{v}",
        rung.profile,
        f"-level:{v}",
        rung.level,
        f"-b:{v}",
        f"{rung.video_kbps}k",
        f"-maxrate:{v}",
        f"{rung.maxrate_kbps}k",
        f"-bufsize:{v}",
        f"{rung.bufsize_kbps}k",
        f"-g:{v}",
        str(_gop(rung.fps, segment_s)),
        f"-sc_threshold:{v}",
        "0",
        f"-force_key_frames:{v}",
        f"expr:gte(t,n_forced*{_seconds(segment_s)})",
    ]


KEPT_SAMPLE_RATES = (44_100, 48_000)
"""Source sample rates AAC is encoded at unchanged; others are resampled to
``EncoderSettings.audio_sample_rate`` (the two rates every HLS player and TV box plays)."""


def _sample_rate(source: SourceInfo, settings: EncoderSettings) -> int:
    # Resampling 44.1 kHz to 48 kHz costs CPU and ~9 % more samples to code for nothing a
    # listener hears; copied rungs keep the source's rate anyway, so keeping it also keeps
    # every rendition of a ladder at one rate.
    if source.audio_sample_rate in KEPT_SAMPLE_RATES:
        return source.audio_sample_rate
    return settings.audio_sample_rate


def _aac_coder(kbps: int, channels: int) -> str:
    # ffmpeg's "fast" coder is the old two-loop search: at 64 kbit/s per channel and above it
    # sounds as good as "twoloop" or better at a fraction of the CPU; below, twoloop's
    # perceptual tuning is worth its cost (FFmpeg commit fcb681ac, "aacenc: use the fast
    # coder as the default", 2018, whose reasoning holds though the default was restored).
    return "fast" if kbps >= 64 * channels else "twoloop"


def _audio_codec_args(
    index: int,
    rung: PlannedRung,
    source: SourceInfo,
    settings: EncoderSettings,
) -> list[str]:
    a = f"a:{index}"
    if rung.audio_copy:
        return [f"-c:{a}", "copy"]
    channels = min(source.audio_channels or 2, 2)
    return [
        f"-c:{a}",
        "aac",
        f"-aac_coder:{a}",
        _aac_coder(rung.audio_kbps, channels),
        f"-b:{a}",
        f"{rung.audio_kbps}k",
        f"-ac:{a}",
        str(channels),
        f"-ar:{a}",
        str(_sample_rate(source, settings)),
    ]


def _ladder_args(
    planned: Sequence[PlannedRung],
    source: SourceInfo,
    segment_s: float,
    settings: EncoderSettings,
) -> tuple[list[str], str]:
    """Filter graph, maps and codec options for a plan (one output), and its
    ``-var_stream_map``."""
    graph = _graph_args(planned, source)
    args, var_map = _output_args(planned, planned, source, segment_s, settings)
    return graph + args, var_map


def _graph_args(planned: Sequence[PlannedRung], source: SourceInfo) -> list[str]:
    videos = [r for r in planned if r.kind == "video"]
    if videos and not source.has_video:
        raise ValueError("the plan has video rungs but the source has no video")
    if not planned:
        raise ValueError("the plan is empty")
    encoded = [i for i, r in enumerate(videos) if not r.passthrough]
    if not encoded:
        return []
    # One decode for the whole ladder (DESIGN.md § Live).
    return ["-filter_complex", ";".join(_cascade_graph(videos, encoded))]


def _output_args(
    planned: Sequence[PlannedRung],
    rungs: Sequence[PlannedRung],
    source: SourceInfo,
    segment_s: float,
    settings: EncoderSettings,
) -> tuple[list[str], str]:
    """Maps and codec options of one output holding ``rungs`` (a part of ``planned``, whose
    graph labels them), and its ``-var_stream_map``; stream indices count within it."""
    labels = {id(r): i for i, r in enumerate(r for r in planned if r.kind == "video")}
    videos = [r for r in rungs if r.kind == "video"]
    audios = [r for r in rungs if r.kind == "audio"]
    args: list[str] = []
    for rung in videos:
        args += ["-map", "0:v:0" if rung.passthrough else f"[v{labels[id(rung)]}]"]
    with_audio = source.has_audio
    if with_audio:
        args += ["-map", "0:a:0"] * (len(videos) + len(audios))
    if videos:
        # Keep the source's timestamps: the default (cfr for HLS) duplicates or drops frames
        # to fit a constant rate, and a duplicated last frame at a segment boundary becomes a
        # stray 1-frame segment in the encoded renditions but not in the copied one.
        args += ["-fps_mode", "passthrough"]
    for i, rung in enumerate(videos):
        args += _video_codec_args(i, rung, segment_s, settings)
    if with_audio:
        for i, rung in enumerate([*videos, *audios]):
            args += _audio_codec_args(i, rung, source, settings)
    entries = [
        f"v:{i},a:{i},name:{r.name}" if with_audio else f"v:{i},name:{r.name}"
        for i, r in enumerate(videos)
    ]
    if with_audio:
        entries += [f"a:{len(videos) + j},name:{r.name}" for j, r in enumerate(audios)]
    return args, " ".join(entries)


def _scale(rung: PlannedRung) -> str:
    # format=yuv420p: 8-bit 4:2:0 is what the H.264 profiles we signal (and phones) decode.
    return f"scale={rung.width}:{rung.height},format=yuv420p"


def _cascade_graph(videos: Sequence[PlannedRung], encoded: Sequence[int]) -> list[str]:
    """Each encoded rung scaled from the next larger one: 1080p → 720p → 480p → …

    Scaling dominates the filter cost and shrinks with its input: from 1080p, four rungs
    cost swscale about 0.24 CPU-s per media second; cascaded, 0.10 (bench/). Each step is a
    small bicubic downscale of an already filtered picture, so the result stays within 0.001
    SSIM of scaling from the source (1080p30 test source, 720p…240p, against lanczos).
    Rungs are planned largest first with the source's aspect ratio, so each one fits inside
    the one before. Only the first step converts the pixel format; the rest inherit 4:2:0.
    """
    chains: list[str] = []
    source = "[0:v:0]"
    for n, i in enumerate(encoded):
        rung = videos[i]
        step = _scale(rung) if n == 0 else f"scale={rung.width}:{rung.height}"
        if n == len(encoded) - 1:
            chains.append(f"{source}{step}[v{i}]")
        else:
            chains.append(f"{source}{step},split=2[v{i}][c{i}]")
            source = f"[c{i}]"
    return chains


def _hls_output(
    out_dir: str,
    segment_s: float,
    playlist_type: str,
    flags: str,
    var_stream_map: str,
    master_name: str = FFMPEG_MASTER_NAME,
    *,
    cmaf: bool = False,
) -> list[str]:
    # Even single-rendition outputs go through -var_stream_map: with a %v in the path the
    # hls muxer creates the variant directory itself, so callers never mkdir per rendition.
    variant = "%v"
    args = [
        "-max_muxing_queue_size",
        "1024",
        "-f",
        "hls",
        "-hls_time",
        # A part's length to the microsecond: the cut after every third part of a third of a
        # second must not land a frame before the keyframe forced at the whole second.
        f"{segment_s:.6f}" if cmaf else _seconds(segment_s),
        "-hls_list_size",
        "0",
        "-hls_playlist_type",
        playlist_type,
        "-hls_segment_type",
        "fmp4" if cmaf else "mpegts",
        *(["-hls_fmp4_init_filename", INIT_NAME] if cmaf else []),
        "-hls_flags",
        flags,
        "-hls_segment_filename",
        f"{out_dir}/{variant}/{PART_PATTERN if cmaf else SEGMENT_PATTERN}",
        "-master_pl_name",
        master_name,
        "-var_stream_map",
        var_stream_map,
    ]
    return [*args, f"{out_dir}/{variant}/{PLAYLIST_NAME}"]


def _zero_latency(args: list[str], segment_s: float, part_s: float) -> list[str]:
    """Low-latency mode, for the re-encoded rungs: x264 without lookahead and B-frames
    (``-tune zerolatency``, about 0.6 s less delay at ``veryfast``) and a keyframe starting
    every part, so every part is independent and the muxer, cutting only at keyframes, cuts
    each one on its own keyframe. (Cut by time, ffmpeg measures from the first packet —
    the AAC priming, 21 ms before the picture — and so cut one frame before the keyframe
    forced every segment.) Shorter GOPs cost bitrate; the low mode pays it for latency."""
    ratio = part_s / segment_s
    out: list[str] = []
    rest = iter(args)
    for arg in rest:
        value = next(rest, None) if arg.startswith(("-preset:v:", "-g:v:", "-force_key_")) else None
        out.append(arg)
        if value is None:
            continue
        if arg.startswith("-preset:v:"):
            out += [value, "-tune:" + arg.removeprefix("-preset:"), "zerolatency"]
        elif arg.startswith("-g:v:"):
            out.append(str(max(1, round(int(value) * ratio))))
        else:
            out.append(f"expr:gte(t,n_forced*{part_s:.6f})")
    return out


def live_hls_command(
    planned: Sequence[PlannedRung],
    source: SourceInfo,
    out_dir: str,
    segment_s: float = 2.0,
    *,
    resume: bool = False,
    limits: ProbeLimits | None = None,
    settings: EncoderSettings | None = None,
    part_s: float | None = None,
) -> list[str]:
    """One ffmpeg for a live stream: FLV on stdin, the whole ladder out as HLS.

    ``part_s`` (low-latency mode): fMP4 fragments of about that length, cut by time
    (keyframes stay at every ``segment_s``), which the packager lists as parts and joins into
    segments at keyframes.

    Two HLS outputs when the plan has both: the renditions nothing is x264-encoded for (the
    passed-through top, the audio-only rung) and the encoded ones. A muxer interleaves its
    streams by time, so in one output the copied picture waited for x264's lookahead and
    frame threads (about 0.6 s at ``veryfast``) before its segment could close; in its own
    output it closes as soon as the next keyframe arrives. Both cut at the same instants.

    ``resume``: the transcoder is restarted for the same event (crash or reconnect), so ffmpeg
    appends to the existing playlists (``append_list``) after an EXT-X-DISCONTINUITY
    (``discont_start``) instead of starting them over.
    """
    settings = settings or EncoderSettings()
    out_dir = _check_out_dir(out_dir)
    graph = _graph_args(planned, source)
    unencoded = [r for r in planned if r.kind == "audio" or r.passthrough]
    encoded = [r for r in planned if r not in unencoded]
    groups = [g for g in (unencoded, encoded) if g]
    args = [
        *_head(settings),
        *_live_input(limits or ProbeLimits(probesize=5_000_000, analyzeduration_us=2_000_000)),
        *graph,
    ]
    for n, rungs in enumerate(groups):
        output, var_map = _output_args(planned, rungs, source, segment_s, settings)
        if part_s is not None:
            output = _zero_latency(output, segment_s, part_s)
        # temp_file: playlists and segments appear only when complete, so the uploader
        # watching the spool directory never ships half a file. A copied rung whose
        # keyframes are further apart than a segment is cut by time in between (the
        # ladder's copy_fits_segments), and its segments are then not independent.
        independent = all(r.independent for r in rungs)
        flags = "program_date_time+temp_file"
        flags = ("independent_segments+" + flags) if independent else (flags + "+split_by_time")
        # Copied pictures keep the encoder's keyframes: their parts are cut by time.
        copied = any(r.passthrough and r.kind == "video" for r in rungs)
        if part_s is not None and copied and "split_by_time" not in flags:
            flags += "+split_by_time"
        if resume:
            flags += "+append_list+discont_start"
        master = FFMPEG_MASTER_NAME if n == 0 else FFMPEG_MASTER_NAME.replace(".m3u8", "-2.m3u8")
        cut = part_s if part_s is not None else segment_s
        hls = _hls_output(out_dir, cut, "event", flags, var_map, master, cmaf=part_s is not None)
        args += [*output, *hls]
    return args


def vod_hls_command(
    planned: Sequence[PlannedRung],
    source: SourceInfo,
    input_path: str,
    out_dir: str,
    segment_s: float = 6.0,
    *,
    limits: ProbeLimits | None = None,
    settings: EncoderSettings | None = None,
) -> list[str]:
    """One ffmpeg for a video resource: a checked local file in, the ladder out as VOD HLS."""
    settings = settings or EncoderSettings()
    out_dir = _check_out_dir(out_dir)
    ladder_args, var_map = _ladder_args(planned, source, segment_s, settings)
    return [
        *_head(settings),
        *_file_input(source, input_path, limits or ProbeLimits()),
        *ladder_args,
        *_hls_output(out_dir, segment_s, "vod", "independent_segments", var_map),
    ]


LOUDNORM_FILTER = "loudnorm=I=-16:TP=-1.5:LRA=11"
"""EBU R128 single-pass loudness normalisation to -16 LUFS (spoken word on phones)."""


def audio_hls_command(
    source: SourceInfo,
    input_path: str,
    out_dir: str,
    loudnorm: bool = False,
    *,
    kbps: int = 128,
    segment_s: float = 6.0,
    limits: ProbeLimits | None = None,
    settings: EncoderSettings | None = None,
) -> list[str]:
    """AAC HLS for an audio resource into ``out_dir/audio/``; remuxed when already AAC-LC.

    ``kbps`` is the stereo rate; :func:`~culturecast.transcode.ladder.plan_audio` halves it
    for mono and caps it at the source's rate, and the source's 44.1/48 kHz is kept, so a
    64 kbit/s mono 评书 MP3 becomes 64 kbit/s mono AAC-LC at 44.1 kHz.

    Cover art in MP3/M4A files is a video stream; ``-vn`` and the explicit map drop it.
    """
    settings = settings or EncoderSettings()
    out_dir = _check_out_dir(out_dir)
    rung = plan_audio(source, kbps=kbps, loudnorm=loudnorm)
    args = ["-map", "0:a:0", "-vn", "-sn", "-dn"]
    if rung.audio_copy:
        args += ["-c:a", "copy"]
    else:
        if loudnorm:
            # loudnorm resamples to 192 kHz internally; -ar brings it back down.
            args += ["-af", LOUDNORM_FILTER]
        channels = min(source.audio_channels or 2, 2)
        args += [
            "-c:a",
            "aac",
            "-aac_coder",
            _aac_coder(rung.audio_kbps, channels),
            "-b:a",
            f"{rung.audio_kbps}k",
            "-ac",
            str(channels),
            "-ar",
            str(_sample_rate(source, settings)),
        ]
    return [
        *_head(settings),
        *_file_input(source, input_path, limits or ProbeLimits()),
        *args,
        *_hls_output(out_dir, segment_s, "vod", "independent_segments", "a:0,name:audio"),
    ]


def poster_position(source: SourceInfo) -> float:
    """Where the poster frame is taken: 10 % in, past black openings and title cards."""
    return round((source.duration_s or 0.0) * 0.1, 3)


def poster_command(
    source: SourceInfo,
    input_path: str,
    out_path: str,
    *,
    width: int = 1280,
    limits: ProbeLimits | None = None,
    settings: EncoderSettings | None = None,
) -> list[str]:
    """One JPEG frame at :func:`poster_position`, at most ``width`` wide (never upscaled)."""
    settings = settings or EncoderSettings()
    if not source.has_video:
        raise ValueError("a poster needs a video stream")
    _check_out_dir(out_path)
    w, h, _ = fit_size(source.display_width, source.display_height, width, width)
    return [
        *_head(settings),
        *_file_input(source, input_path, limits or ProbeLimits(), poster_position(source)),
        "-map",
        "0:v:0",
        "-an",
        "-frames:v",
        "1",
        "-vf",
        f"scale={w}:{h}",
        "-q:v",
        "3",
        "-update",
        "1",
        "-f",
        "image2",
        out_path,
    ]


def thumbnail_size(source: SourceInfo, width: int = 160) -> tuple[int, int]:
    """Size of one preview thumbnail in the sprite."""
    w, h, _ = fit_size(source.display_width, source.display_height, width, width)
    return w, h


def thumbnails_command(
    source: SourceInfo,
    input_path: str,
    out_path: str,
    *,
    count: int = 20,
    width: int = 160,
    columns: int = 5,
    limits: ProbeLimits | None = None,
    settings: EncoderSettings | None = None,
) -> list[str]:
    """A JPEG sprite of ``count`` evenly spaced thumbnails, ``columns`` per row.

    Thumbnail *k* (row-major) shows the picture at ``k × duration / count``; each is
    :func:`thumbnail_size`.
    """
    settings = settings or EncoderSettings()
    if not source.has_video or not source.duration_s:
        raise ValueError("thumbnails need a video stream with a known duration")
    if count < 1 or columns < 1:
        raise ValueError("count and columns must be positive")
    _check_out_dir(out_path)
    w, h = thumbnail_size(source, width)
    rows = math.ceil(count / columns)
    return [
        *_head(settings),
        *_file_input(source, input_path, limits or ProbeLimits()),
        "-map",
        "0:v:0",
        "-an",
        "-vf",
        f"fps={count}/{source.duration_s:.3f},scale={w}:{h},tile={columns}x{rows}",
        "-frames:v",
        "1",
        "-q:v",
        "5",
        "-update",
        "1",
        "-f",
        "image2",
        out_path,
    ]
