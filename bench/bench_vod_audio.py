"""How fast a long MP3 (a 60-minute 评书 episode) becomes AAC HLS, in × real time.

Runs the real ``media.process`` job (hash, ffprobe validation, ffmpeg to AAC HLS, upload into
a local object store, resource marked ready) on a generated 64 kbit/s mono MP3, and compares
with a reference measured in the same run: a plain ``ffmpeg -i x.mp3 -f null -`` decode of the
same file (the least any conversion must do). Goal: ≥ 100× real time.

    .venv/bin/python bench/bench_vod_audio.py [--minutes 60]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import tempfile
import time
from pathlib import Path

from culturecast.media.catalogue.service import RESOURCES
from culturecast.media.processing import Processor
from culturecast.storage.database.sqlite import SQLiteDatabase
from culturecast.storage.objects.local import LocalObjectStore
from culturecast.transcode.jobs.port import JobContext


def make_mp3(path: Path, seconds: int) -> None:
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-y", "-f", "lavfi",
            "-i", f"sine=frequency=220:sample_rate=44100:duration={seconds}",
            "-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k", str(path),
        ],
        check=True,
    )  # fmt: skip


def decode_reference(path: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-f", "null", "-"], check=True
    )
    return time.perf_counter() - started


async def process(path: Path, root: Path) -> float:
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
    started = time.perf_counter()
    await processor(JobContext("media.process:bench", 1, report), {"resource_id": "bench"})
    elapsed = time.perf_counter() - started
    doc = await db.collection(RESOURCES).get("bench")
    assert doc is not None
    assert doc["status"] == "ready", doc
    await db.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=int, default=60)
    args = parser.parse_args()
    seconds = args.minutes * 60
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        mp3 = root / "episode.mp3"
        make_mp3(mp3, seconds)
        reference = decode_reference(mp3)
        ours = asyncio.run(process(mp3, root))
    print(f"{args.minutes} min MP3 (64 kbit/s mono)")
    rows = [("reference: plain decode", reference), ("media.process -> AAC HLS, stored", ours)]
    for name, took in rows:
        print(f"  {name:34} {took:7.2f} s  {seconds / took:7.0f}x real time")
    verdict = "meets" if seconds / ours >= 100 else "misses"
    print(f"  goal ≥ 100x real time: {verdict}")


if __name__ == "__main__":
    main()
