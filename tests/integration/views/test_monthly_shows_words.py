"""The monthly report's 场次 / 场均观看 per organization and its hot search words (学习热词),
against hand-computed figures."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from tests.integration.server.conftest import ADMIN_PASSWORD
from tests.integration.views.conftest import (
    FakeClock,
    Stack,
    add_live,
    add_resource,
    make_tree,
    org_path,
    start_stack,
)
from tests.support.api import Api

pytestmark = pytest.mark.integration


async def play(stack: Stack, item_type: str, item_id: str, viewer: int) -> None:
    status, body = await stack.api.call(
        "POST",
        "/api/v1/play",
        {"item_type": item_type, "item_id": item_id},
        headers={"Cookie": f"cc_did=monthlyviewer{viewer:06d}"},
    )
    assert status == 201, body


async def search(stack: Stack, term: str, org_id: str | None, offset: int = 0) -> None:
    query = f"q={quote(term)}&offset={offset}" + (f"&org_id={org_id}" if org_id else "")
    status, body = await stack.api.call("GET", f"/api/v1/resources?{query}")
    assert status == 200, body


async def child(admin: Api, name: str, parent: str) -> str:
    org = await admin.ok("POST", "/api/v1/orgs", {"name": name, "parent_id": parent}, expect=201)
    return str(org["id"])


async def test_shows_per_org_and_hot_words(data_dir: Path, clock: FakeClock) -> None:
    async for stack in start_stack(data_dir, clock):
        admin = await stack.api.login("admin", ADMIN_PASSWORD)
        province = (await make_tree(admin, ["江苏省"]))[0]
        county_a = (
            await admin.ok(
                "POST", "/api/v1/orgs", {"name": "兴化市", "parent_id": province}, expect=201
            )
        )["id"]
        county_b = (
            await admin.ok(
                "POST", "/api/v1/orgs", {"name": "昆山市", "parent_id": province}, expect=201
            )
        )["id"]
        other = (await make_tree(admin, ["浙江省"]))[0]
        await add_live(stack, "a1", org_path([province, county_a]))
        await add_live(stack, "a2", org_path([province, county_a]))
        await add_live(stack, "b1", org_path([province, county_b]))
        await add_live(stack, "quiet", org_path([province, county_b]))  # no plays: no show
        # Titled so that no search below finds it (the searches count, not their results).
        await add_resource(stack, "r1", org_path([province, county_a]), title="测试")
        for viewer in range(3):
            await play(stack, "live", "a1", viewer)
        for viewer in range(2):
            await play(stack, "live", "a2", viewer)
        await play(stack, "live", "b1", 7)
        await play(stack, "resource", "r1", 8)  # not a show
        for _ in range(3):
            await search(stack, "三国演义", county_a)
        await search(stack, "  三国演义 ", county_b)
        await search(stack, "三国演义", county_a, offset=20)  # the next page: the same search
        for _ in range(2):
            await search(stack, "梁祝", county_b)
        await search(stack, "Yueju", province)
        await search(stack, "yueju", None)  # not scoped to the province
        await search(stack, "西湖", other)  # another province's
        await stack.flush()
        report = await admin.ok("GET", f"/api/v1/stats/orgs/{province}/monthly?month=2024-03")
        # The organization first, then its children (in id order, as the districts table).
        assert report["shows"][0]["name"] == "江苏省"
        shows = {s["name"]: (s["shows"], s["plays"], s["views_per_show"]) for s in report["shows"]}
        assert shows == {"江苏省": (3, 6, 2.0), "兴化市": (2, 5, 2.5), "昆山市": (1, 1, 1.0)}
        assert report["hot_words"] == [
            {"term": "三国演义", "count": 4},
            {"term": "梁祝", "count": 2},
            {"term": "yueju", "count": 1},
        ]
        county = await admin.ok("GET", f"/api/v1/stats/orgs/{county_b}/monthly?month=2024-03")
        assert county["hot_words"] == [
            {"term": "梁祝", "count": 2},
            {"term": "三国演义", "count": 1},
        ]
