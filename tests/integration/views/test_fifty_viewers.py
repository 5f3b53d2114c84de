"""Fifty simulated viewers through a live event and a resource, every figure checked against
hand-computed expectations — on the memory counters and on Redis, and after a restart.

The tree: 浙江省 › 杭州市 › 淳安县 › 千岛湖镇 › 下姜村. The resource (评书, 1000 s) belongs to the
village, the live event (戏曲) to the county. Heartbeats every 15 s (positions advance 15 s);
token-only players (TV boxes) fetch media every 10 s. Times are seconds after the start.

Resource (effective: > 20 % = 200 s; mobile H5: > 30 s; completion: position >= 900 s
          with watch time >= 450 s)
  A  V0–V9    web        beat t=15…900, position = t          watch 900, effective, completed
  B  V10–V14  mobile_h5  beat t=15…120, then leave            watch 120, effective (> 30 s, H5)
  C  V15–V19  wechat     t=15 pos 15, t=30 seeks to 950,
                         t=45 ended                           watch 45, not completed: 90 % was
                                                              reached with 45 s watched, under
                                                              the 45 % (450 s) a completion needs
  D  V20–V24  tv         token only: media every 10 s, t=10…300   watch 300, effective
  V10 again   app        t=600 within 30 min: no new play; beats t=615…900
                         watch 300, an effective session, but its play's effective view was
                         already counted (B)
  plays 25, watch 9000+600+225+1500+300 = 11625, effective 10+5+5 = 20,
  effective watch 9000+600+1500+300 = 11400, completions 10, rate 0.4, uniques 25

Live (effective: > 30 s)
  E  V25–V39  web        plays at 0, beats t=15…600; V25 pauses t=300…360 (4 beats accrue 0)
                         watch 600 (V25: 540)
  F1 V40–V44  mobile_h5  plays at 300, beats t=315…420       watch 120, effective
  F2 V45–V49  mobile_h5  plays at 300, one beat at 315        watch 15, not effective
  G  V20–V24  tv         plays at 310, token only t=320…600   watch 290, effective
  plays 30, watch 14*600+540+600+75+1450 = 11065, effective 15+5+5 = 25,
  effective watch 8940+600+1450 = 10990, uniques 30
  concurrent: 30 from t=310 (E 15 + F 10 + G 5) — the peak, first at 310; 20 at t=600
  (E and G); 0 at t=631.

Distinct viewers of the county's subtree that day: 50; of the township and village: 25.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration.server.conftest import ADMIN_PASSWORD
from tests.integration.views.conftest import (
    START,
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

DAY = "2024-03-10"
TREE = ["浙江省", "杭州市", "淳安县", "千岛湖镇", "下姜村"]


@dataclass
class Viewer:
    number: int
    cookie: str
    terminal: str
    session_id: str = ""
    token: str = ""
    master_url: str = ""
    seq: int = 0


type Action = Callable[[], Awaitable[None]]


class Scenario:
    def __init__(self, stack: Stack, live_id: str, resource_id: str) -> None:
        self.stack = stack
        self.live_id = live_id
        self.resource_id = resource_id
        self.steps: dict[int, list[Action]] = defaultdict(list)
        self.tag = uuid.uuid4().hex[:8]

    def viewer(self, number: int, terminal: str) -> Viewer:
        return Viewer(number, f"viewer{self.tag}{number:06d}", terminal)

    def at(self, t: int, action: Action) -> None:
        self.steps[t].append(action)

    async def play(self, viewer: Viewer, item_type: str, item_id: str) -> None:
        status, body = await self.stack.api.call(
            "POST",
            "/api/v1/play",
            {"item_type": item_type, "item_id": item_id, "terminal": viewer.terminal},
            headers={"Cookie": f"cc_did={viewer.cookie}"},
        )
        assert status == 201, body
        viewer.session_id, viewer.token = body["session_id"], body["token"]
        viewer.master_url = body["master_url"]
        viewer.seq = 0

    async def beat(self, viewer: Viewer, position: float | None, state: str = "playing") -> None:
        viewer.seq += 1
        body: dict[str, Any] = {"session_id": viewer.session_id, "state": state, "seq": viewer.seq}
        if position is not None:
            body["position_s"] = position
        status, answer = await self.stack.api.call("POST", "/api/v1/views/heartbeat", body)
        assert status == 204, answer

    async def fetch_media(self, viewer: Viewer) -> None:
        # A TV box without our JavaScript: only its media requests carry the token. The
        # media feature reports each request after answering it; wait for that report.
        seen = self.stack.views.media_requests_seen
        status, body = await self.stack.api.call("GET", viewer.master_url)
        assert status == 200, body
        assert body.startswith(b"#EXTM3U")
        await self.stack.media_reported(seen + 1)

    def build(self) -> None:
        r, live = self.resource_id, self.live_id
        a = [self.viewer(i, "web") for i in range(10)]
        b = [self.viewer(i, "mobile_h5") for i in range(10, 15)]
        c = [self.viewer(i, "wechat") for i in range(15, 20)]
        d = [self.viewer(i, "tv") for i in range(20, 25)]
        e = [self.viewer(i, "web") for i in range(25, 40)]
        f1 = [self.viewer(i, "mobile_h5") for i in range(40, 45)]
        f2 = [self.viewer(i, "mobile_h5") for i in range(45, 50)]
        for v in [*a, *b, *c, *d]:
            self.at(0, lambda v=v: self.play(v, "resource", r))
        for v in a:
            for t in range(15, 901, 15):
                self.at(t, lambda v=v, t=t: self.beat(v, t))
        for v in b:
            for t in range(15, 121, 15):
                self.at(t, lambda v=v, t=t: self.beat(v, t))
        for v in c:
            self.at(15, lambda v=v: self.beat(v, 15))
            self.at(30, lambda v=v: self.beat(v, 950))
            self.at(45, lambda v=v: self.beat(v, 1000, "ended"))
        for v in d:
            for t in range(10, 301, 10):
                self.at(t, lambda v=v: self.fetch_media(v))
        again = self.viewer(10, "app")
        self.at(600, lambda: self.play(again, "resource", r))
        for t in range(615, 901, 15):
            self.at(t, lambda t=t: self.beat(again, t - 600))

        for v in e:
            self.at(0, lambda v=v: self.play(v, "live", live))
            for t in range(15, 601, 15):
                paused = v is e[0] and 300 <= t < 360
                self.at(
                    t,
                    lambda v=v, paused=paused: self.beat(
                        v, None, "paused" if paused else "playing"
                    ),
                )
        for v in [*f1, *f2]:
            self.at(300, lambda v=v: self.play(v, "live", live))
        for v in f1:
            for t in range(315, 421, 15):
                self.at(t, lambda v=v: self.beat(v, None))
        for v in f2:
            self.at(315, lambda v=v: self.beat(v, None))
        g = [self.viewer(i, "tv") for i in range(20, 25)]
        for v in g:
            self.at(310, lambda v=v: self.play(v, "live", live))
            for t in range(320, 601, 10):
                self.at(t, lambda v=v: self.fetch_media(v))

    async def run(self, until: int) -> None:
        for t in sorted(self.steps):
            if t > until:
                break
            self.stack.clock.now = START + t
            for action in self.steps.pop(t):
                await action()
            await self.stack.views.drain()


def figures(
    plays: int, watch: float, effective: int, completions: int, eff_watch: float
) -> dict[str, Any]:
    return {
        "plays": plays,
        "watch_seconds": watch,
        "effective": effective,
        "completions": completions,
        "completion_rate": round(completions / plays, 6) if plays else 0.0,
        "effective_watch_seconds": eff_watch,
    }


RESOURCE = figures(25, 11625, 20, 10, 11400)
LIVE = figures(30, 11065, 25, 0, 10990)
BOTH = figures(55, 11625 + 11065, 45, 10, 11400 + 10990)
RESOURCE_TERMINALS = {
    "web": figures(10, 9000, 10, 10, 9000),
    "mobile_h5": figures(5, 600, 5, 0, 600),
    "wechat": figures(5, 225, 0, 0, 0),
    "app": figures(0, 300, 0, 0, 300),
    "tv": figures(5, 1500, 5, 0, 1500),
}
LIVE_TERMINALS = {
    "web": figures(15, 8940, 15, 0, 8940),
    "mobile_h5": figures(10, 675, 5, 0, 600),
    "wechat": figures(0, 0, 0, 0, 0),
    "app": figures(0, 0, 0, 0, 0),
    "tv": figures(5, 1450, 5, 0, 1450),
}


@dataclass
class World:
    orgs: list[str]
    live_id: str
    resource_id: str


async def run_scenario(stack: Stack) -> World:
    admin = await stack.api.login("admin", ADMIN_PASSWORD)
    orgs = await make_tree(admin, TREE)
    tag = uuid.uuid4().hex[:10]
    live_id, resource_id = f"live{tag}", f"res{tag}"
    await add_live(stack, live_id, org_path(orgs[:3]))
    await add_resource(stack, resource_id, org_path(orgs))
    scenario = Scenario(stack, live_id, resource_id)
    scenario.build()
    await scenario.run(until=600)
    live = await admin.ok("GET", f"/api/v1/stats/live/{live_id}")
    assert live == {
        "event_id": live_id,
        "current_viewers": 20,
        "peak_viewers": 30,
        "peak_at": START + 310,
    }
    await scenario.run(until=900)
    stack.clock.now = START + 931
    await stack.flush()
    return World(orgs, live_id, resource_id)


async def check_figures(admin: Api, world: World) -> None:
    orgs, live_id, resource_id = world.orgs, world.live_id, world.resource_id
    query = f"?from={DAY}&to={DAY}"
    item = await admin.ok("GET", f"/api/v1/stats/items/resource/{resource_id}{query}")
    assert item["totals"] == RESOURCE
    assert item["by_terminal"] == RESOURCE_TERMINALS
    assert item["daily"] == [{"day": DAY, "unique_viewers": 25, **RESOURCE}]

    live = await admin.ok("GET", f"/api/v1/stats/items/live/{live_id}{query}")
    assert live["totals"] == LIVE
    assert live["by_terminal"] == LIVE_TERMINALS
    assert live["daily"] == [{"day": DAY, "unique_viewers": 30, **LIVE}]
    assert live["live"] == {"current_viewers": 0, "peak_viewers": 30, "peak_at": START + 310}

    province, city, county, township, village = orgs
    for org, expected, uniques in [
        (province, BOTH, 50),
        (county, BOTH, 50),
        (township, RESOURCE, 25),
        (village, RESOURCE, 25),
    ]:
        report = await admin.ok("GET", f"/api/v1/stats/orgs/{org}{query}")
        assert report["totals"] == expected, org
        assert report["daily"] == [{"day": DAY, "unique_viewers": uniques, **expected}]
    county_report = await admin.ok("GET", f"/api/v1/stats/orgs/{county}{query}")
    assert county_report["by_category"] == {"戏曲": LIVE, "评书": RESOURCE}
    assert county_report["children"] == [{"org_id": township, "name": "千岛湖镇", **RESOURCE}]
    ranking = await admin.ok("GET", f"/api/v1/stats/orgs/{province}/ranking{query}&by=plays")
    assert [(p["rank"], p["item_id"]) for p in ranking["items"]] == [(1, live_id), (2, resource_id)]
    by_completion = await admin.ok(
        "GET", f"/api/v1/stats/orgs/{province}/ranking{query}&by=completion"
    )
    assert [p["item_id"] for p in by_completion["items"]] == [resource_id, live_id]
    assert by_completion["items"][0]["completion_rate"] == 0.4

    monthly = await admin.ok("GET", f"/api/v1/stats/orgs/{province}/monthly?month=2024-03")
    assert monthly["totals"] == BOTH
    assert monthly["peak_day"] == {"day": DAY, "active_viewers": 50}
    assert [d["active_viewers"] for d in monthly["daily"] if d["day"] == DAY] == [50]
    assert monthly["districts"][0]["org_id"] == city
    assert monthly["districts"][0]["plays"] == 55


async def test_fifty_viewers_every_figure(
    data_dir: Path, clock: FakeClock, engine_env: dict[str, str]
) -> None:
    async for stack in start_stack(data_dir, clock, **engine_env):
        world = await run_scenario(stack)
        admin = await stack.api.login("admin", ADMIN_PASSWORD)
        await check_figures(admin, world)
        # A second flush finds nothing new and changes nothing.
        await stack.flush()
        await check_figures(admin, world)
    # After a restart the flushed figures (and the peak) come from the database.
    async for stack in start_stack(data_dir, clock, **engine_env):
        admin = await stack.api.login("admin", ADMIN_PASSWORD)
        await check_figures(admin, world)
