"""Live segment lag: when a segment is listed in the object store's live playlist, minus the
wall time its last frame was sent by the publisher (goal ≤ 1 s with 2 s segments).

Our path: ffmpeg -re publishes testsrc2 640x360@30 over RTMP to the in-process standalone app
(ingest → transcoder → packager → store). Reference, same run: ffmpeg encoding the same source
straight to HLS on disk, its own playlist polled every 50 ms — the floor set by the encoder
and the segmenter alone.

    .venv/bin/python bench/bench_live_segment_lag.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from culturecast.live.playlist import Segment, parse_media_playlist
from culturecast.server.app import create_app
from culturecast.server.features.live import LIVE_RUNTIME
from culturecast.server.settings import load_settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import contextlib

from tests.support.live import ffmpeg_publish_command


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def summary(name: str, lags: list[float]) -> None:
    if not lags:
        print(f"{name:<28} no segments")
        return
    lags.sort()
    print(
        f"{name:<28} n={len(lags):3d}  median={statistics.median(lags):6.3f} s  "
        f"p90={lags[int(len(lags) * 0.9) - 1 if len(lags) > 1 else 0]:6.3f} s  "
        f"max={lags[-1]:6.3f} s"
    )


async def ours(seconds: float, work: Path) -> dict[str, list[float]]:
    rtmp_port = free_port()
    (work / "data").mkdir()
    settings = load_settings(
        {
            "CULTURECAST_DATA_DIR": str(work / "data"),
            "CULTURECAST_ADMIN_PASSWORD": "bench-pass-1",
            "CULTURECAST_HTTP_HOST": "127.0.0.1",
            "CULTURECAST_RTMP_PORT": str(rtmp_port),
            "CULTURECAST_LOG_LEVEL": "WARNING",
        }
    )
    app = create_app(settings, "standalone")
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    lags: dict[str, list[float]] = {}
    runtime = app[LIVE_RUNTIME]

    def listed(event_id: str, rendition: str, segment: Segment, at: float) -> None:
        stream = runtime.streams.get(event_id)
        origin = stream.health.origin if stream else None
        if origin is None:
            return
        ends = sums.setdefault(rendition, 0.0) + segment.duration
        sums[rendition] = ends
        # Media time 0 (the first tag's timestamp) was sent at origin[0].
        lags.setdefault(rendition, []).append(at - (origin[0] + ends))

    sums: dict[str, float] = {}
    runtime.on_segment = listed
    base = str(server.make_url("/api/v1"))
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{base}/auth/login", json={"username": "admin", "password": "bench-pass-1"}
        ) as r:
            token = (await r.json())["token"]
        auth = {"Authorization": f"Bearer {token}"}
        async with http.post(f"{base}/orgs", json={"name": "基准"}, headers=auth) as r:
            org = (await r.json())["id"]
        async with http.post(
            f"{base}/live", json={"org_id": org, "title": "bench"}, headers=auth
        ) as r:
            key = (await r.json())["stream_key"]
    url = f"rtmp://127.0.0.1:{rtmp_port}/live/{key}"
    proc = await asyncio.create_subprocess_exec(
        *ffmpeg_publish_command(url, seconds=seconds), stdin=subprocess.DEVNULL
    )
    await proc.wait()
    await asyncio.sleep(1.0)
    await server.close()
    # The last segment of each rendition is cut when the publisher stops, not by time.
    return {k: v[:-1] for k, v in lags.items()}


async def reference(seconds: float, work: Path) -> list[float]:
    out = work / "ref"
    out.mkdir()
    cmd = [
        *ffmpeg_publish_command("x", seconds=seconds)[:-3],
        "-f", "hls", "-hls_time", "2", "-hls_list_size", "0",
        "-hls_flags", "independent_segments+temp_file", str(out / "index.m3u8"),
    ]  # fmt: skip
    started = time.time()
    proc = await asyncio.create_subprocess_exec(*cmd, stdin=subprocess.DEVNULL)
    seen = 0
    ends = 0.0
    lags: list[float] = []
    while proc.returncode is None:
        await asyncio.sleep(0.05)
        path = out / "index.m3u8"
        if path.exists():
            entries = parse_media_playlist(path.read_text()).entries
            for entry in entries[seen:]:
                ends += entry.duration
                lags.append(time.time() - (started + ends))
            seen = len(entries)
        if proc.returncode is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 0.001)
    return lags[:-1]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ref = await reference(args.seconds, work)
        got = await ours(args.seconds, work)
    print(f"segment lag, 2 s segments, {args.seconds:g} s of 640x360@30 (lower is better)")
    summary("reference: ffmpeg → HLS", ref)
    for rendition, lags in sorted(got.items()):
        summary(f"ours: {rendition}", lags)


if __name__ == "__main__":
    asyncio.run(main())
