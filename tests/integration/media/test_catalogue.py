"""The catalogue through the API: who sees what, filters, search, sort, pagination, series
with ordered episodes and next-episode, publish/unpublish, delete; delivery headers."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.integration.media.conftest import Cast, upload_resource, wait_status


async def test_series_lists_episodes_in_order_with_next(cast: Cast, small_mp3: Path) -> None:
    series = await cast.editor_a.ok(
        "POST",
        "/api/v1/series",
        {"title": "三国演义", "category": "评书", "performer": "单田芳", "published": True},
        expect=201,
    )
    ids = []
    for episode in (3, 1, 2):
        ids.append(
            await upload_resource(
                cast,
                small_mp3,
                title=f"第{episode}回",
                category="评书",
                series_id=series["id"],
                episode=episode,
                published=True,
            )
        )
    for rid in ids:
        assert (await wait_status(cast.editor_a, rid, {"ready", "failed"}))["status"] == "ready"
    got = await cast.anonymous.ok("GET", f"/api/v1/series/{series['id']}")
    assert [e["title"] for e in got["episodes"]] == ["第1回", "第2回", "第3回"]
    assert [e["episode"] for e in got["episodes"]] == [1, 2, 3]
    first, second, third = (e["id"] for e in got["episodes"])
    assert got["episodes"][0]["next_episode_id"] == second
    assert got["episodes"][2]["next_episode_id"] is None
    nxt = await cast.anonymous.ok("GET", f"/api/v1/series/{series['id']}/next?after={first}")
    assert nxt["next"]["id"] == second
    nxt = await cast.anonymous.ok("GET", f"/api/v1/series/{series['id']}/next?after={third}")
    assert nxt["next"] is None
    # Search finds episodes by series title and performer of the series' items.
    found = await cast.anonymous.ok("GET", "/api/v1/resources?q=三国&sort=episode")
    assert [r["title"] for r in found["items"]] == ["第1回", "第2回", "第3回"]
    # Unpublishing an episode hides it from the public series page, not from staff.
    await cast.editor_a.ok("POST", f"/api/v1/resources/{second}/unpublish")
    got = await cast.anonymous.ok("GET", f"/api/v1/series/{series['id']}")
    assert [e["id"] for e in got["episodes"]] == [first, third]
    got = await cast.editor_a.ok("GET", f"/api/v1/series/{series['id']}")
    assert [e["id"] for e in got["episodes"]] == [first, second, third]
    # Renaming the series carries over to search.
    await cast.editor_a.ok("PATCH", f"/api/v1/series/{series['id']}", {"title": "水浒传"})
    found = await cast.anonymous.ok("GET", "/api/v1/resources?q=水浒")
    assert found["total"] == 2


async def test_visibility_filters_and_pagination(cast: Cast, small_mp3: Path) -> None:
    draft = await upload_resource(cast, small_mp3, title="草稿", category="音乐")
    public_ids = [
        await upload_resource(
            cast, small_mp3, title=f"讲座{i}", category="讲座", tags=["历史"], published=True
        )
        for i in range(3)
    ]
    city = await upload_resource(
        cast, small_mp3, who="city_editor", title="市级", category="音乐", published=True
    )
    for rid in [draft, *public_ids, city]:
        await wait_status(cast.editor_a, rid, {"ready"})
    # Anonymous and viewers: published and ready only; a draft is 404.
    for who in (cast.anonymous, cast.viewer):
        listed = await who.ok("GET", "/api/v1/resources?limit=2&sort=title")
        assert listed["total"] == 4
        assert len(listed["items"]) == 2
        status, body = await who.call("GET", f"/api/v1/resources/{draft}")
        assert status == 404
        assert body["error"]["code"] == "resource_not_found"
    # The foreign editor does not see the draft either; staff of the province do.
    status, _ = await cast.editor_b.call("GET", f"/api/v1/resources/{draft}")
    assert status == 404
    assert (await cast.editor_b.ok("GET", "/api/v1/resources"))["total"] == 4
    mine = await cast.editor_a.ok("GET", "/api/v1/resources?published=false")
    assert [r["id"] for r in mine["items"]] == [draft]
    # The city editor sees its own subtree's drafts only (not the province's draft).
    status, _ = await cast.city_editor.call("GET", f"/api/v1/resources/{draft}")
    assert status == 404
    # Filters.
    lectures = await cast.anonymous.ok("GET", "/api/v1/resources?category=lecture&tag=历史")
    assert sorted(r["id"] for r in lectures["items"]) == sorted(public_ids)
    sub = await cast.anonymous.ok("GET", f"/api/v1/resources?org_id={cast.city_a}")
    assert [r["id"] for r in sub["items"]] == [city]
    page2 = await cast.anonymous.ok("GET", "/api/v1/resources?sort=title&limit=2&offset=2")
    # Code-point order: 市 (U+5E02) sorts before 讲 (U+8BB2).
    assert [r["title"] for r in page2["items"]] == ["讲座1", "讲座2"]
    # Staff-only filters and bad parameters are explained.
    status, body = await cast.anonymous.call("GET", "/api/v1/resources?status=failed")
    assert status == 400
    assert body["error"]["code"] == "invalid_query"
    status, body = await cast.anonymous.call("GET", "/api/v1/resources?category=相声")
    assert status == 400
    # Viewers cannot change anything; foreign staff get 404.
    status, _ = await cast.viewer.call("PATCH", f"/api/v1/resources/{city}", {"title": "x"})
    assert status in (403, 404)
    status, _ = await cast.editor_b.call("PATCH", f"/api/v1/resources/{city}", {"title": "x"})
    assert status == 404
    # The province's editor manages the city's resource (subtree).
    changed = await cast.editor_a.ok(
        "PATCH", f"/api/v1/resources/{city}", {"title": "市级演出", "tags": ["民乐"]}
    )
    assert changed["title"] == "市级演出"
    status, body = await cast.editor_a.call(
        "PATCH", f"/api/v1/resources/{city}", {"category": "nope"}
    )
    assert status == 400
    assert body["error"]["code"] == "invalid_category"
    status, body = await cast.editor_a.call("PATCH", f"/api/v1/resources/{city}", {"colour": 1})
    assert status == 400


async def test_delete_removes_objects_and_delivery_headers(cast: Cast, small_mp3: Path) -> None:
    rid = await upload_resource(cast, small_mp3, published=True, category="music")
    ready = await wait_status(cast.editor_a, rid, {"ready"})
    session, base = cast.api.session, cast.api.base
    seg = f"{base}/media/vod/{rid}/audio/seg_00000.ts"
    async with session.get(seg) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "video/mp2t"
        assert "immutable" in resp.headers["Cache-Control"]
        etag = resp.headers["ETag"]
        whole = await resp.read()
    async with session.get(seg, headers={"If-None-Match": etag}) as resp:
        assert resp.status == 304
    async with session.get(seg, headers={"Range": "bytes=10-19"}) as resp:
        assert resp.status == 206
        assert resp.headers["Content-Range"] == f"bytes 10-19/{len(whole)}"
        assert await resp.read() == whole[10:20]
    async with session.get(seg, headers={"Range": f"bytes={len(whole)}-"}) as resp:
        assert resp.status == 416
        assert resp.headers["Content-Range"] == f"bytes */{len(whole)}"
    # The token route serves the same bytes (relative URIs keep the token).
    async with session.get(f"{base}/media/t/tok123/vod/{rid}/audio/index.m3u8") as resp:
        assert resp.status == 200
        assert b"seg_00000.ts" in await resp.read()
    # Originals and traversal are never served.
    original = ready.get("original_sha256")
    assert original
    for path in (
        f"/media/originals/{rid}/x.mp3",
        "/media/vod/../originals/x",
        "/media/t/tok/originals/x",
    ):
        async with session.get(base + path) as resp:
            assert resp.status == 404, path
    await cast.editor_a.ok("DELETE", f"/api/v1/resources/{rid}", expect=204)
    async with session.get(f"{base}/media/vod/{rid}/master.m3u8") as resp:
        # The hot cache may hold the playlist for at most a second.
        assert resp.status in (200, 404)
    status, _ = await cast.editor_a.call("GET", f"/api/v1/resources/{rid}")
    assert status == 404


async def test_categories_are_listed(cast: Cast) -> None:
    body = await cast.anonymous.ok("GET", "/api/v1/categories")
    assert {"code": "opera", "zh": "戏曲", "en": "Opera"} in body["items"]
    spec = await cast.anonymous.ok("GET", "/api/v1/openapi.json")
    assert "/api/v1/resources" in spec["paths"]
    assert "/api/v1/uploads/{upload_id}" in spec["paths"]


STAFF_FIELDS = {"created_by", "failure", "original_sha256", "source", "job_id", "loudnorm"}


async def test_staff_only_fields_are_for_the_resources_own_staff(
    cast: Cast, small_mp3: Path
) -> None:
    rid = await upload_resource(cast, small_mp3, published=True, category="music")
    await wait_status(cast.editor_a, rid, {"ready"})
    for who in (cast.editor_a, cast.orgadmin_a, cast.admin):
        assert set(await who.ok("GET", f"/api/v1/resources/{rid}")) >= STAFF_FIELDS, who.token
    # Another province's staff, the staff of a city below, viewers and anonymous users see
    # the published resource without them, alone or in a list.
    for who in (cast.editor_b, cast.city_editor, cast.viewer, cast.anonymous):
        got = await who.ok("GET", f"/api/v1/resources/{rid}")
        assert not STAFF_FIELDS & set(got), (who.token, got)
        listed = await who.ok("GET", "/api/v1/resources")
        [item] = [r for r in listed["items"] if r["id"] == rid]
        assert not STAFF_FIELDS & set(item), who.token


async def test_unpublishing_revokes_media_urls_and_staff_still_preview(
    cast: Cast, small_mp3: Path
) -> None:
    rid = await upload_resource(cast, small_mp3, published=True, category="music")
    await wait_status(cast.editor_a, rid, {"ready"})
    session, base = cast.api.session, cast.api.base
    plain = [f"/media/vod/{rid}/master.m3u8", f"/media/vod/{rid}/audio/seg_00000.ts"]

    async def status(path: str) -> int:
        async with session.get(base + path) as resp:
            await resp.read()
            return resp.status

    play = {"item_type": "resource", "item_id": rid}
    watching = await cast.viewer.ok("POST", "/api/v1/play", play, expect=201)
    token_url = watching["master_url"]
    tokened = [token_url, token_url.replace("master.m3u8", "audio/seg_00000.ts")]
    for path in plain + tokened:
        assert await status(path) == 200, path
    await cast.editor_a.ok("POST", f"/api/v1/resources/{rid}/unpublish")

    async def revoked() -> bool:
        return all([await status(path) == 404 for path in plain + tokened])

    deadline = time.monotonic() + 5  # each process checks again at least every second
    while not await revoked():
        assert time.monotonic() < deadline, "media of an unpublished resource still served"
        await asyncio.sleep(0.2)
    # The organization's staff preview it through the play API; nobody else may.
    for who in (cast.viewer, cast.editor_b, cast.city_editor, cast.anonymous):
        code, body = await who.call("POST", "/api/v1/play", play)
        assert (code, body["error"]["code"]) == (404, "not_found"), who.token
    preview = await cast.editor_a.ok("POST", "/api/v1/play", play, expect=201)
    async with session.get(base + preview["master_url"]) as resp:
        assert resp.status == 200
        assert resp.headers["Cache-Control"] == "private, no-store"
    # Another's token does not open it: the token of a viewer's session, or a made-up one.
    assert await status(token_url) == 404
    assert await status(f"/media/t/tok123/vod/{rid}/master.m3u8") == 404
    await cast.editor_a.ok("POST", f"/api/v1/resources/{rid}/publish")
    deadline = time.monotonic() + 5
    while await status(plain[0]) != 200:
        assert time.monotonic() < deadline, "media of a published resource not served"
        await asyncio.sleep(0.2)
