"""The media.process job on real ffmpeg: renditions at their declared sizes, AAC audio, and
hostile uploads refused with a reason, without any outbound connection and without anything
reaching the public catalogue."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp

from tests.integration.media.conftest import Cast, upload_resource, wait_status
from tests.support.media import ffprobe, make_huge_claim


async def fetch(cast: Cast, path: str) -> tuple[int, bytes, dict[str, str]]:
    async with cast.api.session.get(cast.api.base + path) as resp:
        return resp.status, await resp.read(), dict(resp.headers)


async def test_video_becomes_a_ladder_that_decodes_at_its_declared_sizes(
    cast: Cast, small_video: Path
) -> None:
    rid = await upload_resource(cast, small_video, published=True)
    ready = await wait_status(cast.editor_a, rid, {"ready", "failed"})
    assert ready["status"] == "ready", ready
    assert ready["kind"] == "video"
    assert ready["duration_s"] is not None
    assert abs(ready["duration_s"] - 4) < 0.5
    status, master, headers = await fetch(cast, ready["master_url"])
    assert status == 200
    assert headers["Content-Type"].startswith("application/vnd.apple.mpegurl")
    assert "max-age=3600" in headers["Cache-Control"]
    text = master.decode()
    assert "#EXT-X-STREAM-INF" in text
    videos = [r for r in ready["renditions"] if r["kind"] == "video"]
    assert videos
    for rendition in videos:
        url = f"{cast.api.base}/media/vod/{rid}/{rendition['name']}/index.m3u8"
        info = await asyncio.to_thread(ffprobe, url)
        stream = next(s for s in info["streams"] if s["codec_type"] == "video")
        assert (stream["width"], stream["height"]) == (rendition["width"], rendition["height"])
        assert f"RESOLUTION={rendition['width']}x{rendition['height']}" in text
    status, poster, headers = await fetch(cast, ready["poster_url"])
    assert status == 200
    assert poster[:2] == b"\xff\xd8"
    assert headers["Content-Type"] == "image/jpeg"
    # The public sees it (published and ready).
    listed = await cast.anonymous.ok("GET", "/api/v1/resources")
    assert [r["id"] for r in listed["items"]] == [rid]


async def test_mp3_becomes_aac_hls(cast: Cast, small_mp3: Path) -> None:
    # Published, so that its media is public (a draft's media is for its staff only).
    rid = await upload_resource(cast, small_mp3, category="评书", kind="audio", published=True)
    ready = await wait_status(cast.editor_a, rid, {"ready", "failed"})
    assert ready["status"] == "ready", ready
    assert [r["kind"] for r in ready["renditions"]] == ["audio"]
    info = await asyncio.to_thread(ffprobe, f"{cast.api.base}/media/vod/{rid}/audio/index.m3u8")
    assert [s["codec_name"] for s in info["streams"]] == ["aac"]
    assert abs(float(info["format"]["duration"]) - 8) < 1


async def test_hostile_uploads_are_refused_with_reasons(cast: Cast, tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    port = listener.getsockname()[1]
    text = tmp_path / "notes.mp4"
    text.write_text("这不是视频 / this is not a video\n" * 20)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    playlist = tmp_path / "evil.m3u8"
    playlist.write_text(
        "#EXTM3U\n#EXT-X-TARGETDURATION:10\n"
        f"#EXTINF:10,\nhttp://127.0.0.1:{port}/seg.ts\n"
        "#EXTINF:10,\nfile:///etc/passwd\n#EXTINF:10,\n/etc/passwd\n#EXT-X-ENDLIST\n"
    )
    concat = tmp_path / "evil.txt"
    concat.write_text(
        f"ffconcat version 1.0\nfile 'http://127.0.0.1:{port}/a.mp4'\nfile '/etc/passwd'\n"
    )
    huge = make_huge_claim(tmp_path / "huge.avi")
    expected = {
        text: {"not_media"},
        empty: {"empty"},
        playlist: {"unsafe_format", "not_media"},
        concat: {"unsafe_format", "not_media"},
        huge: {"resolution_too_large"},
    }
    ids = {path: await upload_resource(cast, path, published=True) for path in expected}
    for path, rid in ids.items():
        done = await wait_status(cast.editor_a, rid, {"ready", "failed"})
        assert done["status"] == "failed", (path.name, done)
        assert done["failure"]["code"] in expected[path], (path.name, done["failure"])
        assert done["failure"]["message"]
        assert done["failure"]["message_zh"]
        assert done["master_url"] is None
        status, _, _ = await fetch(cast, f"/media/vod/{rid}/master.m3u8")
        assert status == 404
    # No connection ever reached the listener.
    try:
        conn, _ = listener.accept()
    except BlockingIOError:
        conn = None
    listener.close()
    assert conn is None, "ffmpeg/ffprobe connected to a URL named in an upload"
    # Nothing of it is public, though every one was marked published.
    listed = await cast.anonymous.ok("GET", "/api/v1/resources")
    assert listed["total"] == 0
    for rid in ids.values():
        status, _ = await cast.anonymous.call("GET", f"/api/v1/resources/{rid}")
        assert status == 404


async def test_failed_resource_can_be_retried(cast: Cast, tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_text("nope")
    rid = await upload_resource(cast, bad)
    done = await wait_status(cast.editor_a, rid, {"failed", "ready"})
    assert done["status"] == "failed"
    retried = await cast.editor_a.ok("POST", f"/api/v1/resources/{rid}/retry", expect=202)
    assert retried["status"] in ("uploaded", "processing", "failed")
    again = await wait_status(cast.editor_a, rid, {"failed", "ready"})
    assert again["status"] == "failed"
    assert again["failure"]["code"] == "not_media"
    status, _ = await cast.editor_b.call("POST", f"/api/v1/resources/{rid}/retry")
    assert status == 404
    _ = aiohttp


async def test_a_failed_resource_cannot_be_published(cast: Cast, tmp_path: Path) -> None:
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    rid = await upload_resource(cast, bad)
    assert (await wait_status(cast.editor_a, rid, {"failed", "ready"}))["status"] == "failed"
    for method, path, body in (
        ("POST", f"/api/v1/resources/{rid}/publish", None),
        ("PATCH", f"/api/v1/resources/{rid}", {"published": True}),
    ):
        status, got = await cast.editor_a.call(method, path + "?lang=en", body)
        assert (status, got["error"]["code"]) == (409, "resource_failed"), got
        assert got["error"]["message"] == (
            "A resource whose processing failed cannot be published; "
            "retry its processing or upload it again."
        )
    status, got = await cast.editor_a.call("POST", f"/api/v1/resources/{rid}/publish?lang=zh-CN")
    assert got["error"]["message"] == "处理失败的资源不能发布，请重新处理或重新上传。"
    assert (await cast.editor_a.ok("GET", f"/api/v1/resources/{rid}"))["published"] is False
    # Its other fields still change, and unpublishing stays allowed.
    changed = await cast.editor_a.ok("PATCH", f"/api/v1/resources/{rid}", {"tags": ["越剧"]})
    assert changed["tags"] == ["越剧"]
    await cast.editor_a.ok("POST", f"/api/v1/resources/{rid}/unpublish")
