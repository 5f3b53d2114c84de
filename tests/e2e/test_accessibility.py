"""Issue 14, "an automated accessibility audit of every page": axe-core (npm, tests/node) is
injected into each page in real headless Chromium at 375×812 — home, a live show's countdown,
an audio resource, its series, favorites, a campaign, the organization's page, the schedule,
the data screen, the console signed out and each of its tabs signed in, and a missing page —
in Chinese, in English and in 大字模式; no violation of serious or critical impact may remain."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.driver import open_page
from tests.support.api import Api
from tests.support.media import make_mp3, upload_resource
from tests.support.product import ADMIN_PASSWORD, Standalone, serving

pytestmark = pytest.mark.e2e

PHONE = 375
AXE = Path(__file__).parents[1] / "node" / "node_modules" / "axe-core" / "axe.min.js"
ENV = {"CULTURECAST_VOD_PRESET": "ultrafast", "CULTURECAST_VOD_LADDER": "240p:426x240:300,audio:64"}


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Standalone]:
    with serving(tmp_path_factory.mktemp("a11y"), ENV) as server:
        yield server


async def audit(page: Page) -> list[str]:
    """The serious and critical axe-core violations of the page as it is now, one line each."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = await page.evaluate(
        "async () => (await axe.run(document, { resultTypes: ['violations'] })).violations"
        ".filter((v) => v.impact === 'serious' || v.impact === 'critical')"
        ".map((v) => ({ id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }))"
    )
    return [f"{page.url}: {v['id']} ({v['impact']}) {v['help']} at {v['nodes']}" for v in found]


async def seeded(product: Standalone, admin: Api, tmp_path: Path) -> dict[str, str]:
    """One of everything a page shows: an organization, a coming show, a series with an
    audio episode, a campaign."""
    org = await admin.ok("POST", "/api/v1/orgs", {"name": "安吉县文化馆"}, expect=201)
    event = await admin.ok(
        "POST",
        "/api/v1/live",
        {"org_id": org["id"], "title": "安吉竹乡越剧专场", "category": "opera",
         "scheduled_at": time.time() + 2 * 3600, "published": True},
        expect=201,
    )  # fmt: skip
    series = await admin.ok(
        "POST",
        "/api/v1/series",
        {"title": "三国演义", "org_id": org["id"], "category": "storytelling",
         "performer": "袁阔成", "published": True},
        expect=201,
    )  # fmt: skip
    mp3 = await asyncio.to_thread(make_mp3, tmp_path / "ep1.mp3", 4)
    resource = await upload_resource(
        admin, mp3, org["id"],
        {"title": "桃园三结义", "category": "storytelling",
         "published": True, "series_id": series["id"], "episode": 1}
    )  # fmt: skip
    deadline = time.monotonic() + 180
    while (await admin.ok("GET", f"/api/v1/resources/{resource['id']}"))["status"] != "ready":
        assert time.monotonic() < deadline, "the episode was not processed"
        await asyncio.sleep(1)
    now = time.time()
    campaign = await admin.ok(
        "POST",
        "/api/v1/campaigns",
        {"org_id": org["id"], "title": "最美家乡曲", "starts_at": now - 60,
         "ends_at": now + 2 * 3600, "votes_per_day": 2, "guests": True,
         "entries": [{"item_type": "resource", "item_id": resource["id"]}]},
        expect=201,
    )  # fmt: skip
    return {
        "org": org["id"],
        "event": event["id"],
        "series": series["id"],
        "resource": resource["id"],
        "campaign": campaign["id"],
    }


async def test_every_page_has_no_serious_accessibility_violation(
    product: Standalone, admin: Api, browser: Browser, tmp_path: Path
) -> None:
    ids = await seeded(product, admin, tmp_path)
    pages: list[tuple[str, str | None]] = [
        ("/", "home"),
        (f"/live/{ids['event']}", "live"),
        (f"/r/{ids['resource']}", "resource"),
        (f"/s/{ids['series']}", "series"),
        ("/favorites", "favorites"),
        (f"/c/{ids['campaign']}", "campaign"),
        (f"/o/{ids['org']}", "org"),
        ("/schedule", "schedule"),
        (f"/screen/{ids['org']}", None),
        ("/nosuchpage", "not_found"),
        ("/admin", "admin"),
    ]
    w = await open_page(browser, width=PHONE, height=812)
    page = w.page
    problems: list[str] = []
    # The data screen is for staff: a lobby TV is given a token in the address fragment.
    screen = f"#token={admin.token}"

    async def visit(path: str, ready: str | None, query: str = "") -> None:
        await w.goto(product.url + path + query + ("" if ready else screen), ready=ready)
        if ready is None:
            await expect(page.locator("#screen-live li").first).to_be_visible()

    for query in ("", "?lang=en"):
        for path, ready in pages:
            await visit(path, ready, query)
            problems += await audit(page)
    # 大字模式 changes sizes and colours: every page again with it on.
    await w.goto(product.url + "/", ready="home")
    await page.click("#large-font-toggle")
    for path, ready in pages:
        await visit(path, ready)
        problems += await audit(page)

    # The console, signed in: each tab.
    await w.goto(product.url + "/admin", ready="admin")
    await page.fill("#login-username", "admin")
    await page.fill("#login-password", ADMIN_PASSWORD)
    await page.click("#login-form button[type=submit]")
    tabs = page.locator("[role=tab]")
    await expect(tabs.first).to_be_visible()
    for n in range(await tabs.count()):
        tab = tabs.nth(n)
        await tab.click()
        panel = await tab.get_attribute("aria-controls")
        if panel:
            await expect(page.locator(f"#{panel}")).to_be_visible()
        problems += await audit(page)
    # The series panel's batch upload (its preview table) and 发布全部's summary.
    await page.click("#tab-btn-resources")
    series = page.locator(f'#series-list li[data-series-id="{ids["series"]}"]')
    await series.locator('[data-action="batch-upload"]').click()
    await page.set_input_files("#series-batch-files", str(tmp_path / "ep1.mp3"))
    await expect(page.locator('#series-batch-table tr[data-state="waiting"]')).to_have_count(1)
    problems += await audit(page)
    await series.locator('[data-action="publish-all"]').click()
    await page.click("#confirm-ok")
    await expect(page.locator("#series-publish-result")).to_be_visible()
    problems += await audit(page)
    assert problems == [], "\n".join(problems)


async def test_item_pages_carry_their_own_share_card(
    product: Standalone, admin: Api, browser: Browser, tmp_path: Path
) -> None:
    """Issue 14, point 10 (per item): a link pasted into WeChat shows the item's own title,
    description and picture — in the HTML itself, since the crawler runs no script."""
    ids = await seeded(product, admin, tmp_path)
    cover = "https://img.example.org/anji-yueju.jpg"
    await admin.ok("PATCH", f"/api/v1/live/{ids['event']}", {"cover": cover})
    w = await open_page(browser, width=PHONE, height=812)
    page = w.page

    async def card() -> dict[str, str | None]:
        return {
            name: await page.locator(f'meta[property="og:{name}"]').get_attribute("content")
            if await page.locator(f'meta[property="og:{name}"]').count()
            else None
            for name in ("title", "description", "image", "url")
        }

    await w.goto(f"{product.url}/live/{ids['event']}", ready="live")
    live = await card()
    assert live["title"] == "安吉竹乡越剧专场 · 文化云"
    assert live["image"] == cover
    assert live["url"] == f"{product.url}/live/{ids['event']}"
    await w.goto(f"{product.url}/r/{ids['resource']}", ready="resource")
    assert (await card())["title"] == "桃园三结义 · 文化云"
    await w.goto(f"{product.url}/s/{ids['series']}", ready="series")
    series = await card()
    assert series["title"] == "三国演义 · 文化云"
    assert series["description"] == "袁阔成"
    # An unknown id keeps the site's card (and says nothing of what exists).
    await w.goto(f"{product.url}/r/nosuchresource00", ready="resource")
    assert (await card())["title"] == "文化云"
