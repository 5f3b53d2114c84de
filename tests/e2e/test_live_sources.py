"""Pull and playout sources end to end (issue 12).

A pull: ffmpeg publishes a test stream into nginx-rtmp, an event of a standalone CultureCast
(with ``CULTURECAST_PULL_ALLOW=127.0.0.1/32``) pulls it from there, goes live with the
ladder, and when the source goes away ends after its grace period into a replay. Without
the allow setting a pull from 127.0.0.1 is refused at create with its reason, and a listener
the test opens on that address sees no connection. A playout airs two short ready resources
back to back and ends after the second.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.e2e.test_live import Show, eventually
from tests.e2e.test_vod import wait_ready
from tests.support.api import Api
from tests.support.chat import ChatClient
from tests.support.live import Publisher, StoreReader, ffmpeg_publish_command
from tests.support.media import TusClient, make_video
from tests.support.nginx_rtmp import RTMP_MODULE, NginxRtmp
from tests.support.product import ADMIN_PASSWORD, Standalone

GRACE_S = 3.0


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[NginxRtmp]:
    server = NginxRtmp(tmp_path / "nginx").start()
    yield server
    server.kill()


@pytest.fixture
def allowing(tmp_path: Path) -> Iterator[Standalone]:
    """A CultureCast allowed to pull from this machine's loopback."""
    (tmp_path / "allowing").mkdir()
    product = Standalone(
        tmp_path / "allowing", env={"CULTURECAST_PULL_ALLOW": "127.0.0.1/32"}
    ).start()
    try:
        yield product
    finally:
        if product.process and product.process.popen and product.process.popen.poll() is None:
            product.stop()


def _log(product: Standalone) -> str:
    return product.process.log[-6000:] if product.process is not None else ""


async def pull_show(
    http: aiohttp.ClientSession, server: Standalone, url: str
) -> tuple[Show, StoreReader]:
    """A published event of a new organization pulling ``url``, and the server's store."""
    admin = await Api(http, server.url).login("admin", ADMIN_PASSWORD)
    store = StoreReader(objects_dir=server.workdir / "data" / "objects")
    show = Show(admin, admin, store, server.rtmp_port)
    org = await admin.ok("POST", "/api/v1/orgs", {"name": "浙江省文化馆"}, expect=201)
    body = {
        "org_id": org["id"],
        "title": "共享直播",
        "published": True,
        "reconnect_grace_s": GRACE_S,
        "source": {"type": "pull", "url": url},
    }
    show.event = await admin.ok("POST", "/api/v1/live", body, expect=201)
    return show, store


async def ladder_of(show: Show, what: str) -> list[str]:
    """The renditions of the show once every one of them lists segments."""

    async def all_listed() -> list[str] | None:
        names = show.variants()
        ok = names and all(show.segments(n, "index.m3u8") for n in names)
        return names if ok else None

    names: list[str] = await eventually(all_listed, 120, what)
    return names


async def replay_master(show: Show, what: str) -> str:
    """The master playlist key of the show's replay, once it has one."""

    async def replay_ready() -> dict[str, Any] | None:
        event = await show.get()
        return event if event["replay"] else None

    event = await eventually(replay_ready, 120, what)
    return str(event["replay"]["master_key"])


@pytest.mark.skipif(not RTMP_MODULE.exists(), reason="nginx with libnginx-mod-rtmp")
async def test_an_event_pulls_from_nginx_rtmp_goes_live_and_ends_into_a_replay(
    allowing: Standalone, nginx: NginxRtmp, http: aiohttp.ClientSession
) -> None:
    publisher = Publisher(
        ffmpeg_publish_command(f"rtmp://127.0.0.1:{nginx.port}/live/county")
    ).start()
    try:
        url = f"rtmp://127.0.0.1:{nginx.port}/live/county"
        show, store = await pull_show(http, allowing, url)
        assert show.event["source"] == {"type": "pull", "url": url}
        public = await Api(http, allowing.url).ok("GET", f"/api/v1/live/{show.id}")
        assert "source" not in public  # the pull URL is for staff only

        assert await ladder_of(show, "the pulled show's ladder") == ["360p", "240p", "audio"]
        assert (await show.get())["status"] == "live"

        # The source goes away: the pull retries within the grace, then the event ends.
        publisher.stop()
        ended = await eventually(lambda: show.status_is("ended"), 90, "the event ended")
        assert ended["ended_at"]

        assert store.text(await replay_master(show, "the replay"))
    except BaseException:
        print(_log(allowing))
        raise
    finally:
        publisher.kill()


async def test_a_pull_from_loopback_is_refused_without_the_allow_setting(
    standalone: Standalone, http: aiohttp.ClientSession
) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    port = listener.getsockname()[1]
    try:
        admin = await Api(http, standalone.url).login("admin", ADMIN_PASSWORD)
        org = await admin.ok("POST", "/api/v1/orgs", {"name": "安吉县文化馆"}, expect=201)
        cases = {
            f"rtmp://127.0.0.1:{port}/live/x": "pull_address_refused",
            f"rtmp://2130706433:{port}/live/x": "pull_address_refused",
            "http://169.254.169.254/latest/meta-data.m3u8": "pull_address_refused",
            "file:///etc/passwd": "unsupported_pull_scheme",
            "concat:/etc/passwd|/etc/hosts": "unsupported_pull_scheme",
        }
        for url, code in cases.items():
            body = {"org_id": org["id"], "title": "拉流", "source": {"type": "pull", "url": url}}
            status, answer = await admin.call("POST", "/api/v1/live", body)
            refusal = answer["error"]
            assert (status, refusal["code"]) == (400, code), (url, refusal)
            if code == "pull_address_refused":
                assert "CULTURECAST_PULL_ALLOW" in refusal["message"]
        listed = await admin.ok("GET", "/api/v1/live")
        assert listed["items"] == []  # nothing was created that a source runner could start
        # The ingest looks for due sources every second; give it a few rounds.
        await asyncio.sleep(3)
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()


async def watched_live_with_chat_open(
    standalone: Standalone, http: aiohttp.ClientSession, show: Show, comment: str
) -> None:
    """A viewer of the playout is counted as live, and its chat takes a comment."""
    viewer = Api(http, standalone.url)
    play = await viewer.ok(
        "POST", "/api/v1/play", {"item_type": "live", "item_id": show.id}, expect=201
    )
    assert play["is_live"] is True
    beat = {"session_id": play["session_id"], "state": "playing", "seq": 1}
    status, answer = await viewer.call("POST", "/api/v1/views/heartbeat", beat)
    assert status == 204, answer

    async def counted() -> dict[str, Any] | None:
        body: dict[str, Any] = await show.admin.ok("GET", f"/api/v1/stats/live/{show.id}")
        return body if body["current_viewers"] >= 1 else None

    await eventually(counted, 30, "the viewer counted")
    chat = await ChatClient().connect(standalone.url, {"guest": "展播观众"})
    try:
        await chat.join(show.id)
        sent = await chat.send(comment)
        assert sent["ok"], sent
    finally:
        await chat.close()


async def test_a_playout_airs_two_resources_back_to_back_and_ends(
    standalone: Standalone, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    admin = await Api(http, standalone.url).login("admin", ADMIN_PASSWORD)
    store = StoreReader(objects_dir=standalone.workdir / "data" / "objects")
    org = await admin.ok("POST", "/api/v1/orgs", {"name": "德清县文化馆"}, expect=201)
    tus = TusClient(http, standalone.url, str(admin.token))
    ids = []
    for n in (1, 2):
        video = await asyncio.to_thread(make_video, tmp_path / f"item{n}.mp4", 6)
        upload_id = await tus.upload(video, org_id=org["id"])
        body = {"upload_id": upload_id, "title": f"展播{n}", "category": "film", "published": True}
        created = await admin.ok("POST", "/api/v1/resources", body, expect=201)
        ids.append(created["id"])
    for rid in ids:
        assert (await wait_ready(admin, rid))["status"] == "ready"
    try:
        show = Show(admin, admin, store, standalone.rtmp_port)
        # Aired at a scheduled time: not before it, and at it without anyone starting it.
        scheduled_at = time.time() + 8
        show.event = await admin.ok(
            "POST",
            "/api/v1/live",
            {
                "org_id": org["id"],
                "title": "周末展播",
                "published": True,
                "scheduled_at": scheduled_at,
                "reconnect_grace_s": 30,
                "source": {"type": "playout", "items": ids},
            },
            expect=201,
        )
        await asyncio.sleep(4)
        assert (await show.get())["status"] != "live"
        await eventually(lambda: show.status_is("live"), 90, "the playout on air")
        assert time.time() >= scheduled_at
        started = time.monotonic()
        on_air: list[str] = []  # the items in the order they aired

        async def finished() -> dict[str, Any] | None:
            event = await show.get()
            item = (event.get("source_status") or {}).get("item") or {}
            if item.get("resource_id") and item["resource_id"] not in on_air[-1:]:
                on_air.append(item["resource_id"])
            return event if event["status"] == "ended" else None

        until_ended = asyncio.create_task(eventually(finished, 120, "the playout ended"))
        try:
            await watched_live_with_chat_open(standalone, http, show, "展播真精彩")
        except BaseException:
            until_ended.cancel()
            raise
        ended = await until_ended
        aired = time.monotonic() - started
        # Two items of 6 s each, in real time, one after the other, then the end (not the
        # 30 s grace).
        assert on_air == ids, on_air
        assert 10 < aired < 30 + 12, aired
        assert ended["stop_reason"] == "stopped"
        assert show.media_s("audio") > 10
    except BaseException:
        print(_log(standalone))
        raise


async def test_a_looping_channel_stays_live_across_items_and_skips_a_deleted_one(
    standalone: Standalone, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    admin = await Api(http, standalone.url).login("admin", ADMIN_PASSWORD)
    store = StoreReader(objects_dir=standalone.workdir / "data" / "objects")
    org = await admin.ok("POST", "/api/v1/orgs", {"name": "桐乡市文化馆"}, expect=201)
    tus = TusClient(http, standalone.url, str(admin.token))
    ids = []
    for n in (1, 2, 3):
        video = await asyncio.to_thread(make_video, tmp_path / f"loop{n}.mp4", 3)
        upload_id = await tus.upload(video, org_id=org["id"])
        body = {"upload_id": upload_id, "title": f"轮播{n}", "category": "film", "published": True}
        created = await admin.ok("POST", "/api/v1/resources", body, expect=201)
        ids.append(created["id"])
    for rid in ids:
        assert (await wait_ready(admin, rid))["status"] == "ready"
    deleted = ids[1]
    await admin.ok("DELETE", f"/api/v1/resources/{deleted}", expect=204)
    try:
        show = Show(admin, admin, store, standalone.rtmp_port)
        show.event = await admin.ok(
            "POST",
            "/api/v1/live",
            {
                "org_id": org["id"],
                "title": "24小时轮播",
                "published": True,
                "source": {"type": "playout", "items": ids, "loop": True},
            },
            expect=201,
        )
        await eventually(lambda: show.status_is("live"), 90, "the channel on air")
        seen: list[str] = []

        async def wrapped() -> dict[str, Any] | None:
            event = await show.get()
            seen.append(event["status"])
            item = (event.get("source_status") or {}).get("item") or {}
            return event if item.get("round", 0) >= 1 else None

        event = await eventually(wrapped, 120, "the list wrapped around")
        # Live all along: no reconnecting between items, nor after the list wrapped.
        assert set(seen) == {"live"}, seen
        await asyncio.sleep(1)
        assert (await show.get())["status"] == "live"
        skipped = event["source_status"]["skipped"]
        assert skipped, event["source_status"]
        assert {s["resource_id"] for s in skipped} == {deleted}
        assert skipped[0]["code"] == "playout_item_missing"
        assert deleted in skipped[0]["message"]
        assert "已删除" in skipped[0]["zh"]
        assert "deleted" in skipped[0]["en"]

        await watched_live_with_chat_open(standalone, http, show, "轮播真好看")

        ended = await admin.ok("POST", f"/api/v1/live/{show.id}/stop")
        assert ended["status"] == "ended"
    except BaseException:
        print(_log(standalone))
        raise


@pytest.fixture
def county(tmp_path: Path) -> Iterator[Standalone]:
    """A second CultureCast whose show the first one relays."""
    (tmp_path / "county").mkdir()
    product = Standalone(tmp_path / "county").start()
    try:
        yield product
    finally:
        if product.process and product.process.popen and product.process.popen.poll() is None:
            product.stop()


async def test_an_event_relays_another_culturecasts_hls_with_a_play_token(
    allowing: Standalone, county: Standalone, http: aiohttp.ClientSession
) -> None:
    publisher: Publisher | None = None
    try:
        # The county's show: a draft, so its HLS is served only through a staff play token.
        c_admin = await Api(http, county.url).login("admin", ADMIN_PASSWORD)
        c_org = await c_admin.ok("POST", "/api/v1/orgs", {"name": "安吉县文化馆"}, expect=201)
        body = {"org_id": c_org["id"], "title": "村晚", "published": False}
        c_event = await c_admin.ok("POST", "/api/v1/live", body, expect=201)
        url = f"rtmp://127.0.0.1:{county.rtmp_port}/live/{c_event['stream_key']}"
        publisher = Publisher(ffmpeg_publish_command(url)).start()
        c_store = StoreReader(objects_dir=county.workdir / "data" / "objects")
        c_show = Show(c_admin, c_admin, c_store, county.rtmp_port)
        c_show.event = c_event
        await eventually(lambda: c_show.status_is("live"), 90, "the county's show on air")
        play = await c_admin.ok(
            "POST", "/api/v1/play", {"item_type": "live", "item_id": c_event["id"]}, expect=201
        )
        shared = county.url.rstrip("/") + play["master_url"]
        assert "/media/t/" in shared
        plain = f"{county.url.rstrip('/')}/media/live/{c_event['id']}/master.m3u8"
        async with http.get(plain) as anonymous:
            assert anonymous.status == 404  # without the token the draft is not served

        # The province relays it by that URL.
        show, store = await pull_show(http, allowing, shared)

        assert await ladder_of(show, "the relayed show's ladder") == ["360p", "240p", "audio"]
        assert (await show.get())["status"] == "live"

        # The county's show ends: the relay ends after its grace, into a replay.
        publisher.stop()
        await c_admin.ok("POST", f"/api/v1/live/{c_event['id']}/stop")
        await eventually(lambda: show.status_is("ended"), 120, "the relay ended")

        assert store.text(await replay_master(show, "the relay's replay"))
    except BaseException:
        print(_log(allowing))
        raise
    finally:
        if publisher is not None:
            publisher.kill()
