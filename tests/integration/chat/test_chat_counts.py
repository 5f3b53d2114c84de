"""Likes (点赞), broadcast in batches, and viewer counts pushed every 5 s."""

from __future__ import annotations

import asyncio

from culturecast.server.features.chat import CHAT
from tests.integration.chat.conftest import ChatWorld


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
    await asyncio.sleep(2.6)
    pushes = watcher.drain("likes")
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
    # The next periodic push (within 5 s) counts the two still connected.
    assert await a.next("viewers", wait=7) == {"count": 2}
    assert await b.next("viewers", wait=1) == {"count": 2}
