"""The live packager against a real spool directory and the local object store: segments are
published the moment ffmpeg's playlist lists them, not on the packager's next look.

ffmpeg is played by the test, the way its hls muxer writes with ``temp_file``: the segment
renamed into place, then the playlist written beside it and renamed over the old one."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import m3u8
import pytest

from culturecast.live.packager import Packager
from culturecast.live.playlist import Segment
from culturecast.live.spool_watch import SpoolWatch
from culturecast.storage.objects.local import LocalObjectStore
from culturecast.transcode.ladder import PlannedRung

RUNG = PlannedRung("360p", "video", 640, 360, 800, 856, 1200, 96, "main", "3.0", fps=30.0)

pytestmark = pytest.mark.skipif(
    not (Path("/proc/sys/fs/inotify").exists()), reason="inotify is Linux's"
)


def ffmpeg_closes_segment(variant: Path, count: int, duration: float = 1.0) -> float:
    """Write segment ``count - 1`` and the playlist listing ``count`` segments as ffmpeg's
    temp_file does; the monotonic time of the playlist's rename."""
    variant.mkdir(parents=True, exist_ok=True)
    n = count - 1
    (variant / f"seg_{n:05d}.ts.tmp").write_bytes(b"\x47" * 188 * 10)
    (variant / f"seg_{n:05d}.ts.tmp").rename(variant / f"seg_{n:05d}.ts")
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:1", "#EXT-X-MEDIA-SEQUENCE:0"]
    for i in range(count):
        lines += [f"#EXTINF:{duration:.6f},", f"seg_{i:05d}.ts"]
    (variant / "index.m3u8.tmp").write_text("\n".join(lines) + "\n")
    (variant / "index.m3u8.tmp").rename(variant / "index.m3u8")
    return time.monotonic()


async def test_a_closed_segment_is_published_without_waiting_for_a_poll(
    tmp_path: Path,
) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    published: asyncio.Queue[tuple[int, float]] = asyncio.Queue()

    def on_segment(rendition: str, segment: Segment, _listed_at: float) -> None:
        published.put_nowait((segment.sequence, time.monotonic()))

    # A poll every 30 s: only being woken by the playlist's rename publishes in time.
    packager = Packager("ev1", store, segment_s=1.0, poll_s=30.0, on_segment=on_segment)
    run = tmp_path / "spool" / "run-1"
    run.mkdir(parents=True)
    packager.add_run(1, run, [RUNG])
    try:
        for count in (1, 2, 3):
            # ffmpeg creates the variant directory after the run started (the first time).
            closed = ffmpeg_closes_segment(run / "360p", count)
            sequence, at = await asyncio.wait_for(published.get(), 5)
            assert sequence == count - 1
            assert at - closed < 0.5, f"segment {sequence} published {at - closed:.2f} s late"
            listed = m3u8.loads((await store.get("live/ev1/360p/index.m3u8")).decode())
            assert [s.uri for s in listed.segments][-1] == f"seg_{count - 1:06d}.ts"
    finally:
        await packager.close()


async def test_a_rendition_cut_between_keyframes_is_published_as_not_independent(
    tmp_path: Path,
) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    packager = Packager("ev2", store, segment_s=1.0, poll_s=30.0)
    run = tmp_path / "spool" / "run-1"
    run.mkdir(parents=True)
    cut = PlannedRung(
        "360p", "video", 640, 360, 800, 856, 1200, 96, "main", "3.0", passthrough=True,
        independent=False,
    )  # fmt: skip
    packager.add_run(1, run, [cut])
    ffmpeg_closes_segment(run / "360p", 1)
    await packager.finish()
    for key in ("live/ev2/master.m3u8", "live/ev2/360p/index.m3u8", "live/ev2/360p/event.m3u8"):
        text = (await store.get(key)).decode()
        assert "#EXT-X-INDEPENDENT-SEGMENTS" not in text, key


async def test_the_watch_sees_playlists_in_directories_made_after_it(tmp_path: Path) -> None:
    watch = SpoolWatch()
    assert watch.active
    try:
        watch.add(tmp_path)
        assert not await watch.wait(0.05)
        ffmpeg_closes_segment(tmp_path / "a" / "360p", 1)
        assert await watch.wait(2)
        (tmp_path / "a" / "360p" / "seg_00009.ts").write_bytes(b"")  # not a playlist
        assert not await watch.wait(0.05)
        ffmpeg_closes_segment(tmp_path / "a" / "360p", 2)
        assert await watch.wait(2)
    finally:
        watch.close()
