"""The standalone app in-process with a fake clock, reached over real HTTP, on the embedded
engines or on Redis; plus helpers to put live events and resources in its database."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from culturecast.media.views.service import ViewsConfig, ViewsService
from culturecast.server.app import create_app
from culturecast.server.context import SERVICES
from culturecast.server.features.views import STATS_FLUSHER, VIEWS_CONFIG, VIEWS_SERVICE
from tests.integration.server.conftest import app_settings
from tests.support.api import Api

# 2024-03-10 08:00 China time: far from midnight, so a test's hours stay on one CST day.
START = 1_710_028_800.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Stack:
    """One running app: its HTTP client, the app itself and its clock."""

    api: Api
    app: web.Application
    clock: FakeClock

    @property
    def views(self) -> ViewsService:
        return self.app[VIEWS_SERVICE]

    async def flush(self) -> None:
        """What the periodic job does, now: drain this process's buffer, flush the counters."""
        await self.views.drain()
        await self.app[STATS_FLUSHER].flush()

    async def media_reported(self, count: int) -> None:
        """Wait until the media feature has reported ``count`` token requests to the views
        (it reports each one after answering it)."""
        for _ in range(2000):
            if self.views.media_requests_seen >= count:
                return
            await asyncio.sleep(0.001)
        assert self.views.media_requests_seen >= count

    async def put_object(self, key: str) -> None:
        body = b"#EXTM3U\n#EXT-X-VERSION:3\n"
        await self.app[SERVICES].engines.objects.put(key, body, "application/vnd.apple.mpegurl")

    async def insert(self, collection: str, doc: dict[str, Any]) -> None:
        await self.app[SERVICES].engines.database.collection(collection).insert(doc)


async def start_stack(
    data_dir: Path, clock: FakeClock, config: ViewsConfig | None = None, **env: str
) -> AsyncIterator[Stack]:
    settings = app_settings(data_dir, **env)
    app = create_app(settings, "standalone", clock=clock)
    # Drains and flushes are driven by the test, in step with its clock.
    app[VIEWS_CONFIG] = config or ViewsConfig(
        drain_interval_s=3600, flush_interval_s=3600, plays_per_minute=10_000
    )
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            yield Stack(Api(session, str(server.make_url("/"))), app, clock)
    finally:
        await server.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "redis"])
def engine_env(request: pytest.FixtureRequest) -> dict[str, str]:
    if request.param == "memory":
        return {}
    return {"CULTURECAST_REDIS_URL": request.getfixturevalue("redis_url")}


@pytest.fixture
async def stack(data_dir: Path, clock: FakeClock) -> AsyncIterator[Stack]:
    async for s in start_stack(data_dir, clock):
        yield s


async def make_tree(admin: Api, names: list[str]) -> list[str]:
    """A chain of organizations (province first); returns their ids."""
    parent = None
    ids: list[str] = []
    for name in names:
        body = {"name": name} if parent is None else {"name": name, "parent_id": parent}
        org = await admin.ok("POST", "/api/v1/orgs", body, expect=201)
        ids.append(org["id"])
        parent = org["id"]
    return ids


def org_path(ids: list[str]) -> list[str]:
    """The stored path of an object of the last organization: itself first."""
    return list(reversed(ids))


async def add_live(stack: Stack, event_id: str, path: list[str], **fields: Any) -> None:
    """A live event as the live feature stores it (``live_events``); ``replay`` names the
    replay's master playlist once the show has ended."""
    doc = {
        "_id": event_id,
        "org_id": path[0],
        "org_path": path,
        "title": "越剧《梁祝》直播",
        "category": "戏曲",
        "status": "live",
        "started_at": stack.clock(),
        "published": True,
        "disabled": False,
    }
    doc.update(fields)
    await stack.insert("live_events", doc)
    await stack.put_object(f"live/{event_id}/master.m3u8")


async def add_resource(stack: Stack, resource_id: str, path: list[str], **fields: Any) -> None:
    """A resource as the media feature stores it (``resources``)."""
    doc = {
        "_id": resource_id,
        "org_id": path[0],
        "org_path": path,
        "title": "评书《三国演义》第一回",
        "category": "评书",
        "kind": "audio",
        "published": True,
        "status": "ready",
        "hls_master_key": f"vod/{resource_id}/master.m3u8",
        "duration_s": 1000.0,
        "series_id": None,
    }
    doc.update(fields)
    await stack.insert("resources", doc)
    await stack.put_object(f"vod/{resource_id}/master.m3u8")
