"""The live data screen against two ``culturecast api`` processes sharing Redis and MongoDB:
the same province's screen opened on each process in real headless Chromium shows the same
numbers. Viewers start on both processes and beat to both, alternating, each from an address of
a generated IP database behind a trusted proxy; the screens' figures come from the shared
counters only, so both agree — with each other and with the hand count:

  live now   兴化非遗直播 · 4 viewers (every session beat within the presence window)
  today      plays 4, unique viewers 4 (four devices)
  provinces  江苏省 2 (viewers 1, 2), 广东省 1, 浙江省 1; the map colours 江苏 广东 浙江
  devices    android 4; terminals mobile_h5 4
  ticker     one masked line per viewer on each screen (activity crosses processes)

The show's document is written as the live package writes it once a stream is on air (as in
test_views_distributed.py): what is under test is the screen, not the ingest."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, Page, expect

from culturecast.core.calendar import cst_day, cst_day_start
from culturecast.server.web.i18n import translate
from tests.browser.driver import open_page
from tests.e2e.conftest import running_distributed
from tests.support.api import Api
from tests.support.engines import S3Endpoint
from tests.support.geoip import write_mmdb
from tests.support.product import ADMIN_PASSWORD, Distributed

pytestmark = pytest.mark.e2e

NETWORKS = {
    "1.0.1.0/24": ("江苏省", "苏州市"),
    "14.0.0.0/24": ("广东省", "广州市"),
    "27.0.0.0/24": ("浙江省", "杭州市"),
    "127.0.0.0/8": ("上海市", "上海市"),
}
VIEWERS = ["1.0.1.7", "1.0.1.8", "14.0.0.9", "27.0.0.5"]
ANDROID = (
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/120.0.0.0 Mobile Safari/537.36"
)
PLAYLIST = b"#EXTM3U\n#EXT-X-VERSION:3\n"
AGREE_WITHIN_MS = 30_000
SECTIONS = ["screen-live", "screen-days", "screen-provinces", "screen-terminals", "screen-devices"]


@pytest.fixture
def product(
    tmp_path: Path, redis_url: str, mongo_url: str, s3_endpoint: S3Endpoint
) -> Iterator[Distributed]:
    mmdb = write_mmdb(tmp_path / "cn.mmdb", NETWORKS)
    env = {"CULTURECAST_GEOIP_DB": str(mmdb), "CULTURECAST_TRUSTED_PROXIES": "127.0.0.1/32"}
    with running_distributed(tmp_path, redis_url, mongo_url, s3_endpoint, env) as running:
        yield running


@pytest.fixture
async def viewers_http() -> AsyncIterator[aiohttp.ClientSession]:
    # Each viewer names its device in its own Cookie header; a shared jar must not mix them.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        yield session


async def put_live_show(product: Distributed, event_id: str, path: list[str]) -> None:
    store = product.object_store()
    db = await product.database()
    try:
        key = f"live/{event_id}/master.m3u8"
        await store.put(key, PLAYLIST, "application/vnd.apple.mpegurl")
        await db.collection("live_events").insert(
            {
                "_id": event_id,
                "org_id": path[0],
                "org_path": path,
                "title": "兴化非遗直播",
                "category": "戏曲",
                "status": "live",
                "started_at": time.time(),
                "published": True,
                "disabled": False,
            }
        )
    finally:
        await db.close()
        await store.close()


async def watch(apis: list[Api], event_id: str) -> None:
    """Viewer n plays on process n % 2 and beats once to each process."""
    for number, address in enumerate(VIEWERS):
        headers = {
            "Cookie": f"cc_did=twoscreens{number:08d}",
            "X-Forwarded-For": address,
            "User-Agent": ANDROID,
        }
        status, body = await apis[number % 2].call(
            "POST",
            "/api/v1/play",
            {"item_type": "live", "item_id": event_id, "terminal": "mobile_h5"},
            headers=headers,
        )
        assert status == 201, body
        for seq in (1, 2):
            status, answer = await apis[(number + seq) % 2].call(
                "POST",
                "/api/v1/views/heartbeat",
                {"session_id": body["session_id"], "state": "playing", "seq": seq},
                headers=headers,
            )
            assert status == 204, answer


async def figures(page: Page) -> dict[str, str]:
    """What the screen shows: each section's text, and the provinces the map colours."""
    shown = {s: await page.locator(f"#{s}").inner_text() for s in SECTIONS}
    shown["map"] = await page.locator("#screen-map").get_attribute("data-provinces") or ""
    return shown


async def test_the_screens_of_two_api_processes_show_the_same_numbers(
    product: Distributed,
    http: aiohttp.ClientSession,
    viewers_http: aiohttp.ClientSession,
    browser: Browser,
) -> None:
    now = time.time()
    if cst_day_start(cst_day(now)) + 86_400 - now < 120:
        pytest.skip("China Standard Time midnight is near: today's figures would restart")
    admin = await Api(http, product.urls[0]).login("admin", ADMIN_PASSWORD)
    province = await admin.ok("POST", "/api/v1/orgs", {"name": "江苏省"}, expect=201)
    county = await admin.ok(
        "POST", "/api/v1/orgs", {"name": "兴化市", "parent_id": province["id"]}, expect=201
    )
    event_id = f"screen-{int(now * 1000)}"
    await put_live_show(product, event_id, [county["id"], province["id"]])

    screens = []
    for url in product.urls:
        watched = await open_page(browser, width=1920, height=1080)
        await watched.goto(f"{url}/screen/{province['id']}#token={admin.token}")
        await expect(watched.page.locator("#screen-alert")).to_be_hidden()
        # The first figures arrive once the stream listens for activity too.
        rows = watched.page.locator("#screen-days tbody tr")
        await expect(rows).to_have_count(3, timeout=AGREE_WITHIN_MS)
        screens.append(watched)

    await watch([Api(viewers_http, url) for url in product.urls], event_id)

    line = f"兴化非遗直播 · {translate('zh-CN', 'screen.viewers')} {len(VIEWERS)}"
    plays = translate("zh-CN", "screen.plays")
    unique = translate("zh-CN", "screen.unique_viewers")
    for watched in screens:
        page = watched.page
        await expect(page.locator("#screen-live")).to_have_text(line, timeout=AGREE_WITHIN_MS)
        rows = page.locator("#screen-provinces tbody tr")
        await expect(rows).to_have_text(["江苏省2", "广东省1", "浙江省1"], timeout=AGREE_WITHIN_MS)
        days = page.locator("#screen-days tbody tr")
        await expect(days.filter(has_text=plays).locator("td").nth(1)).to_have_text("4")
        await expect(days.filter(has_text=unique).locator("td").nth(1)).to_have_text("4")
        await expect(page.locator("#screen-devices")).to_have_text("android 4")
        await expect(page.locator("#screen-terminals")).to_have_text("mobile_h5 4")
        await expect(page.locator("#screen-map")).to_have_attribute(
            "data-provinces", "江苏 广东 浙江", timeout=AGREE_WITHIN_MS
        )
        # Each screen's ticker has every viewer's line, whichever process the play reached.
        ticker = page.locator("#screen-ticker li")
        await expect(ticker).to_have_count(len(VIEWERS), timeout=AGREE_WITHIN_MS)
        texts = sorted(await ticker.all_text_contents())
        assert [text.split(" ")[0] for text in texts] == sorted(
            ["江苏省苏州市", "江苏省苏州市", "广东省广州市", "浙江省杭州市"]
        ), texts
    # Watch hours are wall time and grow between the two reads; everything else is equal.
    shown = [await figures(w.page) for w in screens]
    hours = translate("zh-CN", "screen.watch_hours")
    for one in shown:
        one["screen-days"] = "\n".join(
            row for row in one["screen-days"].splitlines() if not row.startswith(hours)
        )
    assert shown[0] == shown[1]
    await screens[1].screenshot("screen-two-processes-1920.png")
    for watched in screens:
        assert watched.errors == []
