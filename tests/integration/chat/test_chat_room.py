"""Joining a room and sending comments, over a real Socket.IO connection."""

from __future__ import annotations

import time

from tests.integration.chat.conftest import ChatWorld


async def test_join_returns_the_last_50_messages_oldest_first(world: ChatWorld) -> None:
    org = await world.org()
    event_id = await world.event(org)
    # 55 comments from 11 users, 5 each: within everyone's burst of the rate limit.
    for u in range(11):
        user = await world.client({"token": await world.user("viewer", org["id"])})
        await user.join(event_id)
        for i in range(5 * u, 5 * u + 5):
            ack = await user.send(f"第{i}条评论")
            assert ack["ok"], ack
        await user.close()
    late = await world.client({"guest": "张阿姨"})
    joined = await late.join(event_id)
    texts = [m["text"] for m in joined["history"]]
    assert texts == [f"第{i}条评论" for i in range(5, 55)]
    first = joined["history"][0]
    assert set(first) == {"id", "user", "text", "at"}
    assert first["user"]["guest"] is False
    assert abs(first["at"] - time.time()) < 60
    assert joined["chat_state"] == {
        "open": True, "live": True, "closed": False, "slow_mode": 0, "guests": True
    }  # fmt: skip
    assert joined["pinned"] == {"text": ""}
    assert joined["likes"] == {"count": 0}
    assert joined["viewers"]["count"] == 1  # those who left are counted out at once
