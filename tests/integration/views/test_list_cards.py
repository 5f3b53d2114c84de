"""Issue 14 point 6: the public lists carry each item's organization name and 观看人次 (plays
to date, as the statistics count them), for resources, series and live replays."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.server.conftest import ADMIN_PASSWORD
from tests.integration.views.conftest import (
    Stack,
    add_live,
    add_resource,
    make_tree,
    org_path,
)

pytestmark = pytest.mark.integration


async def plays(stack: Stack, item_type: str, item_id: str, times: int) -> None:
    for _ in range(times):
        await stack.api.ok(
            "POST", "/api/v1/play", {"item_type": item_type, "item_id": item_id}, expect=201
        )


def by_id(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in body["items"]}


async def test_lists_name_the_organization_and_count_the_plays(stack: Stack) -> None:
    admin = await stack.api.login("admin", ADMIN_PASSWORD)
    county, village = await make_tree(admin, ["德清县文化馆", "莫干山村文化礼堂"])
    series = await admin.ok(
        "POST",
        "/api/v1/series",
        {"title": "三国演义", "org_id": village, "published": True},
        expect=201,
    )
    at = {"created_at": stack.clock(), "updated_at": stack.clock()}
    await add_resource(stack, "first", [county], **at)
    await add_resource(stack, "second", org_path([county, village]), series_id=series["id"], **at)
    await add_resource(stack, "unplayed", [county], **at)
    await add_live(
        stack,
        "show",
        org_path([county, village]),
        status="ended",
        replay={"master_key": "vod/show/master.m3u8", "duration_s": 600.0},
    )
    await plays(stack, "resource", "first", 3)
    await plays(stack, "resource", "second", 2)
    await plays(stack, "live", "show", 4)
    await stack.flush()

    resources = by_id(await stack.api.ok("GET", "/api/v1/resources"))
    assert (resources["first"]["org_name"], resources["first"]["views"]) == ("德清县文化馆", 3)
    assert (resources["second"]["org_name"], resources["second"]["views"]) == (
        "莫干山村文化礼堂",
        2,
    )
    assert resources["unplayed"]["views"] == 0
    events = by_id(await stack.api.ok("GET", "/api/v1/live?status=ended"))
    assert (events["show"]["org_name"], events["show"]["views"]) == ("莫干山村文化礼堂", 4)
    # A series counts its episodes' plays.
    listed = by_id(await stack.api.ok("GET", "/api/v1/series"))
    assert (listed[series["id"]]["org_name"], listed[series["id"]]["views"]) == (
        "莫干山村文化礼堂",
        2,
    )
    # So do the items the player pages load.
    one = await stack.api.ok("GET", "/api/v1/resources/first")
    assert (one["org_name"], one["views"]) == ("德清县文化馆", 3)
    event = await stack.api.ok("GET", "/api/v1/live/show")
    assert (event["org_name"], event["views"]) == ("莫干山村文化礼堂", 4)
    # Staff lists carry the same facts.
    staff = by_id(await admin.ok("GET", "/api/v1/resources"))
    assert staff["first"]["views"] == 3


async def test_the_openapi_document_describes_the_list_facts(stack: Stack) -> None:
    doc = await stack.api.ok("GET", "/api/v1/openapi.json")
    schemas = doc["components"]["schemas"]
    assert {"org_name", "views"} <= set(schemas["ListedEvent"]["properties"])
    for path in ("/api/v1/resources", "/api/v1/series"):
        assert "org_name and views" in doc["paths"][path]["get"]["summary"]
