"""The console's data center in real headless Chromium: an organization's site type and
expected learners set on the organization tree, then the statistics tab's monthly report shows
the site-type table (seed 004 表2) with those sites. Screenshots go to
test-artifacts/screenshots/admin-data-center-*.png (1920 and 375 px)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, expect

from culturecast.server.web.i18n import translate
from tests.browser.driver import open_page
from tests.support.api import Api
from tests.support.product import ADMIN_PASSWORD, Standalone, serving

pytestmark = pytest.mark.e2e


@pytest.fixture
def product(tmp_path: Path) -> Iterator[Standalone]:
    with serving(tmp_path) as server:
        yield server


async def test_site_types_set_in_the_tree_show_in_the_monthly_table(
    product: Standalone, browser: Browser
) -> None:
    async with aiohttp.ClientSession() as session:
        api = await Api(session, product.url).login("admin", ADMIN_PASSWORD)
        city = await api.ok("POST", "/api/v1/orgs", {"name": "北京市"}, expect=201)
        district = await api.ok(
            "POST", "/api/v1/orgs", {"name": "房山区", "parent_id": city["id"]}, expect=201
        )
        await api.ok(
            "POST",
            "/api/v1/orgs",
            {"name": "长沟镇", "parent_id": district["id"], "site_type": "rural",
             "expected_learners": 100},
            expect=201,
        )  # fmt: skip

        w = await open_page(browser, width=1920, height=1080)
        page = w.page
        await w.goto(f"{product.url}/admin#accounts", ready="admin")
        await page.fill("#login-username", "admin")
        await page.fill("#login-password", ADMIN_PASSWORD)
        await page.click("#login-form button[type=submit]")
        row = page.locator(f'.org-node[data-org-id="{district["id"]}"]')
        await expect(row.locator(".site-label")).to_have_text(translate("zh-CN", "site.other"))
        await row.get_by_role("button", name=translate("zh-CN", "site.edit")).click()
        await row.locator('select[name="site_type"]').select_option("community")
        await row.locator('input[name="expected_learners"]').fill("40")
        # 防盗链: a host that is not one is refused with the rule, in Chinese only, and
        # nothing is saved; hosts typed with 、 and a capital are stored lower-cased.
        referers = row.locator('input[name="referer_allow"]')
        await referers.fill("www.wenhua.cn、不是网站!")
        await row.get_by_role("button", name=translate("zh-CN", "admin.save")).click()
        await expect(page.locator("#admin-error")).to_contain_text("防盗链名单只能填写网站域名")
        await expect(page.locator("#admin-error")).not_to_contain_text("referer")
        got = await api.ok("GET", f"/api/v1/orgs/{district['id']}")
        assert (got["site_type"], got["referer_allow"]) == ("other", [])
        await referers.fill("www.wenhua.cn、Culture.Example.cn")
        await row.get_by_role("button", name=translate("zh-CN", "admin.save")).click()
        label = f"{translate('zh-CN', 'site.community')} · "
        label += f"{translate('zh-CN', 'site.expected_learners')} 40 · "
        label += translate("zh-CN", "site.referer_count").format(n=2)
        await expect(row.locator(".site-label")).to_have_text(label)
        got = await api.ok("GET", f"/api/v1/orgs/{district['id']}")
        assert (got["site_type"], got["expected_learners"]) == ("community", 40)
        assert got["referer_allow"] == ["www.wenhua.cn", "culture.example.cn"]

        await page.get_by_role("tab", name=translate("zh-CN", "admin.tab_stats")).click()
        await page.select_option("#stats-org", city["id"])
        await page.click("#monthly-form button[type=submit]")
        line = page.locator(f'#monthly-site-types tr[data-org-id="{district["id"]}"]')
        # 房山区 (community) and 长沟镇 (rural): 2 sites, 140 expected learners, no hours yet.
        await expect(line.locator("td")).to_have_text(
            ["房山区", "0", "0", "0", "0", "2", "140", "0", "0"]
        )
        await expect(page.locator("#monthly-site-types .total-row td").first).to_have_text(
            translate("zh-CN", "dc.total")
        )
        async with page.expect_download() as download_info:
            await page.click('[data-csv="site_types"]')
        download = await download_info.value
        assert download.suggested_filename.startswith("monthly-site-types-")
        await w.screenshot("admin-data-center-1920.png")
        await page.set_viewport_size({"width": 375, "height": 812})
        assert int(await page.evaluate("document.scrollingElement.scrollWidth")) <= 375
        await w.screenshot("admin-data-center-375.png")
        # The one refusal the test caused (the bad 防盗链 host) is the only error logged.
        assert [e for e in w.errors if not ("status of 400" in e and "/api/v1/orgs/" in e)] == []
        assert len(w.errors) == 1, w.errors
