"""The live API in-process over real HTTP, with a real ffmpeg publisher where it matters."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import m3u8

from tests.integration.live.conftest import LiveApp
from tests.support.live import Publisher, ffmpeg_publish_command


async def other_org_admin(live: LiveApp) -> Any:
    org = await live.admin.ok("POST", "/api/v1/orgs", {"name": "江西省"}, expect=201)
    await live.admin.ok(
        "POST",
        "/api/v1/users",
        {"username": "jx", "password": "jx-password-1", "role": "org_admin", "org_id": org["id"]},
        expect=201,
    )
    return await live.api.login("jx", "jx-password-1")


async def test_create_returns_the_key_once_and_never_again(live: LiveApp) -> None:
    event = await live.create_event(published=False)
    assert event["status"] == "scheduled"
    assert event["rtmp_url"] == f"{event['obs']['server']}/{event['stream_key']}"
    got = await live.admin.ok("GET", f"/api/v1/live/{event['id']}")
    assert "stream_key" not in got
    assert "key_hash" not in got
    assert event["stream_key"] not in str(got)


async def test_drafts_are_staff_only_and_other_orgs_see_nothing(live: LiveApp) -> None:
    draft = await live.create_event(published=False, title="彩排")
    shown = await live.create_event(published=True, title="正式演出")
    public = await live.api.ok("GET", "/api/v1/live")
    assert [e["id"] for e in public["items"]] == [shown["id"]]
    status, body = await live.api.call("GET", f"/api/v1/live/{draft['id']}")
    assert status == 404
    assert body["error"]["code"] == "live_event_not_found"
    staff = await live.admin.ok("GET", "/api/v1/live")
    assert {e["id"] for e in staff["items"]} == {draft["id"], shown["id"]}
    stranger = await other_org_admin(live)
    for method, path in [
        ("GET", f"/api/v1/live/{draft['id']}"),
        ("PATCH", f"/api/v1/live/{shown['id']}"),
        ("POST", f"/api/v1/live/{shown['id']}/key"),
        ("POST", f"/api/v1/live/{shown['id']}/stop"),
        ("GET", f"/api/v1/live/{shown['id']}/health"),
        ("GET", f"/api/v1/live/{shown['id']}/refusals"),
        ("DELETE", f"/api/v1/live/{shown['id']}"),
    ]:
        status, body = await stranger.call(method, path, {} if method == "PATCH" else None)
        assert status == 404, (method, path, body)
    mine = await stranger.ok("GET", "/api/v1/live")
    assert mine["items"] == []


async def test_bad_bodies_are_refused_with_a_reason(live: LiveApp) -> None:
    status, body = await live.admin.call(
        "POST", "/api/v1/live", {"org_id": live.org_id, "title": "x", "colour": "red"}
    )
    assert status == 400
    status, body = await live.admin.call(
        "POST", "/api/v1/live", {"org_id": live.org_id, "title": "   "}
    )
    assert (status, body["error"]["code"]) == (400, "invalid_live_event")
    event = await live.create_event()
    status, body = await live.admin.call(
        "PATCH", f"/api/v1/live/{event['id']}", {"reconnect_grace_s": 0}
    )
    assert (status, body["error"]["code"]) == (400, "invalid_live_event")
    status, body = await live.api.call("GET", "/api/v1/live?status=paused")
    assert status == 400


async def test_a_full_show_stopped_through_the_api(
    live: LiveApp, publishers: list[Publisher]
) -> None:
    event = await live.create_event()
    event_id = event["id"]
    old_key = event["stream_key"]
    pub = Publisher(ffmpeg_publish_command(live.rtmp(old_key))).start()
    publishers.append(pub)
    objects = live.data_dir / "objects" / "live" / event_id

    async def wait(check: Any, within: float) -> None:
        deadline = time.monotonic() + within
        while not await check():
            assert time.monotonic() < deadline
            await asyncio.sleep(0.2)

    async def two_segments() -> bool:
        path = objects / "360p" / "event.m3u8"
        return path.exists() and len(m3u8.loads(path.read_text()).segments) >= 2

    await wait(two_segments, 20)
    # Deleting an event on air is refused; its health is reported.
    status, body = await live.admin.call("DELETE", f"/api/v1/live/{event_id}")
    assert (status, body["error"]["code"]) == (409, "event_on_air")

    async def healthy() -> bool:
        # Two 1 s segments come before the second keyframe (2 s): wait for its figure too.
        h = await live.admin.ok("GET", f"/api/v1/live/{event_id}/health")
        fresh = h["health"] is not None and not h["stale"]
        return fresh and h["health"]["keyframe_interval_s"] is not None

    await wait(healthy, 10)
    health = (await live.admin.ok("GET", f"/api/v1/live/{event_id}/health"))["health"]
    assert (health["width"], health["height"]) == (640, 360)
    assert (health["video_codec"], health["audio_codec"]) == ("h264", "aac")
    assert health["keyframe_interval_s"] == 2.0
    assert 200 < health["bitrate_kbps"] < 2000
    # A rotated key: the running publisher goes on, the old key is refused by name.
    rotated = await live.admin.ok("POST", f"/api/v1/live/{event_id}/key")
    assert rotated["stream_key"] != old_key
    second = Publisher(ffmpeg_publish_command(live.rtmp(old_key), seconds=2)).start()
    assert await asyncio.to_thread(second.wait, 30) != 0
    refusals = await live.admin.ok("GET", f"/api/v1/live/{event_id}/refusals")
    assert refusals["items"][0]["code"] == "stale_stream_key"
    assert refusals["items"][0]["remote"].startswith("127.0.0.1:")
    assert pub.alive
    # Stop: the publisher is let go, the playlists close, the replay is made.
    stopped = await live.admin.ok("POST", f"/api/v1/live/{event_id}/stop")
    assert stopped["status"] == "ended"
    assert stopped["stop_reason"] == "stopped"
    assert await asyncio.to_thread(pub.wait, 10) is not None
    assert m3u8.loads((objects / "360p" / "index.m3u8").read_text()).is_endlist

    async def replayed() -> bool:
        return bool((await live.admin.ok("GET", f"/api/v1/live/{event_id}"))["replay"])

    await wait(replayed, 30)
    got = await live.admin.ok("GET", f"/api/v1/live/{event_id}")
    replay = m3u8.loads((objects / "replay" / "360p" / "index.m3u8").read_text())
    assert replay.playlist_type == "vod"
    assert replay.is_endlist
    assert abs(sum(s.duration for s in replay.segments) - got["replay"]["duration_s"]) < 0.5
    public = await live.api.ok("GET", "/api/v1/live")
    assert public["items"][0]["master_url"] == f"/media/live/{event_id}/replay/master.m3u8"
    await live.admin.ok("DELETE", f"/api/v1/live/{event_id}", expect=204)
    assert not objects.exists()
