"""CPU seconds per media second of the live ladder for a 1080p30 H.264/AAC source.

Same run, same source, same plan (``live.ladders.LIVE_LADDER`` capped at the source: 1080p
passed through, 720p/480p/360p/240p encoded, audio-only), x264 ``veryfast``:

* ours: one ffmpeg fed FLV on stdin, one decode, ``split`` (``live_hls_command``);
* all-encode: one ffmpeg, one decode, every rung encoded (``all_encode_command``);
* per-rendition: one ffmpeg per rendition, each decoding again (``per_rendition_commands``).

Goal: ours ≤ 0.7× all-encode. CPU is user+system time of the children (getrusage).

    .venv/bin/python bench/bench_live_ladder_cpu.py [--seconds 8]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import tempfile
import time
from pathlib import Path

from culturecast.live.ladders import LIVE_LADDER
from culturecast.transcode.command import (
    EncoderSettings,
    all_encode_command,
    live_hls_command,
    per_rendition_commands,
)
from culturecast.transcode.ladder import plan_ladder
from culturecast.transcode.probe import SourceInfo


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(commands: list[list[str]], stdin: Path | None = None) -> tuple[float, float]:
    cpu, wall = children_cpu(), time.monotonic()
    for command in commands:
        with stdin.open("rb") if stdin else open("/dev/null", "rb") as feed:
            subprocess.run(command, stdin=feed, stdout=subprocess.DEVNULL, check=True)
    return children_cpu() - cpu, time.monotonic() - wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source_path = work / "source.flv"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30",
             "-f", "lavfi", "-i", "sine=sample_rate=48000", "-t", f"{args.seconds:g}",
             "-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-sc_threshold", "0",
             "-b:v", "4000k", "-maxrate", "4000k", "-bufsize", "8000k", "-pix_fmt", "yuv420p",
             "-c:a", "aac", "-b:a", "128k", "-f", "flv", str(source_path)],
            check=True,
        )  # fmt: skip
        source = SourceInfo(
            container="flv", duration_s=args.seconds, has_video=True, has_audio=True,
            video_codec="h264", width=1920, height=1080, fps=30.0, video_bit_rate=4_000_000,
            pix_fmt="yuv420p", video_profile="Constrained Baseline", video_level=40,
            audio_codec="aac", audio_profile="LC", audio_channels=1, audio_sample_rate=48000,
            audio_bit_rate=128_000,
        )  # fmt: skip
        plan = plan_ladder(LIVE_LADDER, source, live=True, segment_s=2.0, keyframe_interval_s=2.0)
        settings = EncoderSettings(preset="veryfast")
        print(
            "plan:",
            ", ".join(f"{r.name}{' (copy)' if r.passthrough else ''}" for r in plan),
        )
        results = {
            "ours (split + pass-through)": run(
                [live_hls_command(plan, source, str(work / "ours"), 2.0, settings=settings)],
                stdin=source_path,
            ),
            "all-encode, one process": run(
                [
                    all_encode_command(
                        plan, source, str(source_path), str(work / "all"), 2.0, settings=settings
                    )
                ]
            ),
            "one ffmpeg per rendition": run(
                per_rendition_commands(
                    plan, source, str(source_path), str(work / "per"), 2.0, settings=settings
                )
            ),
        }
    reference = results["all-encode, one process"][0]
    print(f"CPU seconds per media second, {args.seconds:g} s of 1080p30 (lower is better)")
    for name, (cpu, wall) in results.items():
        print(
            f"  {name:<30} {cpu / args.seconds:6.2f} CPU-s/s  ({cpu / reference:4.2f}× all-encode)"
            f"  wall {wall / args.seconds:5.2f}× real time"
        )


if __name__ == "__main__":
    main()
