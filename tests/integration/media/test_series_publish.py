"""Publishing a series with its episodes in one step (发布全部, issue 14) over HTTP: the
ready episodes go public with the series, a failed one is reported with its reason in both
languages and stays off the site, another organization cannot do it, and unpublishing takes
the series and its episodes down again."""

from __future__ import annotations

from pathlib import Path

from culturecast.core.errors import has_cjk
from tests.integration.media.conftest import Cast, upload_resource, wait_status


async def test_publish_all_publishes_ready_episodes_and_reports_the_failed_one(
    cast: Cast, small_mp3: Path, tmp_path: Path
) -> None:
    series = await cast.editor_a.ok(
        "POST", "/api/v1/series", {"title": "三国演义", "category": "评书"}, expect=201
    )
    sid = series["id"]
    assert series["published"] is False
    ready = [
        await upload_resource(
            cast, small_mp3, title=f"第{n}回", category="评书", series_id=sid, episode=n
        )
        for n in (2, 1)
    ]
    broken_file = tmp_path / "第3回.mp3"
    broken_file.write_bytes(b"this is not audio at all\n" * 40)
    broken = await upload_resource(
        cast, broken_file, title="第3回", category="评书", series_id=sid, episode=3
    )
    for rid in ready:
        assert (await wait_status(cast.editor_a, rid, {"ready", "failed"}))["status"] == "ready"
    failed = await wait_status(cast.editor_a, broken, {"ready", "failed"})
    assert failed["status"] == "failed"
    # A draft series is nobody's business but its staff's.
    status, _ = await cast.anonymous.call("GET", f"/api/v1/series/{sid}")
    assert status == 404

    # Another organization's editor, and nobody signed in, cannot publish it.
    status, body = await cast.editor_b.call("POST", f"/api/v1/series/{sid}/publish")
    assert (status, body["error"]["code"]) == (404, "series_not_found")
    status, _ = await cast.anonymous.call("POST", f"/api/v1/series/{sid}/publish")
    assert status == 401
    status, _ = await cast.anonymous.call("GET", f"/api/v1/series/{sid}")
    assert status == 404

    done = await cast.editor_a.ok("POST", f"/api/v1/series/{sid}/publish")
    assert done["series"]["published"] is True
    # Episode order, whatever the upload order.
    assert [(e["episode"], e["title"]) for e in done["published"]] == [(1, "第1回"), (2, "第2回")]
    assert [e["id"] for e in done["not_published"]] == [broken]
    held = done["not_published"][0]
    assert held["status"] == "failed"
    reason = held["reason"]
    assert reason["code"] == "resource_failed"
    assert has_cjk(reason["zh"])
    assert "处理失败" in reason["zh"]
    assert not has_cjk(reason["en"])
    assert "processing failed" in reason["en"]
    # The reason names this file's own failure, not only that it failed.
    assert failed["failure"]["message_zh"].rstrip("。") in reason["zh"]
    assert failed["failure"]["message"].rstrip(".") in reason["en"]

    # The viewer's series page lists the ready episodes in order; the failed one is not public.
    page = await cast.anonymous.ok("GET", f"/api/v1/series/{sid}")
    assert [e["title"] for e in page["episodes"]] == ["第1回", "第2回"]
    status, _ = await cast.anonymous.call("GET", f"/api/v1/resources/{broken}")
    assert status == 404
    assert (await cast.editor_a.ok("GET", f"/api/v1/resources/{broken}"))["published"] is False
    # Publishing it alone is still refused (the single-publish rule).
    status, body = await cast.editor_a.call("POST", f"/api/v1/resources/{broken}/publish")
    assert (status, body["error"]["code"]) == (409, "resource_failed")

    # A viewer of the same organization sees the series but may not change it.
    status, body = await cast.viewer.call("POST", f"/api/v1/series/{sid}/unpublish")
    assert status == 403
    # The other organization still may not, now that it is public.
    status, _ = await cast.editor_b.call("POST", f"/api/v1/series/{sid}/unpublish")
    assert status == 404
    assert len((await cast.anonymous.ok("GET", f"/api/v1/series/{sid}"))["episodes"]) == 2

    # Unpublishing takes the series and its episodes off the site.
    undone = await cast.editor_a.ok("POST", f"/api/v1/series/{sid}/unpublish")
    assert undone["series"]["published"] is False
    assert sorted(e["id"] for e in undone["unpublished"]) == sorted([*ready, broken])
    assert undone["not_unpublished"] == []
    status, _ = await cast.anonymous.call("GET", f"/api/v1/series/{sid}")
    assert status == 404
    for rid in ready:
        status, _ = await cast.anonymous.call("GET", f"/api/v1/resources/{rid}")
        assert status == 404


async def test_publish_all_without_a_ready_episode_publishes_the_series_and_says_why(
    cast: Cast, tmp_path: Path
) -> None:
    series = await cast.editor_a.ok("POST", "/api/v1/series", {"title": "评书集"}, expect=201)
    broken_file = tmp_path / "x.mp3"
    broken_file.write_bytes(b"\x00" * 500)
    broken = await upload_resource(
        cast, broken_file, title="第1回", category="评书", series_id=series["id"], episode=1
    )
    await wait_status(cast.editor_a, broken, {"failed"})
    done = await cast.editor_a.ok("POST", f"/api/v1/series/{series['id']}/publish")
    assert done["published"] == []
    reason = done["not_published"][0]["reason"]
    assert reason["code"] == "resource_failed"
    assert reason["message"] == f"{reason['zh']} ({reason['en']})"
    # The series itself is public (with nothing in it yet).
    page = await cast.anonymous.ok("GET", f"/api/v1/series/{series['id']}")
    assert page["episodes"] == []
