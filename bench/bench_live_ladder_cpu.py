"""CPU seconds per media second of the live ladder for a 1080p30 H.264/AAC source.

Same run, same source, x264 ``veryfast``, the live ladder (``live.ladders.LIVE_LADDER``:
1080p 5000k, 720p 2800k, 480p 1400k, 360p 800k, 240p 400k, 64k audio-only), rounds
interleaved so a shared machine's load falls on every command alike; medians reported:

* ours: ``live_hls_command`` as the ingest runs it — FLV on stdin, one decode, 1080p passed
  through, the other rungs scaled in a cascade (each from the next larger one), AAC copied
  where the source's fits a rung's rate, else encoded at the source's 48 kHz (ffmpeg's
  ``fast`` coder from 64 kbit/s per channel);
* ours, nothing passed through: the same command for a plan without pass-through, to show
  what the pass-through alone saves and what the tunings alone save;
* all-encode, one process (the reference of the goal): the ladder encoded entirely (1080p
  too, at its configured 5000k high profile) in one ffmpeg with one decode, the way a typical
  nginx-rtmp/SRS ``exec ffmpeg`` ladder does it — every rung scaled from the source with
  ffmpeg's default scaler, AAC encoded per rendition with ffmpeg's default coder at 48 kHz
  (``all_encode_command``); x264 keeps its default threads in every command;
* all-encode, 1080p as the source: the same, but 1080p encoded at the source's profile and
  rate (baseline, 4000k: cheaper), the reference this bench used before; shown so the
  saving does not rest on the reference's choice of profile;
* one ffmpeg per rendition: one process per rung of our plan (1080p copied), each decoding
  the source again, built as plainly as the reference (``per_rendition_commands``).

Goal (issue 3): ours ≤ 0.7× all-encode and real time on 2 cores. CPU is user+system time of
the children (getrusage). ``--quality`` adds SSIM/PSNR of ours' and the reference's 720p and
240p rungs against the source scaled with lanczos.

    .venv/bin/python bench/bench_live_ladder_cpu.py [--seconds 8] [--rounds 3] [--quality]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.commands import all_encode_command, per_rendition_commands
from culturecast.live.ladders import LIVE_LADDER
from culturecast.transcode.command import EncoderSettings, live_hls_command
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


def quality(rendition: Path, source: Path, width: int, height: int) -> str:
    # Both sides start at 0 (HLS adds a 1.4 s offset), compared frame by frame.
    graph = (
        f"[0:v]setpts=PTS-STARTPTS[a];[1:v]scale={width}:{height}:flags=lanczos,"
        "setpts=PTS-STARTPTS[b];[a][b]ssim;"
        f"[0:v]setpts=PTS-STARTPTS[c];[1:v]scale={width}:{height}:flags=lanczos,"
        "setpts=PTS-STARTPTS[d];[c][d]psnr"
    )
    log = subprocess.run(
        ["ffmpeg", "-hide_banner", "-i", str(rendition), "-i", str(source),
         "-filter_complex", graph, "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    ssim = re.search(r"All:([0-9.]+)", log)
    psnr = re.search(r"average:([0-9.inf]+)", log)
    return f"SSIM {ssim[1] if ssim else '?'}  PSNR {psnr[1] if psnr else '?'} dB"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quality", action="store_true")
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
        encode_all = plan_ladder(
            LIVE_LADDER,
            source,
            live=True,
            segment_s=2.0,
            keyframe_interval_s=2.0,
            allow_passthrough=False,
        )
        settings = EncoderSettings(preset="veryfast")
        print("plan:", ", ".join(f"{r.name}{' (copy)' if r.passthrough else ''}" for r in plan))
        src = str(source_path)

        def commands(name: str, out: str) -> tuple[list[list[str]], Path | None]:
            o = str(work / out)
            if name == "ours":
                return [live_hls_command(plan, source, o, 2.0, settings=settings)], source_path
            if name == "ours-nocopy":
                cmd = live_hls_command(encode_all, source, o, 2.0, settings=settings)
                return [cmd], source_path
            if name in ("all", "all-src"):
                all_plan = encode_all if name == "all" else plan
                cmd = all_encode_command(all_plan, source, src, o, 2.0, settings=settings)
                return [cmd], None
            return per_rendition_commands(plan, source, src, o, 2.0, settings=settings), None

        names = {
            "ours": "ours (pass-through + tunings)",
            "ours-nocopy": "ours, nothing passed through",
            "all": "all-encode, one process (ref)",
            "all-src": "all-encode, 1080p as the source",
            "per": "one ffmpeg per rendition",
        }
        results: dict[str, list[tuple[float, float]]] = {n: [] for n in names}
        loads = [os.getloadavg()[0]]
        for r in range(args.rounds):
            order = list(names) if r % 2 == 0 else list(reversed(names))
            for name in order:
                shutil.rmtree(work / name, ignore_errors=True)
                cmds, stdin = commands(name, name)
                results[name].append(run(cmds, stdin))
            loads.append(os.getloadavg()[0])
        if args.quality:
            rows = []
            for name in ("ours", "all"):
                for rung, (w, h) in (("720p", (1280, 720)), ("240p", (426, 240))):
                    rendition = work / name / rung / "index.m3u8"
                    rows.append(
                        f"  {names[name]:<32} {rung}: {quality(rendition, source_path, w, h)}"
                    )
    reference = statistics.median(c for c, _ in results["all"])
    previous = statistics.median(c for c, _ in results["all-src"])
    print(
        f"CPU seconds per media second, {args.seconds:g} s of 1080p30, median of {args.rounds} "
        f"interleaved rounds (lower is better); 1-min load average "
        f"{min(loads):.1f}–{max(loads):.1f} on {os.cpu_count()} CPUs"
    )
    for name, label in names.items():
        cpu = statistics.median(c for c, _ in results[name])
        wall = statistics.median(w for _, w in results[name])
        runs = " ".join(f"{c / args.seconds:.2f}" for c, _ in results[name])
        print(
            f"  {label:<32} {cpu / args.seconds:5.2f} CPU-s/s ({cpu / reference:4.2f}× ref,"
            f" {cpu / previous:4.2f}× 1080p-as-source)"
            f"  wall {wall / args.seconds:4.2f}× real time  [runs: {runs}]"
        )
    if args.quality:
        print("quality against the source scaled with lanczos:")
        print("\n".join(rows))


if __name__ == "__main__":
    main()
