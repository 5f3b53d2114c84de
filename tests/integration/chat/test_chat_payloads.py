"""Hostile payloads: 10 KB texts, oversized frames, binary, garbage — each refused, and nobody
else disconnected."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.chat.conftest import ChatWorld
from tests.support.chat import ChatClient


async def _pair(world: ChatWorld) -> tuple[str, ChatClient, ChatClient]:
    org = await world.org()
    event_id = await world.event(org)
    bad = await world.client({"token": await world.user("viewer", org["id"])})
    good = await world.client({"guest": "好人"})
    await bad.join(event_id)
    await good.join(event_id)
    return event_id, bad, good


async def _still_fine(bad: ChatClient | None, good: ChatClient, text: str) -> None:
    """``good`` can still send and receive; ``bad`` (if still connected) receives too."""
    assert (await good.send(text))["ok"]
    assert (await good.next("message"))["text"] == text
    if bad is not None:
        assert bad.connected
        assert (await bad.next("message"))["text"] == text


async def test_a_10_kb_text_is_refused_and_the_sender_stays(world: ChatWorld) -> None:
    _, bad, good = await _pair(world)
    ack = await bad.send("x" * 10_240)  # a 10 KB frame: under the engine's limit
    assert ack["code"] == "too_long"
    await _still_fine(bad, good, "还在")


async def test_a_frame_over_16_kib_is_dropped_by_the_engine_alone(world: ChatWorld) -> None:
    _, bad, good = await _pair(world)
    await bad.sio.emit("send", {"text": "x" * 100_000}, namespace="/chat")
    await bad.disconnected.wait()
    await _still_fine(None, good, "别人不受影响")


@pytest.mark.parametrize(
    ("event", "data"),
    [
        ("send", {"text": b"\x00\x01binary"}),  # a binary attachment
        ("send", b"\xff" * 1000),
        ("send", "just a string"),
        ("send", {"text": "hi", "extra": 1}),
        ("send", {"text": 42}),
        ("join", {"event_id": "../../etc/passwd"}),
        ("join", None),
        ("mute", {"user_id": "u", "seconds": True}),
        ("like", {"count": -3}),
        ("no_such_event", {}),
    ],
)
async def test_wrong_payloads_are_refused_without_disconnecting(
    world: ChatWorld, event: str, data: Any
) -> None:
    _, bad, good = await _pair(world)
    ack = await bad.call(event, data)
    assert ack["ok"] is False, ack
    assert ack["code"] == "bad_payload", ack
    refused = await bad.next("refused")
    assert refused["code"] == "bad_payload"
    assert refused["message"] == "请求格式不正确"
    await _still_fine(bad, good, "继续")


@pytest.mark.parametrize(
    "packet",
    [
        '42/chat,["send", {"text": ',  # truncated JSON
        "42/chat,[]",  # an event without a name
        "42/chat,[7, 8]",  # a name that is not a string
        "42/chat,{}",
        "4\x00\x01garbage",
        '42/chat,1["x"]',
    ],
)
async def test_garbage_packets_are_refused_without_disconnecting(
    world: ChatWorld, packet: str
) -> None:
    _, bad, good = await _pair(world)
    await bad.sio.eio.send(packet[1:] if packet.startswith("4") else packet)
    refused = await bad.next("refused")
    assert refused["code"] == "bad_payload"
    await _still_fine(bad, good, "继续")


async def test_a_raw_binary_frame_is_refused_without_disconnecting(world: ChatWorld) -> None:
    _, bad, good = await _pair(world)
    await bad.sio.eio.send(b"\x00\x01\x02 not a socket.io packet")
    refused = await bad.next("refused")
    assert refused["code"] == "bad_payload"
    await _still_fine(bad, good, "继续")


@pytest.mark.parametrize(
    "text",
    [
        "好" * 3_400,  # ~10 KB of Chinese in UTF-8, 20 KB once JSON-escaped (\u597d each)
        "🎉" * 2_000,  # the longest raw text read, astral: 24 KB escaped (\ud83c\udf89 each)
    ],
)
async def test_a_long_comment_in_any_script_gets_its_too_long_answer(
    world: ChatWorld, text: str
) -> None:
    _, bad, good = await _pair(world)
    ack = await bad.send(text)
    assert ack["ok"] is False
    assert ack["code"] == "too_long"
    assert (await bad.next("refused"))["message"] == "评论太长，请缩短后再发"
    await _still_fine(bad, good, "还在")


async def test_a_frame_over_the_limit_is_answered_before_the_connection_closes(
    world: ChatWorld,
) -> None:
    _, bad, good = await _pair(world)
    await bad.sio.emit("send", {"text": "x" * 100_000}, namespace="/chat")
    refused = await bad.next("refused")
    assert refused["code"] == "too_long"
    assert refused["message"] == "评论太长，请缩短后再发"
    await bad.disconnected.wait()
    await _still_fine(None, good, "别人不受影响")
