"""The push targets API (转推) in-process over real HTTP: add, list, remove; keys write-only;
clear refusals; staff of the event's subtree only."""

from __future__ import annotations

from tests.integration.live.conftest import LiveApp
from tests.integration.live.test_api import other_org_admin


async def test_a_target_is_added_listed_and_removed_and_its_key_never_shown(live: LiveApp) -> None:
    event = await live.create_event()
    path = f"/api/v1/live/{event['id']}/targets"
    body = {"name": "抖音", "url": "rtmp://push.example.com/live", "key": "stream-secret-42"}
    added = await live.admin.ok("POST", path, body, expect=201)
    assert added["name"] == "抖音"
    assert added["url"] == "rtmp://push.example.com/live"
    assert added["has_key"] is True
    assert (added["state"], added["error"], added["bytes_sent"]) == ("idle", None, 0)
    assert isinstance(added["since"], float)
    assert "key" not in added
    listed = await live.admin.ok("GET", path)
    assert [t["id"] for t in listed["items"]] == [added["id"]]
    assert "stream-secret-42" not in str(listed)
    status, _ = await live.admin.call("DELETE", f"{path}/{added['id']}")
    assert status == 204
    assert (await live.admin.ok("GET", path))["items"] == []
    status, body = await live.admin.call("DELETE", f"{path}/{added['id']}")
    assert (status, body["error"]["code"]) == (404, "live_target_not_found")


async def test_bad_targets_are_refused_with_their_code(live: LiveApp) -> None:
    event = await live.create_event()
    path = f"/api/v1/live/{event['id']}/targets"
    cases = [
        (
            {"name": "B站", "url": "http://live.example.com/app", "key": "k"},
            "unsupported_target_scheme",
        ),
        ({"name": "B站", "url": "file:///etc/passwd"}, "unsupported_target_scheme"),
        ({"name": "", "url": "rtmp://h/live", "key": "k"}, "invalid_target_name"),
        ({"name": "x", "url": "rtmp://h/live", "key": "with space"}, "invalid_target_key"),
        ({"name": "x", "url": "srt://h", "key": "k"}, "invalid_target_url"),
        ({"name": "x", "url": "rtmp://h/live", "secret": "k"}, "invalid_target"),
        ({"name": 5, "url": "rtmp://h/live"}, "invalid_target"),
    ]
    for body, code in cases:
        status, answer = await live.admin.call("POST", path + "?lang=en", body)
        assert (status, answer["error"]["code"]) == (400, code), body
    status, answer = await live.admin.call("POST", path, cases[0][0])
    assert "rtmp://" in answer["error"]["message"]
    assert (await live.admin.ok("GET", path))["items"] == []


async def test_at_most_ten_targets_and_none_on_an_ended_event(live: LiveApp) -> None:
    event = await live.create_event()
    path = f"/api/v1/live/{event['id']}/targets"
    for i in range(10):
        await live.admin.ok("POST", path, {"name": f"t{i}", "url": f"rtmp://h{i}/live"}, 201)
    status, body = await live.admin.call("POST", path, {"name": "t10", "url": "rtmp://h/live"})
    assert (status, body["error"]["code"]) == (409, "too_many_targets")
    ended = await live.create_event()
    await live.admin.ok("POST", f"/api/v1/live/{ended['id']}/stop")
    status, body = await live.admin.call(
        "POST", f"/api/v1/live/{ended['id']}/targets", {"name": "t", "url": "rtmp://h/live"}
    )
    assert (status, body["error"]["code"]) == (409, "event_ended")


async def test_other_organizations_and_anonymous_callers_see_no_targets(live: LiveApp) -> None:
    event = await live.create_event()
    path = f"/api/v1/live/{event['id']}/targets"
    target = await live.admin.ok("POST", path, {"name": "快手", "url": "rtmp://h/live"}, 201)
    stranger = await other_org_admin(live)
    for method, url, body in [
        ("GET", path, None),
        ("POST", path, {"name": "x", "url": "rtmp://h/live"}),
        ("DELETE", f"{path}/{target['id']}", None),
    ]:
        status, answer = await stranger.call(method, url, body)
        assert (status, answer["error"]["code"]) == (404, "live_event_not_found"), method
        status, _ = await live.api.call(method, url, body)
        assert status == 401
    assert len((await live.admin.ok("GET", path))["items"]) == 1


async def test_deleting_the_event_deletes_its_targets(live: LiveApp) -> None:
    event = await live.create_event()
    path = f"/api/v1/live/{event['id']}/targets"
    await live.admin.ok("POST", path, {"name": "x", "url": "rtmp://h/live", "key": "k"}, 201)
    status, _ = await live.admin.call("DELETE", f"/api/v1/live/{event['id']}")
    assert status == 204
    status, _ = await live.admin.call("GET", path)
    assert status == 404
