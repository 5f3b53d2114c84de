"""How fast a 1080p upload becomes the VOD ladder, in × real time: our one-ffmpeg command
(one decode, ``split`` to every rung, top rung passed through) against the reference of one
ffmpeg per rendition (``bench.commands.per_rendition_commands``, each decoding the input
again), both on the same generated file and plan, measured in the same run.

    .venv/bin/python bench/bench_vod_video.py [--seconds 20] [--preset veryfast]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

from bench.commands import per_rendition_commands
from culturecast.transcode.command import EncoderSettings, vod_hls_command
from culturecast.transcode.ladder import DEFAULT_VOD_LADDER, plan_ladder
from culturecast.transcode.probe import ProbeLimits, parse_probe, probe_command


def make_source(path: Path, seconds: int) -> None:
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
            "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-pix_fmt", "yuv420p",
            "-b:v", "4000k", "-maxrate", "4000k", "-bufsize", "8000k", "-g", "60",
            "-c:a", "aac", "-b:a", "128k", "-shortest", str(path),
        ],
        check=True,
    )  # fmt: skip


def timed(commands: list[list[str]]) -> float:
    started = time.perf_counter()
    for command in commands:
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--preset", default="veryfast")
    args = parser.parse_args()
    settings = EncoderSettings(preset=args.preset)
    limits = ProbeLimits()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        src = root / "src.mp4"
        make_source(src, args.seconds)
        probed = subprocess.run(
            probe_command(str(src), limits), check=True, capture_output=True
        ).stdout
        source = parse_probe(json.loads(probed))
        plan = plan_ladder(DEFAULT_VOD_LADDER, source)
        ours = timed(
            [vod_hls_command(plan, source, str(src), str(root / "ours"), settings=settings)]
        )
        reference = timed(
            per_rendition_commands(plan, source, str(src), str(root / "ref"), settings=settings)
        )
    rungs = ", ".join(f"{r.name}{' (copy)' if r.passthrough else ''}" for r in plan)
    d = args.seconds
    print(f"1080p30 H.264 source, {d} s, preset {args.preset}; ladder: {rungs}")
    rows = [("reference: one ffmpeg per rendition", reference), ("ours: one decode + split", ours)]
    for name, took in rows:
        print(f"  {name:38} {took:7.2f} s  {d / took:5.2f}x real time")
    print(f"  speed-up: {reference / ours:.2f}x")


if __name__ == "__main__":
    main()
