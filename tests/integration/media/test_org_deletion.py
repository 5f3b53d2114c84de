"""Deleting an organization that still holds content is refused, naming what it holds: its
live events, resources, series and uploads would otherwise stay public and editable without
an owner (and its statistics would vanish). Once emptied, it is deleted."""

from __future__ import annotations

from tests.integration.media.conftest import Cast
from tests.support.media import TusClient


async def test_an_org_holding_events_series_resources_or_uploads_is_not_deleted(
    cast: Cast,
) -> None:
    admin = cast.admin
    county = await admin.ok(
        "POST", "/api/v1/orgs", {"name": "甲县", "parent_id": cast.city_a}, expect=201
    )
    org_id = county["id"]
    event = await admin.ok(
        "POST",
        "/api/v1/live",
        {"org_id": org_id, "title": "村晚", "published": True},
        expect=201,
    )
    series = await admin.ok(
        "POST",
        "/api/v1/series",
        {"org_id": org_id, "title": "三国演义", "category": "评书", "published": True},
        expect=201,
    )
    tus = TusClient(cast.api.session, cast.api.base, str(admin.token))
    spent = await tus.create(4, filename="a.mp3", org_id=org_id)
    await tus.patch(spent, 0, b"abcd")
    resource = await admin.ok(
        "POST",
        "/api/v1/resources",
        {"upload_id": spent.rsplit("/", 1)[1], "title": "第1回", "category": "评书"},
        expect=201,
    )
    pending = await tus.create(100, filename="b.mp3", org_id=org_id)

    status, body = await admin.call("DELETE", f"/api/v1/orgs/{org_id}")
    assert status == 409
    assert body["error"]["code"] == "org_not_empty"
    message = body["error"]["message"]
    for held in ("1 live event", "1 resource", "1 series", "1 unfinished upload"):
        assert held in message, message
    # Nothing was lost: the organization and everything it holds are still there.
    assert (await admin.ok("GET", f"/api/v1/orgs/{org_id}"))["name"] == "甲县"
    await cast.anonymous.ok("GET", f"/api/v1/live/{event['id']}")
    await admin.ok("GET", f"/api/v1/series/{series['id']}")
    await admin.ok("GET", f"/api/v1/resources/{resource['id']}")

    # Emptied one kind at a time, the message names only what is left.
    await admin.ok("DELETE", f"/api/v1/live/{event['id']}", expect=204)
    await admin.ok("DELETE", f"/api/v1/series/{series['id']}", expect=204)
    await admin.ok("DELETE", f"/api/v1/resources/{resource['id']}", expect=204)
    status, body = await admin.call("DELETE", f"/api/v1/orgs/{org_id}")
    assert status == 409
    assert body["error"]["message"].startswith("the organization still holds 1 unfinished upload;")
    async with cast.api.session.delete(pending, headers=tus.auth) as resp:
        assert resp.status == 204
    await admin.ok("DELETE", f"/api/v1/orgs/{org_id}", expect=204)
    status, _ = await admin.call("GET", f"/api/v1/orgs/{org_id}")
    assert status == 404
