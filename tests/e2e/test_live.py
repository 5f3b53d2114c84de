"""Live end to end, in both modes, with real publishers (ffmpeg, GStreamer) over RTMP.

One scenario per mode walks the life of a show the way a broadcaster meets it: publish and
play, refused publishers (wrong key, a second publisher, an ended event) with their reasons in
the API while the show goes on, a transcoder killed mid-show, a dropped encoder that comes
back within the grace period, one that does not, and the replay played to its end.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import m3u8
import pytest

from tests.support.api import Api
from tests.support.live import (
    Publisher,
    StoreReader,
    ffmpeg_pids_for,
    ffmpeg_publish_command,
    gstreamer_publish_command,
)
from tests.support.product import ADMIN_PASSWORD, Distributed, Standalone

GRACE_S = 3.0


async def eventually[T](
    check: Callable[[], Awaitable[T | None]], within_s: float, what: str, every: float = 0.2
) -> T:
    deadline = time.monotonic() + within_s
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not within {within_s} s")
        await asyncio.sleep(every)


def ffprobe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    return json.loads(out.stdout)  # type: ignore[no-any-return]


class Show:
    """One event seen through the API and the store."""

    def __init__(self, admin: Api, reader: Api, store: StoreReader, rtmp_port: int) -> None:
        self.admin = admin
        self.reader = reader
        self.store = store
        self.rtmp_port = rtmp_port
        self.event: dict[str, Any] = {}

    def url(self, key: str) -> str:
        return f"rtmp://127.0.0.1:{self.rtmp_port}/live/{key}"

    @property
    def id(self) -> str:
        return str(self.event["id"])

    async def get(self) -> dict[str, Any]:
        return await self.reader.ok("GET", f"/api/v1/live/{self.id}")  # type: ignore[no-any-return]

    async def status_is(self, status: str) -> dict[str, Any] | None:
        event = await self.get()
        return event if event["status"] == status else None

    def variants(self) -> list[str]:
        text = self.store.text(f"live/{self.id}/master.m3u8")
        return [p.uri.split("/")[0] for p in m3u8.loads(text).playlists] if text else []

    def segments(self, rendition: str, playlist: str = "event.m3u8") -> list[m3u8.Segment]:
        text = self.store.text(f"live/{self.id}/{rendition}/{playlist}")
        return list(m3u8.loads(text).segments) if text else []

    def media_s(self, rendition: str) -> float:
        """Seconds of the show recorded so far (segment lengths are a setting)."""
        return sum(s.duration or 0.0 for s in self.segments(rendition))

    async def refusal_codes(self) -> list[str]:
        body = await self.admin.ok("GET", f"/api/v1/live/{self.id}/refusals")
        return [r["code"] for r in body["items"]]


async def refused(command: list[str]) -> Publisher:
    pub = Publisher(command).start()
    code = await asyncio.to_thread(pub.wait, 30)
    assert code != 0, pub.output
    return pub


async def run_show(show: Show, tmp: Path, publishers: list[Publisher]) -> None:
    org = await show.admin.ok("POST", "/api/v1/orgs", {"name": "浙江省文化馆"}, expect=201)
    show.event = await show.admin.ok(
        "POST",
        "/api/v1/live",
        {"org_id": org["id"], "title": "村晚", "published": True, "reconnect_grace_s": GRACE_S},
        expect=201,
    )
    key = show.event["stream_key"]
    assert show.event["obs"] == {"server": show.event["rtmp_url"].rsplit("/", 1)[0], "key": key}

    # ---- publish: every rendition lists a segment within 6 s
    first = Publisher(ffmpeg_publish_command(show.url(key))).start()
    publishers.append(first)
    started = time.monotonic()

    async def all_listed() -> list[str] | None:
        names = show.variants()
        ok = names and all(show.segments(n, "index.m3u8") for n in names)
        return names if ok else None

    names = await eventually(all_listed, 20, "every rendition listing a segment")
    elapsed = time.monotonic() - started
    assert elapsed < 6.0, f"first segments took {elapsed:.1f} s"
    master = m3u8.loads(show.store.text(f"live/{show.id}/master.m3u8"))
    assert names == ["360p", "240p", "audio"]
    for variant in master.playlists:
        info = variant.stream_info
        assert info.bandwidth
        assert info.codecs
        if variant.uri.startswith("audio"):
            continue
        w, h = info.resolution
        local = show.store.download_rendition(
            f"live/{show.id}/{variant.uri.split('/')[0]}", "index.m3u8", tmp / "dl"
        )
        video = next(s for s in ffprobe(local)["streams"] if s["codec_type"] == "video")
        assert (video["width"], video["height"]) == (w, h), variant.uri
    assert (await show.get())["status"] == "live"

    # ---- refused publishers: reasons in the API, the show undisturbed
    before = show.media_s("360p")
    await refused(ffmpeg_publish_command(show.url("x" * 43), seconds=2))
    await refused(ffmpeg_publish_command(show.url(key), seconds=2))
    assert "already_publishing" in await show.refusal_codes()
    unmatched = await show.admin.ok("GET", "/api/v1/live/refusals")
    assert "unknown_stream_key" in [r["code"] for r in unmatched["items"]]
    assert first.alive
    await eventually(
        lambda: asyncio.sleep(0, show.media_s("360p") > before + 3), 10, "segments go on"
    )

    # ---- kill -9 of the stream's ffmpeg: new segments within 10 s, same event
    pids = ffmpeg_pids_for(show.id)
    assert len(pids) == 1, pids
    os.kill(pids[0], signal.SIGKILL)
    killed_at = show.media_s("360p")
    await eventually(
        lambda: asyncio.sleep(0, show.media_s("360p") > killed_at + 3),
        10,
        "segments after the transcoder was killed",
    )
    assert ffmpeg_pids_for(show.id) not in ([], pids)
    assert first.alive
    health = await show.admin.ok("GET", f"/api/v1/live/{show.id}/health")
    assert health["status"] == "live"

    # ---- the encoder drops and comes back within the grace period: one event
    first.kill()
    await eventually(lambda: show.status_is("reconnecting"), 10, "reconnecting")
    again = Publisher(ffmpeg_publish_command(show.url(key))).start()
    publishers.append(again)
    back = await eventually(lambda: show.status_is("live"), 10, "live again")
    assert back["id"] == show.id
    count = show.media_s("360p")
    await eventually(
        lambda: asyncio.sleep(0, show.media_s("360p") > count + 1), 10, "segments after reconnect"
    )
    assert sum(s.discontinuity for s in show.segments("360p")) >= 2  # the kill and the drop

    # ---- dropped past the grace period: ended, ENDLIST, replay
    again.kill()
    ended = await eventually(lambda: show.status_is("ended"), GRACE_S + 15, "ended")
    assert ended["replay"] is None or ended["replay"]["master_key"]
    for name in names:
        assert m3u8.loads(show.store.text(f"live/{show.id}/{name}/index.m3u8")).is_endlist

    async def replay_ready() -> dict[str, Any] | None:
        event = await show.get()
        return event if event["replay"] else None

    event = await eventually(replay_ready, 60, "replay ready")
    replay_master = event["replay"]["master_key"]
    assert event["master_url"] == f"/media/{replay_master}"
    dl = tmp / "replay"
    for variant in m3u8.loads(show.store.text(replay_master)).playlists:
        show.store.download_rendition(
            f"live/{show.id}/replay/{variant.uri.split('/')[0]}", "index.m3u8", dl
        )
    local_master = dl / replay_master
    local_master.write_text(show.store.text(replay_master) or "")
    played = await asyncio.to_thread(
        subprocess.run,
        ["ffmpeg", "-v", "error", "-i", str(local_master), "-map", "0:v:0", "-f", "null", "-"],
        capture_output=True,
        timeout=120,
    )
    assert played.returncode == 0, played.stderr[-2000:]
    duration = float(ffprobe(dl / f"live/{show.id}/replay/360p/index.m3u8")["format"]["duration"])
    assert abs(duration - event["replay"]["duration_s"]) < 2.5
    assert duration > 8

    # ---- the replay is a VOD resource linked to the event, played through the play API
    async def replay_resource() -> dict[str, Any] | None:
        listed = await show.reader.ok("GET", "/api/v1/resources?limit=100")
        found = [r for r in listed["items"] if r.get("live_event_id") == show.id]
        return found[0] if found else None

    resource = await eventually(replay_resource, 30, "replay resource in the catalogue")
    assert resource["status"] == "ready"
    assert resource["kind"] == "video"
    play = await show.reader.ok(
        "POST", "/api/v1/play", {"item_type": "resource", "item_id": resource["id"]}, expect=201
    )
    assert play["master_url"].endswith(replay_master)

    # ---- the ended event refuses publishers, with the reason in the API
    await refused(ffmpeg_publish_command(show.url(key), seconds=2))
    assert "event_ended" in await show.refusal_codes()


@pytest.fixture
def publishers() -> Any:
    started: list[Publisher] = []
    yield started
    for p in started:
        p.kill()


async def test_live_show_standalone(
    standalone: Standalone, http: aiohttp.ClientSession, tmp_path: Path,
    publishers: list[Publisher],
) -> None:  # fmt: skip
    admin = await Api(http, standalone.url).login("admin", ADMIN_PASSWORD)
    store = StoreReader(objects_dir=standalone.workdir / "data" / "objects")
    try:
        await run_show(Show(admin, admin, store, standalone.rtmp_port), tmp_path, publishers)
    except BaseException:
        assert standalone.process is not None
        print(standalone.process.log[-6000:])
        raise


async def test_live_show_distributed(
    distributed: Distributed, http: aiohttp.ClientSession, tmp_path: Path,
    publishers: list[Publisher],
) -> None:  # fmt: skip
    a, b = (Api(http, url) for url in distributed.urls)
    admin = await a.login("admin", ADMIN_PASSWORD)
    env = distributed.env
    s3 = (
        env["CULTURECAST_S3_URL"],
        env["CULTURECAST_S3_ACCESS_KEY"],
        env["CULTURECAST_S3_SECRET_KEY"],
        env["CULTURECAST_S3_BUCKET"],
        env["CULTURECAST_S3_REGION"],
    )
    with StoreReader(s3=s3) as store:
        # Created through one api process, read through the other: nothing is process-local.
        await run_show(
            Show(admin, b.as_user(admin.token), store, distributed.rtmp_port), tmp_path, publishers
        )


async def test_garbage_rtmp_streams_do_not_disturb_a_good_one(
    standalone: Standalone, http: aiohttp.ClientSession, publishers: list[Publisher]
) -> None:
    admin = await Api(http, standalone.url).login("admin", ADMIN_PASSWORD)
    store = StoreReader(objects_dir=standalone.workdir / "data" / "objects")
    show = Show(admin, admin, store, standalone.rtmp_port)
    org = await admin.ok("POST", "/api/v1/orgs", {"name": "四川省"}, expect=201)
    show.event = await admin.ok(
        "POST", "/api/v1/live", {"org_id": org["id"], "title": "川剧", "published": True},
        expect=201,
    )  # fmt: skip
    good = Publisher(ffmpeg_publish_command(show.url(show.event["stream_key"]))).start()
    publishers.append(good)
    await eventually(lambda: asyncio.sleep(0, bool(show.segments("360p"))), 20, "first segment")
    rng = random.Random(2026)
    handshake = b"\x03" + bytes(1536) + bytes(1536)

    def garbage(i: int) -> bytes:
        kind = i % 4
        if kind == 0:
            return rng.randbytes(rng.randrange(1, 5000))  # random bytes
        if kind == 1:
            return handshake[: rng.randrange(1, len(handshake))]  # truncated handshake
        if kind == 2:  # a handshake, then chunk garbage
            return handshake + rng.randbytes(rng.randrange(1, 3000))
        return b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"  # not RTMP at all

    def send(i: int) -> None:
        with socket.create_connection(("127.0.0.1", standalone.rtmp_port), timeout=5) as s:
            s.sendall(garbage(i))
            s.shutdown(socket.SHUT_WR)
            s.settimeout(2)
            try:
                while s.recv(65536):
                    pass
            except (TimeoutError, ConnectionResetError):
                pass

    before = len(show.segments("360p"))
    for start in range(0, 200, 20):
        await asyncio.gather(*(asyncio.to_thread(send, i) for i in range(start, start + 20)))
    assert good.alive
    await eventually(
        lambda: asyncio.sleep(0, len(show.segments("360p")) > before + 1), 10, "segments go on"
    )
    assert (await show.get())["status"] == "live"
    assert standalone.process is not None
    log = standalone.process.log
    assert "handshake_failed" in log  # each broken connection closed with a logged reason
    assert "Traceback" not in log


@pytest.mark.skipif(shutil.which("gst-launch-1.0") is None, reason="GStreamer is not installed")
@pytest.mark.parametrize("sink", ["rtmp2sink", "rtmpsink"])
async def test_gstreamer_publishers(
    standalone: Standalone, http: aiohttp.ClientSession, publishers: list[Publisher], sink: str
) -> None:
    admin = await Api(http, standalone.url).login("admin", ADMIN_PASSWORD)
    store = StoreReader(objects_dir=standalone.workdir / "data" / "objects")
    show = Show(admin, admin, store, standalone.rtmp_port)
    org = await admin.ok("POST", "/api/v1/orgs", {"name": "江苏省"}, expect=201)
    show.event = await admin.ok(
        "POST", "/api/v1/live", {"org_id": org["id"], "title": "昆曲", "published": True},
        expect=201,
    )  # fmt: skip
    pub = Publisher(gstreamer_publish_command(show.url(show.event["stream_key"]), sink=sink))
    publishers.append(pub.start())

    async def all_listed() -> list[str] | None:
        names = show.variants()
        return names if names and all(show.segments(n, "index.m3u8") for n in names) else None

    try:
        names = await eventually(all_listed, 20, f"segments from {sink}")
    except AssertionError:
        assert standalone.process is not None
        print(pub.output, standalone.process.log[-4000:])
        raise
    assert "audio" in names
    assert (await show.get())["status"] == "live"
