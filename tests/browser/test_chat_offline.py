"""The live page when its chat cannot connect: the Socket.IO client did not load (a flaky
network, a filtering proxy). The page says the comments are offline and offers to reconnect;
once the script loads, the chat connects and shows the room's state. Against the real app
in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Route, expect

from culturecast.server.app import create_app
from culturecast.server.web.i18n import translate
from tests.browser.driver import chromium, open_page
from tests.integration.server.conftest import ADMIN_PASSWORD, app_settings
from tests.support.api import Api

SOCKET_IO = "**/vendor/socket.io.min.js"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as b:
        yield b


async def test_the_live_page_says_chat_is_offline_and_reconnects(
    data_dir: Path, browser: Browser
) -> None:
    app = create_app(app_settings(data_dir), "standalone")
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            base = str(server.make_url("")).rstrip("/")
            admin = await Api(http, base).login("admin", ADMIN_PASSWORD)
            org = await admin.ok("POST", "/api/v1/orgs", {"name": "绍兴市文化馆"}, expect=201)
            event = await admin.ok(
                "POST",
                "/api/v1/live",
                {"org_id": org["id"], "title": "越剧《梁祝》", "published": True},
                expect=201,
            )
        for lang, query in (("zh-CN", ""), ("en", "?lang=en")):
            w = await open_page(browser)

            async def unreachable(route: Route) -> None:
                await route.abort("internetdisconnected")

            await w.page.route(SOCKET_IO, unreachable)
            await w.goto(f"{base}/live/{event['id']}{query}", ready="live")
            state = w.page.locator("#chat-state")
            retry = w.page.locator("#chat-retry")
            await expect(state).to_have_text(translate(lang, "chat.offline"))
            await expect(retry).to_be_visible()
            await expect(retry).to_have_text(translate(lang, "chat.retry"))
            await w.screenshot(f"live-chat-offline-{lang}.png")

            await w.page.unroute(SOCKET_IO)
            await retry.click()
            # Connected: the room says the show is not on air yet.
            await expect(state).to_have_text(translate(lang, "chat.not_live"), timeout=15_000)
            await expect(retry).to_be_hidden()
            assert [e for e in w.errors if "ERR_INTERNET_DISCONNECTED" not in e] == []
            await w.context.close()
    finally:
        await server.close()
