"""Covers (issue 14) over HTTP: staff upload a picture for a resource, a series and a live
event; viewers get it at a URL that changes with the picture; a draft's cover is served only
to its staff through a signed URL; every refusal says why."""

from __future__ import annotations

import asyncio
import io
import re
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from culturecast.core.covers import MAX_COVER_BYTES
from tests.integration.media.conftest import Cast, make_cast, upload_resource, wait_status
from tests.integration.server.conftest import start_api
from tests.support.api import Api

pytestmark = pytest.mark.integration

SECRET = "covers-signing-secret-0123456789"
MEMORY_S = 1.1
"""``/media`` answers small objects from memory for a second (``media/delivery.py``): a
deleted cover is 404 once that copy has expired."""


def picture(path: Path, colour: str) -> bytes:
    """A real 64×64 picture made by ffmpeg (its format from the file name)."""
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"color={colour}:s=64x64",
         "-frames:v", "1", str(path)],
        check=True,
    )  # fmt: skip
    return path.read_bytes()


@pytest.fixture(scope="module")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    where = tmp_path_factory.mktemp("covers")
    return {
        "png": picture(where / "red.png", "red"),
        "jpeg": picture(where / "blue.jpg", "blue"),
        "webp": picture(where / "green.webp", "green"),
    }


@pytest.fixture
async def signed_cast(data_dir: Path) -> AsyncIterator[Cast]:
    async for api in start_api(data_dir, CULTURECAST_SIGNING_SECRET=SECRET):
        yield await make_cast(api)


async def put_cover(who: Api, path: str, data: bytes, ctype: str) -> tuple[int, Any]:
    return await who.call("PUT", path, data=data, headers={"Content-Type": ctype})


async def put_big(who: Api, path: str, data: bytes, *, chunked: bool) -> tuple[int, Any]:
    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(data), 1 << 20):
            yield data[start : start + (1 << 20)]

    headers = {"Authorization": f"Bearer {who.token}", "Content-Type": "image/png"}
    body: Any = pieces() if chunked else io.BytesIO(data)
    async with who.session.put(who.base + path, data=body, headers=headers) as resp:
        return resp.status, await resp.json()


async def fetch(api: Api, url: str) -> tuple[int, bytes, dict[str, str]]:
    async with api.session.get(api.base + url) as resp:
        return resp.status, await resp.read(), dict(resp.headers)


async def test_a_resource_cover_is_served_replaced_and_removed(
    signed_cast: Cast, small_mp3: Path, pictures: dict[str, bytes]
) -> None:
    cast = signed_cast
    rid = await upload_resource(cast, small_mp3, category="storytelling", published=True)
    ready = await wait_status(cast.editor_a, rid, {"ready"})
    assert ready["cover_url"] is None
    path = f"/api/v1/resources/{rid}/cover"

    status, body = await put_cover(cast.editor_a, path, pictures["png"], "image/png")
    assert status == 200, body
    first = body["cover_url"]
    assert re.fullmatch(rf"/media/vod/{rid}/cover-[0-9a-f]{{20}}\.png", first), first
    assert body["poster_url"] == ready["poster_url"]  # the poster stays as it was
    status, data, headers = await fetch(cast.anonymous, first)
    assert (status, data) == (200, pictures["png"])
    assert headers["Content-Type"] == "image/png"
    assert "immutable" in headers["Cache-Control"]
    # Viewers' lists and the item itself carry it.
    listed = await cast.anonymous.ok("GET", "/api/v1/resources")
    assert [i["cover_url"] for i in listed["items"] if i["id"] == rid] == [first]
    assert (await cast.anonymous.ok("GET", f"/api/v1/resources/{rid}"))["cover_url"] == first
    # The share card names it (og:image), before the poster.
    status, page, _ = await fetch(cast.anonymous, f"/r/{rid}")
    assert f'<meta property="og:image" content="{cast.api.base}{first}">'.encode() in page

    # A new picture is a new URL; the old object is gone.
    status, body = await put_cover(cast.orgadmin_a, path, pictures["jpeg"], "image/jpeg")
    assert status == 200, body
    second = body["cover_url"]
    assert second != first
    assert second.endswith(".jpg")
    status, data, headers = await fetch(cast.anonymous, second)
    assert (status, data, headers["Content-Type"]) == (200, pictures["jpeg"], "image/jpeg")

    # Removing it falls back to the poster.
    status, body = await cast.editor_a.call("DELETE", path)
    assert status == 200, body
    assert body["cover_url"] is None
    assert body["poster_url"] == ready["poster_url"]
    await asyncio.sleep(MEMORY_S)
    assert (await fetch(cast.anonymous, first))[0] == 404
    assert (await fetch(cast.anonymous, second))[0] == 404


async def test_refusals_say_why(
    signed_cast: Cast, small_mp3: Path, pictures: dict[str, bytes]
) -> None:
    cast = signed_cast
    rid = await upload_resource(cast, small_mp3, category="storytelling", published=True)
    await wait_status(cast.editor_a, rid, {"ready"})
    path = f"/api/v1/resources/{rid}/cover"
    zh = path + "?lang=zh-CN"

    status, body = await put_cover(cast.editor_a, zh, b"", "image/png")
    assert (status, body["error"]["code"]) == (400, "cover_empty")
    status, body = await put_cover(cast.editor_a, zh, pictures["png"], "image/gif")
    assert (status, body["error"]["code"]) == (415, "cover_type_unsupported")
    assert "JPEG、PNG 或 WebP" in body["error"]["message"]
    status, body = await put_cover(cast.editor_a, zh, b"<html>not a picture</html>", "image/png")
    assert (status, body["error"]["code"]) == (415, "cover_not_an_image")
    status, body = await put_cover(cast.editor_a, zh, pictures["png"], "image/jpeg")
    assert (status, body["error"]["code"]) == (400, "cover_type_mismatch")
    assert body["error"]["message"] == "图片的实际格式是 PNG，与声明的 image/jpeg 不符。"
    too_big = pictures["png"] + b"\0" * (MAX_COVER_BYTES - len(pictures["png"]) + 1)
    status, body = await put_big(cast.editor_a, zh, too_big, chunked=False)
    assert (status, body["error"]["code"]) == (413, "cover_too_large")
    assert body["error"]["message"] == "封面图片不能超过 5 MB。"
    # Sent without a length, it is refused once more than 5 MB has arrived.
    status, body = await put_big(cast.editor_a, path + "?lang=en", too_big, chunked=True)
    assert (status, body["error"]["code"]) == (413, "cover_too_large")
    assert body["error"]["message"] == "A cover image may be at most 5 MB."
    # WebP is taken as well.
    status, body = await put_cover(cast.editor_a, path, pictures["webp"], "image/webp")
    assert status == 200, body
    assert body["cover_url"].endswith(".webp")
    webp = body["cover_url"]

    # The OpenAPI document says what the body is.
    doc = await cast.anonymous.ok("GET", "/api/v1/openapi.json")
    body_types = doc["paths"]["/api/v1/resources/{resource_id}/cover"]["put"]["requestBody"]
    assert set(body_types["content"]) == {"image/jpeg", "image/png", "image/webp"}

    # Who may change the resource may change its cover; nobody else.
    status, body = await put_cover(cast.anonymous, path, pictures["png"], "image/png")
    assert status == 401
    status, body = await put_cover(cast.viewer, path, pictures["png"], "image/png")
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, body = await put_cover(cast.editor_b, path, pictures["png"], "image/png")
    assert (status, body["error"]["code"]) == (404, "resource_not_found")
    status, body = await cast.editor_b.call("DELETE", path)
    assert status == 404
    status, body = await cast.viewer.call("DELETE", path)
    assert status == 403
    # None of that changed the cover.
    assert (await cast.anonymous.ok("GET", f"/api/v1/resources/{rid}"))["cover_url"] == webp


async def test_a_drafts_cover_is_served_only_signed_to_its_staff(
    signed_cast: Cast, small_mp3: Path, pictures: dict[str, bytes]
) -> None:
    cast = signed_cast
    rid = await upload_resource(cast, small_mp3, category="storytelling")
    await wait_status(cast.editor_a, rid, {"ready"})
    status, body = await put_cover(
        cast.editor_a, f"/api/v1/resources/{rid}/cover", pictures["png"], "image/png"
    )
    assert status == 200, body
    plain, preview = body["cover_url"], body["cover_preview_url"]
    assert preview.startswith("/media/s/")
    assert preview.endswith(plain.removeprefix("/media/"))
    assert (await fetch(cast.anonymous, plain))[0] == 404  # as for an unknown key
    assert (await fetch(cast.anonymous, plain.replace("vod/", "vod/x")))[0] == 404
    assert (await fetch(cast.anonymous, preview))[:2] == (200, pictures["png"])
    # Staff of another organization are told nothing of it, nor of a preview.
    assert (await cast.editor_b.call("GET", f"/api/v1/resources/{rid}"))[0] == 404
    # Published, the plain URL works for everyone.
    await cast.editor_a.ok("POST", f"/api/v1/resources/{rid}/publish")
    assert (await fetch(cast.anonymous, plain))[:2] == (200, pictures["png"])

    # A draft series, the same.
    series = await cast.editor_a.ok(
        "POST", "/api/v1/series", {"title": "三国演义", "org_id": cast.org_a}, expect=201
    )
    sid = series["id"]
    status, body = await put_cover(
        cast.editor_a, f"/api/v1/series/{sid}/cover", pictures["jpeg"], "image/jpeg"
    )
    assert status == 200, body
    plain, preview = body["cover_url"], body["cover_preview_url"]
    assert plain.startswith(f"/media/series/{sid}/cover-")
    assert plain.endswith(".jpg")
    assert (await fetch(cast.anonymous, plain))[0] == 404
    assert (await fetch(cast.anonymous, preview))[:2] == (200, pictures["jpeg"])
    assert (await put_cover(cast.editor_b, f"/api/v1/series/{sid}/cover", b"x", "image/png"))[
        0
    ] == 404
    await cast.editor_a.ok("PATCH", f"/api/v1/series/{sid}", {"published": True})
    assert (await fetch(cast.anonymous, plain))[:2] == (200, pictures["jpeg"])
    listed = await cast.anonymous.ok("GET", "/api/v1/series")
    assert [s["cover_url"] for s in listed["items"] if s["id"] == sid] == [plain]
    assert "cover_preview_url" not in listed["items"][0]  # for staff only
    status, page, _ = await fetch(cast.anonymous, f"/s/{sid}")
    assert f'content="{cast.api.base}{plain}"'.encode() in page
    # Removed, and deleting the series leaves nothing behind.
    assert (await cast.editor_a.ok("DELETE", f"/api/v1/series/{sid}/cover"))["cover_url"] is None
    await asyncio.sleep(MEMORY_S)
    assert (await fetch(cast.anonymous, plain))[0] == 404


async def test_a_retried_resource_keeps_its_cover(cast: Cast, pictures: dict[str, bytes]) -> None:
    # Processing clears what an attempt left under vod/<id>/, but not the staff's cover.
    from tests.support.media import TusClient

    client = TusClient(cast.api.session, cast.api.base, cast.tokens["editor_a"])
    url = await client.create(4, filename="note.txt")
    await client.patch(url, 0, b"text")  # not media: processing fails
    upload_id = url.rsplit("/", 1)[1]
    body = {"upload_id": upload_id, "title": "坏文件", "category": "film"}
    rid = (await cast.editor_a.ok("POST", "/api/v1/resources", body, expect=201))["id"]
    await wait_status(cast.editor_a, rid, {"failed"})
    status, body = await put_cover(
        cast.editor_a, f"/api/v1/resources/{rid}/cover", pictures["png"], "image/png"
    )
    assert status == 200, body
    await cast.editor_a.ok("POST", f"/api/v1/resources/{rid}/retry", expect=202)
    failed = await wait_status(cast.editor_a, rid, {"failed"})
    assert failed["cover_url"] == body["cover_url"]


async def test_a_live_events_cover_follows_the_event(
    signed_cast: Cast, pictures: dict[str, bytes]
) -> None:
    cast = signed_cast
    event = await cast.editor_a.ok(
        "POST", "/api/v1/live", {"org_id": cast.org_a, "title": "村晚直播"}, expect=201
    )
    eid = event["id"]
    path = f"/api/v1/live/{eid}/cover"
    status, body = await put_cover(cast.editor_a, path, pictures["png"], "image/png")
    assert status == 200, body
    cover = body["cover"]
    assert cover.startswith(f"/media/live/{eid}/cover-")
    assert cover.endswith(".png")
    assert body["cover_preview_url"].startswith("/media/s/")
    assert (await fetch(cast.anonymous, cover))[0] == 404  # a draft: not served unsigned
    assert (await fetch(cast.anonymous, body["cover_preview_url"]))[:2] == (200, pictures["png"])
    assert (await put_cover(cast.editor_b, path, pictures["png"], "image/png"))[0] == 404
    assert (await put_cover(cast.viewer, path, pictures["png"], "image/png"))[0] == 404

    published = await cast.editor_a.ok("PATCH", f"/api/v1/live/{eid}", {"published": True})
    assert published["cover_preview_url"] == cover
    assert (await fetch(cast.anonymous, cover))[:2] == (200, pictures["png"])
    listed = await cast.anonymous.ok("GET", "/api/v1/live")
    assert [e["cover"] for e in listed["items"] if e["id"] == eid] == [cover]
    assert (await put_cover(cast.viewer, path, pictures["png"], "image/png"))[0] == 403

    # Naming another picture by URL lets the uploaded one go.
    typed = "https://img.example.cn/poster.jpg"
    changed = await cast.editor_a.ok("PATCH", f"/api/v1/live/{eid}", {"cover": typed})
    assert changed["cover"] == typed
    status, body = await put_cover(cast.editor_a, path, pictures["jpeg"], "image/jpeg")
    assert status == 200, body
    assert body["cover"].endswith(".jpg")
    removed = await cast.editor_a.ok("DELETE", path)
    assert removed["cover"] is None
    await asyncio.sleep(MEMORY_S)
    assert (await fetch(cast.anonymous, cover))[0] == 404
    assert (await fetch(cast.anonymous, body["cover"]))[0] == 404


async def test_a_series_cover_on_s3_is_served_and_replaced(
    s3_cast: Cast, pictures: dict[str, bytes]
) -> None:
    cast = s3_cast
    series = await cast.editor_a.ok(
        "POST",
        "/api/v1/series",
        {"title": "杨家将", "org_id": cast.org_a, "published": True},
        expect=201,
    )
    path = f"/api/v1/series/{series['id']}/cover"
    status, body = await put_cover(cast.editor_a, path, pictures["webp"], "image/webp")
    assert status == 200, body
    first = body["cover_url"]
    status, data, headers = await fetch(cast.anonymous, first)
    assert (status, data, headers["Content-Type"]) == (200, pictures["webp"], "image/webp")
    status, body = await put_cover(cast.editor_a, path, pictures["png"], "image/png")
    assert status == 200, body
    assert (await fetch(cast.anonymous, body["cover_url"]))[:2] == (200, pictures["png"])
    await asyncio.sleep(MEMORY_S)
    assert (await fetch(cast.anonymous, first))[0] == 404  # the series is public: it is gone
    await cast.editor_a.ok("DELETE", f"/api/v1/series/{series['id']}", expect=204)
    await asyncio.sleep(MEMORY_S)
    assert (await fetch(cast.anonymous, body["cover_url"]))[0] == 404
