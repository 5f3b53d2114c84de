"""The home page survives a show whose time no Date can hold (stored before the API bounded
``scheduled_at``): the 即将开播 shelf still lists the others instead of loading for ever."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, expect

from culturecast.server.web import pages
from tests.browser.driver import chromium, open_page


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as b:
        yield b


async def test_an_absurd_start_time_does_not_stop_the_upcoming_shelf(browser: Browser) -> None:
    soon = time.time() + 3600

    async def live(request: web.Request) -> web.Response:
        if request.query.get("status") != "scheduled":
            return web.json_response({"items": []})
        return web.json_response(
            {
                "items": [
                    {"id": "bad", "title": "坏时间", "status": "scheduled", "scheduled_at": 1e308},
                    {"id": "ok", "title": "村晚", "status": "scheduled", "scheduled_at": soon},
                ]
            }
        )

    app = web.Application()
    pages.setup_routes(app)
    app.router.add_get("/api/v1/live", live)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        w = await open_page(browser)
        await w.goto(str(server.make_url("/")), ready="home")
        shelf = w.page.locator('[data-list="upcoming"]')
        await expect(shelf.locator(".card-title")).to_have_text(["村晚", "坏时间"])
        assert w.errors == []
    finally:
        await server.close()
