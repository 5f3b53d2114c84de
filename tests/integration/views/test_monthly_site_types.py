"""The monthly report's site-type table (seed 004 表2): effective learning hours of each child
organization by the site type of its sites, the total and the average per site, against a
table computed by hand for a fixture tree; JSON and CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from tests.integration.server.conftest import ADMIN_PASSWORD
from tests.integration.views.conftest import FakeClock, Stack, add_live, start_stack
from tests.support.api import Api

pytestmark = pytest.mark.integration

BEAT_S = 15


async def org(admin: Api, name: str, parent: str | None, site_type: str, learners: int) -> str:
    body: dict[str, Any] = {"name": name, "site_type": site_type, "expected_learners": learners}
    if parent is not None:
        body["parent_id"] = parent
    return str((await admin.ok("POST", "/api/v1/orgs", body, expect=201))["id"])


async def watch(stack: Stack, event_id: str, viewer: int, seconds: int) -> None:
    """One viewer plays the live show and beats every 15 s for ``seconds``."""
    status, body = await stack.api.call(
        "POST",
        "/api/v1/play",
        {"item_type": "live", "item_id": event_id, "terminal": "web"},
        headers={"Cookie": f"cc_did=sitetypeviewer{viewer:06d}"},
    )
    assert status == 201, body
    for seq in range(1, seconds // BEAT_S + 1):
        stack.clock.advance(BEAT_S)
        status, answer = await stack.api.call(
            "POST",
            "/api/v1/views/heartbeat",
            {"session_id": body["session_id"], "state": "playing", "seq": seq},
        )
        assert status == 204, answer


def kinds(**by_type: tuple[int, float]) -> dict[str, Any]:
    """The by-site-type cells: (sites, effective seconds) for each type, zero if not named."""
    out: dict[str, Any] = {}
    for kind in ("rural", "community", "institution", "other"):
        sites, seconds = by_type.get(kind, (0, 0.0))
        out[kind] = {
            "sites": sites,
            "effective_watch_seconds": seconds,
            "effective_hours": round(seconds / 3600, 3),
        }
    return out


async def test_site_type_table_equals_the_hand_computed_one(
    data_dir: Path, clock: FakeClock
) -> None:
    async for stack in start_stack(data_dir, clock):
        admin = await stack.api.login("admin", ADMIN_PASSWORD)
        # 北京市 (other) ─┬ 房山区 (rural, 10) ─┬ 长沟镇 (rural, 100)
        #                 │                    └ 城关街道 (community, 50)
        #                 └ 东城区 (institution) ─ 其他站点 (other, 20)
        city = await org(admin, "北京市", None, "other", 7)
        fangshan = await org(admin, "房山区", city, "rural", 10)
        changgou = await org(admin, "长沟镇", fangshan, "rural", 100)
        chengguan = await org(admin, "城关街道", fangshan, "community", 50)
        dongcheng = await org(admin, "东城区", city, "institution", 0)
        other = await org(admin, "其他站点", dongcheng, "other", 20)
        shows = {
            "own": ([city], 180),  # the report's own organization: in no child's line
            "fs": ([fangshan, city], 360),
            "cg": ([changgou, fangshan, city], 1800),
            "cgj": ([chengguan, fangshan, city], 900),
            "qt": ([other, dongcheng, city], 720),
            "short": ([chengguan, fangshan, city], 15),  # not effective (live: > 30 s)
        }
        for event_id, (path, _) in shows.items():
            await add_live(stack, event_id, path)
        for viewer, (event_id, (_, seconds)) in enumerate(shows.items()):
            await watch(stack, event_id, viewer, seconds)
        await stack.flush()

        report = await admin.ok("GET", f"/api/v1/stats/orgs/{city}/monthly?month=2024-03")
        table = report["site_types"]
        assert [(t["site_type"], t["label"]) for t in table["site_types"]] == [
            ("rural", "农村"),
            ("community", "社区"),
            ("institution", "机关事业单位"),
            ("other", "其他"),
        ]
        lines = {line["name"]: line for line in table["rows"]}
        assert [line["org_id"] for line in table["rows"]] == sorted([fangshan, dongcheng])
        # 房山区: rural = itself + 长沟镇 = 360 + 1800 s; community = 城关街道 900 s.
        assert lines["房山区"] == {
            "org_id": fangshan,
            "name": "房山区",
            "by_site_type": kinds(rural=(2, 2160.0), community=(1, 900.0)),
            "sites": 3,
            "expected_learners": 160,
            "effective_watch_seconds": 3060.0,
            "effective_hours": 0.85,
            "average_hours_per_site": 0.283,
        }
        # 东城区: institution = itself, nothing watched; other = 其他站点 720 s.
        assert lines["东城区"] == {
            "org_id": dongcheng,
            "name": "东城区",
            "by_site_type": kinds(institution=(1, 0.0), other=(1, 720.0)),
            "sites": 2,
            "expected_learners": 20,
            "effective_watch_seconds": 720.0,
            "effective_hours": 0.2,
            "average_hours_per_site": 0.1,
        }
        assert table["total"] == {
            "by_site_type": kinds(
                rural=(2, 2160.0), community=(1, 900.0), institution=(1, 0.0), other=(1, 720.0)
            ),
            "sites": 5,
            "expected_learners": 180,
            "effective_watch_seconds": 3780.0,
            "effective_hours": 1.05,
            "average_hours_per_site": 0.21,
        }

        status, raw = await admin.call(
            "GET", f"/api/v1/stats/orgs/{city}/monthly?month=2024-03&format=csv&table=site_types"
        )
        assert status == 200
        assert raw.startswith(b"\xef\xbb\xbf")
        cells = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert cells[0][:3] == ["单位 org_id", "名称 name", "农村站点数 rural_sites"]
        expected = {
            fangshan: ["房山区", "2", "1", "0", "0", "0.6", "0.25", "0.0", "0.0", "3", "160"],
            dongcheng: ["东城区", "0", "0", "1", "1", "0.0", "0.0", "0.0", "0.2", "2", "20"],
        }
        assert [row[0] for row in cells[1:-1]] == sorted(expected)
        for row in cells[1:-1]:
            assert row[1:12] == expected[row[0]]
        assert [row[-2:] for row in cells[1:-1]] == [
            ["0.85", "0.283"] if row[0] == fangshan else ["0.2", "0.1"] for row in cells[1:-1]
        ]
        assert cells[-1] == [
            "合计 total",
            "",
            "2",
            "1",
            "1",
            "1",
            "0.6",
            "0.25",
            "0.0",
            "0.2",
            "5",
            "180",
            "1.05",
            "0.21",
        ]
