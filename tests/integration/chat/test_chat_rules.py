"""The comment rules as a commenter meets them: word filter, links, rate limit, slow mode,
duplicates."""

from __future__ import annotations

import pytest

from tests.integration.chat.conftest import ChatWorld
from tests.support.chat import ChatClient


async def _viewer(world: ChatWorld) -> tuple[ChatClient, str, dict[str, object]]:
    org = await world.org()
    event_id = await world.event(org)
    viewer = await world.client({"token": await world.user("viewer", org["id"])})
    await viewer.join(event_id)
    return viewer, event_id, org


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("想赚钱加微信abc", "想赚钱＊＊＊abc"),
        ("加 微 信 聊", "＊＊＊＊＊ 聊"),  # spaces inside the word
        ("加*微.信 聊", "＊＊＊＊＊ 聊"),  # symbols inside the word
        ("加\u200b微\u200d信", "＊＊＊"),  # zero-width characters are dropped first
        ("這是網絡賭博", "這是＊＊＊＊"),  # traditional characters fold to simplified
        ("ＳＰＡＭ here", "＊＊＊＊ here"),  # full-width letters are ASCII after NFKC
        ("s p a m!", "＊＊＊＊＊＊＊!"),
    ],
)
async def test_sensitive_words_are_masked_even_when_disguised(
    world: ChatWorld, text: str, shown: str
) -> None:
    viewer, _, _ = await _viewer(world)
    ack = await viewer.send(text)
    assert ack["ok"], ack
    assert ack["masked"], ack
    message = await viewer.next("message")
    # Normalisation (NFKC) happens before masking, so what is shown is the normal form.
    assert message["text"] == shown.replace("ＳＰＡＭ", "＊＊＊＊")


async def test_words_that_only_look_alike_pass(world: ChatWorld) -> None:
    viewer, _, _ = await _viewer(world)
    ack = await viewer.send("spa menu 很好")
    assert ack["ok"]
    assert not ack["masked"]


@pytest.mark.parametrize("text", ["看 www.example.com", "https://x.cn/a", "加我 qq@example.com"])
async def test_links_are_refused(world: ChatWorld, text: str) -> None:
    viewer, _, _ = await _viewer(world)
    ack = await viewer.send(text)
    assert ack["code"] == "link_not_allowed"
    assert (await viewer.next("refused"))["message"] == "评论中不能包含链接"


async def test_length_and_empty(world: ChatWorld) -> None:
    viewer, _, _ = await _viewer(world)
    assert (await viewer.send("好" * 200))["ok"]
    assert (await viewer.send("好" * 201))["code"] == "too_long"
    assert (await viewer.send(" \u200b\t "))["code"] == "empty"


async def test_rate_limit_refuses_a_burst(world: ChatWorld) -> None:
    viewer, _, _ = await _viewer(world)
    acks = [await viewer.send(f"第{i}条") for i in range(7)]
    assert [a["ok"] for a in acks[:5]] == [True] * 5
    assert acks[5]["code"] == "rate_limited"
    assert 0 < acks[5]["retry_after"] <= 2


async def test_duplicates_are_refused(world: ChatWorld) -> None:
    viewer, _, _ = await _viewer(world)
    assert (await viewer.send("好听"))["ok"]
    assert (await viewer.send("好 听"))["ok"]  # a different text
    assert (await viewer.send("好听"))["code"] == "duplicate"


async def test_slow_mode_set_by_a_moderator(world: ChatWorld) -> None:
    viewer, event_id, org = await _viewer(world)
    editor = await world.client({"token": await world.user("editor", str(org["id"]))})
    joined = await editor.join(event_id)
    assert joined["ack"]["moderator"] is True
    assert (await viewer.call("slow", {"seconds": 30}))["code"] == "not_allowed"
    assert (await viewer.next("refused"))["message"] == "你没有权限执行此操作"
    assert (await editor.call("slow", {"seconds": 30}))["ok"]
    state = await viewer.next("chat_state")
    assert state["slow_mode"] == 30
    assert (await viewer.send("第一条"))["ok"]
    ack = await viewer.send("第二条")
    assert ack["code"] == "slow_mode"
    assert (await viewer.next("refused"))["message"] == "慢速模式已开启，请稍后再发言"
    # Moderators are exempt.
    assert (await editor.send("管理员一"))["ok"]
    assert (await editor.send("管理员二"))["ok"]
    # Off again: the viewer may send.
    assert (await editor.call("slow", {"seconds": 0}))["ok"]
    assert (await viewer.send("第二条"))["ok"]
