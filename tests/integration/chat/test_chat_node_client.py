"""The /chat namespace driven by the official socket.io JavaScript client (socket.io-client
4.8.4 under node, the version the web pages vendor), beside python-socketio's AsyncClient: the
browser's protocol implementation, not only ours, must be understood by the server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Any, Protocol

import pytest

from tests.integration.chat.conftest import ChatWorld
from tests.support.chat import ChatClient
from tests.support.node_chat import NodeChatClient, NodeConnectError, node_client_missing


class NodeFactory(Protocol):
    """Connects one more node client to the test's server."""

    def __call__(
        self, auth: dict[str, Any] | None = None, transport: str = "websocket"
    ) -> Awaitable[NodeChatClient]: ...


@pytest.fixture
async def node(world: ChatWorld) -> AsyncIterator[NodeFactory]:
    """Connect node clients to the world's server; each is ended with the test."""
    if (missing := node_client_missing()) is not None:
        pytest.fail(missing, pytrace=False)
    clients: list[NodeChatClient] = []

    async def connect(
        auth: dict[str, Any] | None = None, transport: str = "websocket"
    ) -> NodeChatClient:
        client = NodeChatClient()
        clients.append(client)  # before connecting: a refused client's process ends too
        return await client.connect(world.url, auth, transport)

    try:
        yield connect
    finally:
        for client in clients:
            await client.close()


async def _room(
    world: ChatWorld, node: NodeFactory, status: str = "live"
) -> tuple[str, NodeChatClient, ChatClient]:
    """A node client (a signed-in viewer) and a python guest, both joined to one event."""
    org = await world.org()
    event_id = await world.event(org, status=status)
    js = await node({"token": await world.user("viewer", org["id"])})
    py = await world.client({"guest": "李大爷"})
    await js.join(event_id)
    await py.join(event_id)
    return event_id, js, py


async def test_joining_returns_the_history_oldest_first(
    world: ChatWorld, node: NodeFactory
) -> None:
    org = await world.org()
    event_id = await world.event(org)
    py = await world.client({"token": await world.user("viewer", org["id"])})
    await py.join(event_id)
    sent = [await py.send(f"第{i}条评论") for i in range(3)]
    assert all(ack["ok"] for ack in sent), sent
    js = await node({"guest": "张阿姨"})
    joined = await js.join(event_id)
    assert [m["text"] for m in joined["history"]] == ["第0条评论", "第1条评论", "第2条评论"]
    assert [m["id"] for m in joined["history"]] == [ack["id"] for ack in sent]
    assert set(joined["history"][0]) == {"id", "user", "text", "at"}
    assert joined["chat_state"] == {
        "open": True, "live": True, "closed": False, "slow_mode": 0, "guests": True
    }  # fmt: skip
    assert joined["pinned"] == {"text": ""}
    assert joined["likes"] == {"count": 0}
    assert joined["viewers"]["count"] == 2


async def test_comments_cross_between_the_node_and_python_clients(
    world: ChatWorld, node: NodeFactory
) -> None:
    _, js, py = await _room(world, node)
    assert js.transport == "websocket"
    elsewhere = await node({"guest": "隔壁"})
    await elsewhere.join(await world.event(await world.org()))

    ack = await js.send("  来自浏览器的  评论！ ")
    assert ack["ok"], ack
    for client in (js, py):
        got = await client.next("message")
        assert got["id"] == ack["id"]
        assert got["text"] == "来自浏览器的 评论！"  # spaces collapsed, the full-width ！ kept
        assert got["user"]["guest"] is False

    ack = await py.send("来自 Python 的评论")
    assert ack["ok"], ack
    got = await js.next("message")
    assert got["id"] == ack["id"]
    assert got["text"] == "来自 Python 的评论"
    assert got["user"]["name"] == "李大爷"
    assert got == await py.next("message")  # the very message the sender saw
    await elsewhere.nothing("message", within=0.3)  # another room hears nothing

    js.emit("like")  # as the page's like button: no argument, no acknowledgement
    # Pushed within the next second; the 0 each join was told is not pushed again.
    assert await py.next("likes", wait=3) == {"count": 1}


async def test_the_long_polling_fallback_chats_too(world: ChatWorld, node: NodeFactory) -> None:
    # The pages fall back to HTTP long-polling where a network blocks WebSockets.
    org = await world.org()
    event_id = await world.event(org)
    js = await node({"guest": "老年大学"}, transport="polling")
    assert js.transport == "polling"
    py = await world.client({"guest": "李大爷"})
    await js.join(event_id)
    await py.join(event_id)
    ack = await js.send("轮询也能发言")
    assert ack["ok"], ack
    assert (await py.next("message"))["id"] == ack["id"]
    assert (await py.send("轮询也能收到"))["ok"]
    messages = [await js.next("message") for _ in range(2)]
    assert [m["text"] for m in messages] == ["轮询也能发言", "轮询也能收到"]


async def test_comments_outside_live_are_refused_with_the_reason(
    world: ChatWorld, node: NodeFactory
) -> None:
    event_id, js, _ = await _room(world, node, status="scheduled")
    ack = await js.send("开始了吗？")
    assert ack["ok"] is False
    assert ack["code"] == "not_live"
    refused = await js.next("refused")
    assert refused == {
        "code": "not_live", "message": "只有直播时才能进行评论", "request": "send"
    }  # fmt: skip
    assert js.connected

    english = await node({"guest": "Anna", "lang": "en"})
    await english.join(event_id)
    ack = await english.send("hello")
    assert ack["message"] == "comments are open only during the live show"

    await world.set_status(event_id, "live")
    assert (await js.send("开始了！"))["ok"]
    assert (await js.next("chat_state"))["open"] is True
    assert (await js.next("message"))["text"] == "开始了！"  # as typed


async def test_a_moderators_delete_and_pin_reach_the_node_client(
    world: ChatWorld, node: NodeFactory
) -> None:
    org = await world.org()
    event_id = await world.event(org)
    mod = await world.client({"token": await world.user("org_admin", org["id"])})
    js = await node({"token": await world.user("viewer", org["id"])})
    await mod.join(event_id)
    await js.join(event_id)
    sent = await js.send("这条会被删除")
    assert (await mod.next("message"))["id"] == sent["id"]
    assert (await js.next("message"))["id"] == sent["id"]

    assert (await mod.call("delete", {"message_id": sent["id"]}))["ok"]
    assert await js.next("deleted") == {"message_id": sent["id"]}
    assert (await mod.call("pin", {"text": "演出将于 20:00 开始"}))["ok"]
    assert await js.next("pinned") == {"text": "演出将于 20:00 开始"}
    # The node client is no moderator: its own delete is refused.
    assert (await js.call("delete", {"message_id": sent["id"]}))["code"] == "not_allowed"


async def _others_keep_chatting(js: NodeChatClient, py: ChatClient, text: str) -> None:
    assert js.connected
    assert (await py.send(text))["ok"]
    assert (await py.next("message"))["text"] == text
    assert (await js.next("message"))["text"] == text


async def test_a_10_kb_comment_is_refused_and_the_node_client_stays(
    world: ChatWorld, node: NodeFactory
) -> None:
    _, js, py = await _room(world, node)
    ack = await js.send("x" * 10_240)
    assert ack["code"] == "too_long"
    assert (await js.next("refused"))["message"] == "评论太长，请缩短后再发"
    await _others_keep_chatting(js, py, "还在")
    assert (await js.send("我也还在"))["ok"]  # and the sender itself may go on


@pytest.mark.parametrize(
    ("event", "data"),
    [
        ("send", "just a string"),
        ("send", {"text": 42}),
        ("send", {"text": "hi", "extra": 1}),
        ("join", None),
        ("like", {"count": -3}),
        ("no_such_event", {}),
    ],
)
async def test_wrong_payloads_are_refused_and_the_node_client_stays(
    world: ChatWorld, node: NodeFactory, event: str, data: Any
) -> None:
    _, js, py = await _room(world, node)
    ack = await js.call(event, data)
    assert ack["ok"] is False, ack
    assert ack["code"] == "bad_payload", ack
    assert (await js.next("refused"))["message"] == "请求格式不正确"
    await _others_keep_chatting(js, py, "继续")


async def test_a_binary_attachment_is_refused_and_the_node_client_stays(
    world: ChatWorld, node: NodeFactory
) -> None:
    # socket.io-client sends a Buffer as a binary event: a placeholder packet, then the bytes.
    _, js, py = await _room(world, node)
    ack = await js.call("send", binary=b"\xff" * 1000)
    assert ack["code"] == "bad_payload", ack
    assert (await js.next("refused"))["code"] == "bad_payload"
    await _others_keep_chatting(js, py, "继续")


@pytest.mark.parametrize(
    "frame",
    [
        '2/chat,["send", {"text": ',  # truncated JSON
        "2/chat,[]",  # an event without a name
        "2/chat,[7, 8]",  # a name that is not a string
        "\x00\x01garbage",
    ],
)
async def test_garbage_frames_are_refused_and_the_node_client_stays(
    world: ChatWorld, node: NodeFactory, frame: str
) -> None:
    _, js, py = await _room(world, node)
    js.send_raw(frame)
    assert (await js.next("refused"))["code"] == "bad_payload"
    await _others_keep_chatting(js, py, "继续")


async def test_a_frame_over_the_engine_limit_drops_only_the_sender(
    world: ChatWorld, node: NodeFactory
) -> None:
    _, js, py = await _room(world, node)
    js.emit("send", {"text": "x" * 100_000})
    assert await js.next("disconnect") == "transport close"
    assert (await py.send("别人不受影响"))["ok"]
    assert (await py.next("message"))["text"] == "别人不受影响"


async def test_guests_connect_and_comment_where_the_organization_allows(
    world: ChatWorld, node: NodeFactory
) -> None:
    open_org, closed_org = await world.org(guest_chat=True), await world.org(guest_chat=False)
    open_event, closed_event = await world.event(open_org), await world.event(closed_org)
    guest = await node({"guest": "王奶奶"})
    joined = await guest.join(closed_event)
    assert joined["chat_state"]["guests"] is False
    assert joined["ack"]["user"] is None  # reads, may not comment
    assert (await guest.send("我想说话"))["code"] == "login_required"
    assert (await guest.next("refused"))["message"] == "请先登录后再评论"

    joined = await guest.join(open_event)
    assert joined["ack"]["user"]["name"] == "王奶奶"
    assert (await guest.send("我想说话"))["ok"]
    message = await guest.next("message")
    assert message["user"] == {"id": joined["ack"]["user"]["id"], "name": "王奶奶", "guest": True}


async def test_a_bad_token_is_refused_at_connect_with_the_reason(
    world: ChatWorld, node: NodeFactory
) -> None:
    with pytest.raises(NodeConnectError) as refused:
        await node({"token": "not-a-token"})
    # What a browser's connect_error handler sees: err.message and err.data.
    assert refused.value.data == {
        "message": "请先登录后再评论",
        "data": {"code": "login_required", "message": "请先登录后再评论"},
    }


async def test_a_frame_over_the_engine_limit_is_answered_before_the_close(
    world: ChatWorld, node: NodeFactory
) -> None:
    _, js, _ = await _room(world, node)
    js.emit("send", {"text": "长" * 40_000})  # 120 KB in the JavaScript client's UTF-8
    refused = await js.next("refused")
    assert refused["code"] == "too_long"
    assert refused["message"] == "评论太长，请缩短后再发"
    assert await js.next("disconnect") == "transport close"
