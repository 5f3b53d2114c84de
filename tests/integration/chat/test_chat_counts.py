"""Likes (点赞), broadcast in batches, and viewer counts pushed every 5 s — over real sockets.

The pushes are the service's periodic rounds (``flush_likes`` each second, ``push_viewers``
every fifth): the tests run a round themselves instead of waiting for the clock, so they
take no time. The schedule itself (a like round a second, a viewer round every five, each
change pushed once) is pinned on an injected sleep in ``tests/unit/chat/test_service.py``.
A round of the app's own loop may still fall in between; the assertions allow for that.
"""

from __future__ import annotations

import asyncio
from typing import Any

from culturecast.server.features.chat import CHAT
from tests.integration.chat.conftest import ChatWorld
from tests.support.chat import ChatClient


async def likes_until(client: ChatClient, count: int) -> list[Any]:
    """The ``likes`` pushes the client got, up to the one with ``count``."""
    pushes = [await client.next("likes")]
    while pushes[-1] != {"count": count}:
        pushes.append(await client.next("likes"))
    return pushes


async def counted_out(world: ChatWorld, event_id: str, viewers: int) -> None:
    """Until the server has handled the disconnects: they arrive on the server's side of the
    sockets, which offers nothing to await, so the count is read until it holds."""
    async with asyncio.timeout(5):
        while await world.app[CHAT].viewer_count(event_id, {}) != viewers:  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_likes_are_counted_and_broadcast_at_most_once_a_second(world: ChatWorld) -> None:
    org = await world.org()
    event_id = await world.event(org)
    liker = await world.client({"guest": "点赞达人"})
    watcher = await world.client({"guest": "看客"})
    await liker.join(event_id)
    await watcher.join(event_id)
    for _ in range(10):
        assert (await liker.call("like"))["ok"]
    assert (await liker.call("like", {"count": 5}))["ok"]
    await world.app[CHAT].flush_likes()  # the round due within the second
    pushes = await likes_until(watcher, 15) + watcher.drain("likes")
    assert pushes[-1] == {"count": 15}
    assert {"count": 0} not in pushes  # each join was told 0; that is not pushed again
    # 15 likes within a fraction of a second: one push (two if they straddled a tick).
    assert 1 <= len(pushes) <= 2
    assert await world.app[CHAT].counters.get_int(f"chat:likes:{event_id}") == 15
    late = await world.client({"guest": "后来者"})
    assert (await late.join(event_id))["likes"] == {"count": 15}
    assert (await liker.call("like", {"count": 51}))["code"] == "bad_payload"


async def test_likes_only_while_live(world: ChatWorld) -> None:
    org = await world.org()
    event_id = await world.event(org, status="ended")
    liker = await world.client({"guest": "点赞达人"})
    await liker.join(event_id)
    assert (await liker.call("like"))["code"] == "not_live"


async def test_viewer_count_is_pushed_every_five_seconds(world: ChatWorld) -> None:
    org = await world.org()
    event_id = await world.event(org)
    a = await world.client({"guest": "甲"})
    b = await world.client({"guest": "乙"})
    c = await world.client({"guest": "丙"})
    for client in (a, b, c):
        await client.join(event_id)
    await c.close()
    await counted_out(world, event_id, 2)
    a.drain("viewers")  # a round of the app's own loop may have come before the close
    b.drain("viewers")
    # The next periodic push (within 5 s) counts the two still connected.
    await world.app[CHAT].push_viewers()
    assert await a.next("viewers", wait=1) == {"count": 2}
    assert await b.next("viewers", wait=1) == {"count": 2}
