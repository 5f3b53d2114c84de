"""How fast a long MP3 (a 60-minute 评书 episode) becomes AAC HLS, in × real time.

Runs the real ``media.process`` job (hash, ffprobe validation, ffmpeg to AAC HLS, upload into
a local object store, resource marked ready) on a generated 64 kbit/s mono 44.1 kHz MP3, and
compares with references measured in the same run, rounds interleaved, medians reported:

* plain decode: ``ffmpeg -i x.mp3 -f null -`` (the least any conversion must do);
* bare AAC encode as the job did before: 128 kbit/s, 48 kHz, ffmpeg's default ``twoloop``
  coder, to ``-f null`` (no HLS, no job around it);
* bare AAC encode as the job does now: 64 kbit/s mono (half the stereo rate), the source's
  44.1 kHz, the ``fast`` coder (64 kbit/s per channel), to ``-f null``.

``--signal noise`` uses amplitude-modulated pink noise instead of a sine (harder to code, a
little closer to speech). Goal (issue 4): ≥ 100× real time.

    .venv/bin/python bench/bench_vod_audio.py [--minutes 60] [--rounds 3] [--signal noise]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from culturecast.jobs.port import JobContext
from culturecast.media.catalogue.service import RESOURCES
from culturecast.media.processing import Processor
from culturecast.storage.database.sqlite import SQLiteDatabase
from culturecast.storage.objects.local import LocalObjectStore


def make_mp3(path: Path, seconds: int, signal: str) -> None:
    if signal == "noise":
        source = [
            "-i",
            f"anoisesrc=color=pink:sample_rate=44100:amplitude=0.3:duration={seconds}",
            "-af",
            "volume='0.5+0.5*sin(2*PI*3*t)':eval=frame",
        ]
    else:
        source = ["-i", f"sine=frequency=220:sample_rate=44100:duration={seconds}"]
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", *source,
         "-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k", str(path)],
        check=True,
    )  # fmt: skip


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def ffmpeg_null(path: Path, *encode: str) -> tuple[float, float]:
    cpu, started = children_cpu(), time.perf_counter()
    subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), *encode, "-f", "null", "-"],
        check=True,
    )
    return time.perf_counter() - started, children_cpu() - cpu


BEFORE = ("-c:a", "aac", "-b:a", "128k", "-ac", "1", "-ar", "48000")
NOW = ("-c:a", "aac", "-aac_coder", "fast", "-b:a", "64k", "-ac", "1")


async def process(path: Path, root: Path) -> tuple[float, float]:
    db = await SQLiteDatabase.open(root / "db.sqlite")
    objects = LocalObjectStore(root / "objects")
    await objects.put_file("originals/bench/episode.mp3", path, "audio/mpeg")
    now = time.time()
    await db.collection(RESOURCES).insert(
        {
            "_id": "bench",
            "org_id": "o",
            "org_path": ["o"],
            "kind": "audio",
            "category": "storytelling",
            "title": "bench",
            "status": "uploaded",
            "published": False,
            "loudnorm": False,
            "original_key": "originals/bench/episode.mp3",
            "created_at": now,
            "updated_at": now,
        }
    )

    async def report(percent: float) -> None:
        return None

    processor = Processor(db, objects, root / "work")
    cpu, started = children_cpu(), time.perf_counter()
    await processor(JobContext("media.process:bench", 1, report), {"resource_id": "bench"})
    elapsed, cpu = time.perf_counter() - started, children_cpu() - cpu
    doc = await db.collection(RESOURCES).get("bench")
    assert doc is not None
    assert doc["status"] == "ready", doc
    await db.close()
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--signal", choices=("sine", "noise"), default="sine")
    args = parser.parse_args()
    seconds = args.minutes * 60
    rows: dict[str, list[tuple[float, float]]] = {
        "reference: plain decode": [],
        "bare AAC encode, before (128k 48k)": [],
        "bare AAC encode, now (64k 44.1k)": [],
        "media.process -> AAC HLS, stored": [],
    }
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        mp3 = root / "episode.mp3"
        make_mp3(mp3, seconds, args.signal)
        for r in range(args.rounds):
            job_root = root / f"job{r}"
            job_root.mkdir()
            runs: list[Callable[[], tuple[float, float]]] = [
                partial(ffmpeg_null, mp3),
                partial(ffmpeg_null, mp3, *BEFORE),
                partial(ffmpeg_null, mp3, *NOW),
                partial(asyncio.run, process(mp3, job_root)),
            ]
            order = list(zip(rows, runs, strict=True))
            for name, measure in order if r % 2 == 0 else reversed(order):
                rows[name].append(measure())
            loads.append(os.getloadavg()[0])
    print(
        f"{args.minutes} min MP3 (64 kbit/s mono, {args.signal}), median of {args.rounds} "
        f"interleaved rounds; 1-min load average {min(loads):.1f}–{max(loads):.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    for name, took in rows.items():
        wall = statistics.median(w for w, _ in took)
        cpu = statistics.median(c for _, c in took)
        print(
            f"  {name:36} {wall:7.2f} s  {seconds / wall:6.0f}x real time"
            f"   (ffmpeg CPU {cpu:6.2f} s: {seconds / cpu:5.0f}x)"
        )
    ours = statistics.median(w for w, _ in rows["media.process -> AAC HLS, stored"])
    verdict = "meets" if seconds / ours >= 100 else "misses"
    print(f"  goal ≥ 100x real time: {verdict}")


if __name__ == "__main__":
    main()
