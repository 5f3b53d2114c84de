"""SIGTERM as a deploy sends it: ``culturecast serve`` with an upload still streaming and a
transcode running is down within ``CULTURECAST_SHUTDOWN_TIMEOUT`` plus a small margin — the
wait for requests and the wait for jobs share one deadline — and loses nothing: the upload
keeps what arrived, the job runs again at the next start."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import aiohttp

from tests.support.api import Api
from tests.support.media import TusClient, make_video
from tests.support.product import ADMIN_PASSWORD, Standalone

TIMEOUT_S = 3.0
MARGIN_S = 4.0
"""Closing the engines, killing ffmpeg and the interpreter's own exit."""


async def _trickle(url: str, token: str, length: int, flowing: asyncio.Event) -> None:
    """A PATCH declared ``length`` bytes long whose body arrives 4 KiB every 50 ms (a phone
    on a weak network), until the server hangs up; ``flowing`` is set after 256 KiB."""
    host, rest = url.split("//", 1)[1].split("/", 1)
    name, port = host.split(":")
    reader, writer = await asyncio.open_connection(name, int(port))
    writer.write(
        (
            f"PATCH /{rest} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            "Tus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\n"
            f"Upload-Offset: 0\r\nContent-Length: {length}\r\n\r\n"
        ).encode()
    )
    sent = 0
    try:
        while sent < length:
            writer.write(b"x" * 4096)
            await writer.drain()
            sent += 4096
            if sent >= 256 << 10:
                flowing.set()
            await asyncio.sleep(0.05)
    except ConnectionError:
        pass
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
        del reader


async def test_sigterm_with_an_upload_and_a_job_in_flight_stops_within_the_timeout(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    # A slow preset keeps the transcode busy well past the timeout.
    env = {"CULTURECAST_SHUTDOWN_TIMEOUT": str(TIMEOUT_S), "CULTURECAST_VOD_PRESET": "slower"}
    product = Standalone(tmp_path, env=env).start()
    trickle: asyncio.Task[None] | None = None
    try:
        api = Api(http, product.url)
        admin = await api.login("admin", ADMIN_PASSWORD)
        org = await admin.ok("POST", "/api/v1/orgs", {"name": "绍兴市文化馆"}, expect=201)
        token = str(admin.token)
        tus = TusClient(http, product.url, token)
        video = make_video(tmp_path / "show.mp4", 20, size="1280x720", fps=25, kbps=2000)
        upload_id = await tus.upload(video, org_id=org["id"])
        resource = await admin.ok(
            "POST",
            "/api/v1/resources",
            {"upload_id": upload_id, "title": "越剧", "category": "opera"},
            expect=201,
        )
        deadline = time.monotonic() + 60
        while (await admin.ok("GET", f"/api/v1/resources/{resource['id']}"))["progress"] in (
            None,
            0,
        ):
            assert time.monotonic() < deadline, "the transcode never started"
            await asyncio.sleep(0.2)

        streaming = await tus.create(64 << 20, filename="long.mp4", org_id=org["id"])
        flowing = asyncio.Event()
        trickle = asyncio.create_task(_trickle(streaming, token, 64 << 20, flowing))
        await asyncio.wait_for(flowing.wait(), 30)

        assert product.process is not None
        started = time.monotonic()
        code = await asyncio.to_thread(product.process.stop, 60)
        took = time.monotonic() - started
        print(f"SIGTERM to exit: {took:.1f} s (timeout {TIMEOUT_S:g} s)")
        assert code == 0, product.process.log[-3000:]
        assert took < TIMEOUT_S + MARGIN_S, f"stopping took {took:.1f} s"
    finally:
        if trickle is not None:
            trickle.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await trickle

    # Nothing was lost: the upload resumes from what arrived, the transcode is not failed.
    product.start()
    try:
        assert await tus.offset(streaming) > 0
        again = await admin.ok("GET", f"/api/v1/resources/{resource['id']}")
        assert again["status"] in ("processing", "uploaded", "ready"), again
    finally:
        product.stop()
