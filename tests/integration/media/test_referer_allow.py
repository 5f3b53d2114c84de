"""防盗链: an organization's referer allow-list. A page on a site it does not list cannot play
its media (403 ``referer_refused``, a sentence in both languages), on the plain and the token
URL and at the edge's check alike; requests without a Referer (TV boxes, apps) and pages of
the serving site itself still play; an organization without a list allows every site."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.server.conftest import ADMIN_PASSWORD
from tests.integration.views.conftest import (
    FakeClock,
    Stack,
    add_resource,
    make_tree,
    org_path,
    start_stack,
)

pytestmark = pytest.mark.integration

MASTER = "/media/vod/r1/master.m3u8"


@pytest.fixture
async def stack(data_dir: Path) -> AsyncIterator[Stack]:
    async for s in start_stack(data_dir, FakeClock()):
        yield s


async def test_a_listed_site_plays_an_unlisted_one_is_refused(stack: Stack) -> None:
    admin = await stack.api.login("admin", ADMIN_PASSWORD)
    ids = await make_tree(admin, ["浙江省", "淳安县"])
    await add_resource(stack, "r1", org_path(ids))
    await add_resource(stack, "r2", org_path(ids[:1]))
    elsewhere = {"Referer": "https://hotlink.example.com/watch"}
    status, body = await admin.call(
        "PATCH", f"/api/v1/orgs/{ids[1]}", {"referer_allow": ["Chunan.gov.cn", "wx.qq.com"]}
    )
    assert status == 200, body
    assert body["referer_allow"] == ["chunan.gov.cn", "wx.qq.com"]
    status, body = await admin.call("PATCH", f"/api/v1/orgs/{ids[1]}", {"referer_allow": ["x y"]})
    assert (status, body["error"]["code"]) == (400, "bad_referer_allow")

    play = await stack.api.call("POST", "/api/v1/play", {"item_type": "resource", "item_id": "r1"})
    token_master = play[1]["master_url"]
    own = stack.api.base.split("//", 1)[1]
    for headers, expected in (
        ({}, 200),
        ({"Referer": "https://www.chunan.gov.cn/tv"}, 200),
        ({"Referer": "https://mp.wx.qq.com/s/x"}, 200),
        ({"Referer": f"http://{own}/r/r1"}, 200),
        (elsewhere, 403),
        ({"Referer": "https://chunan.gov.cn.example.com/"}, 403),
    ):
        for url in (MASTER, token_master):
            status, body = await stack.api.call("GET", url, headers=headers)
            assert status == expected, (url, headers, body)
            if expected == 403:
                assert body["error"]["code"] == "referer_refused"
                assert "防盗链" in body["error"]["message"]
                assert "referer allow-list" in body["error"]["message"]
    # The province lists nothing: its own resource plays anywhere.
    status, _ = await stack.api.call("GET", "/media/vod/r2/master.m3u8", headers=elsewhere)
    assert status == 200

    # The nginx edge asks the same question; its 403 says which refusal it was.
    async with stack.api.session.get(
        stack.api.base + "/internal/edge/media-auth",
        headers={"X-CultureCast-Key": "vod/r1/master.m3u8", **elsewhere},
    ) as resp:
        assert resp.status == 403
        assert resp.headers["X-CultureCast-Refusal"] == "referer_refused"
    async with stack.api.session.get(
        stack.api.base + "/internal/edge/media-auth",
        headers={"X-CultureCast-Key": "vod/r1/master.m3u8"},
    ) as resp:
        assert resp.status == 204
        assert resp.headers["X-Accel-Expires"] == "1"
