"""A low-latency event in real headless Chromium against ``culturecast serve``: the product's
page plays it with hls.js in low-latency mode (blocking reloads for parts), and players
without LL support — ffprobe and streamlink — play the same playlists."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser

from tests.browser.driver import open_page
from tests.e2e.test_viewer_pages import ENV, playing_past
from tests.support.api import Api
from tests.support.live import Publisher, ffmpeg_publish_command
from tests.support.product import ADMIN_PASSWORD, Standalone, serving

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Standalone]:
    with serving(tmp_path_factory.mktemp("ll"), ENV) as server:
        yield server


async def test_a_low_latency_event_plays_in_ll_mode_and_without(
    product: Standalone, browser: Browser
) -> None:
    async with aiohttp.ClientSession() as session:
        admin = await Api(session, product.url).login("admin", ADMIN_PASSWORD)
        org = await admin.ok("POST", "/api/v1/orgs", {"name": "杭州市文化馆"}, expect=201)
        body = {"org_id": org["id"], "title": "低延迟直播", "published": True}
        event = await admin.ok("POST", "/api/v1/live", {**body, "latency_mode": "low"}, 201)
    rtmp = f"rtmp://127.0.0.1:{product.rtmp_port}/live/{event['stream_key']}"
    publisher = Publisher(ffmpeg_publish_command(rtmp, size="640x360")).start()
    try:
        viewer = await open_page(browser)
        blocking: list[str] = []
        viewer.page.on(
            "request", lambda r: blocking.append(r.url) if "_HLS_part=" in r.url else None
        )
        await viewer.goto(f"{product.url}/live/{event['id']}", ready="live")
        assert await playing_past(viewer.page, 2.0, 120_000) > 2.0, publisher.output
        # hls.js asks for parts with blocking reloads only in low-latency mode.
        assert blocking, "no blocking playlist reload was made"
        assert all("/media/" in url and "_HLS_msn=" in url for url in blocking)
        # hls.js accepted the LL config (it throws on an inconsistent one); the 404s are the
        # master playlist asked for before the show's first segments were written.
        assert viewer.errors_except(404) == []
        await viewer.screenshot("viewer-live-low-latency.png")

        master = f"{product.url}/media/live/{event['id']}/master.m3u8"
        probe = await asyncio.to_thread(
            subprocess.run,
            ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv", master],
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert "video" in probe.stdout, probe.stderr
        assert "audio" in probe.stdout, probe.stderr
        streamlink = Path(sys.executable).with_name("streamlink")
        got = await asyncio.to_thread(
            subprocess.run,
            [str(streamlink), "--hls-duration", "3", "--stdout", f"hls://{master}", "best"],
            capture_output=True,
            timeout=90,
        )
        assert got.returncode == 0, got.stderr.decode()[-2000:]
        assert len(got.stdout) > 10_000
        # What streamlink wrote is playable media.
        check = await asyncio.to_thread(
            subprocess.run,
            ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv", "-"],
            input=got.stdout,
            capture_output=True,
            timeout=60,
        )
        assert b"video" in check.stdout, check.stderr
    finally:
        publisher.stop()
