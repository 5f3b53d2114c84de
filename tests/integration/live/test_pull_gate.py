"""An http(s) HLS pull reads every URL through the gate (``live/sources/hls_gate.py``).

A test server on 127.0.0.1 (allowed by ``CULTURECAST_PULL_ALLOW``) serves a master playlist
whose variant is on 127.0.0.2 (loopback too, not allowed) — directly, or through a redirect.
The variant is refused with its reason stored on the event, and a listener the test holds on
127.0.0.2 sees no connection; after ``CULTURECAST_PULL_ATTEMPTS`` failures the pull gives up
and ends its event. A real HLS on the allowed server is relayed and goes live.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.integration.live.conftest import LiveApp
from tests.integration.server.conftest import ADMIN_PASSWORD, start_api
from tests.support.engines import free_port


async def eventually[T](check: Callable[[], Awaitable[T | None]], within: float, what: str) -> T:
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        assert time.monotonic() < deadline, f"not in time: {what}"
        await asyncio.sleep(0.2)


@dataclass
class Origin:
    """The allowed test server; ``hits`` lists the paths it was asked for."""

    url: str
    hits: list[str] = field(default_factory=list)


@pytest.fixture
def forbidden() -> Iterator[tuple[socket.socket, int]]:
    """A listener on 127.0.0.2 (not allowed): nothing may connect to it."""
    listener = socket.create_server(("127.0.0.2", 0))
    listener.setblocking(False)
    yield listener, listener.getsockname()[1]
    listener.close()


@pytest.fixture
async def origin(forbidden: tuple[socket.socket, int], tmp_path: Path) -> AsyncIterator[Origin]:
    inner = f"http://127.0.0.2:{forbidden[1]}/v/index.m3u8"
    hls = tmp_path / "hls"
    hls.mkdir()
    await asyncio.to_thread(
        subprocess.run,
        [
            "ffmpeg", "-v", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=10:duration=6",
            "-f", "lavfi", "-i", "sine=frequency=440:duration=6",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-c:a", "aac",
            "-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod",
            "-hls_segment_filename", str(hls / "seg%d.ts"), str(hls / "index.m3u8"),
        ],
        check=True,
    )  # fmt: skip
    routes: dict[str, Any] = {
        "/direct/master.m3u8": f"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=500000\n{inner}\n",
        "/redirect/master.m3u8": ("redirect", inner),
        "/ok/master.m3u8": "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=500000\nv/index.m3u8\n",
    }
    found = Origin("")

    async def handle(request: web.Request) -> web.StreamResponse:
        found.hits.append(request.path)
        answer = routes.get(request.path)
        if isinstance(answer, tuple):
            raise web.HTTPFound(answer[1])
        if answer is not None:
            return web.Response(text=answer, content_type="application/vnd.apple.mpegurl")
        if request.path.startswith("/ok/v/"):
            path = hls / request.path.rsplit("/", 1)[1]
            if path.is_file():
                return web.FileResponse(path)
        return web.Response(status=404)

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    found.url = f"http://127.0.0.1:{port}"
    yield found
    await runner.cleanup()


@pytest.fixture
async def allowing(data_dir: Path) -> AsyncIterator[LiveApp]:
    port = free_port()
    env = {
        "CULTURECAST_RTMP_PORT": str(port),
        "CULTURECAST_PULL_ALLOW": "127.0.0.1/32",
        "CULTURECAST_PULL_ATTEMPTS": "2",
    }
    async for api in start_api(data_dir, **env):
        admin = await api.login("admin", ADMIN_PASSWORD)
        org = await admin.ok("POST", "/api/v1/orgs", {"name": "浙江省"}, expect=201)
        yield LiveApp(api, admin, port, data_dir, org["id"])


@pytest.mark.parametrize("path", ["/direct/master.m3u8", "/redirect/master.m3u8"])
async def test_a_playlist_naming_a_forbidden_address_is_refused_without_connecting(
    allowing: LiveApp, origin: Origin, forbidden: tuple[socket.socket, int], path: str
) -> None:
    event = await allowing.create_event(
        title="共享直播", source={"type": "pull", "url": origin.url + path}
    )

    async def refused() -> dict[str, Any] | None:
        doc = await allowing.admin.ok("GET", f"/api/v1/live/{event['id']}")
        error = (doc.get("source_status") or {}).get("error") or {}
        return doc if error.get("code") == "pull_address_refused" else None

    doc = await eventually(refused, 60, "the variant refused")
    error = doc["source_status"]["error"]
    assert "127.0.0.2" in error["en"]
    assert "127.0.0.2" in error["zh"]
    assert "CULTURECAST_PULL_ALLOW" in error["message"]
    assert path in origin.hits  # the allowed source itself was fetched
    with pytest.raises(BlockingIOError):
        forbidden[0].accept()

    # Bounded: after two failed attempts the pull gives up and ends the event, saying why.
    async def ended() -> dict[str, Any] | None:
        doc = await allowing.admin.ok("GET", f"/api/v1/live/{event['id']}")
        return doc if doc["status"] == "ended" else None

    doc = await eventually(ended, 60, "the pull gave up")
    error = doc["source_status"]["error"]
    assert error["code"] == "pull_gave_up"
    assert "127.0.0.2" in error["en"]
    assert "127.0.0.2" in error["zh"]
    assert doc["source_status"]["attempts"] == 2
    with pytest.raises(BlockingIOError):
        forbidden[0].accept()


async def test_an_hls_source_is_relayed_through_the_gate_and_goes_live(
    allowing: LiveApp, origin: Origin
) -> None:
    event = await allowing.create_event(
        title="共享直播", source={"type": "pull", "url": origin.url + "/ok/master.m3u8"}
    )

    async def live() -> dict[str, Any] | None:
        doc = await allowing.admin.ok("GET", f"/api/v1/live/{event['id']}")
        return doc if doc["status"] in ("live", "reconnecting") else None

    await eventually(live, 90, "the relayed HLS on air")
    assert "/ok/v/index.m3u8" in origin.hits
    assert any(hit.endswith(".ts") for hit in origin.hits)

    # The source's playlist is complete (#EXT-X-ENDLIST): once aired, the relay ends too,
    # without waiting out a grace period or pulling it again.
    async def ended() -> dict[str, Any] | None:
        doc = await allowing.admin.ok("GET", f"/api/v1/live/{event['id']}")
        return doc if doc["status"] == "ended" else None

    doc = await eventually(ended, 60, "the relay ended with its source")
    assert doc["stop_reason"] == "stopped"
    assert origin.hits.count("/ok/master.m3u8") == 1
