"""The player pages on an app that serves the pages but none of the APIs (a role or a
deployment without them): they say so instead of fetching 404s. Playback, chat and the replay
against the real APIs are in tests/e2e/test_viewer_pages.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, expect

from culturecast.server.web import pages
from culturecast.server.web.i18n import translate
from tests.browser.driver import chromium, open_page


async def _serve(app: web.Application) -> AsyncIterator[str]:
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as b:
        yield b


async def test_pages_whose_api_has_not_landed_say_so(browser: Browser) -> None:
    app = web.Application()
    pages.setup_routes(app)
    async for base in _serve(app):
        w = await open_page(browser)
        for path, ready in (("/live/x", "live"), ("/r/x", "resource"), ("/s/x", "series")):
            await w.goto(base + path, ready=ready)
            await expect(w.page.locator("#player-message")).to_have_text(
                translate("zh-CN", "player.play_missing")
            )
        await w.goto(base + "/", ready="home")
        await expect(w.page.locator('[data-list="resources"]')).to_have_text(
            translate("zh-CN", "empty.resources")
        )
        assert w.errors == []
