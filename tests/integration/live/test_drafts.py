"""A draft show stays a draft (issue 18): an unpublished live event, pushed with a real ffmpeg
and stopped, its replay, its chat, its replay comments and its media are unknown to anonymous
users, viewers and other organizations' staff, and there for its own staff; the replay follows
the event when it is published, and again when it is unpublished."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import m3u8

from tests.integration.live.conftest import LiveApp
from tests.support.api import Api
from tests.support.chat import ChatClient
from tests.support.live import Publisher, ffmpeg_publish_command


async def eventually[T](check: Callable[[], Awaitable[T | None]], within: float) -> T:
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        assert time.monotonic() < deadline, "not in time"
        await asyncio.sleep(0.2)


async def person(live: LiveApp, name: str, role: str, org_id: str) -> Api:
    body = {"username": name, "password": "draft-pass-1", "role": role, "org_id": org_id}
    await live.admin.ok("POST", "/api/v1/users", body, expect=201)
    return await live.api.login(name, "draft-pass-1")


async def media_status(api: Api, path: str) -> int:
    async with api.session.get(api.base + path) as resp:
        await resp.read()
        return resp.status


async def replay_of(api: Api, event_id: str) -> dict[str, Any] | None:
    listed = await api.ok("GET", "/api/v1/resources?limit=100")
    found = [r for r in listed["items"] if r.get("live_event_id") == event_id]
    return found[0] if found else None


async def test_a_draft_shows_replay_chat_comments_and_media_are_for_its_staff_only(
    live: LiveApp, publishers: list[Publisher]
) -> None:
    village = await live.admin.ok(
        "POST", "/api/v1/orgs", {"name": "安吉县", "parent_id": live.org_id}, expect=201
    )
    other = await live.admin.ok("POST", "/api/v1/orgs", {"name": "江西省"}, expect=201)
    editor = await person(live, "editor", "editor", live.org_id)
    viewer = await person(live, "viewer", "viewer", live.org_id)
    stranger = await person(live, "stranger", "org_admin", other["id"])
    below = await person(live, "below", "editor", village["id"])
    outsiders = {"anonymous": live.api, "viewer": viewer, "stranger": stranger, "below": below}

    event = await live.create_event(published=False, title="彩排")
    event_id = event["id"]
    pub = Publisher(ffmpeg_publish_command(live.rtmp(event["stream_key"]))).start()
    publishers.append(pub)
    event_log = live.data_dir / "objects" / "live" / event_id / "360p" / "event.m3u8"

    async def two_segments() -> bool:
        return event_log.exists() and len(m3u8.loads(event_log.read_text()).segments) >= 2

    await eventually(two_segments, 20)
    # On air, a draft's media and chat are its staff's only.
    live_master = f"/media/live/{event_id}/master.m3u8"
    for who, api in outsiders.items():
        assert await media_status(api, live_master) == 404, who
    played = await editor.ok(
        "POST", "/api/v1/play", {"item_type": "live", "item_id": event_id}, expect=201
    )
    async with editor.session.get(editor.base + played["master_url"]) as resp:
        assert resp.status == 200  # the staff's preview, kept out of shared caches
        assert resp.headers["Cache-Control"] == "private, no-store"
    for who, api in outsiders.items():
        status, body = await api.call(
            "POST", "/api/v1/play", {"item_type": "live", "item_id": event_id}
        )
        assert (status, body["error"]["code"]) == (404, "not_found"), who
    chat_url = live.api.base
    reader = await ChatClient().connect(chat_url)
    staff_chat = await ChatClient().connect(chat_url, {"token": editor.token})
    try:
        unknown = await reader.call("join", {"event_id": "no-such-event"})
        assert await reader.call("join", {"event_id": event_id}) == unknown
        assert (await staff_chat.join(event_id))["ack"]["moderator"] is True
    finally:
        await reader.close()
        await staff_chat.close()

    # Stopped: the replay is a draft, like its event.
    await live.admin.ok("POST", f"/api/v1/live/{event_id}/stop")
    replay = await eventually(lambda: replay_of(live.admin, event_id), 30)
    assert replay["published"] is False
    replay_master = f"/media/live/{event_id}/replay/master.m3u8"
    comments = f"/api/v1/live/{event_id}/comments?from=0&to=60"
    unknown_comments = await live.api.call("GET", "/api/v1/live/no-such-event/comments?to=60")
    for who, api in outsiders.items():
        assert await replay_of(api, event_id) is None, who
        status, body = await api.call("GET", f"/api/v1/resources/{replay['id']}")
        assert (status, body["error"]["code"]) == (404, "resource_not_found"), who
        assert (await api.call("GET", f"/api/v1/live/{event_id}"))[0] == 404, who
        assert await api.call("GET", comments) == unknown_comments, who
        assert await media_status(api, replay_master) == 404, who
    assert (await editor.ok("GET", comments))["comments"] == []
    preview = await editor.ok(
        "POST", "/api/v1/play", {"item_type": "resource", "item_id": replay["id"]}, expect=201
    )
    assert await media_status(editor, preview["master_url"]) == 200
    # The replay follows its event: it cannot be published on its own ...
    status, body = await editor.call("POST", f"/api/v1/resources/{replay['id']}/publish")
    assert (status, body["error"]["code"]) == (409, "replay_follows_event")

    # ... and is published with it: listed to everyone, its media and comments open.
    await editor.ok("PATCH", f"/api/v1/live/{event_id}", {"published": True})
    for who, api in outsiders.items():
        shown = await replay_of(api, event_id)
        assert shown is not None, who
        assert shown["published"] is True, who
        assert await media_status(api, replay_master) == 200, who
        assert (await api.ok("GET", comments))["comments"] == [], who
    watching = await viewer.ok(
        "POST", "/api/v1/play", {"item_type": "resource", "item_id": replay["id"]}, expect=201
    )
    assert await media_status(viewer, watching["master_url"]) == 200
    # Unpublished again: hidden again, and the URLs handed out stop working.
    await editor.ok("PATCH", f"/api/v1/live/{event_id}", {"published": False})
    assert (await editor.ok("GET", f"/api/v1/resources/{replay['id']}"))["published"] is False
    assert await replay_of(live.api, event_id) is None

    async def revoked() -> bool:
        return await media_status(viewer, watching["master_url"]) == 404

    await eventually(revoked, 5)
    assert await media_status(live.api, replay_master) == 404
    assert await media_status(editor, preview["master_url"]) == 200
