"""Issue 14, the figures a viewer and a 文化馆 manager read, in real headless Chromium at
375×812 against ``culturecast serve``: the page's 在看 and the console's 在线 agree (point 8),
the statistics tab speaks a manager's units (point 9), and a replay's comments come at their
moment of the show's media even when the encoder ran slower than real time (point 11).
Screenshots go to test-artifacts/screenshots/figures-*.png."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, WebSocket, expect

from culturecast.server.web.i18n import translate
from tests.browser.driver import Watched, open_page
from tests.e2e.test_viewer_pages import eventually, playing_past
from tests.support.api import Api
from tests.support.live import Publisher, ffmpeg_publish_command
from tests.support.product import ADMIN_PASSWORD, SMALL_LADDERS, Standalone, serving

pytestmark = pytest.mark.e2e

PHONE = 375
ENV = {**SMALL_LADDERS, "CULTURECAST_VIEWS_FLUSH_INTERVAL": "2"}


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Standalone]:
    with serving(tmp_path_factory.mktemp("figures"), ENV) as server:
        yield server


def viewer_pushes(page: Page) -> asyncio.Queue[str]:
    """The ``viewers`` frames the page's chat socket receives, as they arrive."""
    frames: asyncio.Queue[str] = asyncio.Queue()

    def on_socket(ws: WebSocket) -> None:
        def on_frame(payload: str | bytes) -> None:
            text = payload if isinstance(payload, str) else payload.decode(errors="replace")
            if '"viewers"' in text:
                frames.put_nowait(text)

        ws.on("framereceived", on_frame)

    page.on("websocket", on_socket)
    return frames


async def console(browser: Browser, product: Standalone, tab: str, **kw: Any) -> Watched:
    w = await open_page(browser, **kw)
    await w.goto(f"{product.url}/admin#{tab}", ready="admin")
    await w.page.fill("#login-username", "admin")
    await w.page.fill("#login-password", ADMIN_PASSWORD)
    await w.page.click("#login-form button[type=submit]")
    await expect(w.page.locator(f"#tab-{tab}")).to_be_visible()
    return w


async def test_the_page_and_the_console_count_the_same_viewers(
    product: Standalone, admin: Api, browser: Browser
) -> None:
    """Point 8: the countdown page counts nobody before the show; on air the phone's 在看 and
    the console's 在线 both say 2 for two phones, the console's own connection not counted."""
    org = await admin.ok("POST", "/api/v1/orgs", {"name": "德清县文化馆"}, expect=201)
    event = await admin.ok(
        "POST",
        "/api/v1/live",
        {"org_id": org["id"], "title": "德清山歌会", "category": "music",
         "scheduled_at": time.time() + 3600, "published": True},
        expect=201,
    )  # fmt: skip
    live_url = f"{product.url}/live/{event['id']}"
    phone = await open_page(browser, width=PHONE, height=812)
    other = await open_page(browser, width=PHONE, height=812)
    pushes = viewer_pushes(phone.page)
    await other.goto(live_url, ready="live")
    await phone.goto(live_url, ready="live")
    await expect(phone.page.locator("#countdown")).to_be_visible()
    await expect(phone.page.locator("#chat-state")).to_have_text(
        translate("zh-CN", "chat.not_live")
    )
    # The server told the page its room's count; before the show the page shows none of it.
    await asyncio.wait_for(pushes.get(), 20)
    await expect(phone.page.locator("#viewers")).to_have_text("")
    await phone.screenshot("figures-countdown-375.png")

    desk = await console(browser, product, "live")
    row = desk.page.locator("#live-table tbody tr", has_text="德清山歌会")
    await row.get_by_role("button", name=translate("zh-CN", "live_admin.manage")).click()
    await expect(desk.page.locator("#mod-state")).to_have_text(
        translate("zh-CN", "mod.state_not_live")
    )
    rtmp = f"rtmp://127.0.0.1:{product.rtmp_port}/live/{event['stream_key']}"
    publisher = Publisher(ffmpeg_publish_command(rtmp, size="640x360")).start()
    try:
        # The open countdown pages start playing by themselves.
        await playing_past(phone.page, 0.5, 90_000)
        await playing_past(other.page, 0.5, 90_000)
        two = translate("zh-CN", "chat.viewers", n=2)
        await expect(phone.page.locator("#viewers")).to_have_text(two, timeout=30_000)
        await expect(desk.page.locator("#health-viewers")).to_have_text(
            re.compile(r"^2 / \d+$"), timeout=40_000
        )
        # Both at once, and the page still says 2 after the next pushes.
        for _ in range(2):
            await asyncio.wait_for(pushes.get(), 20)
        await expect(phone.page.locator("#viewers")).to_have_text(two)
        await phone.screenshot("figures-live-375.png")
    finally:
        publisher.stop()
    for w in (phone, other, desk):
        await w.context.close()


async def test_the_statistics_tab_speaks_a_managers_units_on_a_phone(
    product: Standalone, admin: Api, browser: Browser
) -> None:
    """Point 9: a short live show watched for a few seconds reads in minutes, not "0" hours;
    its 播完率 says 不适用; the trend has every day of the range; 日均活跃观众 of one viewer
    in a month says 不足1人 rather than "0"."""
    org = await admin.ok("POST", "/api/v1/orgs", {"name": "长兴县文化馆"}, expect=201)
    event = await admin.ok(
        "POST",
        "/api/v1/live",
        {"org_id": org["id"], "title": "长兴百叶龙", "category": "performance", "published": True},
        expect=201,
    )
    rtmp = f"rtmp://127.0.0.1:{product.rtmp_port}/live/{event['stream_key']}"
    publisher = Publisher(ffmpeg_publish_command(rtmp, size="640x360")).start()
    try:
        await eventually(lambda: _on_air(admin, event["id"]), 90, "the show on air")
        play = await admin.ok(
            "POST",
            "/api/v1/play",
            {"item_type": "live", "item_id": event["id"], "terminal": "mobile_h5"},
            expect=201,
        )
        for seq, position in enumerate((6.0, 12.0), start=1):
            status, _ = await admin.call(
                "POST",
                "/api/v1/views/heartbeat",
                {"session_id": play["session_id"], "position_s": position, "state": "playing",
                 "seq": seq},
            )  # fmt: skip
            assert status == 204
    finally:
        publisher.stop()

    async def counted() -> dict[str, Any] | None:
        body: dict[str, Any] = await admin.ok("GET", f"/api/v1/stats/orgs/{org['id']}")
        return body if body["totals"]["plays"] >= 1 and body["totals"]["watch_seconds"] else None

    report = await eventually(counted, 40, "the show's play in the statistics")
    assert report["totals"]["watch_seconds"] < 600

    w = await console(browser, product, "stats", width=PHONE, height=812)
    page = w.page
    await page.select_option("#stats-org", org["id"])
    await page.click("#stats-form button[type=submit]")
    await expect(page.locator("#tab-stats")).to_have_attribute("data-loaded", org["id"])
    watch = page.locator('#stats-totals [data-figure="watch_hours"]')
    minutes = report["totals"]["watch_seconds"] / 60
    await expect(watch).to_have_text(re.compile(r"^\d+(\.\d)?分钟$"))
    assert abs(float((await watch.inner_text()).removesuffix("分钟")) - minutes) <= 0.05
    top = page.locator("#stats-top tbody tr", has_text="长兴百叶龙")
    await expect(top.locator(".completion")).to_have_text("不适用")
    days = await page.evaluate(
        "echarts.getInstanceByDom(document.querySelector('#chart-trend')).getOption().xAxis[0].data"
    )
    first, last = await page.input_value("#stats-from"), await page.input_value("#stats-to")
    assert (days[0], days[-1], len(days)) == (first, last, 30), days
    await page.click("#monthly-form button[type=submit]")
    await expect(page.locator('[data-monthly="average_daily_active"]')).to_have_text("不足1人")
    await expect(page.locator('[data-monthly="watch_hours"]')).to_contain_text("分钟")
    await w.screenshot("figures-stats-375.png")
    # The ranking's CSV, as a manager sends it upward: names, Chinese, minutes, percentages.
    async with page.expect_download() as info:
        await page.click('[data-csv="ranking"]')
    saved = await (await info.value).path()
    text = await asyncio.to_thread(Path(saved).read_text, "utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    show = next(r for r in rows if "长兴百叶龙" in r)
    assert show[:5] == ["1", "直播", "长兴百叶龙", "长兴县文化馆", "展演"], rows
    assert show[10] == "不适用"
    assert float(show[7]) == round(report["totals"]["watch_seconds"] / 60, 1)
    assert w.errors == []
    await w.context.close()


async def test_replay_comments_come_at_their_moment_of_a_slow_encoders_media(
    product: Standalone, admin: Api, browser: Browser
) -> None:
    """Point 11: an encoder that runs at half real time makes a show whose media is half as
    long as it was on air; the six comments sent during it all come up in its replay, each
    at the media time the show had reached when it was sent."""
    org = await admin.ok("POST", "/api/v1/orgs", {"name": "南浔区文化馆"}, expect=201)
    event = await admin.ok(
        "POST",
        "/api/v1/live",
        {"org_id": org["id"], "title": "南浔评弹", "category": "storytelling", "published": True},
        expect=201,
    )
    live_url = f"{product.url}/live/{event['id']}"
    rtmp = f"rtmp://127.0.0.1:{product.rtmp_port}/live/{event['stream_key']}"
    command = ffmpeg_publish_command(rtmp, size="640x360")
    at = command.index("-re")
    command[at : at + 1] = ["-readrate", "0.5"]  # media at half the speed of the clock
    publisher = Publisher(command).start()
    phone = await open_page(browser, width=PHONE, height=812)
    sent: list[float] = []
    try:
        await eventually(lambda: _on_air(admin, event["id"]), 90, "the show on air")
        await phone.goto(live_url, ready="live")
        await expect(phone.page.locator("#chat-form")).to_be_visible(timeout=30_000)
        for n in range(1, 7):
            await phone.page.fill("#chat-text", f"第{n}条：好听！")
            await phone.page.click("#chat-form button[type=submit]")
            await expect(phone.page.locator("#chat-messages")).to_contain_text(f"第{n}条")
            sent.append(time.time())
            await asyncio.sleep(3)  # pacing: the comments are spread over the show
    finally:
        publisher.stop()
    await admin.ok("POST", f"/api/v1/live/{event['id']}/stop")

    async def replay_ready() -> dict[str, Any] | None:
        body: dict[str, Any] = await admin.ok("GET", f"/api/v1/live/{event['id']}")
        return body if body["status"] == "ended" and body["master_url"] else None

    ended = await eventually(replay_ready, 120, "the replay")
    duration = float(ended["replay"]["duration_s"])
    started = float(ended["started_at"])
    # The encoder was slow: by the clock, the last comments came after the replay's end.
    assert sent[-1] - started > duration + 2, (sent, started, duration)
    found = await admin.ok("GET", f"/api/v1/live/{event['id']}/comments?from=0&to=3600")
    offsets = [c["offset_s"] for c in found["comments"]]
    assert len(offsets) == 6
    assert offsets == sorted(offsets)
    assert all(0 <= o <= duration for o in offsets), (offsets, duration)

    late = await open_page(browser, width=PHONE, height=812)
    await late.goto(live_url, ready="live")
    await playing_past(late.page, 0.5, 90_000)
    for n in range(1, 7):
        await expect(late.page.locator("#chat-messages")).to_contain_text(
            f"第{n}条：好听！", timeout=max(60_000, int(duration * 3_000))
        )
    await late.screenshot("figures-replay-comments-375.png")
    for w in (phone, late):
        await w.context.close()


async def _on_air(admin: Api, event_id: str) -> bool:
    body = await admin.ok("GET", f"/api/v1/live/{event_id}")
    return bool(body["status"] == "live" and body["master_url"])


async def test_the_console_keeps_the_key_in_view_confirms_sanctions_and_ends_cleanly(
    product: Standalone, admin: Api, browser: Browser
) -> None:
    """Point 7 at 375×812: after creating a show the one-time OBS key stays in view; slow
    mode tells the viewer how many seconds to wait; 禁言 and 封禁 say they took hold; an ended
    show's 「结束直播」 looks disabled, its stale health is gone and it links to its replay."""
    await admin.ok("POST", "/api/v1/orgs", {"name": "吴兴区文化馆"}, expect=201)
    desk = await console(browser, product, "live", width=PHONE, height=812)
    page = desk.page
    await page.select_option("#live-org", label="吴兴区文化馆（省级）")
    await page.fill("#live-title", "吴兴湖笔文化讲座")
    await page.select_option("#live-category", "lecture")
    await page.click("#live-form button[type=submit]")
    await expect(page.locator("#live-detail")).to_be_visible()
    await expect(page.locator("#obs-key")).to_be_in_viewport()
    key = await page.input_value("#obs-key")
    event_id = await page.locator("#live-detail").get_attribute("data-event-id")
    assert event_id
    publisher = Publisher(
        ffmpeg_publish_command(f"rtmp://127.0.0.1:{product.rtmp_port}/live/{key}")
    ).start()
    phone = await open_page(browser, width=PHONE, height=812)
    try:
        await expect(page.locator("#live-detail-status")).to_have_text(
            translate("zh-CN", "live.status.live"), timeout=90_000
        )
        await expect(page.locator("#mod-state")).to_have_text(translate("zh-CN", "mod.state_open"))
        await page.select_option("#mod-slow", "30")
        # The viewer's nickname, remembered on the phone from an earlier visit.
        await phone.page.add_init_script("localStorage.setItem('cc:nick', JSON.stringify('老李'))")
        await phone.goto(f"{product.url}/live/{event_id}", ready="live")
        await expect(phone.page.locator("#chat-form")).to_be_visible(timeout=30_000)
        await phone.page.fill("#chat-text", "讲得好")
        await phone.page.click("#chat-form button[type=submit]")
        await expect(phone.page.locator("#chat-messages")).to_contain_text("老李：讲得好")
        await phone.page.fill("#chat-text", "再来一段")
        await phone.page.click("#chat-form button[type=submit]")
        await expect(phone.page.locator("#chat-state")).to_have_text(
            re.compile(r"^慢速模式：请 (\d|[12]\d|30) 秒后再发言$")
        )
        row = page.locator("#mod-messages li", has_text="讲得好")
        await row.get_by_role("button", name=translate("zh-CN", "mod.mute")).click()
        await expect(page.locator("#admin-status")).to_have_text("已禁言“老李”10分钟")
        await row.get_by_role("button", name=translate("zh-CN", "mod.ban")).click()
        await expect(page.locator("#admin-status")).to_have_text("已封禁“老李”，不能再进入评论")
        await expect(page.locator("#health-bitrate")).to_contain_text("kbps", timeout=30_000)
        await page.click("#live-stop")
        await expect(page.locator("#confirm-dialog")).to_be_visible()
        await page.click("#confirm-ok")
        await expect(page.locator("#live-detail-status")).to_have_text(
            translate("zh-CN", "live.status.ended"), timeout=30_000
        )
    finally:
        publisher.stop()
    stop = page.locator("#live-stop")
    await expect(stop).to_be_disabled()
    assert float(await stop.evaluate("(b) => getComputedStyle(b).opacity")) < 0.6
    await expect(page.locator("#health-bitrate")).to_have_text("–")
    await expect(page.locator("#live-replay-link")).to_be_visible(timeout=120_000)
    assert await page.get_attribute("#live-replay-link", "href") == f"/live/{event_id}"
    await desk.screenshot("figures-console-ended-375.png")
    for w in (desk, phone):
        await w.context.close()
