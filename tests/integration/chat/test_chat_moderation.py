"""Moderators of the event's organization: delete, mute, ban, pin, close and open; audit."""

from __future__ import annotations

from typing import Any

from tests.integration.chat.conftest import ChatWorld
from tests.support.chat import ChatClient


async def _room(world: ChatWorld) -> tuple[str, dict[str, Any], ChatClient, ChatClient, ChatClient]:
    org = await world.org()
    event_id = await world.event(org)
    mod = await world.client({"token": await world.user("org_admin", org["id"])})
    a = await world.client({"token": await world.user("viewer", org["id"])})
    b = await world.client({"guest": "李大爷"})
    for client in (mod, a, b):
        await client.join(event_id)
    return event_id, org, mod, a, b


async def test_a_moderators_delete_reaches_every_client(world: ChatWorld) -> None:
    event_id, _, mod, a, b = await _room(world)
    sent = await a.send("这条会被删除")
    for client in (mod, a, b):
        assert (await client.next("message"))["id"] == sent["id"]
    assert (await mod.call("delete", {"message_id": sent["id"]}))["ok"]
    for client in (mod, a, b):
        assert await client.next("deleted") == {"message_id": sent["id"]}
    # Gone from the history of anyone joining later, and from the audit trail's view.
    late = await world.client({"guest": "后来者"})
    assert (await late.join(event_id))["history"] == []
    audit = await world.database.collection("chat_audit").find({"event_id": event_id})
    assert [(e["action"], e["target"]) for e in audit] == [("delete", sent["id"])]
    # Deleting again changes nothing and tells nobody.
    assert (await mod.call("delete", {"message_id": sent["id"]}))["ok"]
    await a.nothing("deleted")


async def test_viewers_and_other_organizations_staff_may_not_moderate(world: ChatWorld) -> None:
    event_id, _, _, a, _ = await _room(world)
    sent = await a.send("我的评论")
    outsider_org = await world.org()
    outsider = await world.client({"token": await world.user("org_admin", outsider_org["id"])})
    joined = await outsider.join(event_id)
    assert joined["ack"]["moderator"] is False
    for client in (a, outsider):
        ack = await client.call("delete", {"message_id": sent["id"]})
        assert ack["code"] == "not_allowed"
        assert (await client.call("close"))["code"] == "not_allowed"
    assert (await a.call("mute", {"user_id": "x", "seconds": 5}))["code"] == "not_allowed"


async def test_staff_of_a_parent_organization_and_platform_admins_moderate(
    world: ChatWorld,
) -> None:
    city = await world.org()
    county = await world.org(parent_id=city["id"])
    event_id = await world.event(county)
    city_editor = await world.client({"token": await world.user("editor", city["id"])})
    admin = await world.client({"token": world.admin.token})
    assert (await city_editor.join(event_id))["ack"]["moderator"] is True
    assert (await admin.join(event_id))["ack"]["moderator"] is True


async def test_mute_and_ban(world: ChatWorld) -> None:
    event_id, _, mod, a, b = await _room(world)
    a_id = (await a.send("第一条"))["id"] and (await a.next("message"))["user"]["id"]
    assert (await mod.call("mute", {"user_id": a_id, "seconds": 600}))["ok"]
    ack = await a.send("被禁言了吗")
    assert ack["code"] == "muted"
    assert 590 < ack["retry_after"] <= 600
    assert (await a.next("refused"))["message"] == "你已被禁言，暂时不能发言"
    assert (await b.send("我还能说"))["ok"]  # nobody else is affected
    assert (await mod.call("mute", {"user_id": a_id, "seconds": 0}))["ok"]  # unmute
    assert (await a.send("又能说了"))["ok"]

    assert (await mod.call("ban", {"user_id": a_id}))["ok"]
    assert (await a.send("还在吗"))["code"] == "banned"
    # The ban is stored: it holds for a fresh connection of the same user too.
    audit = await world.database.collection("chat_audit").find({"event_id": event_id})
    assert [e["action"] for e in audit] == ["mute", "mute", "ban"]


async def test_a_muted_user_in_slow_mode_is_told_muted(world: ChatWorld) -> None:
    """The documented order: ``muted`` (step 5) comes before ``slow_mode`` (step 10)."""
    _, _, mod, a, _ = await _room(world)
    assert (await mod.call("slow", {"seconds": 30}))["ok"]
    a_id = (await a.send("第一条"))["id"] and (await a.next("message"))["user"]["id"]
    assert (await mod.call("mute", {"user_id": a_id, "seconds": 600}))["ok"]
    ack = await a.send("第二条")
    assert ack["code"] == "muted"
    assert 590 < ack["retry_after"] <= 600


async def test_pin_close_and_open(world: ChatWorld) -> None:
    event_id, _, mod, a, b = await _room(world)
    assert (await mod.call("pin", {"text": "演出将于 20:00 开始"}))["ok"]
    for client in (mod, a, b):
        assert await client.next("pinned") == {"text": "演出将于 20:00 开始"}
    assert (await mod.call("close"))["ok"]
    for client in (a, b):
        state = await client.next("chat_state")
        assert state["open"] is False
        assert state["closed"] is True
    ack = await a.send("还能评论吗")
    assert ack["code"] == "chat_closed"
    assert (await mod.call("open", {}))["ok"]
    assert (await a.next("chat_state"))["open"] is True
    assert (await a.send("又开放了"))["ok"]
    late = await world.client({"guest": "后来者"})
    joined = await late.join(event_id)
    assert joined["pinned"] == {"text": "演出将于 20:00 开始"}
    assert joined["chat_state"]["open"] is True


async def test_a_banned_guest_stays_banned_after_reconnecting_from_the_same_device(
    world: ChatWorld,
) -> None:
    # The live page gives every browser its device cookie; a guest is known by it.
    event_id, _, mod, _, other = await _room(world)
    pages = await world.http.get(f"{world.url}/live/{event_id}")
    device = pages.cookies["cc_did"].value
    again_page = await world.http.get(
        f"{world.url}/live/{event_id}", headers={"Cookie": f"cc_did={device}"}
    )
    assert "cc_did" not in again_page.cookies  # a known device keeps its id
    troll = await world.client({"guest": "捣乱者"}, device=device)
    await troll.join(event_id)
    troll_id = (await troll.send("刷屏"))["id"] and (await troll.next("message"))["user"]["id"]
    assert device not in troll_id  # others see a hash of the cookie, not the cookie
    assert (await mod.call("ban", {"user_id": troll_id}))["ok"]
    await troll.close()

    again = await world.client({"guest": "换个名字"}, device=device)
    await again.join(event_id)
    assert (await again.send("我又回来了"))["code"] == "banned"
    # Another device is another guest; a guest without the cookie is one connection.
    newcomer = await world.client({"guest": "新观众"}, device="another-device-0123456789")
    await newcomer.join(event_id)
    assert (await newcomer.send("你好"))["ok"]
    assert (await other.send("我还能说"))["ok"]
