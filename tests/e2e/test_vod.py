"""VOD end to end, in both modes, as an organization's editor and its viewers meet it: a 30 s
720p video and a 10 min MP3 go through a tus upload that breaks off and resumes (checksum
identical), processing (progress visible) and playback; hostile files are refused with a
reason and nothing reaches the public catalogue; in distributed mode a worker killed mid-job
is replaced and the job completes once."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.e2e.conftest import running_distributed
from tests.support.api import Api
from tests.support.engines import S3Endpoint
from tests.support.media import (
    TusClient,
    ffprobe,
    make_huge_claim,
    make_mp3,
    make_video,
    sha256_file,
)
from tests.support.product import ADMIN_PASSWORD, Distributed, Process, Standalone

PASSWORD = "vod-editor-pass"


@pytest.fixture(scope="session")
def vod_media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    cache = tmp_path_factory.mktemp("vod-media")
    return {
        # 720p at a low frame rate keeps the CPU cost small; H.264 High at 1.5 Mbit/s lets
        # the top rung pass through unchanged, as a well-made upload does.
        "video": make_video(cache / "show720.mp4", 30, size="1280x720", fps=10, kbps=1500),
        "mp3": make_mp3(cache / "storytelling10min.mp3", 600, kbps=64),
        "short_mp3": make_mp3(cache / "episode1.mp3", 6, kbps=64),
        "huge": make_huge_claim(cache / "huge.avi"),
    }


@pytest.fixture
def distributed_fast_redelivery(
    tmp_path: Path, redis_url: str, mongo_url: str, s3_endpoint: S3Endpoint
) -> Iterator[Distributed]:
    """The distributed product with a short Celery visibility timeout, so a job whose worker
    was killed is redelivered within seconds rather than hours."""
    env = {"CULTURECAST_JOB_VISIBILITY_TIMEOUT": "6"}
    with running_distributed(tmp_path, redis_url, mongo_url, s3_endpoint, env) as product:
        yield product


async def editor_for(api: Api) -> tuple[Api, str, str]:
    admin = await api.login("admin", ADMIN_PASSWORD)
    org = (await admin.ok("POST", "/api/v1/orgs", {"name": "某县文化馆"}, expect=201))["id"]
    await admin.ok(
        "POST",
        "/api/v1/users",
        {"username": "editor", "password": PASSWORD, "role": "editor", "org_id": org},
        expect=201,
    )
    editor = await api.login("editor", PASSWORD)
    return editor, str(editor.token), str(admin.token)


async def interrupted_upload(first: TusClient, second: TusClient, path: Path) -> str:
    """Send half, hang up; ask the offset (possibly on another api process); resume."""
    size = await asyncio.to_thread(os.path.getsize, path)
    url = await first.create(size, filename=path.name, filetype="video/mp4")
    await first.send_half_and_break(url, path, size // 2)
    url2 = second.base + url.removeprefix(first.base)
    offset = 0
    for _ in range(50):
        offset = await second.offset(url2)
        if offset:
            break
        await asyncio.sleep(0.1)
    assert 0 < offset <= size // 2
    rest = (await asyncio.to_thread(path.read_bytes))[offset:]
    assert await second.patch(url2, offset, rest) == size
    return url.rsplit("/", 1)[1]


async def wait_ready(
    api: Api, rid: str, within: float = 240, progress: list[float] | None = None
) -> dict[str, Any]:
    deadline = time.monotonic() + within
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = await api.ok("GET", f"/api/v1/resources/{rid}")
        if body["status"] == "processing" and progress is not None:
            progress.append(body["progress"])
        if body["status"] in ("ready", "failed"):
            return body
        await asyncio.sleep(0.2)
    raise AssertionError(f"not done in {within}s: {body}")


async def check_renditions(base: str, resource: dict[str, Any]) -> None:
    videos = [r for r in resource["renditions"] if r["kind"] == "video"]
    for rendition in videos:
        url = f"{base}/media/vod/{resource['id']}/{rendition['name']}/index.m3u8"
        info = await asyncio.to_thread(ffprobe, url)
        stream = next(s for s in info["streams"] if s["codec_type"] == "video")
        assert (stream["width"], stream["height"]) == (rendition["width"], rendition["height"])
        assert abs(float(info["format"]["duration"]) - 30) < 1.5


async def hostile_inputs(api: Api, tus: TusClient, tmp: Path, huge: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    port = listener.getsockname()[1]
    files = {
        "notes.mp4": b"just text, renamed\n" * 50,
        "empty.mp4": b"",
        "evil.m3u8": (
            "#EXTM3U\n#EXT-X-TARGETDURATION:10\n"
            f"#EXTINF:10,\nhttp://127.0.0.1:{port}/seg.ts\n"
            "#EXTINF:10,\n/etc/passwd\n#EXT-X-ENDLIST\n"
        ).encode(),
    }
    paths = []
    for name, data in files.items():
        path = tmp / name
        await asyncio.to_thread(path.write_bytes, data)
        paths.append(path)
    paths.append(huge)
    rids = []
    for path in paths:
        upload_id = await tus.upload(path)
        created = await api.ok(
            "POST",
            "/api/v1/resources",
            {"upload_id": upload_id, "title": path.name, "category": "film", "published": True},
            expect=201,
        )
        rids.append(created["id"])
    codes = []
    for rid in rids:
        done = await wait_ready(api, rid, within=60)
        assert done["status"] == "failed", done
        assert done["failure"]["message"]
        codes.append(done["failure"]["code"])
    assert codes[0] == "not_media"
    assert codes[1] == "empty"
    assert codes[2] in ("unsafe_format", "not_media")
    assert codes[3] == "resolution_too_large"
    try:
        conn, _ = listener.accept()
    except BlockingIOError:
        conn = None
    listener.close()
    assert conn is None, "a URL named inside an upload was fetched"
    public = await api.as_user(None).ok("GET", "/api/v1/resources?limit=100")
    assert not {r["id"] for r in public["items"]} & set(rids)


async def scenario(
    urls: list[str], media: dict[str, Path], tmp: Path, product: Distributed | None = None
) -> str:
    """Run the whole story; returns the long MP3's resource id."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
        first_api = Api(http, urls[0])
        editor, token, admin_token = await editor_for(first_api)
        tus_a = TusClient(http, urls[0], token)
        tus_b = TusClient(http, urls[-1], token)
        editor_b = editor.as_user(token)
        editor_b.base = urls[-1]

        # Video: interrupted upload, resumed (on the other api process when there are two).
        upload_id = await interrupted_upload(tus_a, tus_b, media["video"])
        video = await editor.ok(
            "POST",
            "/api/v1/resources",
            {"upload_id": upload_id, "title": "县级展演", "category": "展演", "published": True},
            expect=201,
        )
        # Audio: a series of two episodes, the long one second.
        series = await editor.ok(
            "POST",
            "/api/v1/series",
            {"title": "三国演义", "category": "评书", "published": True},
            expect=201,
        )
        rids: dict[str, str] = {}
        for key, episode in (("short_mp3", 1), ("mp3", 2)):
            up = await tus_a.upload(media[key])
            created = await editor_b.ok(
                "POST",
                "/api/v1/resources",
                {
                    "upload_id": up,
                    "title": f"第{episode}回",
                    "category": "评书",
                    "series_id": series["id"],
                    "episode": episode,
                    "published": True,
                },
                expect=201,
            )
            rids[key] = created["id"]

        progress: list[float] = []
        if product is not None:
            # Kill the worker while it transcodes the long MP3, start another: the job is
            # delivered again and completes once.
            await kill_worker_mid_job(editor, product, rids["mp3"], progress)

        ready_video = await wait_ready(editor, video["id"])
        assert ready_video["status"] == "ready", ready_video
        assert ready_video["original_sha256"] == sha256_file(media["video"])
        await check_renditions(urls[-1], ready_video)
        names = {r["name"]: r for r in ready_video["renditions"]}
        assert names["720p"]["width"] == 1280

        long_audio = await wait_ready(editor, rids["mp3"], progress=progress)
        assert long_audio["status"] == "ready", long_audio
        assert any(0 < p < 100 for p in progress), progress
        assert long_audio["original_sha256"] == sha256_file(media["mp3"])
        info = await asyncio.to_thread(
            ffprobe, f"{urls[0]}/media/vod/{rids['mp3']}/audio/index.m3u8"
        )
        assert [s["codec_name"] for s in info["streams"]] == ["aac"]
        assert abs(float(info["format"]["duration"]) - 600) < 2
        await wait_ready(editor, rids["short_mp3"])

        got = await Api(http, urls[-1]).ok("GET", f"/api/v1/series/{series['id']}")
        assert [e["id"] for e in got["episodes"]] == [rids["short_mp3"], rids["mp3"]]
        assert got["episodes"][0]["next_episode_id"] == rids["mp3"]

        if product is not None:
            admin = first_api.as_user(admin_token)
            job = await admin.ok("GET", f"/api/v1/jobs/media.process:{rids['mp3']}")
            assert job["status"] == "succeeded"
            assert job["attempts"] == 2, job

        await hostile_inputs(editor, tus_a, tmp, media["huge"])
        return rids["mp3"]


async def kill_worker_mid_job(
    editor: Api, product: Distributed, rid: str, progress: list[float]
) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        body = await editor.ok("GET", f"/api/v1/resources/{rid}")
        if body["status"] == "processing" and body["progress"] > 0:
            progress.append(body["progress"])
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the long MP3 never started processing")
    assert product.worker is not None
    assert product.worker.popen is not None
    os.kill(product.worker.popen.pid, signal.SIGKILL)
    await asyncio.to_thread(product.worker.popen.wait)
    product.worker = Process(
        "worker2", ["worker"], product.env, product.workdir / "worker2.log"
    ).start()


async def test_vod_standalone(
    standalone: Standalone, vod_media: dict[str, Path], tmp_path: Path
) -> None:
    await scenario([standalone.url], vod_media, tmp_path)


async def test_vod_distributed_with_a_worker_killed_mid_job(
    distributed_fast_redelivery: Distributed, vod_media: dict[str, Path], tmp_path: Path
) -> None:
    product = distributed_fast_redelivery
    rid = await scenario(product.urls, vod_media, tmp_path, product)
    assert product.worker is not None
    # The replacement worker ran the redelivered job to success, once; the killed one never
    # finished it.
    done = f"job media.process:{rid} (media.process) succeeded"
    assert product.worker.log.count(done) == 1
    killed = (product.workdir / "worker.log").read_text(errors="replace")
    assert done not in killed
