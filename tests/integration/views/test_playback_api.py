"""Playback and statistics endpoints at their edges: refusals, beacons, limits, who sees what."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from culturecast.media.views.service import ViewsConfig
from culturecast.server.context import SERVICES as SERVICES_KEY
from tests.integration.server.conftest import ADMIN_PASSWORD
from tests.integration.views.conftest import (
    FakeClock,
    Stack,
    add_live,
    add_resource,
    make_tree,
    org_path,
    start_stack,
)
from tests.support.metrics import sample, scrape

pytestmark = pytest.mark.integration


async def play(stack: Stack, item_type: str, item_id: str) -> tuple[int, dict[str, object]]:
    return await stack.api.call(
        "POST", "/api/v1/play", {"item_type": item_type, "item_id": item_id}
    )


async def setup_items(stack: Stack) -> list[str]:
    admin = await stack.api.login("admin", ADMIN_PASSWORD)
    orgs = await make_tree(admin, ["浙江省", "杭州市"])
    path = org_path(orgs)
    await add_resource(stack, "ready", path)
    await add_resource(stack, "draft", path, published=False)
    await add_resource(stack, "processing", path, status="processing", hls_master_key=None)
    await add_live(stack, "soon", path, status="scheduled")
    await add_live(stack, "over", path, status="ended")
    await add_live(
        stack,
        "replayed",
        path,
        status="ended",
        replay={"master_key": "vod/x/master.m3u8", "duration_s": 600.0},
    )
    return orgs


async def test_play_refusals_name_their_reason(stack: Stack) -> None:
    await setup_items(stack)
    for item_type, item_id, status, code in [
        ("resource", "nothing", 404, "not_found"),
        ("live", "nothing", 404, "not_found"),
        ("resource", "draft", 404, "not_found"),  # a draft is not there for others
        ("resource", "processing", 409, "not_playable"),
        ("live", "soon", 409, "not_playable"),
        ("live", "over", 409, "not_playable"),
    ]:
        got, body = await play(stack, item_type, item_id)
        assert (got, body["error"]["code"]) == (status, code), (item_id, body)  # type: ignore[index]
    status, body = await stack.api.call(
        "POST", "/api/v1/play", {"item_type": "film", "item_id": "x"}
    )
    assert (status, body["error"]["code"]) == (400, "invalid_body")
    status, body = await stack.api.call(
        "POST", "/api/v1/play", {"item_type": "resource", "item_id": "ready", "extra": 1}
    )
    assert status == 400
    status, body = await stack.api.call(
        "POST", "/api/v1/play", data=b"item", headers={"Content-Type": "application/xml"}
    )
    assert (status, body["error"]["code"]) == (415, "unsupported_media_type")
    # Nothing refused was counted.
    await stack.flush()
    count = await stack.app[SERVICES_KEY].engines.database.collection("view_stats_daily").count()
    assert count == 0


async def test_play_sets_a_device_cookie_and_a_token_url(stack: Stack) -> None:
    await setup_items(stack)
    async with stack.api.session.post(
        stack.api.base + "/api/v1/play",
        json={"item_type": "resource", "item_id": "ready"},
        headers={"User-Agent": "Mozilla/5.0 (iPhone) MicroMessenger/8.0"},
    ) as resp:
        assert resp.status == 201
        body = await resp.json()
        cookie = resp.cookies["cc_did"]
    assert cookie["httponly"]
    assert int(cookie["max-age"]) == 365 * 24 * 3600
    assert body["master_url"] == f"/media/t/{body['token']}/vod/ready/master.m3u8"
    assert body["heartbeat_interval_s"] == 15
    assert body["token"] != body["session_id"]
    # The replay of an ended event plays as the event.
    status, replay = await play(stack, "live", "replayed")
    assert status == 201
    assert (replay["is_live"], replay["duration_s"]) == (False, 600.0)


async def test_heartbeats_as_beacon_text_and_batches(stack: Stack) -> None:
    await setup_items(stack)
    _, started = await play(stack, "resource", "ready")
    sid = started["session_id"]
    stack.clock.advance(15)
    # navigator.sendBeacon(url, string) sends text/plain.
    beacon = json.dumps({"session_id": sid, "position_s": 15, "seq": 1}).encode()
    status, _ = await stack.api.call(
        "POST",
        "/api/v1/views/heartbeat",
        data=beacon,
        headers={"Content-Type": "text/plain;charset=UTF-8"},
    )
    assert status == 204
    stack.clock.advance(15)
    batch = {
        "token": started["token"],
        "beats": [{"position_s": 30, "seq": 2}, {"position_s": 30, "state": "paused", "seq": 3}],
    }
    status, _ = await stack.api.call("POST", "/api/v1/views/heartbeat", batch)
    assert status == 204
    # A replayed beat is ignored quietly.
    status, _ = await stack.api.call(
        "POST", "/api/v1/views/heartbeat", {"session_id": sid, "seq": 2}
    )
    assert status == 204
    await stack.flush()
    admin = await stack.api.login("admin", ADMIN_PASSWORD)
    item = await admin.ok("GET", "/api/v1/stats/items/resource/ready")
    assert item["totals"]["plays"] == 1
    assert item["totals"]["watch_seconds"] == 30


async def test_unknown_and_expired_sessions_are_refused(stack: Stack) -> None:
    await setup_items(stack)
    for body in [{"session_id": "A" * 22}, {"token": "B" * 32}, {"session_id": "short"}, {}]:
        status, answer = await stack.api.call("POST", "/api/v1/views/heartbeat", body)
        assert (status, answer["error"]["code"]) == (404, "unknown_session"), body
    _, started = await play(stack, "resource", "ready")
    stack.clock.advance(301)  # no beat for more than 5 min: expired
    status, answer = await stack.api.call(
        "POST", "/api/v1/views/heartbeat", {"session_id": started["session_id"]}
    )
    assert (status, answer["error"]["code"]) == (404, "unknown_session")
    for bad in [b"", b"{not json", b'{"beats": []}', b'{"state": "dancing"}']:
        status, answer = await stack.api.call(
            "POST", "/api/v1/views/heartbeat", data=bad, headers={"Content-Type": "text/plain"}
        )
        assert (status, answer["error"]["code"]) == (400, "invalid_body"), bad


async def test_per_address_limits(data_dir: Path, clock: FakeClock) -> None:
    config = ViewsConfig(
        drain_interval_s=3600, flush_interval_s=3600, plays_per_minute=3, beats_per_minute=5
    )
    async for stack in start_stack(data_dir, clock, config):
        await setup_items(stack)
        for _ in range(3):
            assert (await play(stack, "resource", "ready"))[0] == 201
        status, body = await play(stack, "resource", "ready")
        assert (status, body["error"]["code"]) == (429, "rate_limited")
        sid = await stack.api.call(
            "POST", "/api/v1/views/heartbeat", {"beats": [{"session_id": "A" * 22}] * 5}
        )
        assert sid[0] == 404
        status, body = await stack.api.call(
            "POST", "/api/v1/views/heartbeat", {"session_id": "A" * 22}
        )
        assert status == 429
        clock.advance(60)  # a new minute
        assert (await play(stack, "resource", "ready"))[0] == 201


async def test_staff_see_only_their_subtree(stack: Stack) -> None:
    admin = await stack.api.login("admin", ADMIN_PASSWORD)
    province = (await make_tree(admin, ["省"]))[0]
    east = await admin.ok(
        "POST", "/api/v1/orgs", {"name": "东市", "parent_id": province}, expect=201
    )
    west = await admin.ok(
        "POST", "/api/v1/orgs", {"name": "西市", "parent_id": province}, expect=201
    )
    await add_resource(stack, "east-r", [east["id"], province])
    await add_resource(stack, "west-r", [west["id"], province])
    await admin.ok(
        "POST",
        "/api/v1/users",
        {"username": "east", "password": "east-pass-123", "role": "editor", "org_id": east["id"]},
        expect=201,
    )
    editor = await stack.api.login("east", "east-pass-123")
    await play(stack, "resource", "east-r")
    await play(stack, "resource", "west-r")
    await stack.flush()
    assert (await editor.ok("GET", f"/api/v1/stats/orgs/{east['id']}"))["totals"]["plays"] == 1
    assert (await editor.ok("GET", "/api/v1/stats/items/resource/east-r"))["totals"]["plays"] == 1
    for path in [
        f"/api/v1/stats/orgs/{west['id']}",
        f"/api/v1/stats/orgs/{province}",
        "/api/v1/stats/items/resource/west-r",
        f"/api/v1/stats/orgs/{west['id']}/monthly",
    ]:
        status, _ = await editor.call("GET", path)
        assert status == 404, path
    status, _ = await stack.api.call("GET", f"/api/v1/stats/orgs/{east['id']}")
    assert status == 401
    assert (await admin.ok("GET", f"/api/v1/stats/orgs/{province}"))["totals"]["plays"] == 2


async def test_csv_exports_open_in_excel(stack: Stack) -> None:
    orgs = await setup_items(stack)
    await play(stack, "resource", "ready")
    await stack.flush()
    admin = await stack.api.login("admin", ADMIN_PASSWORD)
    for path in [
        f"/api/v1/stats/orgs/{orgs[0]}?format=csv",
        f"/api/v1/stats/orgs/{orgs[0]}/ranking?format=csv",
        f"/api/v1/stats/orgs/{orgs[0]}/monthly?month=2024-03&format=csv",
        "/api/v1/stats/items/resource/ready?format=csv",
    ]:
        async with admin.session.get(
            admin.base + path, headers={"Authorization": f"Bearer {admin.token}"}
        ) as resp:
            assert resp.status == 200, path
            assert resp.content_type == "text/csv"
            raw = await resp.read()
        assert raw.startswith("\ufeff".encode())
        text = raw.decode("utf-8-sig")
        assert "观看人次 plays" in text, path
    ranking = (await admin.call("GET", f"/api/v1/stats/orgs/{orgs[0]}/ranking?format=csv"))[1]
    assert "评书《三国演义》第一回" in ranking.decode("utf-8-sig")
    for bad in [
        "?from=2024-13-01",
        "?from=2024-03-10&to=2024-03-01",
        "?format=xml",
        "?from=2022-01-01&to=2024-01-01",
    ]:
        status, body = await admin.call("GET", f"/api/v1/stats/orgs/{orgs[0]}{bad}")
        assert (status, body["error"]["code"]) == (400, "invalid_query"), bad
    status, body = await admin.call("GET", f"/api/v1/stats/orgs/{orgs[0]}/monthly?month=2024-3")
    assert status == 400
    status, body = await admin.call("GET", f"/api/v1/stats/orgs/{orgs[0]}/ranking?by=likes")
    assert status == 400


async def test_metrics_report_sessions_and_beats_by_outcome(stack: Stack) -> None:
    await setup_items(stack)
    _, started = await play(stack, "resource", "ready")
    sid = started["session_id"]
    for seq in (1, 2, 2):  # the last one replays seq 2: ignored
        stack.clock.advance(15)
        await stack.api.call("POST", "/api/v1/views/heartbeat", {"session_id": sid, "seq": seq})
    await stack.api.call("POST", "/api/v1/views/heartbeat", {"session_id": "A" * 22})
    token = started["token"]
    await stack.api.call("GET", f"/media/t/{token}/vod/ready/master.m3u8")  # counts
    await stack.api.call("GET", f"/media/t/{token}/vod/ready/master.m3u8")  # too soon
    await stack.media_reported(2)
    samples = await scrape(stack.api)
    assert sample(samples, "culturecast_views_sessions_started_total") == 1
    beats = "culturecast_views_beats_total"
    assert sample(samples, beats, source="heartbeat", outcome="accepted") == 2
    assert sample(samples, beats, source="heartbeat", outcome="ignored") == 1
    assert sample(samples, beats, source="heartbeat", outcome="unknown") == 1
    assert sample(samples, beats, source="media", outcome="accepted") == 1
    assert sample(samples, beats, source="media", outcome="ignored") == 1
