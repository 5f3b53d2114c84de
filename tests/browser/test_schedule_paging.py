"""The schedule (/schedule) lists every coming show, not only the first page of them: with
more shows than one page of ``GET /api/v1/live`` holds (200), it reads page after page
(limit/offset). The list API gives the latest first, so the soonest shows — today's — are on
the last page: a schedule that read one page would miss exactly those."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, expect

from culturecast.server.web import pages
from culturecast.server.web.i18n import translate
from tests.browser.driver import Watched, chromium, open_page

type Handler = Callable[[web.Request], Awaitable[web.Response]]

CST = timezone(timedelta(hours=8))
SHOWS = 450  # three pages of 200


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as b:
        yield b


def the_shows(now: float) -> list[dict[str, object]]:
    """One show a day from tomorrow on, and the soonest one an hour from now (today in CST
    unless the test runs in the last hour of the day, when it is tomorrow's first)."""
    shows = [{"id": "soonest", "title": "今晚村晚", "scheduled_at": now + 3600}]
    for n in range(1, SHOWS):
        shows.append({"id": f"s{n}", "title": f"展演第{n}场", "scheduled_at": now + n * 86400})
    for show in shows:
        show.update(status="scheduled", org_id="o1", org_name="嘉兴市文化馆")
    return shows


@asynccontextmanager
async def schedule_page(browser: Browser, live: Handler) -> AsyncIterator[Watched]:
    """The real /schedule page at 375 px, its ``GET /api/v1/live`` answered by ``live``."""
    app = web.Application()
    pages.setup_routes(app)
    app.router.add_get("/api/v1/live", live)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        w = await open_page(browser, width=375, height=812)
        await w.goto(str(server.make_url("/schedule")), ready="schedule")
        yield w
    finally:
        await server.close()


async def test_the_schedule_reads_every_page_of_coming_shows(browser: Browser) -> None:
    now = time.time()
    shows = sorted(the_shows(now), key=lambda s: -float(s["scheduled_at"]))  # type: ignore[arg-type]
    asked: list[tuple[int, int]] = []

    async def live(request: web.Request) -> web.Response:
        # The API's paging: latest first, limit 1–200, offset from 0.
        assert request.query["status"] == "scheduled"
        limit, offset = int(request.query["limit"]), int(request.query.get("offset", "0"))
        assert 1 <= limit <= 200
        asked.append((limit, offset))
        return web.json_response({"items": shows[offset : offset + limit]})

    async with schedule_page(browser, live) as w:
        await expect(w.page.locator(".schedule-item")).to_have_count(SHOWS)
        assert asked == [(200, 0), (200, 200), (200, 400)]
        # The soonest show, from the last page, comes first, under its day.
        first = w.page.locator(".schedule-day").first
        await expect(first.locator(".schedule-item").first).to_contain_text("今晚村晚")
        soonest_day = datetime.fromtimestamp(now + 3600, CST).date()
        today = datetime.fromtimestamp(now, CST).date()
        heading = "schedule.today" if soonest_day == today else "schedule.tomorrow"
        await expect(first.locator("h2")).to_have_text(translate("zh-CN", heading))
        # And the latest one, from the first page, comes last.
        last = w.page.locator(".schedule-item").last
        await expect(last).to_contain_text(f"展演第{SHOWS - 1}场")
        assert await w.page.locator("[data-partial]").count() == 0
        assert w.errors == []


async def test_a_page_that_fails_later_keeps_the_shows_already_read(browser: Browser) -> None:
    now = time.time()
    shows = sorted(the_shows(now), key=lambda s: -float(s["scheduled_at"]))  # type: ignore[arg-type]

    async def live(request: web.Request) -> web.Response:
        limit, offset = int(request.query["limit"]), int(request.query.get("offset", "0"))
        if offset >= 200:
            return web.json_response({"error": {"code": "engine_unavailable"}}, status=503)
        return web.json_response({"items": shows[offset : offset + limit]})

    async with schedule_page(browser, live) as w:
        await expect(w.page.locator(".schedule-item")).to_have_count(200)
        await expect(w.page.locator("[data-partial]")).to_have_text(
            translate("zh-CN", "common.load_failed")
        )
        assert w.errors_except(503) == []
