"""The web pages in real headless Chromium against ``culturecast serve``: zh-CN and English,
a 375-px phone, the admin console over the real accounts API, the large-text mode.
Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, Page, expect

from culturecast.server.web.i18n import Lang, translate
from tests.browser.driver import chromium, open_page
from tests.support.api import Api
from tests.support.product import ADMIN_PASSWORD, Standalone

pytestmark = pytest.mark.e2e

PHONE = 375


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as b:
        yield b


async def test_home_renders_in_chinese_and_in_english_without_console_errors(
    standalone: Standalone, browser: Browser
) -> None:
    w = await open_page(browser)
    await w.goto(standalone.url + "/", ready="home")
    assert await w.page.get_attribute("html", "lang") == "zh-CN"
    await expect(
        w.page.get_by_role("heading", name=translate("zh-CN", "home.categories"))
    ).to_be_visible()
    # Nothing is on a fresh server: one friendly line, not an error nor a row of empty shelves.
    for key in ("home.live_now", "home.upcoming", "home.replays", "home.series"):
        await expect(w.page.get_by_role("heading", name=translate("zh-CN", key))).to_be_hidden()
    await expect(w.page.locator('[data-list="resources"]')).to_be_hidden()
    empty = w.page.locator("#home-empty")
    await expect(empty).to_have_text(translate("zh-CN", "home.nothing_yet"))
    await w.screenshot("home-zh.png")

    await w.goto(standalone.url + "/?lang=en", ready="home")
    assert await w.page.get_attribute("html", "lang") == "en"
    await expect(w.page.get_by_role("heading", name="Browse by category")).to_be_visible()
    await expect(empty).to_have_text(translate("en", "home.nothing_yet"))
    # The choice is remembered by a cookie: the plain URL stays English.
    await w.goto(standalone.url + "/", ready="home")
    assert await w.page.get_attribute("html", "lang") == "en"
    await w.screenshot("home-en.png")
    # And the switch link goes back to Chinese.
    await w.page.click("#lang-switch")
    await w.page.wait_for_selector('html[lang="zh-CN"][data-ready="home"]')
    assert w.errors == []


async def test_every_page_fits_a_375_px_phone(standalone: Standalone, browser: Browser) -> None:
    w = await open_page(browser, width=PHONE, height=812)
    pages = [
        ("/", "home", "home-375.png"),
        ("/admin", "admin", "admin-signin-375.png"),
        ("/live/demo-event", "live", "live-375.png"),
        ("/r/demo-resource", "resource", "resource-375.png"),
        ("/s/demo-series", "series", "series-375.png"),
        ("/?lang=en", "home", "home-en-375.png"),
    ]
    for path, ready, shot in pages:
        await w.goto(standalone.url + path, ready=ready)
        width = await w.page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE, f"{path} is {width}px wide on a {PHONE}px screen"
        await w.screenshot(shot)
    # Large text and the signed-in console (tables, the tree) must fit too.
    await w.page.click("#large-font-toggle")
    await w.goto(standalone.url + "/admin", ready="admin")
    await sign_in(w.page, "admin", ADMIN_PASSWORD)
    await w.page.fill("#root-org-name", "内蒙古自治区呼和浩特市赛罕区文化馆联合体")
    await w.page.click("#root-org-form button[type=submit]")
    await expect(w.page.locator(".org-name").first).to_be_visible()
    for path in ("/admin", "/"):
        if path != "/admin":
            await w.goto(standalone.url + path, ready="home")
        width = await w.page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE, f"{path} with large text is {width}px wide"
    await w.goto(standalone.url + "/admin", ready="admin")
    await w.screenshot("admin-console-375-large.png")
    # The demo ids do not exist: their API lookups 404 (the pages say "not found"); nothing
    # else may go wrong.
    assert w.errors_except(404) == []


async def sign_in(page: Page, username: str, password: str) -> None:
    await page.fill("#login-username", username)
    await page.fill("#login-password", password)
    await page.click("#login-form button[type=submit]")


async def test_admin_signs_in_and_builds_the_tree_and_a_user_through_the_form(
    standalone: Standalone, browser: Browser
) -> None:
    w = await open_page(browser)
    page = w.page
    await w.goto(standalone.url + "/admin", ready="admin")
    await sign_in(page, "admin", ADMIN_PASSWORD)
    await expect(page.locator("#whoami")).to_contain_text("admin")

    await page.fill("#root-org-name", "浙江省")
    await page.click("#root-org-form button[type=submit]")
    province = page.locator(".org-node", has=page.locator(".org-name", has_text="浙江省"))
    await expect(province).to_be_visible()
    await expect(page.locator("#admin-status")).to_have_text(
        translate("zh-CN", "admin.created", name="浙江省")
    )
    await province.get_by_role("button", name=translate("zh-CN", "admin.add_child")).click()
    await province.locator("input[name=name]").fill("杭州市")
    await province.get_by_role("button", name=translate("zh-CN", "admin.create")).click()
    city = page.locator("#org-tree ul .org-node", has=page.locator(".org-name", has_text="杭州市"))
    await expect(city).to_contain_text(translate("zh-CN", "level.2"))

    await page.fill("#user-username", "hz-editor")
    await page.fill("#user-display", "杭州编辑")
    await page.fill("#user-password", "a-long-password-1")
    await page.select_option("#user-role", "editor")
    await page.select_option("#user-org", label="杭州市（市级）")
    await page.click("#user-form button[type=submit]")
    row = page.locator("#users-table tbody tr", has_text="hz-editor")
    await expect(row).to_contain_text("杭州编辑")
    await expect(row).to_contain_text("杭州市")
    await expect(row).to_contain_text(translate("zh-CN", "role.editor"))
    await w.screenshot("admin-console.png")

    # An API error reaches the user as a sentence in their language: the name is taken.
    await page.fill("#user-username", "hz-editor")
    await page.fill("#user-password", "a-long-password-1")
    await page.select_option("#user-role", "editor")
    await page.select_option("#user-org", label="杭州市（市级）")
    await page.click("#user-form button[type=submit]")
    await expect(page.get_by_role("alert")).to_contain_text(
        translate("zh-CN", "error.username_taken")
    )
    # Disable the user from the table.
    await row.get_by_role("button", name=translate("zh-CN", "admin.disable")).click()
    await expect(row).to_contain_text(translate("zh-CN", "admin.disabled"))

    # What the pages did is what the API holds.
    async with aiohttp.ClientSession() as session:
        api = await Api(session, standalone.url).login("admin", ADMIN_PASSWORD)
        orgs = {o["name"]: o for o in (await api.ok("GET", "/api/v1/orgs"))["items"]}
        assert orgs["杭州市"]["parent_id"] == orgs["浙江省"]["id"]
        users = {u["username"]: u for u in (await api.ok("GET", "/api/v1/users"))["items"]}
        assert users["hz-editor"]["org_id"] == orgs["杭州市"]["id"]
        assert users["hz-editor"]["role"] == "editor"
        assert users["hz-editor"]["disabled"] is True

    # In English, deleting an organization that still has a child explains why it cannot.
    await w.goto(standalone.url + "/admin?lang=en", ready="admin")
    await expect(page.locator("#console")).to_be_visible()  # the token survives a reload
    province = page.locator(".org-node", has=page.locator(".org-name", has_text="浙江省"))
    await province.get_by_role("button", name="Delete").click()
    await expect(page.locator("#confirm-text")).to_contain_text("浙江省")
    await page.click("#confirm-ok")
    await expect(page.get_by_role("alert")).to_contain_text(translate("en", "error.org_not_empty"))
    await w.screenshot("admin-error-en.png")

    # Rename through the inline form.
    await province.get_by_role("button", name="Rename").click()
    await province.locator("input[name=name]").fill("浙江省文化馆")
    await province.get_by_role("button", name="Save").click()
    await expect(page.locator(".org-name", has_text="浙江省文化馆")).to_be_visible()

    await page.click("#sign-out")
    await expect(page.locator("#login-form")).to_be_visible()
    assert w.errors_except(409) == []  # the taken user name, the organization with a child


async def test_a_wrong_password_says_so_in_both_languages(
    standalone: Standalone, browser: Browser
) -> None:
    w = await open_page(browser)
    langs: tuple[Lang, ...] = ("zh-CN", "en")
    for lang in langs:
        await w.goto(f"{standalone.url}/admin?lang={lang}", ready="admin")
        await sign_in(w.page, "admin", "not-the-password")
        alert = w.page.get_by_role("alert")
        await expect(alert).to_contain_text(translate(lang, "error.bad_credentials"))
        await expect(w.page.locator("#console")).to_be_hidden()
    await w.screenshot("admin-wrong-password.png")
    # The failed sign-in is a 401 the page handled; nothing else went wrong.
    assert w.errors_except(401) == []


async def test_large_text_mode_toggles_and_persists(
    standalone: Standalone, browser: Browser
) -> None:
    w = await open_page(browser)
    page = w.page
    await w.goto(standalone.url + "/", ready="home")
    toggle = page.locator("#large-font-toggle")
    await expect(toggle).to_have_attribute("aria-pressed", "false")
    normal = await page.evaluate("getComputedStyle(document.documentElement).fontSize")
    await toggle.click()
    await expect(toggle).to_have_attribute("aria-pressed", "true")
    large = await page.evaluate("getComputedStyle(document.documentElement).fontSize")
    assert float(large.removesuffix("px")) >= 1.3 * float(normal.removesuffix("px"))
    # Another page, after a reload: still large (localStorage), applied before first paint.
    await w.goto(standalone.url + "/admin", ready="admin")
    assert await page.evaluate("document.documentElement.classList.contains('large-font')")
    await expect(page.locator("#large-font-toggle")).to_have_attribute("aria-pressed", "true")
    await w.screenshot("admin-large-text.png")
    await page.locator("#large-font-toggle").click()
    await w.goto(standalone.url + "/", ready="home")
    assert not await page.evaluate("document.documentElement.classList.contains('large-font')")
    assert w.errors == []


async def test_missing_pages_are_friendly_html_with_a_way_home(
    standalone: Standalone, browser: Browser
) -> None:
    """Issue 14 point 5 at 375×812: /nosuchpage, /live, /r/ and an unknown /r/<id> are pages
    (not raw JSON) with a link home and no QR code of the missing page; the API keeps JSON."""
    w = await open_page(browser, width=PHONE, height=812)
    home = translate("zh-CN", "page.back_home")
    for path in ("/nosuchpage", "/live", "/r/"):
        response = await w.page.goto(standalone.url + path)
        assert response is not None
        assert response.status == 404, path
        assert "text/html" in response.headers["content-type"], path
        await w.page.wait_for_selector('html[data-ready="not_found"]', timeout=15_000)
        await expect(w.page.locator("h1")).to_have_text(translate("zh-CN", "page.not_found"))
        await expect(w.page.get_by_role("link", name=home)).to_have_attribute("href", "/")
    await w.screenshot("page-404-375.png")
    await w.goto(standalone.url + "/r/no-such-item", ready="resource")
    await expect(w.page.locator("#title")).to_have_text(translate("zh-CN", "page.not_found"))
    await expect(w.page.get_by_role("link", name=home)).to_be_visible()
    await expect(w.page.locator("#share-qr")).to_be_hidden()
    await expect(w.page.locator("#player")).to_be_hidden()
    async with (
        aiohttp.ClientSession() as http,
        http.get(standalone.url + "/api/v1/nosuch") as api_response,
    ):
        assert api_response.status == 404
        assert (await api_response.json())["error"]["code"] == "not_found"
    assert w.errors_except(404) == []


async def test_header_toggle_and_chips_are_at_least_44_px_tall_on_a_phone(
    standalone: Standalone, browser: Browser
) -> None:
    """Issue 14 point 12: every tap target of the home page at 375×812 is ≥ 44 × 44 px, in
    the normal and the 大字模式 size."""
    w = await open_page(browser, width=PHONE, height=812)
    await w.goto(standalone.url + "/", ready="home")
    targets = ".site-nav a, .brand, #large-font-toggle, .chip"
    for mode in ("normal", "large"):
        if mode == "large":
            await w.page.click("#large-font-toggle")
            await expect(w.page.locator("html")).to_have_class("large-font")
        small = await w.page.eval_on_selector_all(
            targets,
            "els => els.map(e => [e.textContent.trim(), e.getBoundingClientRect()])"
            ".filter(([, r]) => r.height < 44 || r.width < 44)"
            ".map(([n, r]) => `${n}: ${Math.round(r.width)}×${Math.round(r.height)}`)",
        )
        assert small == [], (mode, small)
    assert w.errors == []


_LATIN = r"[A-Za-z]"
_CJK = r"[\u3400-\u9fff]"


async def test_console_errors_speak_the_page_language_only_with_the_fact(
    standalone: Standalone, browser: Browser
) -> None:
    w = await open_page(browser, width=PHONE, height=812)
    page = w.page
    alert = page.get_by_role("alert")
    await w.goto(standalone.url + "/admin?lang=zh-CN", ready="admin")
    await sign_in(page, "admin", "not-the-password")
    await expect(alert).to_contain_text(translate("zh-CN", "error.bad_credentials"))
    assert not re.search(_LATIN, await alert.inner_text()), await alert.inner_text()

    await sign_in(page, "admin", ADMIN_PASSWORD)
    await expect(page.locator("#console")).to_be_visible()
    await page.fill("#root-org-name", "安吉县")
    await page.click("#root-org-form button[type=submit]")
    await expect(page.locator(".org-name", has_text="安吉县")).to_be_visible()
    for lang, fact, other in (("zh-CN", "至少 8 位", _LATIN), ("en", "at least 8", _CJK)):
        await w.goto(f"{standalone.url}/admin?lang={lang}", ready="admin")
        await expect(page.locator("#console")).to_be_visible()
        await page.fill("#user-username", "short-pw")
        await page.fill("#user-password", "abc")
        await page.select_option("#user-role", "editor")
        await page.select_option("#user-org", index=1)
        await page.click("#user-form button[type=submit]")
        await expect(alert).to_contain_text(translate(lang, "error.weak_password"))
        await expect(alert).to_contain_text(fact)
        text = await alert.inner_text()
        assert not re.search(other, text), text
    assert w.errors_except(400, 401) == []


async def test_share_cards_and_qr_codes_name_the_public_url(
    tmp_path: Path, browser: Browser
) -> None:
    public = "https://whg.example.cn"
    product = Standalone(tmp_path, env={"CULTURECAST_PUBLIC_URL": public}).start()
    try:
        async with aiohttp.ClientSession() as session:
            admin = await Api(session, product.url).login("admin", ADMIN_PASSWORD)
            org = await admin.ok("POST", "/api/v1/orgs", {"name": "安吉县文化馆"}, expect=201)
            event = await admin.ok(
                "POST",
                "/api/v1/live",
                {"org_id": org["id"], "title": "村晚", "category": "opera",
                 "scheduled_at": time.time() + 3600, "published": True},
                expect=201,
            )  # fmt: skip
        w = await open_page(browser, width=PHONE, height=812)
        await w.goto(f"{product.url}/live/{event['id']}?lang=zh-CN", ready="live")
        address = f"{public}/live/{event['id']}"
        await expect(w.page.locator("#share-qr")).to_have_attribute("data-url", address)
        head = w.page.locator("head")
        await expect(head.locator('meta[property="og:url"]')).to_have_attribute("content", address)
        await expect(head.locator('meta[property="og:title"]')).to_have_attribute(
            "content", re.compile(translate("zh-CN", "site.name"))
        )
        await expect(head.locator('meta[property="og:description"]')).to_have_attribute(
            "content", translate("zh-CN", "site.tagline")
        )
        assert w.errors == []
        await w.page.context.close()  # its live connections, before the server stops
    finally:
        product.stop()
