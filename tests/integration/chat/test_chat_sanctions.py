"""Moderators list the room's mutes and bans and lift them; nobody else may see the list."""

from __future__ import annotations

from tests.integration.chat.conftest import ChatWorld


async def test_the_list_follows_mute_ban_and_lift(world: ChatWorld) -> None:
    org = await world.org()
    event_id = await world.event(org)
    mod = await world.client({"token": await world.user("org_admin", org["id"])})
    viewer = await world.client({"token": await world.user("viewer", org["id"])})
    guest = await world.client({"guest": "李大爷"})
    for client in (mod, viewer, guest):
        await client.join(event_id)
    assert await mod.call("sanctions") == {"ok": True, "sanctions": []}
    await guest.send("大家好")
    guest_id = (await mod.next("message"))["user"]["id"]

    assert (await mod.call("mute", {"user_id": guest_id, "seconds": 600}))["ok"]
    pushed = await mod.next("sanctions")
    assert [(s["nickname"], s["kind"]) for s in pushed] == [("李大爷", "mute")]
    assert pushed[0]["user_id"] == guest_id
    assert pushed[0]["until"].endswith("+00:00")
    assert (await mod.call("sanctions"))["sanctions"] == pushed
    await viewer.nothing("sanctions")  # only moderators hear it

    assert (await mod.call("ban", {"user_id": guest_id}))["ok"]
    listed = await mod.next("sanctions")
    assert [(s["kind"], s["until"]) for s in listed][1] == ("ban", None)

    assert (await mod.call("mute", {"user_id": guest_id, "seconds": 0}))["ok"]
    assert [s["kind"] for s in await mod.next("sanctions")] == ["ban"]
    assert (await mod.call("ban", {"user_id": guest_id, "seconds": 0}))["ok"]
    assert await mod.next("sanctions") == []
    assert (await guest.send("又能说了"))["ok"]


async def test_non_moderators_are_refused_the_list(world: ChatWorld) -> None:
    org = await world.org()
    event_id = await world.event(org)
    viewer = await world.client({"token": await world.user("viewer", org["id"]), "lang": "en"})
    guest = await world.client({"guest": "王阿姨"})
    await viewer.join(event_id)
    await guest.join(event_id)
    assert (await viewer.call("sanctions"))["code"] == "not_allowed"
    assert (await viewer.next("refused"))["message"] == "you are not allowed to do that"
    assert (await guest.call("sanctions"))["code"] == "not_allowed"
    assert (await guest.next("refused"))["message"] == "你没有权限执行此操作"
