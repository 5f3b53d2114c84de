"""The standalone application in-process on a real port, with helpers to make organizations,
users and live events (``live_events`` documents, written straight into the database the
app uses: the live package owns that collection, chat only reads it)."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from culturecast.server.app import create_app
from culturecast.server.context import SERVICES
from culturecast.storage.database.port import Database
from tests.integration.server.conftest import ADMIN_PASSWORD, app_settings
from tests.support.api import Api
from tests.support.chat import ChatClient

_names = itertools.count(1)


@dataclass
class ChatWorld:
    url: str
    app: web.Application
    http: aiohttp.ClientSession
    admin: Api
    clients: list[ChatClient] = field(default_factory=list)

    @property
    def database(self) -> Database:
        return self.app[SERVICES].engines.database

    def api(self, token: str | None = None) -> Api:
        return self.admin.as_user(token)

    async def org(self, parent_id: str | None = None, guest_chat: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {"name": f"文化馆{next(_names)}", "guest_chat": guest_chat}
        if parent_id:
            body["parent_id"] = parent_id
        org: dict[str, Any] = await self.admin.ok("POST", "/api/v1/orgs", body, expect=201)
        return org

    async def user(self, role: str, org_id: str | None) -> str:
        name = f"user{next(_names)}"
        await self.admin.ok(
            "POST",
            "/api/v1/users",
            {"username": name, "password": "secret-pass-1", "role": role, "org_id": org_id},
            expect=201,
        )
        return str((await self.admin.login(name, "secret-pass-1")).token)

    async def event(
        self,
        org: dict[str, Any],
        status: str = "live",
        *,
        published: bool = True,
        started_at: float | None = None,
    ) -> str:
        event_id = f"ev{next(_names)}"
        doc = {
            "_id": event_id,
            "org_id": org["id"],
            "org_path": [org["id"], *org.get("ancestors", [])],
            "title": "越剧《梁祝》",
            "status": status,
            "started_at": time.time() if started_at is None else started_at,
            "published": published,
            "disabled": False,
        }
        await self.database.collection("live_events").insert(doc)
        return event_id

    async def set_status(self, event_id: str, status: str) -> None:
        await self.database.collection("live_events").update_one(
            {"_id": event_id}, set={"status": status}
        )

    async def client(self, auth: dict[str, Any] | None = None, **kw: Any) -> ChatClient:
        client = await ChatClient().connect(self.url, auth, **kw)
        self.clients.append(client)
        return client


@pytest.fixture
async def world(data_dir: Path) -> AsyncIterator[ChatWorld]:
    settings = app_settings(data_dir)
    app = create_app(settings, "standalone")
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        url = str(server.make_url("/")).rstrip("/")
        admin = await Api(http, url).login("admin", ADMIN_PASSWORD)
        w = ChatWorld(url, app, http, admin)
        try:
            yield w
        finally:
            for client in w.clients:
                await client.close()
    await server.close()
