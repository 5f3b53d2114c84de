"""tus uploads through the real app: creation, resume after a broken-off body, termination,
who may touch an upload, size cap, and large streamed PATCH bodies."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import aiohttp

from tests.integration.media.conftest import Cast, wait_status
from tests.support.media import TUS, TusClient, metadata, sha256_file


def tus(cast: Cast, who: str) -> TusClient:
    return TusClient(cast.api.session, cast.api.base, cast.tokens[who])


async def test_options_announces_version_extensions_and_max_size(cast: Cast) -> None:
    async with cast.api.session.options(cast.api.base + "/api/v1/uploads") as resp:
        assert resp.status == 204
        assert resp.headers["Tus-Version"] == "1.0.0"
        assert set(resp.headers["Tus-Extension"].split(",")) == {
            "creation",
            "termination",
            "expiration",
        }
        assert int(resp.headers["Tus-Max-Size"]) == 20 * 1024**3


async def test_twelve_mib_in_one_patch_is_streamed_past_the_json_body_cap(
    cast: Cast, tmp_path: Path
) -> None:
    data = os.urandom(12 << 20)
    client = tus(cast, "editor_a")
    url = await client.create(len(data), filename="big.bin")
    assert await client.patch(url, 0, data) == len(data)
    assert await client.offset(url) == len(data)


async def test_protocol_errors_are_clear(cast: Cast) -> None:
    client = tus(cast, "editor_a")
    url = await client.create(10, filename="a.mp4")
    session = cast.api.session
    # Wrong offset: 409 and nothing stored.
    status, body = await cast.editor_a.call(
        "PATCH",
        url.removeprefix(cast.api.base),
        data=b"abc",
        headers={**TUS, "Upload-Offset": "5", "Content-Type": "application/offset+octet-stream"},
    )
    assert status == 409
    assert body["error"]["code"] == "offset_mismatch"
    status, body = await cast.editor_a.call(
        "PATCH",
        url.removeprefix(cast.api.base),
        data=b"abc",
        headers={**TUS, "Upload-Offset": "0", "Content-Type": "application/octet-stream"},
    )
    assert status == 415
    status, body = await cast.editor_a.call(
        "PATCH",
        url.removeprefix(cast.api.base),
        data=b"abc",
        headers={"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
    )
    assert status == 412
    assert await client.offset(url) == 0
    # Too many bytes: what fits is kept, the request is refused.
    status, body = await cast.editor_a.call(
        "PATCH",
        url.removeprefix(cast.api.base),
        data=b"x" * 12,
        headers={**TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
    )
    assert status == 413
    assert body["error"]["code"] == "upload_overflow"
    # Bad creation headers.
    for headers in (
        {},
        {"Upload-Length": "-1"},
        {"Upload-Length": "10", "Upload-Metadata": "filename not-base64!"},
    ):
        async with session.post(
            cast.api.base + "/api/v1/uploads",
            headers={**client.auth, **headers},
        ) as resp:
            assert resp.status == 400, headers
            assert (await resp.json())["error"]["code"] == "bad_tus_header"


async def test_size_cap_refuses_creation_with_413(cast: Cast) -> None:
    async with cast.api.session.post(
        cast.api.base + "/api/v1/uploads",
        headers={**tus(cast, "editor_a").auth, "Upload-Length": str(21 * 1024**3)},
    ) as resp:
        assert resp.status == 413
        assert (await resp.json())["error"]["code"] == "upload_too_large"


async def test_only_the_uploader_and_its_org_admins_touch_an_upload(cast: Cast) -> None:
    url = await tus(cast, "editor_a").create(100, filename="a.mp3")
    for who in ("editor2_a", "editor_b", "city_editor"):
        async with cast.api.session.head(url, headers=tus(cast, who).auth) as resp:
            assert resp.status == 404, who
    assert await tus(cast, "orgadmin_a").offset(url) == 0
    # Viewers may not upload at all.
    async with cast.api.session.post(
        cast.api.base + "/api/v1/uploads",
        headers={**tus(cast, "viewer").auth, "Upload-Length": "10"},
    ) as resp:
        assert resp.status == 403
    async with cast.api.session.post(
        cast.api.base + "/api/v1/uploads", headers={**TUS, "Upload-Length": "10"}
    ) as resp:
        assert resp.status == 401


async def test_termination_removes_the_upload(cast: Cast) -> None:
    client = tus(cast, "editor_a")
    url = await client.create(100, filename="a.mp3")
    await client.patch(url, 0, b"x" * 50)
    async with cast.api.session.delete(url, headers=client.auth) as resp:
        assert resp.status == 204
    async with cast.api.session.head(url, headers=client.auth) as resp:
        assert resp.status == 404


async def _broken_then_resumed(cast: Cast, video: Path) -> str:
    client = tus(cast, "editor_a")
    size = await asyncio.to_thread(os.path.getsize, video)
    url = await client.create(size, filename="演出.mp4", filetype="video/mp4")
    await client.send_half_and_break(url, video, size // 2)
    # The server keeps what arrived before the break.
    offset = 0
    for _ in range(50):
        offset = await client.offset(url)
        if offset:
            break
        await asyncio.sleep(0.1)
    assert 0 < offset <= size // 2
    async with cast.api.session.head(url, headers=client.auth) as resp:
        assert resp.headers["Upload-Length"] == str(size)
        assert "Upload-Expires" in resp.headers
    rest = (await asyncio.to_thread(video.read_bytes))[offset:]
    assert await client.patch(url, offset, rest) == size
    return url.rsplit("/", 1)[1]


async def test_interrupted_upload_resumes_and_becomes_a_ready_resource(
    cast: Cast, small_video: Path
) -> None:
    upload_id = await _broken_then_resumed(cast, small_video)
    created = await cast.editor_a.ok(
        "POST",
        "/api/v1/resources",
        {"upload_id": upload_id, "title": "演出", "category": "展演", "published": True},
        expect=201,
    )
    assert created["status"] in ("uploaded", "processing")
    assert created["category"] == "performance"
    ready = await wait_status(cast.editor_a, created["id"], {"ready", "failed"})
    assert ready["status"] == "ready", ready
    assert ready["original_sha256"] == sha256_file(small_video)
    # The upload is spent.
    status, body = await cast.editor_a.call(
        "POST",
        "/api/v1/resources",
        {"upload_id": upload_id, "title": "again", "category": "film"},
    )
    assert status == 409
    assert body["error"]["code"] == "upload_in_use"


async def test_s3_upload_resumes_and_large_patches_become_parts(
    s3_cast: Cast, small_video: Path
) -> None:
    cast = s3_cast
    upload_id = await _broken_then_resumed(cast, small_video)
    data = os.urandom(12 << 20)
    client = tus(cast, "editor_a")
    url = await client.create(len(data), filename="big.bin")
    # Small and large PATCHes mixed: a tail shorter than a part survives between requests.
    offset = await client.patch(url, 0, data[: 1 << 20])
    offset = await client.patch(url, offset, data[offset : 7 << 20])
    offset = await client.patch(url, offset, data[offset:])
    assert offset == len(data)
    created = await cast.editor_a.ok(
        "POST",
        "/api/v1/resources",
        {"upload_id": upload_id, "title": "S3 演出", "category": "film"},
        expect=201,
    )
    ready = await wait_status(cast.editor_a, created["id"], {"ready", "failed"})
    assert ready["status"] == "ready", ready
    assert ready["original_sha256"] == sha256_file(small_video)


async def test_unfinished_upload_cannot_become_a_resource(cast: Cast) -> None:
    url = await tus(cast, "editor_a").create(100, filename="a.mp3")
    status, body = await cast.editor_a.call(
        "POST",
        "/api/v1/resources",
        {"upload_id": url.rsplit("/", 1)[1], "title": "x", "category": "music"},
    )
    assert status == 409
    assert body["error"]["code"] == "upload_unfinished"


async def test_metadata_names_the_org_for_platform_admins(cast: Cast) -> None:
    client = TusClient(cast.api.session, cast.api.base, str(cast.admin.token))
    async with cast.api.session.post(
        cast.api.base + "/api/v1/uploads", headers={**client.auth, "Upload-Length": "5"}
    ) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"]["code"] == "org_required"
    url = await client.create(5, filename="x.mp3", org_id=cast.org_b)
    assert await client.offset(url) == 0
    _ = aiohttp, metadata
