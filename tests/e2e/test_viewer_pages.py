"""The viewer pages in real headless Chromium against ``culturecast serve``, with nothing stood
in: a show published by ffmpeg over RTMP, chat over the real Socket.IO server, the replay
made by the real job, resources uploaded over tus and transcoded by ffmpeg, heartbeats counted
by the views feature. Screenshots go to test-artifacts/screenshots/viewer-*.png."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, Page, expect
from playwright.async_api import TimeoutError as PlaywrightTimeout

from culturecast.server.web.i18n import translate
from tests.browser.driver import Watched, open_page
from tests.support.api import Api
from tests.support.live import Publisher, ffmpeg_publish_command
from tests.support.media import TusClient, make_mp3, make_video
from tests.support.product import SMALL_LADDERS, Standalone, serving

pytestmark = pytest.mark.e2e

PHONE = 375
# Figures reach the statistics (and the cards' 观看人次) within a couple of seconds.
ENV = {**SMALL_LADDERS, "CULTURECAST_VIEWS_FLUSH_INTERVAL": "2"}


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Standalone]:
    with serving(tmp_path_factory.mktemp("viewer"), ENV) as server:
        yield server


async def eventually[T](check: Callable[[], Awaitable[T | None]], within: float, what: str) -> T:
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not within {within} s")
        await asyncio.sleep(0.3)


async def playing_past(page: Page, seconds: float, timeout_ms: int = 60_000) -> float:
    """Wait until the page's player has played past ``seconds``; its current time."""
    try:
        await page.wait_for_function(
            f"document.querySelector('#media')?.currentTime > {seconds}", timeout=timeout_ms
        )
    except PlaywrightTimeout:
        said = await page.evaluate(
            "[document.querySelector('#player-message')?.textContent,"
            " document.querySelector('#status-badge')?.textContent,"
            " document.querySelector('#media')?.currentTime,"
            " document.querySelector('#media')?.readyState]"
        )
        raise AssertionError(f"{page.url} did not play: {said}") from None
    return float(await page.evaluate("document.querySelector('#media').currentTime"))


async def fits(w: Watched, width: int = PHONE) -> None:
    scroll = await w.page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll <= width, f"{w.page.url} is {scroll}px wide on a {width}px screen"


async def test_a_show_counts_down_plays_live_with_chat_and_becomes_its_replay(
    product: Standalone, admin: Api, browser: Browser
) -> None:
    org = await admin.ok("POST", "/api/v1/orgs", {"name": "绍兴市文化馆"}, expect=201)
    event = await admin.ok(
        "POST",
        "/api/v1/live",
        {"org_id": org["id"], "title": "越剧《梁祝》选段", "category": "opera",
         "scheduled_at": time.time() + 3 * 3600 + 125, "published": True},
        expect=201,
    )  # fmt: skip
    live_url = f"{product.url}/live/{event['id']}"

    # Before the show: on the home page under "coming up", with a countdown on its page.
    phone = await open_page(browser, width=PHONE, height=812)
    await phone.goto(product.url + "/", ready="home")
    upcoming = phone.page.locator('[data-list="upcoming"] .card')
    await expect(upcoming).to_contain_text("越剧《梁祝》选段")
    await expect(upcoming.locator("[role=timer]")).to_contain_text("03:0")
    await phone.screenshot("viewer-home-upcoming-375.png")
    viewer = await open_page(browser)
    await viewer.goto(live_url, ready="live")
    await expect(viewer.page.locator("#countdown-clock")).to_contain_text("03:0")
    not_live = translate("zh-CN", "chat.not_live")
    assert not_live == "只有直播时才能进行评论"
    await expect(viewer.page.locator("#chat-state")).to_have_text(not_live)
    await expect(viewer.page.locator("#chat-form")).to_be_hidden()
    await viewer.screenshot("viewer-live-countdown.png")

    # The broadcaster goes on air: the open page starts playing without a reload.
    rtmp = f"rtmp://127.0.0.1:{product.rtmp_port}/live/{event['stream_key']}"
    publisher = Publisher(ffmpeg_publish_command(rtmp, size="640x360")).start()
    try:
        assert await playing_past(viewer.page, 1.0, 90_000) > 1.0, publisher.output
        await expect(viewer.page.locator("#status-badge")).to_have_text(
            translate("zh-CN", "live.status.live")
        )
        await expect(viewer.page.locator("#countdown")).to_be_hidden()
        await phone.goto(live_url, ready="live")
        await playing_past(phone.page, 0.5)

        # A guest with a nickname comments on the phone; the other page sees it.
        await expect(phone.page.locator("#chat-form")).to_be_visible()
        await phone.page.fill("#chat-nick", "老张")
        await phone.page.locator("#chat-nick").dispatch_event("change")
        await expect(phone.page.locator("#chat-who")).to_contain_text("老张")
        await phone.page.fill("#chat-text", "唱得真好")
        await phone.page.click("#chat-form button[type=submit]")
        await expect(viewer.page.locator("#chat-messages")).to_contain_text("老张：唱得真好")
        await expect(phone.page.locator("#chat-text")).to_have_value("")
        # Likes are counted and pushed to everyone; both pages are counted as watching.
        await viewer.page.click("#chat-like")
        await viewer.page.click("#chat-like")
        await expect(phone.page.locator("#likes")).to_have_text(
            translate("zh-CN", "chat.likes", n=2)
        )
        await expect(viewer.page.locator("#viewers")).to_have_text(
            translate("zh-CN", "chat.viewers", n=2), timeout=20_000
        )
        await fits(phone)
        await phone.screenshot("viewer-live-chat-375.png")
        await viewer.screenshot("viewer-live-playing.png")

        # A refused comment says why, in the page's language.
        english = await open_page(browser)
        await english.goto(live_url + "?lang=en", ready="live")
        await expect(english.page.locator("#chat-form")).to_be_visible()
        await english.page.fill("#chat-text", "see www.example.com")
        await english.page.click("#chat-form button[type=submit]")
        await expect(english.page.locator("#chat-state")).to_have_text(
            translate("en", "chat.refused.link_not_allowed")
        )
        await english.context.close()

        # Heartbeats reach the server: the show has concurrent viewers.
        stats = await eventually(
            lambda: _with_viewers(admin, event["id"]), 30, "concurrent viewers in the stats"
        )
        assert stats["current_viewers"] >= 1
        # Give the replay a few seconds after the comment.
        await asyncio.sleep(3)
    finally:
        publisher.stop()
    await admin.ok("POST", f"/api/v1/live/{event['id']}/stop")

    # After the show: the same URL plays the replay; the comment scrolls over it at its time.
    async def replay_ready() -> dict[str, Any] | None:
        body: dict[str, Any] = await admin.ok("GET", f"/api/v1/live/{event['id']}")
        return body if body["status"] == "ended" and body["master_url"] else None

    ended = await eventually(replay_ready, 90, "the replay")
    assert ended["replay"]["duration_s"] > 3
    late = await open_page(browser)
    await late.goto(live_url, ready="live")
    await expect(late.page.locator("#status-badge")).to_have_text(
        translate("zh-CN", "live.status.ended")
    )
    await expect(late.page.locator("#chat-state")).to_have_text(not_live)
    await playing_past(late.page, 0.5)
    await expect(late.page.locator("#chat-messages")).to_contain_text(
        "老张：唱得真好", timeout=60_000
    )
    # …and across the picture at the same moment (each comment scrolls for 8 s).
    await expect(late.page.locator("#comment-overlay")).to_contain_text("唱得真好")
    await late.screenshot("viewer-live-replay.png")
    # The replay's page names the organization and counts the plays (issue 14.6).
    await expect(late.page.locator("#facts")).to_contain_text("绍兴市文化馆 · ")
    await expect(late.page.locator("#facts")).to_contain_text("人次观看")
    # On the home page the show is on 精彩回看 once: its replay resource, which the resources
    # API lists, is not a second card under 全部, and is under its category (issue 14.6).
    listed = await admin.ok("GET", "/api/v1/resources?category=opera")
    assert [r["live_event_id"] for r in listed["items"]] == [event["id"]], listed
    await phone.goto(product.url + "/", ready="home")
    replays = phone.page.locator('[data-list="replays"] .card')
    await expect(replays).to_contain_text("越剧《梁祝》选段")
    grid = phone.page.locator('[data-list="resources"]')
    assert await grid.locator(".card", has_text="越剧《梁祝》选段").count() == 0
    await phone.page.click('.chip[data-category="opera"]')
    await expect(grid.locator(".card", has_text="越剧《梁祝》选段")).to_have_count(1)
    # The page that watched live ended the show; its replay starts on 「观看回看」 (issue 14).
    await expect(viewer.page.locator("#ended-title")).to_have_text("直播已结束")
    await viewer.page.click("#watch-replay", timeout=60_000)
    await expect(viewer.page.locator("#h-chat")).to_contain_text(
        translate("zh-CN", "chat.replay_title"), timeout=60_000
    )
    for w in (viewer, phone, late):
        # The one 404 a page may meet: the master playlist asked for in the seconds between
        # going on air and the first segment (the player asks again); and the 409 show_ended
        # that answers a live heartbeat sent after the show ended (the player then stops).
        other = [
            e
            for e in w.errors
            if not ("status of 404" in e and "master.m3u8" in e)
            and not ("status of 409" in e and "/views/heartbeat" in e)
        ]
        assert other == [], other


async def _with_viewers(admin: Api, event_id: str) -> dict[str, Any] | None:
    body: dict[str, Any] = await admin.ok("GET", f"/api/v1/stats/live/{event_id}")
    return body if body["current_viewers"] >= 1 else None


async def _ready(admin: Api, rid: str, within: float = 180) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        body: dict[str, Any] = await admin.ok("GET", f"/api/v1/resources/{rid}")
        return body if body["status"] in ("ready", "failed") else None

    body = await eventually(done, within, f"processing of {rid}")
    assert body["status"] == "ready", body
    return body


async def _upload(
    admin: Api, tus: TusClient, path: Path, org_id: str, title: str, category: str, **extra: Any
) -> str:
    upload_id = await tus.upload(path, org_id=org_id)
    body = {"upload_id": upload_id, "title": title, "category": category, "published": True}
    created = await admin.ok("POST", "/api/v1/resources", {**body, **extra}, expect=201)
    return str(created["id"])


async def test_resources_play_with_the_audio_tools_series_and_continue(
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
    video = await asyncio.to_thread(make_video, tmp_path / "liangzhu.mp4", 4, "640x360", 10, 600)
    mp3s = [await asyncio.to_thread(make_mp3, tmp_path / f"ep{n}.mp3", 6) for n in (1, 2)]
    async with aiohttp.ClientSession() as session:
        tus = TusClient(session, product.url, str(admin.token))
        film = await _upload(admin, tus, video, org["id"], "梁祝", "opera")
        episodes = [
            await _upload(admin, tus, mp3, org["id"], title, "storytelling",
                          series_id=series["id"], episode=n)
            for n, (mp3, title) in enumerate(zip(mp3s, ["桃园三结义", "怒鞭督邮"], strict=True), 1)
        ]  # fmt: skip
    for rid in (film, *episodes):
        await _ready(admin, rid)

    # A video plays on its page, which carries a QR code of its address.
    w = await open_page(browser)
    await w.goto(f"{product.url}/r/{film}", ready="resource")
    await expect(w.page.locator("h1")).to_have_text("梁祝")
    assert await w.page.evaluate("document.querySelector('#media').tagName") == "VIDEO"
    assert await playing_past(w.page, 1.0) > 1.0
    qr = w.page.locator("#share-qr")
    await expect(qr).to_have_attribute("data-url", f"{product.url}/r/{film}")
    await w.screenshot("viewer-resource-video.png")

    # An episode of 评书 gets the audio-first layout with speed and a sleep timer, on a phone
    # with large text.
    phone = await open_page(browser, width=PHONE, height=812)
    page = phone.page
    await phone.goto(f"{product.url}/r/{episodes[0]}", ready="resource")
    assert await page.evaluate("document.querySelector('#media').tagName") == "AUDIO"
    await expect(page.locator("#audio-tools")).to_be_visible()
    await expect(page.locator("#series-link a")).to_have_attribute("href", f"/s/{series['id']}")
    await page.select_option("#speed", "1.5")
    assert await page.evaluate("document.querySelector('#media').playbackRate") == 1.5
    await page.select_option("#sleep", "30")
    await expect(page.locator("#sleep-left")).to_contain_text("29:5")
    await page.click("#large-font-toggle")
    await playing_past(page, 1.5)
    await page.evaluate("document.querySelector('#media').pause()")
    await fits(phone)
    await phone.screenshot("viewer-resource-audio-375-large.png")
    # Continue where you stopped: the position is kept on the device.
    stopped = await page.evaluate("document.querySelector('#media').currentTime")
    await page.evaluate("localStorage.setItem('cc:auto-next', 'false')")
    await phone.goto(f"{product.url}/r/{episodes[0]}", ready="resource")
    await expect(page.locator("#resume-note")).to_be_visible()
    assert await page.evaluate("document.querySelector('#media').currentTime") >= stopped - 0.3
    await page.evaluate("localStorage.setItem('cc:auto-next', 'true')")

    # The series page lists the episodes in order and goes on to the next by itself.
    await phone.goto(f"{product.url}/s/{series['id']}", ready="series")
    buttons = page.locator("#episodes button")
    await expect(buttons).to_have_count(2)
    await expect(buttons.nth(0)).to_contain_text("桃园三结义")
    await buttons.nth(0).click()
    await expect(buttons.nth(1)).to_have_attribute("aria-current", "true", timeout=30_000)
    await playing_past(page, 0.5)
    await fits(phone)
    await phone.screenshot("viewer-series-375.png")
    await phone.goto(f"{product.url}/s/{series['id']}", ready="series")
    await expect(page.locator("#continue-button")).to_contain_text("怒鞭督邮")

    # The home page lists them from the real catalogue, by category too.
    await phone.goto(product.url + "/", ready="home")
    await expect(page.locator('[data-list="series"]')).to_contain_text("三国演义")
    await expect(page.locator('[data-list="resources"]')).to_contain_text("梁祝")
    await page.click('.chip[data-category="storytelling"]')
    resources = page.locator('[data-list="resources"]')
    await expect(resources).to_contain_text("怒鞭督邮")
    await expect(resources).not_to_contain_text("梁祝")
    await fits(phone)
    await phone.screenshot("viewer-home-375.png")

    # Issue 14.6: the film's card names its organization and counts the play it had above.
    async def played() -> dict[str, Any] | None:
        body = await admin.ok("GET", "/api/v1/resources?limit=100")
        item: dict[str, Any] = next(i for i in body["items"] if i["id"] == film)
        return item if item["views"] >= 1 else None

    listed = await eventually(played, 30, "the film's play in the list")
    assert (listed["org_name"], listed["views"]) == ("营口市图书馆", 1)
    await phone.goto(product.url + "/", ready="home")
    film_card = page.locator('[data-list="resources"] .card').filter(has_text="梁祝")
    facts = film_card.locator(".card-meta").filter(has_text="营口市图书馆")
    await expect(facts).to_contain_text("营口市图书馆 · ")
    await expect(facts).to_contain_text(translate("zh-CN", "card.plays", n=1))
    await fits(phone)
    await phone.screenshot("viewer-home-card-facts-375.png")
    # The player page says the same.
    await phone.goto(f"{product.url}/r/{film}", ready="resource")
    await expect(page.locator("#meta")).to_contain_text("营口市图书馆 · ")
    await expect(page.locator("#meta")).to_contain_text(translate("zh-CN", "card.plays", n=1))

    assert w.errors == []
    assert phone.errors == []


async def test_a_show_ends_like_a_broadcast_and_the_replay_waits_for_a_tap(
    product: Standalone, admin: Api, browser: Browser
) -> None:
    """Issue 14, points 1 and 2 at 375×812: a comment keeps its full-width "！"; within 5 s of
    the stop the page says 直播已结束 with 「观看回看」, the counts are frozen and labelled,
    the chat is read-only with the show's comments, and nothing plays until the tap."""
    org = await admin.ok("POST", "/api/v1/orgs", {"name": "湖州市文化馆"}, expect=201)
    event = await admin.ok(
        "POST",
        "/api/v1/live",
        {"org_id": org["id"], "title": "湖剧专场", "category": "opera", "published": True},
        expect=201,
    )
    live_url = f"{product.url}/live/{event['id']}"
    rtmp = f"rtmp://127.0.0.1:{product.rtmp_port}/live/{event['stream_key']}"
    publisher = Publisher(ffmpeg_publish_command(rtmp, size="640x360")).start()
    phone = await open_page(browser, width=PHONE, height=812)
    english = await open_page(browser, width=PHONE, height=812)
    try:
        await phone.goto(live_url, ready="live")
        await playing_past(phone.page, 0.5, 90_000)
        await english.goto(live_url + "?lang=en", ready="live")
        await playing_past(english.page, 0.5)
        await expect(phone.page.locator("#chat-form")).to_be_visible()
        await phone.page.fill("#chat-text", "唱得真好！")
        await phone.page.click("#chat-form button[type=submit]")
        for w in (phone, english):
            await expect(w.page.locator("#chat-messages")).to_contain_text("唱得真好！")
        await expect(phone.page.locator("#viewers")).to_have_text(
            translate("zh-CN", "chat.viewers", n=2), timeout=20_000
        )
        await phone.page.click("#chat-like")
        await expect(phone.page.locator("#likes")).to_have_text(
            translate("zh-CN", "chat.likes", n=1)
        )
        stopped = time.monotonic()
        await admin.ok("POST", f"/api/v1/live/{event['id']}/stop")
        await expect(phone.page.locator("#ended-title")).to_have_text("直播已结束", timeout=5_000)
        await expect(english.page.locator("#ended-title")).to_have_text(
            "The live show has ended", timeout=5_000
        )
        assert time.monotonic() - stopped <= 5.5
    finally:
        publisher.stop()
    page = phone.page
    await expect(page.locator("#viewers")).to_have_text(
        translate("zh-CN", "live.ended_viewers", n=2)
    )
    await expect(page.locator("#likes")).to_have_text(translate("zh-CN", "live.ended_likes", n=1))
    await expect(page.locator("#chat-form")).to_be_hidden()
    await expect(page.locator("#chat-like")).to_be_hidden()
    await expect(page.locator("#chat-messages")).to_contain_text("唱得真好！")
    await expect(page.locator("#chat-state")).to_have_text(translate("zh-CN", "live.ended_chat"))
    # Nothing plays by itself, even once the replay exists: 「观看回看」 waits to be tapped.
    button = page.locator("#watch-replay")
    await expect(button).to_have_text("观看回看", timeout=120_000)
    await expect(button).to_be_enabled()
    idle = "(() => { const m = document.querySelector('#media'); return !m || m.paused; })()"
    assert await page.evaluate(idle), "something plays before 「观看回看」"
    await expect(page.locator("#player")).to_be_hidden()
    box = await button.bounding_box()
    assert box is not None
    assert box["height"] >= 44
    await fits(phone)
    await phone.screenshot("viewer-live-ended-375.png")
    await button.click()
    await playing_past(page, 0.5)
    await expect(page.locator("#ended")).to_be_hidden()
    await expect(page.locator("#h-chat")).to_contain_text(translate("zh-CN", "chat.replay_title"))
    await expect(page.locator("#chat-messages")).to_contain_text("唱得真好！", timeout=60_000)
    for w in (phone, english):
        other = [
            e
            for e in w.errors
            if not ("status of 404" in e and "master.m3u8" in e)
            and not ("status of 409" in e and "/views/heartbeat" in e)
        ]
        assert other == [], other
    await english.context.close()


async def test_the_audio_player_has_big_controls_that_grow_skip_15_s_and_a_cover(
    product: Standalone, admin: Api, browser: Browser, tmp_path: Path
) -> None:
    org = await admin.ok("POST", "/api/v1/orgs", {"name": "安吉县文化馆"}, expect=201)
    mp3 = await asyncio.to_thread(make_mp3, tmp_path / "long.mp3", 45)
    async with aiohttp.ClientSession() as session:
        tus = TusClient(session, product.url, str(admin.token))
        rid = await _upload(admin, tus, mp3, org["id"], "安吉竹乡评话", "storytelling")
    await _ready(admin, rid)

    phone = await open_page(browser, width=PHONE, height=812)
    page = phone.page
    await phone.goto(f"{product.url}/r/{rid}", ready="resource")
    controls = ["#audio-play", "#audio-back", "#audio-forward", "#audio-seek", "#speed", "#sleep"]

    async def heights() -> dict[str, float]:
        sizes: dict[str, float] = {}
        for selector in controls:
            box = await page.locator(selector).bounding_box()
            assert box is not None, selector
            sizes[selector] = box["height"]
            assert box["height"] >= 44, (selector, box)
            assert box["width"] >= 44, (selector, box)
        return sizes

    normal = await heights()
    # The time is big too, and no empty square: a generated cover names the programme.
    time_size = await page.eval_on_selector(
        "#audio-time", "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    assert time_size >= 24
    await expect(page.locator(".audio-cover")).to_have_text("安吉竹乡评话")
    await phone.screenshot("viewer-audio-player-375.png")

    # ±15 s move the position.
    await page.wait_for_function("document.querySelector('#media').duration > 40", timeout=60_000)
    await page.evaluate("document.querySelector('#media').pause()")
    await page.click("#audio-forward")
    await page.wait_for_function("document.querySelector('#media').currentTime >= 14.5")
    before = float(await page.evaluate("document.querySelector('#media').currentTime"))
    await page.click("#audio-forward")
    await page.wait_for_function(f"document.querySelector('#media').currentTime >= {before + 14.5}")
    await page.click("#audio-back")
    await page.wait_for_function(
        f"Math.abs(document.querySelector('#media').currentTime - {before}) < 1.5"
    )
    await expect(page.locator("#audio-time")).to_contain_text("/ 0:4")

    # 大字模式 makes every control larger.
    await page.click("#large-font-toggle")
    large = await heights()
    for selector in controls:
        assert large[selector] > normal[selector], (selector, normal[selector], large[selector])
    await fits(phone)
    await phone.screenshot("viewer-audio-player-375-large.png")
    assert phone.errors == []


async def test_the_home_page_shows_a_series_once_in_two_columns_with_covers(
    product: Standalone, admin: Api, browser: Browser, tmp_path: Path
) -> None:
    org = await admin.ok("POST", "/api/v1/orgs", {"name": "湖州市文化馆"}, expect=201)
    series = await admin.ok(
        "POST",
        "/api/v1/series",
        {"title": "水浒传评话", "org_id": org["id"], "category": "storytelling", "published": True},
        expect=201,
    )
    titles = ["张天师祈禳瘟疫", "王教头私走延安府", "九纹龙大闹史家村"]
    mp3s = [await asyncio.to_thread(make_mp3, tmp_path / f"sh{n}.mp3", 2) for n in (1, 2, 3)]
    async with aiohttp.ClientSession() as session:
        tus = TusClient(session, product.url, str(admin.token))
        episodes = [
            await _upload(admin, tus, mp3, org["id"], title, "storytelling",
                          series_id=series["id"], episode=n)
            for n, (mp3, title) in enumerate(zip(mp3s, titles, strict=True), 1)
        ]  # fmt: skip
        single = await _upload(admin, tus, mp3s[0], org["id"], "越剧选段", "opera")
    for rid in (*episodes, single):
        await _ready(admin, rid)

    phone = await open_page(browser, width=PHONE, height=812)
    page = phone.page
    await phone.goto(product.url + "/", ready="home")
    cards = page.locator('[data-list="resources"] .card')
    grouped = cards.filter(has_text="水浒传评话")
    await expect(grouped).to_have_count(1)
    await expect(grouped).to_contain_text(translate("zh-CN", "badge.episodes", n=3))
    await expect(grouped).to_have_attribute("href", f"/s/{series['id']}")
    await expect(cards.filter(has_text=titles[0])).to_have_count(0)  # not one by one
    # Every card has a picture: a generated cover naming the programme when none was uploaded.
    await expect(cards.filter(has_text="越剧选段").locator(".card-cover")).to_contain_text(
        "越剧选段"
    )
    # Two columns on a phone: the first two cards sit side by side.
    first, second = [await cards.nth(i).bounding_box() for i in (0, 1)]
    assert first is not None
    assert second is not None
    assert abs(first["y"] - second["y"]) < 1
    assert second["x"] > first["x"] + first["width"] - 1
    await fits(phone)
    await phone.screenshot("viewer-home-series-375.png")
    assert phone.errors == []
