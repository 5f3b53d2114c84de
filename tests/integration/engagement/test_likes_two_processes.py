"""Likes, favorites and shares through two api processes that share MongoDB and Redis: 50
guest viewers (50 ``cc_did`` devices) each like, favorite and share the same episode twice at
once, one request to each process; then every even viewer takes the like back twice at once.
Exactly one of each racing pair counts, so the episode ends with 25 likes, 50 favorites and 50
shares on both processes, and each viewer's 我的收藏 holds the episode once.

The same viewers like a live event: its likes are the chat room's counter, which the chat's
own likes add to (here 7 taps), so the page and the chat show the same total, 50 + 7.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from culturecast.chat.service import likes_key
from culturecast.server.context import SERVICES
from tests.integration.server.conftest import ADMIN_PASSWORD
from tests.integration.views.conftest import (
    FakeClock,
    Stack,
    add_live,
    add_resource,
    make_tree,
    org_path,
    start_stack,
)
from tests.support.api import Api

pytestmark = pytest.mark.integration

VIEWERS = 50


@pytest.fixture
async def two_apis(
    tmp_path: Path, redis_url: str, mongo_url: str
) -> AsyncIterator[tuple[Stack, Stack]]:
    env = {
        "CULTURECAST_REDIS_URL": redis_url,
        "CULTURECAST_MONGO_URL": mongo_url,
        "CULTURECAST_MONGO_DB": f"engage_{uuid.uuid4().hex[:8]}",
    }
    clock = FakeClock()
    first = start_stack(_dir(tmp_path, "a"), clock, **env)
    api0 = await anext(first)
    second = start_stack(_dir(tmp_path, "b"), clock, **env)
    api1 = await anext(second)
    try:
        yield api0, api1
    finally:
        for gen in (second, first):
            await gen.aclose()


def _dir(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.mkdir()
    return path


async def _call(
    http: aiohttp.ClientSession, base: str, method: str, path: str, device: str
) -> dict[str, object]:
    async with http.request(method, base + path, headers={"Cookie": f"cc_did={device}"}) as r:
        assert r.status == 200, (method, path, r.status, await r.text())
        body: dict[str, object] = await r.json()
        return body


async def test_fifty_guests_on_two_processes_count_once_each(
    two_apis: tuple[Stack, Stack],
) -> None:
    s0, s1 = two_apis
    admin = await s0.api.login("admin", ADMIN_PASSWORD)
    path = org_path(await make_tree(admin, ["浙江省", "淳安县"]))
    await add_resource(s0, "ep1", path, title="评书《三国演义》第一回")
    await add_live(s0, "show1", path)
    bases = [s0.api.base, s1.api.base]
    devices = [secrets.token_urlsafe(16) for _ in range(VIEWERS)]

    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:

        async def both(method: str, path: str, device: str) -> None:
            await asyncio.gather(*(_call(http, b, method, path, device) for b in bases))

        async def viewer(i: int, device: str) -> None:
            await both("POST", "/api/v1/resources/ep1/like", device)
            await both("POST", "/api/v1/favorites/resource/ep1", device)
            await both("POST", "/api/v1/shares/resource/ep1", device)
            await both("POST", "/api/v1/live/show1/like", device)
            if i % 2 == 0:
                await both("DELETE", "/api/v1/resources/ep1/like", device)

        await asyncio.gather(*(viewer(i, d) for i, d in enumerate(devices)))
        # The chat's own likes land on the same counter.
        await s1.app[SERVICES].engines.counters.incr(likes_key("show1"), 7)

        for base in bases:
            for n, device in enumerate(devices[:2]):
                counts = await _call(http, base, "GET", "/api/v1/engagement/resource/ep1", device)
                assert counts == {
                    "item_type": "resource",
                    "item_id": "ep1",
                    "likes": VIEWERS // 2,
                    "favorites": VIEWERS,
                    "shares": VIEWERS,
                    "liked": n % 2 == 1,
                    "favorited": True,
                }
            live = await _call(http, base, "GET", "/api/v1/engagement/live/show1", devices[0])
            assert live["likes"] == VIEWERS + 7
            assert live["liked"] is True
            favorites = await _call(http, base, "GET", "/api/v1/favorites", devices[3])
            assert [(f["item_id"], f["title"]) for f in favorites["items"]] == [  # type: ignore[index, union-attr, attr-defined]
                ("ep1", "评书《三国演义》第一回")
            ]

        # Unfavorite on one process: gone from 我的收藏 on the other.
        await _call(http, bases[0], "DELETE", "/api/v1/favorites/resource/ep1", devices[3])
        favorites = await _call(http, bases[1], "GET", "/api/v1/favorites", devices[3])
        assert favorites["items"] == []
        # Unliking a live show takes one off the chat's counter.
        await both("DELETE", "/api/v1/live/show1/like", devices[0])
        live = await _call(http, bases[1], "GET", "/api/v1/engagement/live/show1", devices[0])
        assert (live["likes"], live["liked"]) == (VIEWERS + 6, False)


async def test_a_signed_in_viewer_is_one_viewer_on_every_device(stack: Stack) -> None:
    admin = await stack.api.login("admin", ADMIN_PASSWORD)
    path = org_path(await make_tree(admin, ["浙江省"]))
    await add_resource(stack, "ep1", path)
    for _ in range(2):
        counts = await admin.ok("POST", "/api/v1/resources/ep1/like")
    assert (counts["likes"], counts["liked"]) == (1, True)
    status, body = await admin.call("POST", "/api/v1/resources/nope/like")
    assert (status, body["error"]["code"]) == (404, "not_found")
    status, body = await admin.call("POST", "/api/v1/favorites/concert/ep1")
    assert (status, body["error"]["code"]) == (404, "not_found")


async def test_a_draft_is_unknown_to_viewers(stack: Stack) -> None:
    admin = await stack.api.login("admin", ADMIN_PASSWORD)
    path = org_path(await make_tree(admin, ["浙江省"]))
    await add_resource(stack, "draft", path, published=False)
    guest = Api(stack.api.session, stack.api.base)
    status, body = await guest.call("POST", "/api/v1/resources/draft/like")
    assert (status, body["error"]["code"]) == (404, "not_found")
