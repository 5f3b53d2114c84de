"""Covers (issue 14) in real headless Chromium at 375 px against ``culturecast serve``: staff
upload a picture for a resource in the console's edit form, see it previewed, and the
viewer's home page card shows exactly that picture; a file that is not a picture is refused
with the reason; 移除封面 brings the generated cover back. Screenshots go to
test-artifacts/screenshots/covers-*.png."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from culturecast.server.web.i18n import translate
from tests.browser.driver import open_page
from tests.e2e.test_admin_console import SMALL, confirm, fits, make_org, signed_in
from tests.support.api import Api
from tests.support.media import TusClient, make_mp3
from tests.support.product import Standalone, serving

pytestmark = pytest.mark.e2e

PHONE = 375
TITLE = "评书《岳飞传》第一回"
LOADED_WIDTH = "img => img.decode().then(() => img.naturalWidth)"
"""The picture's own width once the browser has decoded it (a broken image rejects)."""


@pytest.fixture
def product(tmp_path: Path) -> Iterator[Standalone]:
    """A server of its own per test (the conftest's ``browser`` and ``admin`` go with it)."""
    with serving(tmp_path, SMALL) as server:
        yield server


async def ready_resource(api: Api, base: str, org_id: str, media: Path) -> str:
    upload_id = await TusClient(api.session, base, str(api.token)).upload(media, org_id=org_id)
    body = {"upload_id": upload_id, "title": TITLE, "category": "storytelling", "published": True}
    rid = str((await api.ok("POST", "/api/v1/resources", body, expect=201))["id"])
    for _ in range(600):
        doc = await api.ok("GET", f"/api/v1/resources/{rid}")
        if doc["status"] in ("ready", "failed"):
            break
        await asyncio.sleep(0.2)
    assert doc["status"] == "ready", doc
    return rid


@pytest.fixture
def cover(tmp_path: Path) -> Path:
    """A 320×180 picture in one colour, made by ffmpeg."""
    path = tmp_path / "岳飞传封面.png"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=c=0x8c2f1b:s=320x180",
         "-frames:v", "1", str(path)],
        check=True,
    )  # fmt: skip
    return path


async def test_a_cover_uploaded_in_the_console_is_the_home_cards_picture(
    product: Standalone, browser: Browser, admin: Api, tmp_path: Path, cover: Path
) -> None:
    org_id = await make_org(admin, "汤阴县文化馆")
    rid = await ready_resource(admin, product.url, org_id, make_mp3(tmp_path / "yf.mp3", 4))

    w = await signed_in(browser, product, "resources", width=PHONE, height=812)
    page = w.page
    row = page.locator(f'#resources-table tr[data-resource-id="{rid}"]')
    await row.get_by_role("button", name=translate("zh-CN", "res_admin.edit")).click()
    field = page.locator("#resources-table tr.edit-row .cover-field")
    await expect(field.locator(".cover-none")).to_have_text(translate("zh-CN", "cover.none"))
    upload = field.get_by_label(translate("zh-CN", "cover.upload"))
    await expect(upload).to_have_attribute("accept", "image/*")

    # Not a picture: refused with the reason, nothing changes.
    await upload.set_input_files(
        {"name": "封面.png", "mimeType": "image/png", "buffer": "这不是图片".encode()}
    )
    await expect(page.locator("#admin-error")).to_contain_text(
        translate("zh-CN", "error.cover_not_an_image")
    )
    assert (await admin.ok("GET", f"/api/v1/resources/{rid}"))["cover_url"] is None

    await upload.set_input_files(str(cover))
    await expect(page.locator("#admin-status")).to_have_text(
        translate("zh-CN", "cover.uploaded", name=TITLE)
    )
    cover_url = (await admin.ok("GET", f"/api/v1/resources/{rid}"))["cover_url"]
    assert cover_url.startswith(f"/media/vod/{rid}/cover-")
    preview = field.locator("img.cover-preview")
    await expect(preview).to_be_visible()
    await expect(preview).to_have_attribute("src", cover_url)
    assert await preview.evaluate(LOADED_WIDTH) == 320
    assert await fits(page) <= PHONE
    await w.screenshot("covers-console-375.png")

    # The viewer's home page: the resource's card shows that very picture.
    viewer = await open_page(browser, width=PHONE, height=812)
    await viewer.goto(product.url + "/", ready="home")
    card = viewer.page.locator(f'a.card[href="/r/{rid}"]').first
    await card.scroll_into_view_if_needed()
    img = card.locator(".card-cover img")
    await expect(img).to_have_attribute("src", cover_url)
    assert await img.evaluate(LOADED_WIDTH) == 320
    colour = await img.evaluate(
        """img => { const c = document.createElement('canvas'); c.width = c.height = 1;
        const g = c.getContext('2d'); g.drawImage(img, 0, 0, 1, 1);
        return Array.from(g.getImageData(0, 0, 1, 1).data.slice(0, 3)); }"""
    )
    assert all(abs(a - b) <= 8 for a, b in zip(colour, (0x8C, 0x2F, 0x1B), strict=True)), colour
    assert await fits(viewer.page) <= PHONE
    await viewer.screenshot("covers-home-375.png")

    # 移除封面: the card is the generated tile again (an audio resource has no poster).
    await field.get_by_role("button", name=translate("zh-CN", "cover.remove")).click()
    await confirm(page)
    await expect(page.locator("#admin-status")).to_have_text(
        translate("zh-CN", "cover.removed", name=TITLE)
    )
    await expect(field.locator(".cover-none")).to_be_visible()
    await viewer.goto(product.url + "/", ready="home")
    card = viewer.page.locator(f'a.card[href="/r/{rid}"]').first
    await expect(card.locator(".card-cover.generated")).to_be_visible()
    await expect(card.locator(".card-cover img")).to_have_count(0)
    assert w.errors_except(415) == []
    assert viewer.errors == []


async def test_series_and_live_covers_from_the_console_reach_their_cards_and_the_countdown(
    product: Standalone, browser: Browser, admin: Api, cover: Path
) -> None:
    org_id = await make_org(admin, "安阳市群艺馆")
    series = await admin.ok(
        "POST", "/api/v1/series", {"org_id": org_id, "title": "岳飞传", "published": True}, 201
    )
    body = {"org_id": org_id, "title": "豫剧《穆桂英挂帅》", "published": True,
            "scheduled_at": time.time() + 86_400}  # fmt: skip
    event = await admin.ok("POST", "/api/v1/live", body, expect=201)

    w = await signed_in(browser, product, "resources", width=PHONE, height=812)
    page = w.page
    row = page.locator(f'#series-list li[data-series-id="{series["id"]}"]')
    await row.locator(".cover-details summary").click()
    await row.get_by_label(translate("zh-CN", "cover.upload")).set_input_files(str(cover))
    await expect(page.locator("#admin-status")).to_have_text(
        translate("zh-CN", "cover.uploaded", name="岳飞传")
    )
    series_cover = (await admin.ok("GET", f"/api/v1/series/{series['id']}"))["cover_url"]
    assert series_cover.startswith(f"/media/series/{series['id']}/cover-")
    assert await row.locator("img.cover-preview").evaluate(LOADED_WIDTH) == 320

    assert w.errors == []
    w = await signed_in(browser, product, "live", width=PHONE, height=812)
    page = w.page
    live_row = page.locator(f'#live-table tr[data-event-id="{event["id"]}"]')
    await live_row.get_by_role("button", name=translate("zh-CN", "live_admin.manage")).click()
    box = page.locator("#live-cover-box")
    await box.get_by_label(translate("zh-CN", "cover.upload")).set_input_files(str(cover))
    await expect(page.locator("#admin-status")).to_have_text(
        translate("zh-CN", "cover.uploaded", name="豫剧《穆桂英挂帅》")
    )
    live_cover = (await admin.ok("GET", f"/api/v1/live/{event['id']}"))["cover"]
    assert live_cover.startswith(f"/media/live/{event['id']}/cover-")
    assert await box.locator("img.cover-preview").evaluate(LOADED_WIDTH) == 320
    assert await fits(page) <= PHONE

    viewer = await open_page(browser, width=PHONE, height=812)
    await viewer.goto(product.url + "/", ready="home")
    for href, src in ((f"/s/{series['id']}", series_cover), (f"/live/{event['id']}", live_cover)):
        img = viewer.page.locator(f'a.card[href="{href}"] .card-cover img').first
        await img.scroll_into_view_if_needed()
        await expect(img).to_have_attribute("src", src)
        assert await img.evaluate(LOADED_WIDTH) == 320
    # The live page shows the cover above its countdown until the show starts.
    await viewer.goto(f"{product.url}/live/{event['id']}", ready="live")
    countdown = viewer.page.locator("#countdown-cover")
    await expect(countdown).to_be_visible()
    await expect(countdown).to_have_attribute("src", live_cover)
    assert await countdown.evaluate(LOADED_WIDTH) == 320
    assert await fits(viewer.page) <= PHONE
    await viewer.screenshot("covers-live-countdown-375.png")
    assert w.errors == []
    assert viewer.errors == []
