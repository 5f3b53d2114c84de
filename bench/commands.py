"""The reference commands the ffmpeg benches measure ours against; only bench/ uses them.

Both are built the straightforward way a typical nginx-rtmp/SRS ``exec ffmpeg`` ladder is:
every encoded rung scaled from the decoded source (no cascade), AAC encoded per rendition with
ffmpeg's default coder at ``EncoderSettings.audio_sample_rate`` (48 kHz). Everything else (the
head, the checked input, the x264 options with their default threads, the HLS output and its
layout) is the product's own, from :mod:`culturecast.transcode.command`, so a reference
differs from ours only where it is meant to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from culturecast.transcode.command import (
    EncoderSettings,
    _check_out_dir,
    _file_input,
    _head,
    _hls_output,
    _scale,
    _video_codec_args,
)
from culturecast.transcode.ladder import PlannedRung
from culturecast.transcode.probe import ProbeLimits, SourceInfo


def _split_graph(videos: Sequence[PlannedRung]) -> list[str]:
    """Every rung scaled from the decoded source."""
    if len(videos) == 1:
        return [f"[0:v:0]{_scale(videos[0])}[v0]"]
    labels = "".join(f"[s{i}]" for i in range(len(videos)))
    chains = [f"[0:v:0]split={len(videos)}{labels}"]
    return chains + [f"[s{i}]{_scale(rung)}[v{i}]" for i, rung in enumerate(videos)]


def _plain_audio_args(
    index: int, rung: PlannedRung, source: SourceInfo, settings: EncoderSettings
) -> list[str]:
    a = f"a:{index}"
    if rung.audio_copy:
        return [f"-c:{a}", "copy"]
    channels = min(source.audio_channels or 2, 2)
    return [
        f"-c:{a}",
        "aac",
        f"-b:{a}",
        f"{rung.audio_kbps}k",
        f"-ac:{a}",
        str(channels),
        f"-ar:{a}",
        str(settings.audio_sample_rate),
    ]


def _encoded(rung: PlannedRung) -> PlannedRung:
    """The rung with nothing copied: video at its rate (at most its maxrate), audio at its
    rate or 128 kbit/s where it was a copy."""
    if not (rung.passthrough or rung.audio_copy):
        return rung
    return replace(
        rung,
        passthrough=False,
        audio_copy=False,
        video_kbps=min(rung.video_kbps, rung.maxrate_kbps),
        audio_kbps=rung.audio_kbps if not rung.audio_copy else 128,
    )


def all_encode_command(
    planned: Sequence[PlannedRung],
    source: SourceInfo,
    input_path: str,
    out_dir: str,
    segment_s: float = 6.0,
    *,
    limits: ProbeLimits | None = None,
    settings: EncoderSettings | None = None,
) -> list[str]:
    """The plan in one ffmpeg with one decode and nothing passed through (the top rung
    re-encoded), built the straightforward way (see the module docstring)."""
    settings = settings or EncoderSettings()
    out_dir = _check_out_dir(out_dir)
    rungs = [_encoded(r) for r in planned]
    videos = [r for r in rungs if r.kind == "video"]
    audios = [r for r in rungs if r.kind == "audio"]
    if videos and not source.has_video:
        raise ValueError("the plan has video rungs but the source has no video")
    if not rungs:
        raise ValueError("the plan is empty")
    with_audio = source.has_audio
    args: list[str] = []
    if videos:
        args += ["-filter_complex", ";".join(_split_graph(videos))]
    for i in range(len(videos)):
        args += ["-map", f"[v{i}]"]
    if with_audio:
        args += ["-map", "0:a:0"] * (len(videos) + len(audios))
    if videos:
        args += ["-fps_mode", "passthrough"]
    for i, rung in enumerate(videos):
        args += _video_codec_args(i, rung, segment_s, settings)
    if with_audio:
        for i, rung in enumerate([*videos, *audios]):
            args += _plain_audio_args(i, rung, source, settings)
    streams = [
        f"v:{i},a:{i},name:{r.name}" if with_audio else f"v:{i},name:{r.name}"
        for i, r in enumerate(videos)
    ]
    if with_audio:
        streams += [f"a:{len(videos) + j},name:{r.name}" for j, r in enumerate(audios)]
    return [
        *_head(settings),
        *_file_input(source, input_path, limits or ProbeLimits()),
        *args,
        *_hls_output(out_dir, segment_s, "vod", "independent_segments", " ".join(streams)),
    ]


def per_rendition_commands(
    planned: Sequence[PlannedRung],
    source: SourceInfo,
    input_path: str,
    out_dir: str,
    segment_s: float = 6.0,
    *,
    limits: ProbeLimits | None = None,
    settings: EncoderSettings | None = None,
) -> list[list[str]]:
    """One ffmpeg per rendition of the plan (pass-through kept), each decoding the input
    again, built as straightforwardly as :func:`all_encode_command`."""
    settings = settings or EncoderSettings()
    out_dir = _check_out_dir(out_dir)
    commands: list[list[str]] = []
    for rung in planned:
        args: list[str] = []
        if rung.kind == "video":
            if not rung.passthrough:
                args += ["-filter_complex", f"[0:v:0]{_scale(rung)}[v0]"]
            args += ["-map", "0:v:0" if rung.passthrough else "[v0]"]
        if source.has_audio:
            args += ["-map", "0:a:0"]
        if rung.kind == "video":
            args += _video_codec_args(0, rung, segment_s, settings)
        if source.has_audio:
            args += _plain_audio_args(0, rung, source, settings)
        streams = ["v:0"] if rung.kind == "video" else []
        streams += ["a:0"] if source.has_audio else []
        var_map = ",".join([*streams, f"name:{rung.name}"])
        output = _hls_output(out_dir, segment_s, "vod", "independent_segments", var_map)
        commands.append(
            [
                *_head(settings),
                *_file_input(source, input_path, limits or ProbeLimits()),
                *args,
                *output,
            ]
        )
    return commands
