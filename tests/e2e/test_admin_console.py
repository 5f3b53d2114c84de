"""The admin console in real headless Chromium against ``culturecast serve``: a live event
created in the page and pushed by a real ffmpeg publisher (OBS settings, health every 2 s,
stop), a file uploaded through the page's tus client (progress, a broken chunk resumed) that
is processed, published and plays on its /r/ page, and statistics charts drawn from real
plays and heartbeats that equal the API's figures; in both languages and at 375 px.
Screenshots go to test-artifacts/screenshots/admin-*.png."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, Page, Route, expect

from culturecast.server.web.i18n import translate
from tests.browser.driver import Watched, chromium, open_page
from tests.support.api import Api
from tests.support.chat import ChatClient
from tests.support.live import Publisher, ffmpeg_publish_command
from tests.support.product import ADMIN_PASSWORD, Standalone

pytestmark = pytest.mark.e2e

PHONE = 375
CHUNK = 5 * 1024 * 1024  # the page's tus chunk (admin-tus.js CHUNK_BYTES)
SMALL = {
    # Small ladders and the fastest presets keep the shared CPU free; statistics are flushed
    # every 2 s instead of 60 s so the dashboard shows the plays within the test.
    "CULTURECAST_LIVE_PRESET": "ultrafast",
    "CULTURECAST_VOD_PRESET": "ultrafast",
    "CULTURECAST_LIVE_LADDER": "360p:640x360:800,240p:426x240:400,audio:64",
    "CULTURECAST_VOD_LADDER": "360p:640x360:800,240p:426x240:400,audio:64",
    "CULTURECAST_VIEWS_FLUSH_INTERVAL": "2",
}


@pytest.fixture
def product(tmp_path: Path) -> Iterator[Standalone]:
    server = Standalone(tmp_path, env=dict(SMALL)).start()
    try:
        yield server
    finally:
        if server.process and server.process.popen and server.process.popen.poll() is None:
            server.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as b:
        yield b


@pytest.fixture
async def admin_api(product: Standalone) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield await Api(session, product.url).login("admin", ADMIN_PASSWORD)


async def make_org(api: Api, name: str) -> str:
    org = await api.ok("POST", "/api/v1/orgs", {"name": name}, expect=201)
    return str(org["id"])


async def signed_in(browser: Browser, product: Standalone, tab: str, **kw: Any) -> Watched:
    w = await open_page(browser, **kw)
    await w.goto(f"{product.url}/admin#{tab}", ready="admin")
    await w.page.fill("#login-username", "admin")
    await w.page.fill("#login-password", ADMIN_PASSWORD)
    await w.page.click("#login-form button[type=submit]")
    await expect(w.page.locator(f"#tab-{tab}")).to_be_visible()
    return w


async def confirm(page: Page) -> None:
    await expect(page.locator("#confirm-dialog")).to_be_visible()
    await page.click("#confirm-ok")


async def fits(page: Page) -> int:
    return int(await page.evaluate("document.scrollingElement.scrollWidth"))


async def test_live_event_created_in_the_console_goes_live_shows_health_and_stops(
    product: Standalone, browser: Browser, admin_api: Api
) -> None:
    await make_org(admin_api, "杭州市文化馆")
    w = await signed_in(browser, product, "live")
    page = w.page
    await page.select_option("#live-org", label="杭州市文化馆（省级）")
    await page.fill("#live-title", "越剧《红楼梦》选段")
    await page.select_option("#live-category", "opera")
    await page.fill("#live-scheduled", "2031-05-01T19:30")
    await page.click("#live-form button[type=submit]")

    # OBS settings, shown once, with copy buttons and the warning.
    await expect(page.locator("#obs-box")).to_be_visible()
    await expect(page.locator("#obs-box")).to_contain_text(
        translate("zh-CN", "live_admin.key_once")
    )
    server = await page.input_value("#obs-server")
    key = await page.input_value("#obs-key")
    assert server.startswith("rtmp://"), server
    assert server.endswith("/live"), server
    assert len(key) >= 32
    await expect(page.locator("#obs-box [data-copy]")).to_have_count(2)
    row = page.locator("#live-table tbody tr", has_text="越剧《红楼梦》选段")
    await expect(row.locator(".badge")).to_have_text(translate("zh-CN", "live.status.scheduled"))
    event_id = await row.get_attribute("data-event-id")
    assert event_id
    event = await admin_api.ok("GET", f"/api/v1/live/{event_id}")
    assert event["category"] == "opera"
    # The form's time is China Standard Time: 2031-05-01 19:30 +08:00.
    assert event["scheduled_at"] == 1935401400
    await w.screenshot("admin-live-obs.png")

    # A real encoder publishes with exactly those settings (the port is the test server's).
    publisher = Publisher(
        ffmpeg_publish_command(f"rtmp://127.0.0.1:{product.rtmp_port}/live/{key}")
    ).start()
    try:
        detail = page.locator("#live-detail")
        await expect(detail.locator("#live-detail-status")).to_have_text(
            translate("zh-CN", "live.status.live"), timeout=30_000
        )
        await expect(page.locator("#health-resolution")).to_have_text("640×360", timeout=20_000)
        await expect(page.locator("#health-bitrate")).to_contain_text("kbps")
        await expect(page.locator("#health-codecs")).to_contain_text("h264", ignore_case=True)
        bitrate = await page.locator("#health-bitrate").inner_text()
        assert float(bitrate.split()[0].replace(",", "")) > 100, bitrate
        health = await admin_api.ok("GET", f"/api/v1/live/{event_id}/health")
        assert (health["health"]["width"], health["health"]["height"]) == (640, 360)
        # Overload's figures: which renditions are shed now (none unless the machine starves
        # the transcoder), and how often.
        assert isinstance(health["health"]["shed_rungs"], list)
        assert isinstance(health["health"]["ladder_sheds"], int)
        await expect(page.locator("#health-ladder")).not_to_have_text("–")
        # The panel refreshes by itself: its timestamp moves on without a click.
        note = await page.locator("#health-note").inner_text()
        await expect(page.locator("#health-note")).not_to_have_text(note, timeout=6_000)
        # Moderation is connected to the room with the admin's token.
        await expect(page.locator("#mod-state")).to_have_text(
            translate("zh-CN", "mod.state_open"), timeout=10_000
        )
        await w.screenshot("admin-live-health.png")

        # Deleting a show on air is refused; the page names the reason in Chinese.
        await page.click("#live-delete")
        await confirm(page)
        await expect(page.locator("#admin-error")).to_contain_text(
            translate("zh-CN", "error.event_on_air")
        )

        # Stop ends it.
        await page.click("#live-stop")
        await confirm(page)
        await expect(detail.locator("#live-detail-status")).to_have_text(
            translate("zh-CN", "live.status.ended"), timeout=20_000
        )
        await expect(page.locator("#live-stop")).to_be_disabled()
        assert (await admin_api.ok("GET", f"/api/v1/live/{event_id}"))["status"] == "ended"
    finally:
        publisher.stop()

    # The same console in English on a phone.
    await page.set_viewport_size({"width": PHONE, "height": 812})
    await w.goto(f"{product.url}/admin?lang=en#live", ready="admin")
    await expect(page.get_by_role("tab", name="Live")).to_have_attribute("aria-selected", "true")
    await expect(row.locator(".badge")).to_have_text("Ended")
    assert await fits(page) <= PHONE
    await w.screenshot("admin-live-375-en.png")
    assert w.errors_except(409) == []  # the refused delete


async def test_uploaded_file_becomes_a_published_playable_resource_and_its_plays_chart(
    product: Standalone, browser: Browser, admin_api: Api, tmp_path: Path
) -> None:
    org_id = await make_org(admin_api, "宁波市图书馆")
    # About 8 MB, so the page's client sends two 5 MiB chunks.
    video = await noisy_video(tmp_path / "梁祝.mp4")
    assert video.stat().st_size > CHUNK
    w = await signed_in(browser, product, "resources")
    page = w.page

    # The network drops the second chunk once: the client asks the server where it stopped
    # (HEAD) and sends the rest, never the whole file again.
    requests: list[tuple[str, str | None]] = []
    patches = 0

    async def flaky(route: Route) -> None:
        nonlocal patches
        req = route.request
        requests.append((req.method, req.headers.get("upload-offset")))
        if req.method == "PATCH":
            patches += 1
            if patches == 2:
                await route.abort("connectionreset")
                return
        await route.continue_()

    await page.route("**/api/v1/uploads**", flaky)
    await page.evaluate(
        """() => { window.__percents = [];
        new MutationObserver(() => window.__percents.push(
            Number(document.querySelector('#upload-box').dataset.percent))
        ).observe(document.querySelector('#upload-box'), {attributeFilter: ['data-percent']}); }"""
    )
    await page.select_option("#upload-org", org_id)
    await page.set_input_files("#upload-file", str(video))
    await page.click("#upload-form button[type=submit]")
    await expect(page.locator("#upload-box")).to_have_attribute(
        "data-state", "done", timeout=30_000
    )
    await expect(page.locator("#upload-progress")).to_have_js_property("value", 100)
    percents: list[int] = await page.evaluate("window.__percents")
    assert any(0 < p < 100 for p in percents), percents  # progress was shown on the way
    assert [m for m, _ in requests].count("POST") == 1
    assert ("HEAD", None) in requests
    assert [o for m, o in requests if m == "PATCH"] == ["0", str(CHUNK), str(CHUNK)]
    await page.unroute("**/api/v1/uploads**")

    # Describe it; categories come from the API.
    await expect(page.locator("#resource-form")).to_be_visible()
    assert await page.input_value("#resource-title") == "梁祝"
    await page.fill("#resource-title", "越剧《梁祝》")
    await page.select_option("#resource-category", "opera")
    await page.fill("#resource-performer", "宁波越剧团")
    await page.click("#resource-form button[type=submit]")
    row = page.locator("#resources-table tbody tr", has_text="越剧《梁祝》")
    await expect(row).to_be_visible()
    # Processing is polled until ready.
    await expect(row).to_have_attribute("data-status", "ready", timeout=120_000)
    await w.screenshot("admin-resources.png")
    resource_id = await row.get_attribute("data-resource-id")
    assert resource_id
    await row.get_by_role("button", name=translate("zh-CN", "res_admin.publish")).click()
    await expect(page.locator("#admin-status")).to_have_text(
        translate("zh-CN", "res_admin.published_done", name="越剧《梁祝》")
    )
    resource = await admin_api.ok("GET", f"/api/v1/resources/{resource_id}")
    assert resource["published"] is True
    assert resource["performer"] == "宁波越剧团"

    # It plays on its public page: the video's clock advances.
    viewer = await open_page(browser)
    await viewer.goto(f"{product.url}/r/{resource_id}", ready="resource")
    await viewer.page.wait_for_function(
        "() => { const v = document.querySelector('video'); return v && v.currentTime > 1.5; }",
        timeout=30_000,
    )
    await viewer.context.close()

    # And a TV box through the real play + heartbeat API (another terminal for the pie).
    async with aiohttp.ClientSession() as session:
        tv = Api(session, product.url)
        play = await tv.ok(
            "POST",
            "/api/v1/play",
            {"item_type": "resource", "item_id": resource_id, "terminal": "tv"},
            expect=201,
        )
        status, _ = await tv.call(
            "POST",
            "/api/v1/views/heartbeat",
            {"session_id": play["session_id"], "position_s": 3, "state": "playing", "seq": 1},
        )
        assert status == 204

    # Wait until the flushed figures are in and stable (the flush runs every 2 s).
    report = await stable_report(admin_api, org_id)
    assert report["totals"]["plays"] == 2
    assert set(report["by_terminal"]) >= {"tv"}

    await page.get_by_role("tab", name=translate("zh-CN", "admin.tab_stats")).click()
    await page.select_option("#stats-org", org_id)
    await page.click("#stats-form button[type=submit]")
    await expect(page.locator("#tab-stats")).to_have_attribute("data-loaded", org_id)
    totals = page.locator("#stats-totals")
    await expect(totals.locator('[data-figure="plays"]')).to_have_attribute("data-value", "2")
    shown_watch = await totals.locator('[data-figure="watch_hours"]').get_attribute("data-value")
    assert float(shown_watch or "nan") == report["totals"]["watch_seconds"]
    for chart in ("#chart-trend", "#chart-terminal", "#chart-category"):
        await expect(page.locator(f"{chart} canvas")).to_have_count(1)
    terminal_values = await page.locator("#chart-terminal").get_attribute("data-values")
    assert terminal_values is not None
    assert json.loads(terminal_values) == {
        t: f["plays"] for t, f in report["by_terminal"].items() if f["plays"] > 0
    }
    category_values = json.loads(
        await page.locator("#chart-category").get_attribute("data-values") or "{}"
    )
    assert (
        category_values == {"opera": 2} == {c: f["plays"] for c, f in report["by_category"].items()}
    )
    top = page.locator("#stats-top tbody tr").first
    await expect(top).to_contain_text("越剧《梁祝》")
    await expect(top.locator(".plays")).to_have_text("2")
    await w.screenshot("admin-stats.png")

    # Monthly report of this month.
    await page.click("#monthly-form button[type=submit]")
    await expect(page.locator('[data-monthly="plays"]')).to_have_text("2")
    # CSV export downloads the API's file.
    async with page.expect_download() as download_info:
        await page.click('[data-csv="org"]')
    download = await download_info.value
    assert download.suggested_filename.endswith(".csv")

    # A phone and English: every tab fits 375 px.
    await page.set_viewport_size({"width": PHONE, "height": 812})
    await w.goto(f"{product.url}/admin?lang=en#stats", ready="admin")
    await expect(page.locator("#h-stats")).to_have_text("Statistics")
    await page.select_option("#stats-org", org_id)
    await page.click("#stats-form button[type=submit]")
    await expect(totals.locator('[data-figure="plays"]')).to_have_text("2")
    for tab in ("Statistics", "Resources", "Live", "Organizations & users"):
        await page.get_by_role("tab", name=tab).click()
        assert await fits(page) <= PHONE, tab
        if tab == "Statistics":
            await w.screenshot("admin-stats-375-en.png")
        if tab == "Resources":
            await w.screenshot("admin-resources-375-en.png")
    # Only the chunk the test broke on purpose went wrong.
    assert [e for e in w.errors if "ERR_CONNECTION_RESET" not in e] == []


async def stable_report(api: Api, org_id: str) -> dict[str, Any]:
    """The organization's report once two reads 3 s apart agree and show both plays."""
    deadline = time.monotonic() + 30
    last: dict[str, Any] | None = None
    while time.monotonic() < deadline:
        report = await api.ok("GET", f"/api/v1/stats/orgs/{org_id}")
        if last is not None and report == last and report["totals"]["plays"] >= 2:
            return dict(report)
        last = report
        await asyncio.sleep(3)
    raise AssertionError(f"statistics never settled: {last}")


async def noisy_video(path: Path) -> Path:
    """8 s of 640x360 H.264 + AAC with film grain, so it does not compress below ~8 MB."""
    proc = await asyncio.create_subprocess_exec(
        "ffmpeg", "-v", "error", "-y",
        "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=15:duration=8,noise=alls=60:allf=t",
        "-f", "lavfi", "-i", "sine=frequency=440:duration=8",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-b:v", "8000k",
        "-c:a", "aac", "-b:a", "64k", "-shortest", str(path),
    )  # fmt: skip
    assert await proc.wait() == 0
    return path


async def test_push_targets_in_the_live_panel_add_show_state_and_remove(
    product: Standalone, browser: Browser, admin_api: Api
) -> None:
    org_id = await make_org(admin_api, "德清县文化馆")
    body = {"org_id": org_id, "title": "乡村春晚", "published": True}
    event = await admin_api.ok("POST", "/api/v1/live", body, expect=201)
    w = await signed_in(browser, product, "live")
    page = w.page
    row = page.locator("#live-table tbody tr", has_text="乡村春晚")
    await row.get_by_role("button").click()
    targets = page.locator("#live-targets tbody")
    await expect(targets).to_contain_text(translate("zh-CN", "targets.empty"))

    # A URL of the wrong kind is refused with the reason in Chinese.
    await page.fill("#target-name", "抖音")
    await page.fill("#target-url", "rtmp://127.0.0.1:1/live")
    await page.evaluate("document.querySelector('#target-url').value = 'http://x/live'")
    await page.evaluate("document.querySelector('#target-form').noValidate = true")
    await page.click("#target-form button[type=submit]")
    await expect(page.locator("#admin-error")).to_contain_text(
        translate("zh-CN", "error.unsupported_target_scheme")
    )

    # A target at a port where nothing listens: idle until the show, then retrying with
    # the refused connection said in words an admin can act on; the key is never shown.
    await page.fill("#target-url", "rtmp://127.0.0.1:1/live")
    await page.fill("#target-key", "secret-stream-key")
    await page.click("#target-form button[type=submit]")
    target_row = targets.locator("tr", has_text="抖音")
    await expect(target_row.locator(".badge")).to_have_text(
        translate("zh-CN", "targets.state.idle")
    )
    assert "secret-stream-key" not in await page.content()
    publisher = Publisher(
        ffmpeg_publish_command(f"rtmp://127.0.0.1:{product.rtmp_port}/live/{event['stream_key']}")
    ).start()
    try:
        await expect(target_row.locator(".badge")).to_have_text(
            translate("zh-CN", "targets.state.retrying"), timeout=30_000
        )
        await expect(target_row.locator(".target-error")).to_contain_text("目标地址拒绝连接")
        await w.screenshot("admin-live-targets.png")
        await target_row.get_by_role("button", name=translate("zh-CN", "targets.remove")).click()
        await confirm(page)
        await expect(targets).to_contain_text(translate("zh-CN", "targets.empty"))
        assert (await admin_api.ok("GET", f"/api/v1/live/{event['id']}/targets"))["items"] == []
    finally:
        publisher.stop()
    assert w.errors_except(400) == []  # the refused URL


async def test_resources_on_a_phone_edit_description_and_tags_and_a_failed_one_is_not_publishable(
    product: Standalone, browser: Browser, admin_api: Api, tmp_path: Path
) -> None:
    from tests.support.media import TusClient

    org_id = await make_org(admin_api, "宁波市文化馆")
    not_media = tmp_path / "节目单.mp4"
    not_media.write_text("这不是视频文件")
    upload_id = await TusClient(admin_api.session, product.url, str(admin_api.token)).upload(
        not_media, org_id=org_id
    )
    body = {"upload_id": upload_id, "title": "越剧《梁祝》选段（失败）", "category": "opera"}
    created = await admin_api.ok("POST", "/api/v1/resources", body, expect=201)
    rid = created["id"]

    w = await signed_in(browser, product, "resources", width=PHONE, height=812)
    page = w.page
    row = page.locator(f'#resources-table tr[data-resource-id="{rid}"]')
    await expect(row).to_have_attribute("data-status", "failed", timeout=60_000)
    publish = row.get_by_role("button", name=translate("zh-CN", "res_admin.publish"))
    await expect(publish).to_be_disabled()
    await expect(row.locator(".publish-reason")).to_have_text(
        translate("zh-CN", "res_admin.publish_failed")
    )
    assert (await admin_api.ok("GET", f"/api/v1/resources/{rid}"))["published"] is False

    # Description and tags (typed with 、 and a comma) are saved and read back from the API.
    await row.get_by_role("button", name=translate("zh-CN", "res_admin.edit")).click()
    form = page.locator("#resources-table tr.edit-row form")
    await form.locator("textarea[name=description]").fill("梁山伯与祝英台，十八相送。")
    await form.locator("input[name=tags]").fill("越剧、经典, 戏曲")
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#admin-status")).to_have_text(
        translate("zh-CN", "res_admin.saved", name="越剧《梁祝》选段（失败）")
    )
    saved = await admin_api.ok("GET", f"/api/v1/resources/{rid}")
    assert saved["description"] == "梁山伯与祝英台，十八相送。"
    assert saved["tags"] == ["越剧", "经典", "戏曲"]
    await row.get_by_role("button", name=translate("zh-CN", "res_admin.edit")).click()
    await expect(form.locator("input[name=tags]")).to_have_value("越剧、经典、戏曲")
    await form.get_by_role("button", name=translate("zh-CN", "admin.cancel")).click()

    # 375 px: no sideways scrolling, and the row is a compact card.
    assert await fits(page) <= PHONE
    box = await row.bounding_box()
    assert box is not None
    assert box["height"] < 200, box
    await w.screenshot("admin-resources-failed-375.png")
    # The same in English.
    await w.goto(f"{product.url}/admin?lang=en#resources", ready="admin")
    await expect(row.locator(".publish-reason")).to_have_text(
        translate("en", "res_admin.publish_failed")
    )
    await expect(row.get_by_role("button", name="Publish")).to_be_disabled()
    assert await fits(page) <= PHONE
    assert w.errors == []


async def test_a_muted_viewer_is_listed_and_unmuted_from_the_live_panel(
    product: Standalone, browser: Browser, admin_api: Api
) -> None:
    org_id = await make_org(admin_api, "嘉兴市文化馆")
    body = {"org_id": org_id, "title": "评弹专场", "published": True}
    event = await admin_api.ok("POST", "/api/v1/live", body, expect=201)
    w = await signed_in(browser, product, "live")
    page = w.page
    await page.locator("#live-table tbody tr", has_text="评弹专场").get_by_role("button").click()
    sanctions = page.locator("#mod-sanctions li")
    await expect(page.locator("#mod-sanctions-empty")).to_be_visible()
    publisher = Publisher(
        ffmpeg_publish_command(f"rtmp://127.0.0.1:{product.rtmp_port}/live/{event['stream_key']}")
    ).start()
    viewer = await ChatClient().connect(product.url, {"guest": "李大爷"})
    try:
        await expect(page.locator("#live-detail-status")).to_have_text(
            translate("zh-CN", "live.status.live"), timeout=30_000
        )
        await viewer.join(event["id"])
        assert (await viewer.send("讲得好"))["ok"]
        row = page.locator("#mod-messages li", has_text="讲得好")
        await row.get_by_role("button", name=translate("zh-CN", "mod.mute")).click()
        await expect(page.locator("#admin-status")).to_have_text("已禁言“李大爷”10分钟")
        await expect(sanctions).to_have_count(1)
        await expect(sanctions).to_contain_text("李大爷")
        await expect(sanctions).to_contain_text(translate("zh-CN", "mod.kind_mute"))
        await expect(sanctions).to_contain_text("剩余 10 分钟")
        await expect(page.locator("#mod-sanctions-empty")).to_be_hidden()
        assert (await viewer.send("还能说吗"))["code"] == "muted"
        lift = sanctions.get_by_role("button", name=translate("zh-CN", "mod.unmute"))
        box = await lift.bounding_box()
        assert box is not None
        assert box["height"] >= 44
        await w.screenshot("admin-live-sanctions.png")
        await lift.click()
        await expect(page.locator("#admin-status")).to_have_text("已解除“李大爷”的禁言")
        await expect(sanctions).to_have_count(0)
        await expect(page.locator("#mod-sanctions-empty")).to_be_visible()
        assert (await viewer.send("又能说了"))["ok"]
        # A ban is listed as permanent and lifted the same way.
        await row.get_by_role("button", name=translate("zh-CN", "mod.ban")).click()
        await expect(sanctions).to_contain_text(translate("zh-CN", "mod.forever"))
        await sanctions.get_by_role("button", name=translate("zh-CN", "mod.unban")).click()
        await expect(page.locator("#admin-status")).to_have_text("已解除“李大爷”的封禁")
        await expect(sanctions).to_have_count(0)
        assert (await viewer.send("谢谢"))["ok"]
    finally:
        await viewer.close()
        publisher.stop()
