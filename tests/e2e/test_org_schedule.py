"""Issue 14: an organization's page (机构主页 /o/<org_id>) and the schedule (节目单 /schedule)
in real headless Chromium at 375 px against ``culturecast serve``: the page names the
organization and lists its coming show and its published resource (not another
organization's show); the schedule lists the show under its day, and 加入日历 downloads an
.ics whose DTSTART is the show's time and SUMMARY its title. Screenshots go to
test-artifacts/screenshots/org-*.png and schedule-*.png."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from datetime import time as dtime
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from culturecast.server.web.i18n import translate
from tests.browser.driver import open_page
from tests.support.api import Api
from tests.support.media import make_mp3, upload_resource
from tests.support.product import Standalone, serving

pytestmark = pytest.mark.e2e

PHONE = 375
ENV = {"CULTURECAST_VOD_PRESET": "ultrafast", "CULTURECAST_VOD_LADDER": "240p:426x240:300,audio:64"}
CST = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Standalone]:
    with serving(tmp_path_factory.mktemp("org-schedule"), ENV) as server:
        yield server


def ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def unfolded(ics: str) -> dict[str, str]:
    """The .ics content lines (unfolded) by name; the first of each name."""
    assert "\r\n" in ics, "lines must end in CRLF"
    assert "\n" not in ics.replace("\r\n", ""), "a bare LF"
    lines: dict[str, str] = {}
    for line in ics.replace("\r\n ", "").split("\r\n"):
        if ":" in line:
            name, _, value = line.partition(":")
            lines.setdefault(name, value)
    return lines


async def test_an_organization_page_and_the_schedule_with_its_calendar_reminder(
    product: Standalone, admin: Api, browser: Browser, tmp_path: Path
) -> None:
    org = await admin.ok("POST", "/api/v1/orgs", {"name": "嘉兴市文化馆"}, expect=201)
    other = await admin.ok("POST", "/api/v1/orgs", {"name": "湖州市图书馆"}, expect=201)
    # Tomorrow at 19:30:15 China Standard Time: always under 明天, whenever the test runs.
    tomorrow = datetime.now(CST).date() + timedelta(days=1)
    start = int(datetime.combine(tomorrow, dtime(19, 30, 15), CST).timestamp())
    title = "越剧《梁祝》, 选段; 第一场"
    show = await admin.ok(
        "POST",
        "/api/v1/live",
        {"org_id": org["id"], "title": title, "category": "opera", "scheduled_at": start,
         "published": True},
        expect=201,
    )  # fmt: skip
    await admin.ok(
        "POST",
        "/api/v1/live",
        {"org_id": other["id"], "title": "湖州读书会", "category": "other",
         "scheduled_at": start + 600, "published": True},
        expect=201,
    )  # fmt: skip
    mp3 = await asyncio.to_thread(make_mp3, tmp_path / "song.mp3", 4)
    resource = await upload_resource(
        admin, mp3, org["id"], {"title": "南湖船歌", "category": "music", "published": True}
    )
    deadline = time.monotonic() + 180
    while (await admin.ok("GET", f"/api/v1/resources/{resource['id']}"))["status"] != "ready":
        assert time.monotonic() < deadline, "the resource was not processed"
        await asyncio.sleep(1)

    w = await open_page(browser, width=PHONE, height=812)
    page = w.page

    # The organization's page: its name as typed, its coming show and its resource.
    await w.goto(f"{product.url}/o/{org['id']}", ready="org")
    await expect(page.locator("h1")).to_have_text("嘉兴市文化馆")
    assert await page.title() == "嘉兴市文化馆 · 文化云"
    upcoming = page.locator('[data-list="upcoming"]')
    await expect(upcoming.locator(".card")).to_have_count(1)
    await expect(upcoming).to_contain_text(title)
    await expect(page.locator('[data-list="resources"] .card')).to_contain_text("南湖船歌")
    assert await page.evaluate("document.scrollingElement.scrollWidth") <= PHONE
    await w.screenshot("org-page-375.png")

    # An unknown organization: the friendly not-found page, status 404.
    response = await page.goto(f"{product.url}/o/nosuchorg00000")
    assert response is not None
    assert response.status == 404
    await expect(page.locator("main")).to_contain_text(translate("zh-CN", "org.not_found"))

    # The schedule, linked from the header: the show under its day, the other org's too.
    await w.goto(product.url + "/", ready="home")
    await page.click("#nav-schedule")
    await page.wait_for_selector('html[data-ready="schedule"]')
    section = page.locator(f'.schedule-day[data-day="{tomorrow.isoformat()}"]')
    await expect(section).to_contain_text(title)
    await expect(section).to_contain_text("嘉兴市文化馆")
    await expect(section.locator("h2")).to_have_text(translate("zh-CN", "schedule.tomorrow"))
    await expect(section.locator(".schedule-item", has_text=title).locator("time")).to_have_text(
        "19:30"
    )
    await expect(page.locator(".schedule-item")).to_have_count(2)
    assert await page.evaluate("document.scrollingElement.scrollWidth") <= PHONE
    await w.screenshot("schedule-375.png")

    # 加入日历: an .ics with the show's time (UTC) and title, and a reminder 10 minutes ahead.
    item = section.locator(".schedule-item", has_text=title)
    add = item.get_by_role("button", name=translate("zh-CN", "schedule.add_label", title=title))
    await expect(add).to_have_text(translate("zh-CN", "schedule.add"))
    async with page.expect_download() as info:
        await add.click()
    download = await info.value
    assert download.suggested_filename.endswith(".ics")
    raw = await asyncio.to_thread(Path(await download.path()).read_bytes)
    ics = raw.decode()  # bytes as downloaded: read_text would turn CRLF into LF
    lines = unfolded(ics)
    assert ics.startswith("BEGIN:VCALENDAR\r\n")
    assert lines["DTSTART"] == datetime.fromtimestamp(start, UTC).strftime("%Y%m%dT%H%M%SZ")
    assert lines["SUMMARY"] == ics_text(title)
    assert lines["URL"] == f"{product.url}/live/{show['id']}"
    assert lines["TRIGGER"] == "-PT10M"
    assert lines["UID"]
    assert lines["DTSTAMP"].endswith("Z")
    assert all(len(raw.encode()) <= 75 for raw in ics.split("\r\n"))

    # In English the same page speaks English.
    await w.goto(product.url + "/schedule?lang=en", ready="schedule")
    await expect(page.locator("h1")).to_have_text(translate("en", "schedule.title"))
    await expect(page.locator(".schedule-add").first).to_have_text(translate("en", "schedule.add"))
    assert w.errors_except(404) == []
