"""Who may join and comment: drafts (staff only), guests by organization setting, connection
limits per IP."""

from __future__ import annotations

import socketio

from culturecast.server.features.chat import CHAT
from tests.integration.chat.conftest import ChatWorld
from tests.support.chat import ChatClient


async def test_a_viewer_of_another_organization_cannot_join_a_draft_event(
    world: ChatWorld,
) -> None:
    home, other = await world.org(), await world.org()
    event_id = await world.event(home, published=False)
    outsider = await world.client({"token": await world.user("viewer", other["id"])})
    ack = await outsider.call("join", {"event_id": event_id})
    assert ack["code"] == "not_found"
    assert (await outsider.next("refused"))["message"] == "直播不存在或无权查看"
    await outsider.nothing("history", within=0.3)
    guest = await world.client({"guest": "游客"})
    assert (await guest.call("join", {"event_id": event_id}))["code"] == "not_found"
    # Its staff read and comment; the outsider, never in the room, receives nothing.
    member = await world.client({"token": await world.user("editor", home["id"])})
    await member.join(event_id)
    assert (await member.send("内部直播"))["ok"]
    await outsider.nothing("message", within=0.3)


async def test_public_events_of_other_organizations_are_open_to_all(world: ChatWorld) -> None:
    home, other = await world.org(), await world.org()
    event_id = await world.event(home)
    outsider = await world.client({"token": await world.user("viewer", other["id"])})
    await outsider.join(event_id)
    assert (await outsider.send("来自外地的观众"))["ok"]


async def test_guests_comment_only_where_the_organization_allows(world: ChatWorld) -> None:
    open_org, closed_org = await world.org(guest_chat=True), await world.org(guest_chat=False)
    open_event, closed_event = await world.event(open_org), await world.event(closed_org)
    guest = await world.client({"guest": "王奶奶"})
    joined = await guest.join(closed_event)
    assert joined["chat_state"]["guests"] is False
    assert joined["ack"]["user"] is None  # reads, may not comment
    ack = await guest.send("我想说话")
    assert ack["code"] == "login_required"
    assert (await guest.next("refused"))["message"] == "请先登录后再评论"
    joined = await guest.join(open_event)
    assert joined["ack"]["user"]["name"] == "王奶奶"
    assert (await guest.send("我想说话"))["ok"]
    message = await guest.next("message")
    assert message["user"]["guest"] is True
    assert message["user"]["name"] == "王奶奶"


async def test_anonymous_readers_and_odd_guest_names(world: ChatWorld) -> None:
    org = await world.org()
    event_id = await world.event(org)
    reader = await world.client()  # no auth at all: read only
    await reader.join(event_id)
    assert (await reader.send("hello"))["code"] == "login_required"
    masked = await world.client({"guest": "加微信的人"})
    assert (await masked.join(event_id))["ack"]["user"]["name"] == "＊＊＊的人"
    refused = ChatClient()
    try:
        await refused.connect(world.url, {"guest": "名" * 21})
    except socketio.exceptions.ConnectionError:
        assert (await refused.next("connect_error"))["data"]["code"] == "bad_payload"
    else:  # pragma: no cover
        await refused.close()
        raise AssertionError("a 21-character nickname was accepted")


async def test_connections_are_rate_limited_per_ip(world: ChatWorld) -> None:
    accepted = refused = 0
    for _ in range(40):
        client = ChatClient()
        try:
            await client.connect(world.url, {"guest": "刷"})
        except socketio.exceptions.ConnectionError:
            refused += 1
            assert (await client.next("connect_error"))["data"]["code"] == "rate_limited"
        else:
            accepted += 1
            world.clients.append(client)
    assert 30 <= accepted < 40  # the burst of 30, plus what refilled meanwhile
    assert refused >= 1


async def test_polling_transport_works_too(world: ChatWorld) -> None:
    org = await world.org()
    event_id = await world.event(org)
    poller = await world.client({"guest": "老电脑"}, transport="polling")
    await poller.join(event_id)
    assert (await poller.send("用轮询也行"))["ok"]
    assert (await poller.next("message"))["text"] == "用轮询也行"
    # Left connected: the server's shutdown must end its pending long-poll at once rather
    # than wait out the ping timeout (the fixture's teardown would take 30 s).
    world.clients.remove(poller)


async def test_a_draft_events_room_and_comments_are_for_its_staff_only(world: ChatWorld) -> None:
    county = await world.org()
    home, neighbour = await world.org(county["id"]), await world.org(county["id"])
    other = await world.org()
    draft = await world.admin.ok(
        "POST",
        "/api/v1/live",
        {"org_id": home["id"], "title": "彩排", "published": False},
        expect=201,
    )
    event_id = draft["id"]
    await world.set_status(event_id, "live")
    staff_token = await world.user("editor", county["id"])
    staff = await world.client({"token": staff_token})
    await staff.join(event_id)
    assert (await staff.send("内部彩排"))["ok"]
    tokens: dict[str, str | None] = {
        "anonymous": None,
        "guest": None,
        "viewer of the village": await world.user("viewer", home["id"]),
        "viewer of another village": await world.user("viewer", neighbour["id"]),
        "staff of another village": await world.user("org_admin", neighbour["id"]),
        "staff of another province": await world.user("editor", other["id"]),
    }
    comments = f"/api/v1/live/{event_id}/comments?from=0&to=600"
    unknown = await world.api(None).call("GET", "/api/v1/live/no-such-event/comments?to=600")
    assert unknown[0] == 404
    outsiders = []
    for who, token in tokens.items():
        auth = {"guest": "游客"} if who == "guest" else {"token": token} if token else None
        client = await world.client(auth)
        outsiders.append(client)
        # Exactly what an unknown id gets: nobody learns that the draft exists.
        not_found = await client.call("join", {"event_id": "no-such-event"})
        assert await client.call("join", {"event_id": event_id}) == not_found, who
        assert (await client.send("我也来"))["code"] == "not_joined", who
        await client.nothing("history", within=0.1)
        assert await world.api(token).call("GET", comments) == unknown, who
    assert len((await world.api(staff_token).ok("GET", comments))["comments"]) == 1
    assert (await staff.send("只有自己人看得到"))["ok"]
    for client in outsiders:
        await client.nothing("message", within=0.1)


async def test_unpublishing_an_event_closes_its_room_to_the_public(world: ChatWorld) -> None:
    org = await world.org()
    body = {"org_id": org["id"], "title": "演出", "published": True}
    shown = await world.admin.ok("POST", "/api/v1/live", body, expect=201)
    event_id = shown["id"]
    await world.set_status(event_id, "live")
    guest = await world.client({"guest": "王奶奶"})
    await guest.join(event_id)
    staff = await world.client({"token": await world.user("editor", org["id"])})
    await staff.join(event_id)
    await world.admin.ok("PATCH", f"/api/v1/live/{event_id}", {"published": False})
    assert (await guest.send("还在吗"))["code"] == "not_found"
    # The room's periodic check (every few seconds) sends the public away.
    await world.app[CHAT].push_viewers()
    assert (await guest.next("refused"))["request"] == "send"
    assert (await guest.next("refused"))["code"] == "not_found"  # sent away
    assert (await staff.send("内部消息"))["ok"]
    assert (await staff.next("message"))["text"] == "内部消息"
    await guest.nothing("message", within=0.3)
