"""The live, resource and series pages in Chromium, playing real HLS made by ffmpeg.

The live-event, playback and heartbeat APIs are being built in parallel; until they land
these tests serve the pages with stand-ins that answer in the documented shapes (DESIGN.md
§ Interfaces; media/views/schemas.py for /play and /views/heartbeat). Only those API
answers are stand-ins: the pages, hls.js, the media and the browser are real. When the APIs
land, the e2e tests drive the same pages against them."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, expect

from culturecast.server.web import pages
from culturecast.server.web.i18n import translate
from tests.browser.driver import chromium, open_page


def _hls(out: Path, audio_only: bool) -> None:
    out.mkdir(parents=True)
    video = [] if audio_only else ["-f", "lavfi", "-i", "testsrc=size=160x90:rate=10"]
    codecs = ["-c:a", "aac", "-b:a", "48k"]
    if not audio_only:
        codecs = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "10", *codecs]
    subprocess.run(
        ["ffmpeg", "-v", "error", *video, "-f", "lavfi", "-i", "sine=frequency=440",
         "-t", "4", *codecs, "-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod",
         str(out / "index.m3u8")],
        check=True,
    )  # fmt: skip


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hls")
    _hls(root / "video", audio_only=False)
    _hls(root / "audio", audio_only=True)
    return root


class StandIn:
    """The documented API answers, with what the pages sent."""

    def __init__(self) -> None:
        self.beats: list[dict[str, Any]] = []
        self.plays: list[dict[str, Any]] = []
        self.events: dict[str, dict[str, Any]] = {
            "soon": {"id": "soon", "title": "春节联欢晚会", "status": "scheduled",
                     "scheduled_start": time.time() + 3 * 3600 + 125},
            "onair": {"id": "onair", "title": "越剧《梁祝》直播", "status": "live"},
        }  # fmt: skip
        episode = {"kind": "audio", "category": "storytelling", "series_id": "sgyy",
                   "series_title": "三国演义", "duration_s": 4.0,
                   "category_label": {"zh": "评书", "en": "Storytelling"}}  # fmt: skip
        self.resources: dict[str, dict[str, Any]] = {
            "film": {"id": "film", "title": "梁祝", "kind": "video", "category": "opera",
                     "category_label": {"zh": "戏曲", "en": "Opera"}, "duration_s": 4.0},
            "ep1": {**episode, "id": "ep1", "title": "桃园三结义", "episode": 1},
            "ep2": {**episode, "id": "ep2", "title": "张翼德怒鞭督邮", "episode": 2},
        }  # fmt: skip

    async def event(self, request: web.Request) -> web.Response:
        event = self.events.get(request.match_info["id"])
        if event is None:
            return web.json_response({"error": {"code": "not_found", "message": "no"}}, status=404)
        return web.json_response(event)

    async def resource(self, request: web.Request) -> web.Response:
        return web.json_response(self.resources[request.match_info["id"]])

    async def series(self, request: web.Request) -> web.Response:
        episodes = [self.resources["ep1"], self.resources["ep2"]]
        return web.json_response({"id": "sgyy", "title": "三国演义", "performer": "袁阔成",
                                  "episodes": episodes})  # fmt: skip

    async def next(self, request: web.Request) -> web.Response:
        after = request.query["after"]
        return web.json_response({"next": self.resources["ep2"] if after == "ep1" else None})

    async def play(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.plays.append(body)
        item = body["item_id"]
        kind = "video" if item in ("film", "onair") else "audio"
        return web.json_response({
            "session_id": f"s{len(self.plays)}", "token": "tok",
            "master_url": f"/media/{kind}/index.m3u8", "heartbeat_interval_s": 1,
            "item_type": body["item_type"], "item_id": item, "title": "", "is_live": False,
            "duration_s": 4.0,
        })  # fmt: skip

    async def heartbeat(self, request: web.Request) -> web.Response:
        assert request.content_type == "application/json"
        self.beats.append(await request.json())
        return web.Response(status=204)


async def _serve(app: web.Application) -> AsyncIterator[str]:
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
def stand_in() -> StandIn:
    return StandIn()


@pytest.fixture
async def site(media: Path, stand_in: StandIn) -> AsyncIterator[str]:
    app = web.Application()
    pages.setup_routes(app)
    app.router.add_get("/api/v1/live/{id}", stand_in.event)
    app.router.add_get("/api/v1/resources/{id}", stand_in.resource)
    app.router.add_get("/api/v1/series/{id}", stand_in.series)
    app.router.add_get("/api/v1/series/{id}/next", stand_in.next)
    app.router.add_post("/api/v1/play", stand_in.play)
    app.router.add_post("/api/v1/views/heartbeat", stand_in.heartbeat)
    app.router.add_static("/media", media)
    async for url in _serve(app):
        yield url


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as b:
        yield b


async def _wait_playing(page: Any, at_least: float = 1.0) -> float:
    await page.wait_for_function(f"document.querySelector('#media')?.currentTime > {at_least}",
                                 timeout=20_000)  # fmt: skip
    return float(await page.evaluate("document.querySelector('#media').currentTime"))


async def test_a_video_plays_with_heartbeats_and_a_share_code(
    site: str, stand_in: StandIn, browser: Browser
) -> None:
    w = await open_page(browser)
    await w.goto(site + "/r/film", ready="resource")
    await expect(w.page.locator("h1")).to_have_text("梁祝")
    assert await w.page.evaluate("document.querySelector('#media').tagName") == "VIDEO"
    assert await _wait_playing(w.page) > 1.0
    assert stand_in.plays[0] == {"item_type": "resource", "item_id": "film"}
    # One-second heartbeats (the interval the play answer asked for), naming the session.
    await w.page.wait_for_function("document.querySelector('#media').currentTime > 2.5")
    beat = stand_in.beats[-1]
    assert beat["session_id"] == "s1"
    assert beat["state"] in ("playing", "ended")
    assert beat["position_s"] > 0
    qr = await w.page.get_attribute("#share-qr", "src")
    assert qr is not None
    assert qr.startswith("data:image/gif;base64,")
    assert await w.page.get_attribute("#share-qr", "data-url") == site + "/r/film"
    await w.screenshot("resource-video.png")
    # Leaving the page sends a last beat by sendBeacon.
    count = len(stand_in.beats)
    await w.page.goto("about:blank")
    deadline = time.monotonic() + 5
    while len(stand_in.beats) == count and time.monotonic() < deadline:
        await w.page.wait_for_timeout(100)
    assert len(stand_in.beats) > count
    assert w.errors == []


async def test_the_live_page_counts_down_then_plays(
    site: str, stand_in: StandIn, browser: Browser
) -> None:
    w = await open_page(browser, width=375, height=812)
    await w.goto(site + "/live/soon", ready="live")
    clock = w.page.locator("#countdown-clock")
    await expect(clock).to_have_text(re.compile(r"^03:0[12]:\d\d$"))  # 3 h 2 min 5 s ahead
    await expect(w.page.locator("#status-badge")).to_have_text(
        translate("zh-CN", "live.status.scheduled")
    )
    await w.screenshot("live-countdown-375.png")
    await w.goto(site + "/live/onair", ready="live")
    assert await _wait_playing(w.page) > 1.0
    assert stand_in.plays[-1] == {"item_type": "live", "item_id": "onair"}
    await w.screenshot("live-playing-375.png")
    await w.goto(site + "/live/nope", ready="live")
    await expect(w.page.locator("h1")).to_have_text(translate("zh-CN", "live.not_found"))
    assert w.errors_except(404) == []


async def test_audio_has_speed_sleep_timer_and_resumes_where_it_stopped(
    site: str, browser: Browser
) -> None:
    w = await open_page(browser)
    page = w.page
    await w.goto(site + "/r/ep1", ready="resource")
    assert await page.evaluate("document.querySelector('#media').tagName") == "AUDIO"
    await expect(page.locator("#audio-tools")).to_be_visible()
    await expect(page.locator("#series-link a")).to_have_attribute("href", "/s/sgyy")
    await page.select_option("#speed", "1.5")
    assert await page.evaluate("document.querySelector('#media').playbackRate") == 1.5
    await page.select_option("#sleep", "30")
    await expect(page.locator("#sleep-left")).to_contain_text("29:5")
    await _wait_playing(page, 1.5)
    await page.evaluate("document.querySelector('#media').pause()")
    await w.screenshot("resource-audio.png")
    stopped = await page.evaluate("document.querySelector('#media').currentTime")
    # Stay on this episode after the reload (auto-next would move on when it ends).
    await page.evaluate("localStorage.setItem('cc:auto-next', 'false')")
    await w.goto(site + "/r/ep1", ready="resource")  # pagehide saved the position
    await expect(page.locator("#resume-note")).to_be_visible()
    await expect(page.locator("#resume-note")).to_contain_text("0:0")
    resumed = await page.evaluate("document.querySelector('#media').currentTime")
    assert resumed >= stopped - 0.2
    # The speed is remembered for the next listen too.
    assert await page.evaluate("document.querySelector('#media').playbackRate") == 1.5
    assert w.errors == []


async def test_a_series_plays_the_next_episode_and_offers_to_continue(
    site: str, stand_in: StandIn, browser: Browser
) -> None:
    w = await open_page(browser)
    page = w.page
    await w.goto(site + "/s/sgyy", ready="series")
    episodes = page.locator("#episodes button")
    await expect(episodes).to_have_count(2)
    await episodes.nth(0).click()
    await expect(episodes.nth(0)).to_have_attribute("aria-current", "true")
    # Four seconds of episode 1, then episode 2 starts by itself.
    await expect(episodes.nth(1)).to_have_attribute("aria-current", "true", timeout=20_000)
    await _wait_playing(page, 0.5)
    assert [p["item_id"] for p in stand_in.plays] == ["ep1", "ep2"]
    await w.screenshot("series.png")
    await w.goto(site + "/s/sgyy", ready="series")
    await expect(page.locator("#continue-button")).to_contain_text("张翼德怒鞭督邮")
    assert w.errors == []


async def test_pages_whose_api_has_not_landed_say_so(browser: Browser) -> None:
    app = web.Application()
    pages.setup_routes(app)
    async for base in _serve(app):
        w = await open_page(browser)
        for path, ready in (("/live/x", "live"), ("/r/x", "resource"), ("/s/x", "series")):
            await w.goto(base + path, ready=ready)
            await expect(w.page.locator("#player-message")).to_have_text(
                translate("zh-CN", "player.play_missing")
            )
        await w.goto(base + "/", ready="home")
        await expect(w.page.locator('[data-list="resources"]')).to_have_text(
            translate("zh-CN", "empty.resources")
        )
        assert w.errors == []
