"""Comments by time window from the show's start, for scrolling over the replay."""

from __future__ import annotations

import time

from tests.integration.chat.conftest import ChatWorld


async def test_comments_replay_by_time_window(world: ChatWorld) -> None:
    org = await world.org()
    event_id = await world.event(org, started_at=time.time() - 100)
    mod = await world.client({"token": await world.user("editor", org["id"])})
    await mod.join(event_id)
    first = await mod.send("开场了")
    second = await mod.send("唱得真好")
    gone = await mod.send("这条删掉")
    assert (await mod.call("delete", {"message_id": gone["id"]}))["ok"]
    await world.set_status(event_id, "ended")

    anonymous = world.api(None)
    body = await anonymous.ok("GET", f"/api/v1/live/{event_id}/comments?from=90&to=200")
    assert [c["id"] for c in body["comments"]] == [first["id"], second["id"]]
    comment = body["comments"][0]
    assert comment["text"] == "开场了"
    assert 99 <= comment["offset_s"] <= 130
    assert body["truncated"] is False
    assert body["from"] == 90
    assert body["to"] == 200
    body = await anonymous.ok("GET", f"/api/v1/live/{event_id}/comments?from=0&to=90")
    assert body["comments"] == []
    body = await anonymous.ok("GET", f"/api/v1/live/{event_id}/comments?to=3600")
    assert len(body["comments"]) == 2


async def test_replay_of_a_draft_event_needs_its_staff(world: ChatWorld) -> None:
    home, other = await world.org(), await world.org()
    event_id = await world.event(home, published=False)
    path = f"/api/v1/live/{event_id}/comments?from=0&to=60"
    status, body = await world.api(None).call("GET", path)
    assert status == 404
    assert body["error"]["code"] == "not_found"
    outsider = world.api(await world.user("viewer", other["id"]))
    assert (await outsider.call("GET", path))[0] == 404
    member = world.api(await world.user("editor", home["id"]))
    assert (await member.ok("GET", path))["comments"] == []


async def test_replay_window_errors_are_clear(world: ChatWorld) -> None:
    org = await world.org()
    event_id = await world.event(org)
    api = world.api(None)
    for query, needle in [
        ("from=0", "'to'"),
        ("from=-1&to=5", "'from' must be"),
        ("from=abc&to=5", "'from' must be"),
        ("from=10&to=5", "'to' must be after"),
        ("from=0&to=7201", "at most 3600"),
        ("from=nan&to=5", "'from' must be"),
    ]:
        status, body = await api.call("GET", f"/api/v1/live/{event_id}/comments?{query}")
        assert status == 400, query
        assert body["error"]["code"] == "invalid_query"
        assert needle in body["error"]["message"], (query, body)
    status, body = await api.call("GET", "/api/v1/live/nope/comments?from=0&to=5")
    assert status == 404
    assert body["error"]["code"] == "not_found"
