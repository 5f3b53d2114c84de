"""Issue 14: a storytelling series uploaded in one go and published with one click, in real
headless Chromium at 375 px against ``culturecast serve``. The console's 批量上传剧集 reads
the episode numbers from the file names ("评书 第2回.mp3" …), shows them in episode order,
uploads the files one after another over tus (a file whose resource could not be created is
marked and retried while the others go on), 发布全部 publishes the series with its ready
episodes and names the one that failed, and the viewer's series page lists 第1回, 第2回,
第10回 in that order. Screenshots go to test-artifacts/screenshots/series-batch-*.png."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, Route, expect

from culturecast.core.errors import has_cjk
from culturecast.server.web.i18n import translate
from tests.browser.driver import Watched, open_page
from tests.support.api import Api
from tests.support.product import ADMIN_PASSWORD, Standalone, serving

pytestmark = pytest.mark.e2e

PHONE = 375
ENV = {"CULTURECAST_VOD_PRESET": "ultrafast", "CULTURECAST_VOD_LADDER": "240p:426x240:300,audio:64"}
SERIES = "评书 三国演义"


@pytest.fixture
def product(tmp_path: Path) -> Iterator[Standalone]:
    workdir = tmp_path / "server"
    workdir.mkdir()
    with serving(workdir, ENV) as server:
        yield server


async def sine_mp3(path: Path) -> Path:
    proc = await asyncio.create_subprocess_exec(
        "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
        "-c:a", "libmp3lame", "-b:a", "64k", str(path),
    )  # fmt: skip
    assert await proc.wait() == 0
    return path


def zh(key: str, **params: Any) -> str:
    return translate("zh-CN", key, **params)


async def signed_in(browser: Browser, product: Standalone) -> Watched:
    w = await open_page(browser, width=PHONE, height=812)
    await w.goto(f"{product.url}/admin#resources", ready="admin")
    await w.page.fill("#login-username", "admin")
    await w.page.fill("#login-password", ADMIN_PASSWORD)
    await w.page.click("#login-form button[type=submit]")
    await expect(w.page.locator("#tab-resources")).to_be_visible()
    return w


async def fits(page: Page) -> int:
    return int(await page.evaluate("document.scrollingElement.scrollWidth"))


async def episodes_settled(api: Api, series_id: str, count: int) -> list[dict[str, Any]]:
    """The series' episodes once ``count`` of them finished processing (ready or failed)."""
    deadline = time.monotonic() + 180
    while True:
        episodes = (await api.ok("GET", f"/api/v1/series/{series_id}"))["episodes"]
        if len([e for e in episodes if e["status"] in ("ready", "failed")]) == count:
            return list(episodes)
        assert time.monotonic() < deadline, episodes
        await asyncio.sleep(1)


async def test_a_series_is_batch_uploaded_in_episode_order_published_and_listed(
    product: Standalone, browser: Browser, admin: Api, tmp_path: Path
) -> None:
    org = await admin.ok("POST", "/api/v1/orgs", {"name": "营口市图书馆"}, expect=201)
    series = await admin.ok(
        "POST",
        "/api/v1/series",
        {"org_id": org["id"], "title": SERIES, "category": "storytelling", "performer": "袁阔成"},
        expect=201,
    )
    sid = series["id"]
    files = [await sine_mp3(tmp_path / f"评书 第{n}回.mp3") for n in (2, 10, 1)]
    broken = tmp_path / "评书 第3回.mp3"  # not audio: its processing fails
    broken.write_bytes(b"not audio at all\n" * 64)

    w = await signed_in(browser, product)
    page = w.page
    row = page.locator(f'#series-list li[data-series-id="{sid}"]')
    await row.get_by_role("button", name=zh("series_batch.open_label", title=SERIES)).click()
    panel = page.locator("#series-batch")
    await expect(panel.locator("h3")).to_have_text(zh("series_batch.title", title=SERIES))
    await expect(panel.locator("h3")).to_be_focused()
    await page.set_input_files("#series-batch-files", [str(p) for p in [*files, broken]])

    # The preview: episode order read from the names, titles as typed without ".mp3".
    rows = panel.locator("#series-batch-table tbody tr")
    titles = ["评书 第1回", "评书 第2回", "评书 第3回", "评书 第10回"]
    await expect(rows.locator(".batch-title")).to_have_text(titles)
    numbers = [await i.input_value() for i in await rows.locator("input.episode-input").all()]
    assert numbers == ["1", "2", "3", "10"]
    await expect(panel.locator("#series-batch-summary")).to_have_text(
        zh("series_batch.progress", done=0, total=4)
    )
    assert await page.input_value("#series-batch-category") == "storytelling"
    assert await fits(page) <= PHONE
    await w.screenshot("series-batch-preview-375.png")

    # The network drops the creation of 第10回 once: that row fails, the others go on.
    dropped = 0

    async def drop_once(route: Route) -> None:
        nonlocal dropped
        req = route.request
        if req.method == "POST" and "第10回" in (req.post_data or "") and not dropped:
            dropped += 1
            await route.abort("connectionreset")
            return
        await route.continue_()

    await page.route("**/api/v1/resources", drop_once)
    await panel.get_by_role("button", name=zh("series_batch.start")).click()
    summary = panel.locator("#series-batch-summary")
    await expect(summary).to_have_text(
        zh("series_batch.progress_failed", done=3, total=4, failed=1), timeout=60_000
    )
    failed = rows.filter(has_text="评书 第10回")
    await expect(failed).to_have_attribute("data-state", "failed")
    await expect(failed.locator(".batch-state")).to_contain_text(zh("error.network"))
    await w.screenshot("series-batch-failed-375.png")
    retry = zh("series_batch.retry_label", title="评书 第10回")
    await failed.get_by_role("button", name=retry).click()
    await expect(summary).to_have_text(zh("series_batch.progress", done=4, total=4), timeout=60_000)
    await expect(page.locator("#admin-status")).to_have_text(zh("series_batch.all_done", n=4))
    await page.unroute("**/api/v1/resources")
    assert dropped == 1

    # Each file became an episode of the series with its number, the title as typed.
    episodes = await episodes_settled(admin, sid, 4)
    assert [(e["episode"], e["title"]) for e in episodes] == [
        (1, "评书 第1回"),
        (2, "评书 第2回"),
        (3, "评书 第3回"),
        (10, "评书 第10回"),
    ]
    assert [e["status"] for e in episodes] == ["ready", "ready", "failed", "ready"]
    assert all(e["performer"] == "袁阔成" for e in episodes)
    assert not any(e["published"] for e in episodes)

    # 发布全部: the confirmation names the episodes, the summary the one held back and why.
    await page.reload()
    await page.wait_for_selector('html[data-ready="admin"]')
    await row.get_by_role("button", name=zh("series_publish.all_label", title=SERIES)).click()
    await expect(page.locator("#confirm-text")).to_have_text(
        zh("series_publish.confirm", title=SERIES, ready=3, total=4)
    )
    await page.click("#confirm-ok")
    result = page.locator("#series-publish-result")
    await expect(result.locator(".series-publish-done")).to_have_text(
        zh("series_publish.done", title=SERIES, n=3)
    )
    held = result.locator(".series-publish-held li")
    await expect(held).to_have_count(1)
    await expect(held).to_have_attribute("data-code", "resource_failed")
    await expect(held).to_contain_text("评书 第3回")
    await expect(held).to_contain_text("处理失败")
    assert await fits(page) <= PHONE
    await w.screenshot("series-batch-published-375.png")
    assert (await admin.ok("GET", f"/api/v1/series/{sid}"))["published"] is True

    # The viewer's series page: 第1回, 第2回, 第10回 in that order; the failed one is not there.
    viewer = await open_page(browser, width=PHONE, height=812)
    await viewer.goto(f"{product.url}/s/{sid}", ready="series")
    buttons = viewer.page.locator("#episodes button")
    await expect(buttons).to_have_count(3)
    texts = await buttons.all_inner_texts()
    assert [next(n for n in ("第10回", "第1回", "第2回") if n in text) for text in texts] == [
        "第1回",
        "第2回",
        "第10回",
    ], texts
    assert await fits(viewer.page) <= PHONE
    await viewer.screenshot("series-batch-viewer-375.png")
    assert viewer.errors == []

    # The same console in English speaks English only (the series title stays as typed).
    await w.goto(f"{product.url}/admin?lang=en#resources", ready="admin")
    open_en = translate("en", "series_batch.open_label", title=SERIES)
    await row.get_by_role("button", name=open_en).click()
    await expect(panel.locator("h3")).to_have_text(
        translate("en", "series_batch.title", title=SERIES)
    )
    await page.set_input_files("#series-batch-files", [str(files[0])])
    hint = await panel.locator("p.muted").inner_text()
    header = await panel.locator("#series-batch-table thead").inner_text()
    summary_en = await summary.inner_text()
    assert not has_cjk(hint + header + summary_en), (hint, header, summary_en)
    assert summary_en == translate("en", "series_batch.progress", done=0, total=1)
    assert [e for e in w.errors if "ERR_CONNECTION_RESET" not in e] == []
