"""The live data screen in real headless Chromium against ``culturecast serve``: a show
published by ffmpeg over RTMP on a county, viewers (``/api/v1/play`` and heartbeats, each from
an address of its own behind a trusted proxy) from three provinces of an IP database the test
writes itself. The province's screen shows the show with its viewers within 10 s of them
starting to watch, colours the provinces they came from (on the China map, read pixel by
pixel, and in its heat table), and its ticker gets a line; the show's report then equals the
hand count, in the API and on the console's printable report. Screenshots go to
test-artifacts/screenshots/screen-*.png and live-report-*.png (1920×1080, 375 px, printed)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, expect

from culturecast.server.web.i18n import translate
from tests.browser.driver import open_page
from tests.support.api import Api
from tests.support.geoip import write_mmdb
from tests.support.live import Publisher, ffmpeg_publish_command
from tests.support.product import ADMIN_PASSWORD, Standalone, serving

pytestmark = pytest.mark.e2e

NETWORKS = {
    "1.0.1.0/24": ("江苏省", "苏州市"),
    "14.0.0.0/24": ("广东省", "广州市"),
    "27.0.0.0/24": ("浙江省", "杭州市"),
    "127.0.0.0/8": ("上海市", "上海市"),  # the test's own peer: where a viewer would land
}
VIEWERS = {1: "1.0.1.7", 2: "1.0.1.8", 3: "14.0.0.9", 4: "27.0.0.5"}
"""Viewer number → the address its requests come from (X-Forwarded-For)."""
ENV = {
    "CULTURECAST_LIVE_PRESET": "ultrafast",
    "CULTURECAST_LIVE_LADDER": "240p:426x240:400,audio:64",
    "CULTURECAST_TRUSTED_PROXIES": "127.0.0.1/32",
    # The live-show report reads the flushed figures: flush every second, not every minute.
    "CULTURECAST_VIEWS_FLUSH_INTERVAL": "1",
}
SEEN_WITHIN_S = 10.0
MAP_PROBES = {
    "江苏": (119.9, 33.0),
    "广东": (113.3, 23.6),
    "浙江": (120.2, 29.2),
    "新疆": (85.0, 41.0),
    "四川": (103.0, 30.5),
    "黑龙江": (127.5, 47.5),
}
"""A point well inside each province (longitude, latitude): the map's colour is read there."""
MAP_EMPTY = (232, 234, 237)  # #e8eaed, a province nobody watched from
MAP_MOST = (179, 38, 30)  # #b3261e, the province with the most plays
READ_MAP = """([node, probes]) => {
  const chart = echarts.getInstanceByDom(node);
  const canvas = node.querySelector("canvas");
  const ratio = canvas.width / canvas.clientWidth;
  const context = canvas.getContext("2d");
  const colours = {};
  for (const [name, point] of Object.entries(probes)) {
    const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, point);
    const pixel = context.getImageData(Math.round(x * ratio), Math.round(y * ratio), 1, 1).data;
    colours[name] = [pixel[0], pixel[1], pixel[2]];
  }
  return colours;
}"""


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Standalone]:
    workdir = tmp_path_factory.mktemp("screen")
    mmdb = write_mmdb(workdir / "cn.mmdb", NETWORKS)
    with serving(workdir, {**ENV, "CULTURECAST_GEOIP_DB": str(mmdb)}) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def eventually[T](check: Callable[[], Awaitable[T | None]], within: float, what: str) -> T:
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not within {within} s")
        await asyncio.sleep(0.3)


class Viewer:
    def __init__(self, api: Api, number: int) -> None:
        self.api = api
        self.headers = {
            "Cookie": f"cc_did=screenviewer{number:08d}",
            "X-Forwarded-For": VIEWERS[number],
            "User-Agent": "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36"
            " (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
        }
        self.session_id = ""
        self.seq = 0

    async def play(self, event_id: str) -> None:
        status, body = await self.api.call(
            "POST",
            "/api/v1/play",
            {"item_type": "live", "item_id": event_id, "terminal": "mobile_h5"},
            headers=self.headers,
        )
        assert status == 201, body
        self.session_id = body["session_id"]

    async def beat(self) -> None:
        self.seq += 1
        status, body = await self.api.call(
            "POST",
            "/api/v1/views/heartbeat",
            {"session_id": self.session_id, "state": "playing", "seq": self.seq},
            headers=self.headers,
        )
        assert status == 204, body


async def keep_watching(viewers: list[Viewer]) -> None:
    while True:
        await asyncio.sleep(5)
        for viewer in viewers:
            await viewer.beat()


def compact(regions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        p["province"]: (p["plays"], {c["city"]: c["plays"] for c in p["cities"]}) for p in regions
    }


async def check_the_live_report(
    product: Standalone, browser: Browser, staff: Api, event_id: str
) -> None:
    """The show's report equals the hand count of the four viewers (their watch time is wall
    time, so only its consistency is checked), in the API and on the console's printable
    report; screenshots at 1920 and 375 px and as printed."""
    path = f"/api/v1/stats/live/{event_id}/report"

    async def flushed() -> dict[str, Any] | None:
        got: dict[str, Any] = await staff.ok("GET", path)
        return got if got["plays"] == len(VIEWERS) else None

    report = await eventually(flushed, 30, "the viewers in the live-show report")
    assert (report["plays"], report["unique_viewers"], report["peak_viewers"]) == (4, 4, 4)
    assert (report["comments"], report["likes"], report["effective"]) == (0, 0, 0)
    assert compact(report["by_region"]) == {
        "江苏省": (2, {"苏州市": 2}),
        "广东省": (1, {"广州市": 1}),
        "浙江省": (1, {"杭州市": 1}),
    }
    assert {d: f["plays"] for d, f in report["by_device"].items() if f["plays"]} == {"android": 4}
    assert {t: f["plays"] for t, f in report["by_terminal"].items() if f["plays"]} == {
        "mobile_h5": 4
    }
    assert report["average_watch_seconds"] == pytest.approx(report["watch_seconds"] / 4, abs=0.01)

    w = await open_page(browser, width=1920, height=1080)
    page = w.page
    await w.goto(f"{product.url}/admin#accounts", ready="admin")
    await page.fill("#login-username", "screenstaff")
    await page.fill("#login-password", "screen-staff-pass-1")
    await page.click("#login-form button[type=submit]")
    await page.get_by_role("tab", name=translate("zh-CN", "admin.tab_stats")).click()
    await expect(page.locator(f'#stats-live-event option[value="{event_id}"]')).to_have_count(1)
    await page.select_option("#stats-live-event", event_id)
    await page.click("#stats-live-form button[type=submit]")
    box = page.locator("#live-report")
    await expect(box).to_be_visible()
    figure = box.locator("[data-live-report]")
    await expect(box.locator('[data-live-report="plays"]')).to_have_text("4")
    await expect(box.locator('[data-live-report="unique_viewers"]')).to_have_text("4")
    await expect(box.locator('[data-live-report="peak"]')).to_contain_text("4（")
    await expect(box.locator('[data-live-report="comments"]')).to_have_text("0")
    await expect(box.locator('[data-live-report="likes"]')).to_have_text("0")
    assert await figure.count() == 8
    await expect(page.locator("#live-report-regions tbody tr")).to_have_count(6)
    await box.scroll_into_view_if_needed()
    await w.screenshot("live-report-1920.png")
    # Printed, the report stands alone (the print button adds this class, then prints).
    await page.evaluate("document.body.classList.add('print-live-report')")
    await page.emulate_media(media="print")
    await expect(page.locator("#h-stats")).to_be_hidden()
    await expect(box.locator('[data-live-report="plays"]')).to_be_visible()
    await w.screenshot("live-report-print.png")
    await page.emulate_media(media="screen")
    await page.evaluate("document.body.classList.remove('print-live-report')")
    await page.set_viewport_size({"width": 375, "height": 812})
    # No sideways scrolling once the charts have followed the narrower window.
    await page.wait_for_function("document.scrollingElement.scrollWidth <= 375")
    await w.screenshot("live-report-375.png")
    assert w.errors == []


async def test_a_province_screen_shows_a_county_show_and_its_viewers(
    product: Standalone, http: aiohttp.ClientSession, browser: Browser
) -> None:
    admin = await Api(http, product.url).login("admin", ADMIN_PASSWORD)
    province = await admin.ok("POST", "/api/v1/orgs", {"name": "江苏省"}, expect=201)
    city = await admin.ok(
        "POST", "/api/v1/orgs", {"name": "泰州市", "parent_id": province["id"]}, expect=201
    )
    county = await admin.ok(
        "POST", "/api/v1/orgs", {"name": "兴化市", "parent_id": city["id"]}, expect=201
    )
    await admin.ok(
        "POST",
        "/api/v1/users",
        {"username": "screenstaff", "password": "screen-staff-pass-1", "role": "org_admin",
         "org_id": province["id"]},
        expect=201,
    )  # fmt: skip
    staff = await Api(http, product.url).login("screenstaff", "screen-staff-pass-1")
    event = await admin.ok(
        "POST",
        "/api/v1/live",
        {"org_id": county["id"], "title": "兴化非遗直播", "category": "opera",
         "published": True},
        expect=201,
    )  # fmt: skip
    rtmp = f"rtmp://127.0.0.1:{product.rtmp_port}/live/{event['stream_key']}"
    publisher = Publisher(ffmpeg_publish_command(rtmp, size="426x240")).start()
    beating: asyncio.Task[None] | None = None
    try:

        async def on_air() -> dict[str, Any] | None:
            got = await admin.ok("GET", f"/api/v1/live/{event['id']}")
            return got if got["status"] == "live" else None

        await eventually(on_air, 90, "the show on air")

        # The lobby TV: the province's screen, the token in the address fragment.
        tv = await open_page(browser, width=1920, height=1080)
        await tv.goto(f"{product.url}/screen/{province['id']}#token={staff.token}")
        await expect(tv.page.locator("#screen-alert")).to_be_hidden()

        viewers = [Viewer(Api(http, product.url), n) for n in VIEWERS]
        started = time.monotonic()
        for viewer in viewers:
            await viewer.play(event["id"])
            await viewer.beat()
        beating = asyncio.create_task(keep_watching(viewers))
        live = tv.page.locator("#screen-live")
        line = f"兴化非遗直播 · {translate('zh-CN', 'screen.viewers')} {len(viewers)}"
        await expect(live).to_contain_text(line, timeout=SEEN_WITHIN_S * 1000)
        assert time.monotonic() - started <= SEEN_WITHIN_S + 1
        # The provinces the viewers came from are coloured, the most viewers the strongest;
        # the test's own address (上海市) is nobody's: the forwarded one was believed.
        rows = tv.page.locator("#screen-provinces tbody tr")
        await expect(rows.first).to_have_attribute("data-province", "江苏省", timeout=15_000)
        provinces = await rows.evaluate_all(
            "rows => rows.map(r => [r.dataset.province, r.cells[1].textContent,"
            " r.style.background])"
        )
        assert [p[:2] for p in provinces] == [["江苏省", "2"], ["广东省", "1"], ["浙江省", "1"]]
        # Full red for the most (the browser writes alpha 1 as rgb), 0.15 + 0.85 / 2 for half.
        assert [p[2] for p in provinces] == [
            "rgb(200, 30, 30)",
            "rgba(200, 30, 30, 0.57)",
            "rgba(200, 30, 30, 0.57)",
        ]
        # The map: the viewers' provinces coloured (the most plays the darkest), others not.
        china = tv.page.locator("#screen-map")
        await expect(china).to_have_attribute("data-provinces", "江苏 广东 浙江")
        handle = await china.element_handle()
        colours = {
            k: tuple(v) for k, v in (await tv.page.evaluate(READ_MAP, [handle, MAP_PROBES])).items()
        }
        assert colours["江苏"] == MAP_MOST, colours
        for name in ("广东", "浙江"):
            assert colours[name] not in (MAP_EMPTY, MAP_MOST), colours
            assert sum(colours[name]) > sum(MAP_MOST), colours
        assert [colours[n] for n in ("新疆", "四川", "黑龙江")] == [MAP_EMPTY] * 3, colours
        # The ticker shows who started watching, masked.
        ticker = tv.page.locator("#screen-ticker li")
        await expect(ticker.first).to_contain_text("兴化非遗直播", timeout=15_000)
        # It scrolls like a feed: each viewer's line enters on top and pushes the earlier
        # ones down, so the lines read newest first (viewers 1, 2 江苏, 3 广东, 4 浙江).
        await expect(ticker).to_have_count(len(viewers), timeout=15_000)
        texts = await ticker.all_text_contents()
        assert [text[:3] for text in texts] == ["浙江省", "广东省", "江苏省", "江苏省"], texts
        assert not any("screenviewer" in text for text in texts), texts
        await tv.screenshot("screen-province-1920.png")

        phone = await open_page(browser, width=375, height=812)
        await phone.goto(f"{product.url}/screen/{province['id']}#token={staff.token}")
        await expect(phone.page.locator("#screen-live")).to_contain_text(line, timeout=15_000)
        await expect(phone.page.locator("#screen-map")).to_have_attribute(
            "data-provinces", "江苏 广东 浙江", timeout=15_000
        )
        await phone.screenshot("screen-province-375.png")
        assert tv.errors == []
        assert phone.errors == []
        await check_the_live_report(product, browser, staff, event["id"])
    finally:
        if beating is not None:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating
        publisher.stop()
