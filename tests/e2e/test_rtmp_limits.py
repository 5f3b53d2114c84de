"""Hostile RTMP clients against ``culturecast serve``: what they cost the server and whether a
real publisher still goes live (issue 18, items 3 and 4).

The whole 127.0.0.0/8 is loopback on Linux, so the hostile sockets bind 127.0.x.y source
addresses while the real ffmpeg publisher connects from 127.0.0.1, as a broadcaster on
another network would.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest

from culturecast.live.rtmp import chunk
from tests.support.api import Api
from tests.support.live import Publisher, ffmpeg_publish_command
from tests.support.product import ADMIN_PASSWORD, Standalone

MIB = 1 << 20
C0C1 = b"\x03" + bytes(1536)


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


def server_pid(product: Standalone) -> int:
    assert product.process is not None
    assert product.process.popen is not None
    return product.process.popen.pid


def hoarding_bytes(csids: range, size: int, chunk_size: int) -> bytes:
    """What a hoarding client sends after the handshake: Set Chunk Size, then a message of
    ``size`` declared on each chunk stream and sent but for its last chunk; never a publish."""
    muxer = chunk.ChunkMuxer()
    out = bytearray(muxer.encode(2, chunk.MSG_SET_CHUNK_SIZE, 0, 0, chunk_size.to_bytes(4, "big")))
    muxer.set_chunk_size(chunk_size)
    body = bytes(size)
    for csid in csids:
        whole = muxer.encode(csid, chunk.MSG_COMMAND_AMF0, 0, 0, body)
        out += whole[: len(whole) - (1 + chunk_size)]
    return bytes(out)


async def hoard(port: int, source: str, payload: bytes) -> asyncio.StreamWriter:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    writer.write(C0C1)
    await reader.readexactly(1 + 2 * 1536)
    writer.write(bytes(1536))
    writer.write(payload)
    with contextlib.suppress(ConnectionError):  # the server cut us off: what it should do
        await writer.drain()
    return writer


async def eventually[T](check: Callable[[], Awaitable[T | None]], within_s: float, what: str) -> T:
    deadline = time.monotonic() + within_s
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not within {within_s} s")
        await asyncio.sleep(0.1)


@pytest.mark.parametrize(
    ("csids", "size", "chunk_size", "code"),
    [
        # The probe: 8 MiB messages on chunk streams 3-6, in 64 KiB chunks.
        (range(3, 7), 8 * MIB, 65536, "message_too_large"),
        # Messages as large as a client may send before publishing, on sixty streams.
        (range(3, 63), 64 * 1024, 4096, "buffer_limit"),
    ],
    ids=["8MiB_on_4_streams", "64KiB_on_60_streams"],
)
async def test_fifty_hoarding_connections_cost_under_100_mb_and_give_it_back(
    standalone: Standalone, csids: range, size: int, chunk_size: int, code: str
) -> None:
    pid = server_pid(standalone)
    payload = hoarding_bytes(csids, size, chunk_size)
    before = rss_bytes(pid)
    peak = before
    sampling = True

    async def sample() -> None:
        nonlocal peak
        while sampling:
            peak = max(peak, rss_bytes(pid))
            await asyncio.sleep(0.05)

    sampler = asyncio.create_task(sample())
    # Fifty sources, so what stops them is the byte limit, not the per-address cap.
    writers = await asyncio.gather(
        *(hoard(standalone.rtmp_port, f"127.0.3.{i + 1}", payload) for i in range(50))
    )
    await asyncio.sleep(2)  # let the server read whatever it was going to read
    held = rss_bytes(pid)
    for writer in writers:
        writer.close()
    await asyncio.sleep(3)
    sampling = False
    await sampler
    after = rss_bytes(pid)
    growth = max(peak, held) - before
    print(f"RSS before {before / MIB:.0f} MiB, peak {peak / MIB:.0f} MiB, "
          f"held {held / MIB:.0f} MiB, after close {after / MIB:.0f} MiB")  # fmt: skip
    assert growth < 100 * MIB, f"50 hostile connections grew the server by {growth / MIB:.0f} MiB"
    assert after - before < 30 * MIB, f"{(after - before) / MIB:.0f} MiB stayed after they closed"
    assert standalone.process is not None
    log = standalone.process.log
    assert code in log  # each was cut off with a named, logged reason
    assert "Traceback" not in log


async def c0_flood(port: int, sources: list[str], sockets: int, stop: asyncio.Event) -> int:
    """``sockets`` clients that send C0 only and reconnect as soon as they are closed."""
    opened = 0

    async def one(source: str) -> None:
        nonlocal opened
        while not stop.is_set():
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0)), 5
                )
            except (OSError, TimeoutError):
                await asyncio.sleep(0.01)
                continue
            opened += 1
            try:
                writer.write(b"\x03")
                await reader.read()  # until the server closes us
            except OSError:
                pass
            finally:
                writer.close()

    tasks = [asyncio.create_task(one(sources[i % len(sources)])) for i in range(sockets)]
    await stop.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return opened


@pytest.mark.parametrize(
    "sources",
    [["127.0.0.2"], [f"127.0.4.{i + 1}" for i in range(60)]],
    ids=["one_address", "sixty_addresses"],
)
async def test_a_real_publisher_goes_live_through_300_c0_only_sockets(
    standalone: Standalone, http: aiohttp.ClientSession, sources: list[str]
) -> None:
    admin = await Api(http, standalone.url).login("admin", ADMIN_PASSWORD)
    org = await admin.ok("POST", "/api/v1/orgs", {"name": "湖南省文化馆"}, expect=201)
    event = await admin.ok(
        "POST", "/api/v1/live", {"org_id": org["id"], "title": "花鼓戏", "published": True},
        expect=201,
    )  # fmt: skip
    stop = asyncio.Event()
    flood = asyncio.create_task(c0_flood(standalone.rtmp_port, sources, 300, stop))
    await asyncio.sleep(2)  # every slot the flood can take is taken
    url = f"rtmp://127.0.0.1:{standalone.rtmp_port}/live/{event['stream_key']}"
    publisher = Publisher(ffmpeg_publish_command(url)).start()
    started = time.monotonic()

    async def live() -> bool:
        body = await admin.ok("GET", f"/api/v1/live/{event['id']}")
        return body["status"] == "live" or not publisher.alive

    try:
        await eventually(live, 10, "the publisher going live")
        took = time.monotonic() - started
        assert publisher.alive, publisher.output
        await asyncio.sleep(1)
        assert publisher.alive, publisher.output
    finally:
        stop.set()
        opened = await flood
        publisher.kill()
    assert standalone.process is not None
    log = standalone.process.log
    refusals = [line for line in log.splitlines() if "refused" in line or "closed (" in line]
    print(f"live after {took:.1f} s; the flood opened {opened} sockets; "
          f"{len(refusals)} log lines about them")  # fmt: skip
    assert opened > 300  # the flood kept reconnecting
    # Named and logged, but one flooding client cannot flood the log.
    assert any("too_many_connections" in line or "ingest_busy" in line for line in refusals)
    assert len(refusals) < 500, f"{len(refusals)} log lines about refused connections"
    assert "Traceback" not in log
