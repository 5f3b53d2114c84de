"""A low-latency event end to end in the standalone app: LL-HLS playlists that parse, a
blocking reload answered as the part appears, players without LL support (ffprobe) on the
same playlist, and the replay of the show (fMP4 with EXT-X-MAP)."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Awaitable, Callable

import m3u8

from culturecast.core.llhls import edge_of
from tests.integration.live.conftest import LiveApp
from tests.support.live import Publisher, ffmpeg_publish_command


async def wait(check: Callable[[], Awaitable[bool]], within: float) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)


async def test_a_low_latency_event_serves_ll_hls(
    live: LiveApp, publishers: list[Publisher]
) -> None:
    event = await live.create_event(latency_mode="low")
    assert event["latency_mode"] == "low"
    pub = Publisher(ffmpeg_publish_command(live.rtmp(str(event["stream_key"])))).start()
    publishers.append(pub)
    base = f"{live.api.base}/media/live/{event['id']}"
    url = f"{base}/360p/index.m3u8"
    session = live.api.session

    async def fetch(query: str = "") -> tuple[int, str, float]:
        async with session.get(url + query) as response:
            return response.status, await response.text(), time.monotonic()

    async def two_segments() -> bool:
        status, text, _ = await fetch()
        return status == 200 and len([s for s in m3u8.loads(text).segments if s.uri]) >= 2

    await wait(two_segments, 40)
    _, text, _ = await fetch()
    parsed = m3u8.loads(text)
    assert parsed.server_control.can_block_reload == "YES"
    part_target = parsed.part_inf.part_target
    assert 0.2 <= part_target <= 0.5
    assert parsed.server_control.part_hold_back >= 2 * part_target
    assert parsed.preload_hint is not None
    assert parsed.segment_map
    assert parsed.segment_map[0].uri.startswith("init_")
    parts = [p for s in parsed.segments for p in s.parts]
    assert parts
    assert parts[0].independent == "YES"
    # Every segment is also listed whole (the open one has only its parts so far).
    whole = [s for s in parsed.segments if s.uri]
    assert all(s.uri.endswith(".m4s") and s.duration > 0.5 for s in whole)

    # Blocking reload: ask for the part after the newest; it arrives within about a part.
    edge = edge_of(text)
    assert edge is not None
    for _ in range(3):
        status, text, _ = await fetch()
        edge = edge_of(text)
        assert edge is not None
        query = f"?_HLS_msn={edge.msn}&_HLS_part={edge.part + 1}"
        status, blocked, _ = await fetch(query)
        assert status == 200
        after = edge_of(blocked)
        assert after is not None
        assert (after.msn, after.part) > (edge.msn, edge.part), blocked
    status, _, _ = await fetch(f"?_HLS_msn={edge.msn + 50}")
    assert status == 400

    # A player without LL support reads the same playlist.
    probe = await asyncio.to_thread(
        subprocess.run,
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv", url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "video" in probe.stdout, probe.stderr

    stopped = await live.admin.ok("POST", f"/api/v1/live/{event['id']}/stop")
    assert stopped["status"] == "ended"

    async def replayed() -> bool:
        return bool((await live.admin.ok("GET", f"/api/v1/live/{event['id']}"))["replay"])

    await wait(replayed, 30)
    async with session.get(f"{base}/replay/360p/index.m3u8") as response:
        replay = m3u8.loads(await response.text())
    assert replay.is_endlist
    assert replay.segment_map
    assert replay.segment_map[0].uri.startswith("../../360p/init_")
    probe = await asyncio.to_thread(
        subprocess.run,
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         f"{base}/replay/360p/index.m3u8"],
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert float(probe.stdout.strip() or 0) > 1.0, probe.stderr
