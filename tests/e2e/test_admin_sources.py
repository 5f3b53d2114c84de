"""Pull and playout sources in the admin console (issue 12), in real headless Chromium.

Staff pick the source in the new-event form: a pull from a loopback address is refused with
its reason; a playout whose only item does not exist is created, its item is skipped and the
reason is shown in the event's panel, and the event ends (nothing left to air).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, expect

from tests.e2e.test_admin_console import make_org, signed_in
from tests.support.api import Api
from tests.support.product import ADMIN_PASSWORD, Standalone

pytestmark = pytest.mark.e2e


@pytest.fixture
def product(tmp_path: Path) -> Iterator[Standalone]:
    server = Standalone(tmp_path).start()
    try:
        yield server
    finally:
        if server.process and server.process.popen and server.process.popen.poll() is None:
            server.stop()


@pytest.fixture
async def admin_api(product: Standalone) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield await Api(session, product.url).login("admin", ADMIN_PASSWORD)


async def test_staff_create_pull_and_playout_sources_and_see_a_skipped_item_with_its_reason(
    product: Standalone, browser: Browser, admin_api: Api
) -> None:
    await make_org(admin_api, "湖州市文化馆")
    w = await signed_in(browser, product, "live")
    page = w.page
    await expect(page.locator("#live-source-pull")).to_be_hidden()

    # A pull from this machine is refused, with the reason.
    await page.select_option("#live-org", label="湖州市文化馆（省级）")
    await page.fill("#live-title", "共享直播")
    await page.select_option("#live-source", "pull")
    await expect(page.locator("#live-source-pull")).to_be_visible()
    await page.fill("#live-pull-url", "rtmp://127.0.0.1:1935/live/x")
    await page.click("#live-form button[type=submit]")
    await expect(page.locator("#admin-error")).to_contain_text("127.0.0.1")
    await expect(page.locator("#admin-error")).to_contain_text("CULTURECAST_PULL_ALLOW")

    # A playout whose item does not exist: created, the item skipped with its reason.
    await page.fill("#live-title", "周末展播")
    await page.select_option("#live-source", "playout")
    await expect(page.locator("#live-source-playout")).to_be_visible()
    await page.fill("#live-playout-items", "gone-resource-1")
    await page.click("#live-form button[type=submit]")
    await expect(page.locator("#obs-box")).to_be_hidden()  # no key to show for a playout
    detail = page.locator("#live-detail")
    await expect(detail.locator("#h-live-detail")).to_have_text("周末展播")
    await expect(detail.locator("#live-source-box")).to_be_visible()
    skipped = detail.locator("#live-skipped li[data-code=playout_item_missing]")
    await expect(skipped.first).to_contain_text(
        "节目 gone-resource-1 已删除，已跳过。", timeout=30_000
    )
    await expect(detail.locator("#live-detail-status")).to_have_text("已结束", timeout=30_000)
    assert w.errors_except(400) == []  # the refused pull
