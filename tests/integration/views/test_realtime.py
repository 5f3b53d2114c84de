"""The data screen's figures (``GET /api/v1/stats/orgs/{org_id}/realtime`` and its SSE
stream) come from the counters: a province sees a live show of a county below it with its
viewers, provinces, terminals, devices, and a masked ticker line; a foreign admin does not."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.integration.server.conftest import ADMIN_PASSWORD
from tests.integration.views.conftest import (
    FakeClock,
    Stack,
    add_live,
    make_tree,
    org_path,
    start_stack,
)
from tests.integration.views.test_regions_devices import (
    CHROME,
    NETWORKS,
    WECHAT_IOS,
    headers_of,
    start,
)
from tests.support.api import Api
from tests.support.geoip import write_mmdb

pytestmark = pytest.mark.integration


async def listen(stack: Stack, admin: Api, org_id: str, lines: list[str]) -> int:
    """Read the stream until an activity line arrives; its HTTP status."""
    url = stack.api.base + f"/api/v1/stats/orgs/{org_id}/realtime/stream"
    headers = {"Authorization": f"Bearer {admin.token}"}
    async with stack.api.session.get(url, headers=headers) as resp:
        async for raw in resp.content:
            lines.append(raw.decode())
            if "一位观众" in lines[-1]:
                break
        return resp.status


async def test_province_screen_shows_a_county_live_show(
    data_dir: Path, clock: FakeClock, tmp_path: Path
) -> None:
    mmdb = write_mmdb(tmp_path / "cn.mmdb", NETWORKS)
    env = {"CULTURECAST_GEOIP_DB": str(mmdb), "CULTURECAST_TRUSTED_PROXIES": "127.0.0.1"}
    async for stack in start_stack(data_dir, clock, **env):
        admin = await stack.api.login("admin", ADMIN_PASSWORD)
        orgs = await make_tree(admin, ["江苏省", "泰州市", "兴化市"])
        await add_live(stack, "show1", org_path(orgs), title="兴化市村晚")
        before = await admin.ok("GET", f"/api/v1/stats/orgs/{orgs[0]}/realtime")
        assert before["live_now"] == []
        # Listen to the stream before the viewers come.
        lines: list[str] = []
        listening = asyncio.create_task(listen(stack, admin, orgs[0], lines))
        for _ in range(200):
            if lines:
                break
            await asyncio.sleep(0.01)
        await start(stack, "show1", headers_of(1, "1.0.1.1", WECHAT_IOS, True))
        await start(stack, "show1", headers_of(2, "14.0.0.5", CHROME, True))
        assert await asyncio.wait_for(listening, 10) == 200
        activity = [json.loads(line[6:]) for line in lines if "一位观众" in line]
        assert activity[0]["text"] == "江苏省苏州市 一位观众通过微信观看了《兴化市村晚》"
        now = await admin.ok("GET", f"/api/v1/stats/orgs/{orgs[0]}/realtime")
        assert now["live_now"] == [{"event_id": "show1", "title": "兴化市村晚", "viewers": 2}]
        assert now["today"]["plays"] == 2
        assert now["today"]["unique_viewers"] == 2
        assert now["yesterday"]["plays"] == 0
        assert now["provinces"] == [
            {"province": "广东省", "plays": 1},
            {"province": "江苏省", "plays": 1},
        ]
        assert now["devices"]["ios"] == 1
        assert now["devices"]["windows"] == 1
        assert now["top_items"] == [
            {"item_type": "live", "item_id": "show1", "title": "兴化市村晚", "plays": 2}
        ]
        # Another province's admin sees nothing of it.
        other = await make_tree(admin, ["浙江省"])
        theirs = await admin.ok("GET", f"/api/v1/stats/orgs/{other[0]}/realtime")
        assert theirs["live_now"] == []
        assert theirs["today"]["plays"] == 0
        status_anon, _ = await stack.api.call("GET", f"/api/v1/stats/orgs/{orgs[0]}/realtime")
        assert status_anon == 401


async def test_the_screen_page_is_served(data_dir: Path, clock: FakeClock) -> None:
    async for stack in start_stack(data_dir, clock):
        status, body = await stack.api.call("GET", "/screen/abcdEFGH12345678")
        assert status == 200
        page = body.decode()
        assert "数据大屏" in page
        assert "js/pages/screen.js" in page
        assert '"org_id": "abcdEFGH12345678"' in page or '"org_id":"abcdEFGH12345678"' in page
