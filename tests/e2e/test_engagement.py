"""点赞, 收藏, 我的收藏, a vote campaign and pinyin search as a viewer sees them (issue 17): real
headless Chromium at 375 px against ``culturecast serve``, resources uploaded over tus and
transcoded by ffmpeg. Screenshots go to test-artifacts/screenshots/engagement-*.png."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, expect

from culturecast.server.web.i18n import translate
from tests.browser.driver import Watched, open_page
from tests.e2e.test_viewer_pages import ENV, _ready, _upload
from tests.support.api import Api
from tests.support.media import TusClient, make_mp3
from tests.support.product import Standalone, serving

pytestmark = pytest.mark.e2e

PHONE = 375
WAIT = 30_000  # ms: a loaded machine; every wait is for a real event


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Standalone]:
    with serving(tmp_path_factory.mktemp("engagement"), ENV) as server:
        yield server


async def fits(w: Watched) -> None:
    scroll = await w.page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll <= PHONE, f"{w.page.url} is {scroll}px wide on a {PHONE}px screen"


async def taps_are_44_px(w: Watched, selector: str) -> None:
    box = await w.page.locator(selector).first.bounding_box()
    assert box is not None, selector
    assert box["height"] >= 44, (selector, box)
    assert box["width"] >= 44, (selector, box)


async def test_a_viewer_likes_favorites_votes_and_finds_by_pinyin(
    product: Standalone, admin: Api, browser: Browser, tmp_path: Path
) -> None:
    org = await admin.ok("POST", "/api/v1/orgs", {"name": "营口市图书馆"}, expect=201)
    series = await admin.ok(
        "POST",
        "/api/v1/series",
        {"title": "三国演义", "org_id": org["id"], "category": "storytelling",
         "performer": "袁阔成", "published": True},
        expect=201,
    )  # fmt: skip
    mp3s = [await asyncio.to_thread(make_mp3, tmp_path / f"ep{n}.mp3", 3) for n in (1, 2)]
    async with aiohttp.ClientSession() as session:
        tus = TusClient(session, product.url, str(admin.token))
        episode = await _upload(admin, tus, mp3s[0], org["id"], "三国演义 第一回", "storytelling",
                                series_id=series["id"], episode=1)  # fmt: skip
        song = await _upload(admin, tus, mp3s[1], org["id"], "茉莉花", "music")
    for rid in (episode, song):
        await _ready(admin, rid)

    # A guest on a phone likes and favorites the episode; the buttons say so and count it.
    phone = await open_page(browser, width=PHONE, height=812)
    page = phone.page
    await phone.goto(f"{product.url}/r/{episode}", ready="resource")
    like, favorite = page.locator("#like-button"), page.locator("#favorite-button")
    await expect(like).to_be_visible(timeout=WAIT)
    await expect(like).to_have_attribute("aria-pressed", "false")
    await like.click()
    await expect(like).to_have_attribute("aria-pressed", "true", timeout=WAIT)
    await expect(page.locator("#like-count")).to_have_text("1")
    await favorite.click()
    await expect(favorite).to_have_attribute("aria-pressed", "true", timeout=WAIT)
    await expect(favorite).to_contain_text(translate("zh-CN", "engage.favorited"))
    await taps_are_44_px(phone, "#like-button")
    await taps_are_44_px(phone, "#favorite-button")
    # Copying the link counts a share.
    await page.click("#share-copy")
    await expect(page.locator("#share-count")).to_have_text(
        translate("zh-CN", "engage.shares", n=1), timeout=WAIT
    )
    await fits(phone)
    await phone.screenshot("engagement-resource-375.png")

    # After a reload the page remembers this device's like and favorite…
    await phone.goto(f"{product.url}/r/{episode}", ready="resource")
    await expect(like).to_have_attribute("aria-pressed", "true", timeout=WAIT)
    await expect(favorite).to_have_attribute("aria-pressed", "true")
    # …and 我的收藏, linked from the header, lists the episode with a link back to it.
    await page.click("#nav-favorites")
    await page.wait_for_selector('html[data-ready="favorites"]', timeout=WAIT)
    await expect(page.locator("#favorites a")).to_have_text("三国演义 第一回")
    await expect(page.locator("#favorites a")).to_have_attribute("href", f"/r/{episode}")
    await fits(phone)
    await phone.screenshot("engagement-favorites-375.png")
    # A second tap takes the like back.
    await phone.goto(f"{product.url}/r/{episode}", ready="resource")
    await expect(like).to_have_attribute("aria-pressed", "true", timeout=WAIT)
    await like.click()
    await expect(like).to_have_attribute("aria-pressed", "false", timeout=WAIT)
    await expect(page.locator("#like-count")).to_have_text("0")

    # A campaign with "2 votes per person a day": two votes count, the third is refused with
    # the rule shown.
    now = time.time()
    campaign = await admin.ok(
        "POST",
        "/api/v1/campaigns",
        {"org_id": org["id"], "title": "最美家乡曲", "starts_at": now - 60,
         "ends_at": now + 2 * 3600, "votes_per_day": 2, "guests": True,
         "entries": [{"item_type": "resource", "item_id": episode},
                     {"item_type": "resource", "item_id": song}]},
        expect=201,
    )  # fmt: skip
    campaign_url = f"{product.url}/c/{campaign['id']}"
    await phone.goto(campaign_url, ready="campaign")
    await expect(page.locator("h1")).to_have_text("最美家乡曲")
    await expect(page.locator("#rule")).to_contain_text("每人每天限投 2 票")
    await expect(page.locator("#clock")).to_contain_text("01:5", timeout=WAIT)  # 1:59:xx left
    entries = page.locator("#entries .entry")
    await expect(entries).to_have_count(2)
    await expect(entries.locator("a").first).to_have_attribute("href", f"/r/{episode}")
    song_vote = page.locator(f'#entries .entry[data-id="{_entry(campaign, song)}"] button')
    await taps_are_44_px(phone, "#entries .entry button")
    await song_vote.click()
    await expect(page.locator("#vote-status")).to_have_text(
        translate("zh-CN", "campaign.voted"), timeout=WAIT
    )
    board = page.locator("#leaderboard .board-row")
    await expect(board.first).to_contain_text("茉莉花")
    await expect(board.first).to_contain_text(translate("zh-CN", "campaign.votes", n=1))
    await song_vote.click()
    await expect(board.first).to_contain_text(
        translate("zh-CN", "campaign.votes", n=2), timeout=WAIT
    )
    await song_vote.click()
    refusal = page.locator("#vote-status")
    await expect(refusal).to_contain_text(translate("zh-CN", "error.vote_limit"), timeout=WAIT)
    await expect(refusal).to_contain_text("每人每天限投 2 票")
    await expect(board.first).to_contain_text(translate("zh-CN", "campaign.votes", n=2))
    await fits(phone)
    await phone.screenshot("engagement-campaign-refused-375.png")

    # Another viewer (another device) votes for the episode, in English; the first page's
    # leaderboard shows it without a reload.
    other = await open_page(browser, width=PHONE, height=812)
    await other.goto(campaign_url + "?lang=en", ready="campaign")
    await expect(other.page.locator("#rule")).to_contain_text("2 votes per person a day")
    episode_vote = f'#entries .entry[data-id="{_entry(campaign, episode)}"] button'
    await other.page.click(episode_vote)
    await expect(other.page.locator("#vote-status")).to_have_text(
        translate("en", "campaign.voted"), timeout=WAIT
    )
    episode_row = page.locator(f'#leaderboard .board-row[data-id="{_entry(campaign, episode)}"]')
    await expect(episode_row).to_contain_text(
        translate("zh-CN", "campaign.votes", n=1), timeout=WAIT
    )
    await expect(page.locator("#total")).to_have_text(translate("zh-CN", "campaign.total", n=3))
    await other.context.close()

    # The home page's search box finds 三国演义 from its initials; its card shows its likes
    # (one, from a signed-in viewer: the guest took theirs back).
    await admin.ok("POST", f"/api/v1/resources/{episode}/like")
    await phone.goto(product.url + "/", ready="home")
    await page.fill("#search-q", "sgyy")
    await page.click("#search button[type=submit]")
    results = page.locator('[data-list="search"]')
    await expect(results).to_contain_text("三国演义", timeout=WAIT)
    await expect(results).not_to_contain_text("茉莉花")
    await expect(results.locator(f'a[href="/r/{episode}"] .card-likes')).to_have_text(
        translate("zh-CN", "card.likes", n=1), timeout=WAIT
    )
    assert "q=sgyy" in page.url
    await fits(phone)
    await phone.screenshot("engagement-search-375.png")

    # The one error a page may log: the refused third vote (429), which the page explained.
    assert phone.errors_except(429) == []


def _entry(campaign: dict[str, object], item_id: str) -> str:
    """The id of the campaign's entry for ``item_id``."""
    rows = campaign["leaderboard"]
    assert isinstance(rows, list)
    return next(str(row["id"]) for row in rows if row["item_id"] == item_id)
