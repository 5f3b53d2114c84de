"""Joining a room and sending comments, over a real Socket.IO connection."""

from __future__ import annotations

import time

from tests.integration.chat.conftest import ChatWorld
from tests.support.metrics import sample, scrape


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


async def test_comments_are_refused_outside_live_with_the_reason(world: ChatWorld) -> None:
    org = await world.org()
    event_id = await world.event(org, status="scheduled")
    viewer = await world.client({"token": await world.user("viewer", org["id"])})
    joined = await viewer.join(event_id)
    assert joined["chat_state"]["open"] is False
    assert joined["chat_state"]["live"] is False
    ack = await viewer.send("开始了吗？")
    assert ack["ok"] is False
    refused = await viewer.next("refused")
    assert refused["code"] == "not_live"
    assert refused["message"] == "只有直播时才能进行评论"
    assert refused["request"] == "send"

    await world.set_status(event_id, "live")
    assert (await viewer.send("开始了！"))["ok"]
    assert (await viewer.next("chat_state"))["open"] is True
    assert (await viewer.next("message"))["text"] == "开始了！"  # as typed (NFC)

    await world.set_status(event_id, "reconnecting")  # a publisher drop: still the show
    assert (await viewer.send("卡了一下"))["ok"]

    await world.set_status(event_id, "ended")
    ack = await viewer.send("谢谢精彩演出")
    assert ack["code"] == "not_live"
    assert (await viewer.next("chat_state"))["open"] is False


async def test_english_refusals_on_request(world: ChatWorld) -> None:
    org = await world.org()
    event_id = await world.event(org, status="ended")
    viewer = await world.client({"guest": "Anna", "lang": "en"})
    await viewer.join(event_id)
    ack = await viewer.send("hello")
    assert ack["message"] == "comments are open only during the live show"


async def test_messages_reach_everyone_in_the_room_and_only_them(world: ChatWorld) -> None:
    org = await world.org()
    event_id, other_event = await world.event(org), await world.event(org)
    a = await world.client({"token": await world.user("viewer", org["id"])})
    b = await world.client({"guest": ""})
    c = await world.client({"guest": "隔壁"})
    await a.join(event_id)
    joined = await b.join(event_id)
    assert joined["ack"]["user"]["name"] == "文化爱好者"  # the default guest name
    await c.join(other_event)
    ack = await b.send("  好  听！ ")
    assert ack["ok"]
    for client in (a, b):
        got = await client.next("message")
        assert got["text"] == "好 听！"  # spaces collapsed, the full-width ！ kept
        assert got["user"] == {
            "id": joined["ack"]["user"]["id"],
            "name": "文化爱好者",
            "guest": True,
        }
        assert got["id"] == ack["id"]
    await c.nothing("message")


async def test_send_before_join_is_refused(world: ChatWorld) -> None:
    viewer = await world.client({"guest": "路人"})
    ack = await viewer.send("有人吗")
    assert ack["code"] == "not_joined"
    assert (await viewer.next("refused"))["message"] == "请先进入直播间"


async def test_unknown_event_is_not_found(world: ChatWorld) -> None:
    viewer = await world.client({"guest": "路人"})
    ack = await viewer.call("join", {"event_id": "no-such-event"})
    assert ack["code"] == "not_found"


async def test_bad_token_is_refused_at_connect(world: ChatWorld) -> None:
    import socketio

    from tests.support.chat import ChatClient

    client = ChatClient()
    try:
        await client.connect(world.url, {"token": "not-a-token"})
    except socketio.exceptions.ConnectionError:
        refusal = await client.next("connect_error")
        assert refusal == {
            "message": "请先登录后再评论",
            "data": {"code": "login_required", "message": "请先登录后再评论"},
        }
    else:  # pragma: no cover - the assertion below explains
        await client.close()
        raise AssertionError("a bad token was accepted")


async def test_metrics_report_sockets_messages_refusals_and_deliveries(world: ChatWorld) -> None:
    org = await world.org()
    event_id = await world.event(org)
    ended = await world.event(org, status="ended")
    a = await world.client({"guest": "甲"})
    b = await world.client({"guest": "乙"})
    late = await world.client({"guest": "丙"})
    await a.join(event_id)
    await b.join(event_id)
    await late.join(ended)
    assert (await a.send("好戏"))["ok"]
    assert (await a.send("   "))["code"] == "empty"
    assert (await late.send("散场了"))["code"] == "not_live"
    await b.next("message")
    samples = await scrape(world.admin)
    assert sample(samples, "culturecast_chat_sockets") == 3
    assert sample(samples, "culturecast_chat_rooms") == 2
    assert sample(samples, "culturecast_chat_messages_total") == 1
    assert sample(samples, "culturecast_chat_refusals_total", code="empty") == 1
    assert sample(samples, "culturecast_chat_refusals_total", code="not_live") == 1
    # Every event to an idle websocket is written directly: the comment to a and b, and
    # what each join sent (history, state, pinned, likes, viewers, the refusals).
    direct = sample(samples, "culturecast_chat_deliveries_total", path="direct")
    assert direct is not None
    assert direct >= 2 + 3 * 5
    assert sample(samples, "culturecast_chat_deliveries_total", path="queued") == 0
