"""The live page marks who wrote each comment: 游客 (Guest) before a guest's nickname, 工作人员
(Staff) before a moderator's name, nothing before a signed-in viewer's, so a guest never reads
like the organizer. Against the real app in-process; comments are sent over Socket.IO and the
page shows them from the room's history."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, expect

from culturecast.server.app import create_app
from culturecast.server.context import SERVICES
from tests.browser.driver import chromium, open_page
from tests.integration.server.conftest import ADMIN_PASSWORD, app_settings
from tests.support.api import Api
from tests.support.chat import ChatClient


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as b:
        yield b


async def test_the_live_page_marks_guests_and_staff(data_dir: Path, browser: Browser) -> None:
    app = create_app(app_settings(data_dir), "standalone")
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    clients: list[ChatClient] = []
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
            # On air (the live package's status, set as its ingest would).
            await (
                app[SERVICES]
                .engines.database.collection("live_events")
                .update_one({"_id": event["id"]}, set={"status": "live"})
            )
            for username, role in (("xiaoli", "org_admin"), ("laowang", "viewer")):
                await admin.ok(
                    "POST",
                    "/api/v1/users",
                    {"username": username, "password": "secret-pass-1", "role": role,
                     "org_id": org["id"]},
                    expect=201,
                )  # fmt: skip
            for auth, text in (
                ({"guest": "老张"}, "唱得真好"),
                ({"token": (await admin.login("xiaoli", "secret-pass-1")).token}, "欢迎大家"),
                ({"token": (await admin.login("laowang", "secret-pass-1")).token}, "好听"),
            ):
                client = await ChatClient().connect(base, auth)
                clients.append(client)
                await client.join(event["id"])
                assert (await client.send(text))["ok"]

            for lang, query in (("zh-CN", ""), ("en", "?lang=en")):
                w = await open_page(browser)
                # Not waiting for "ready": the player keeps asking for a stream nobody pushes.
                await w.goto(f"{base}/live/{event['id']}{query}")
                items = w.page.locator("#chat-messages li")
                await expect(items).to_have_count(3, timeout=20_000)
                guest_mark, staff_mark = {"zh-CN": ("游客", "工作人员"), "en": ("Guest", "Staff")}[
                    lang
                ]
                await expect(items.nth(0)).to_have_text(f"{guest_mark}老张：唱得真好")
                await expect(items.nth(0).locator(".chat-mark-guest")).to_be_visible()
                await expect(items.nth(1)).to_have_text(f"{staff_mark}xiaoli：欢迎大家")
                await expect(items.nth(1).locator(".chat-mark-staff")).to_be_visible()
                await expect(items.nth(2)).to_have_text("laowang：好听")
                await expect(items.nth(2).locator(".chat-mark")).to_have_count(0)
                await w.screenshot(f"live-chat-marks-{lang}.png")
                await w.context.close()
    finally:
        for client in clients:
            await client.close()
        await server.close()
