"""Figures a player cannot inflate (issue 18, items 11 and 12): a live session's heartbeats
after its show ended, and completions claimed by position alone — through the HTTP API, on
the memory counters and on Redis."""

from __future__ import annotations

import math
import secrets
from pathlib import Path
from typing import Any

import pytest

from culturecast.server.context import SERVICES
from culturecast.server.features.live import LIVE_SERVICE
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

pytestmark = pytest.mark.integration

DAY = "2024-03-10"


class Player:
    """One viewer's device and session, beating as our player does."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.cookie = f"cc_did={secrets.token_urlsafe(16)}"
        self.session_id = ""
        self.master_url = ""
        self.seq = 0

    async def play(self, item_type: str, item_id: str) -> None:
        status, body = await self.stack.api.call(
            "POST",
            "/api/v1/play",
            {"item_type": item_type, "item_id": item_id, "terminal": "web"},
            headers={"Cookie": self.cookie},
        )
        assert status == 201, body
        self.session_id, self.master_url = body["session_id"], body["master_url"]

    async def beat(self, **fields: Any) -> tuple[int, Any]:
        self.seq += 1
        body = {"session_id": self.session_id, "seq": self.seq, **fields}
        return await self.stack.api.call("POST", "/api/v1/views/heartbeat", body)


async def end_show(stack: Stack, event_id: str, ended_at: float) -> None:
    """End the show as the ingest does: the event's record, then the status notice."""
    events = stack.app[SERVICES].engines.database.collection("live_events")
    await events.update_one(
        {"_id": event_id},
        set={"status": "ended", "ended_at": ended_at, "duration": ended_at - START},
    )
    await stack.app[LIVE_SERVICE].publish_status(event_id, "ended")


async def test_live_heartbeats_after_the_show_ended_add_nothing(
    data_dir: Path, clock: FakeClock, engine_env: dict[str, str]
) -> None:
    # The probe: on air for 6 s, the player kept beating to 18 s; watch time grew to 18 s and
    # the viewer stayed online. Beats 3 s apart, so each one finds the event re-read.
    async for stack in start_stack(data_dir, clock, **engine_env):
        admin = await stack.api.login("admin", ADMIN_PASSWORD)
        path = org_path(await make_tree(admin, ["浙江省", "杭州市"]))
        await add_live(stack, "show", path)
        viewer = Player(stack)
        await viewer.play("live", "show")
        for t in (3, 6):
            clock.now = START + t
            assert (await viewer.beat())[0] == 204
        await end_show(stack, "show", START + 6)

        answers = []
        for t in (9, 12, 15, 18):
            clock.now = START + t
            answers.append(await viewer.beat())
        assert [status for status, _ in answers] == [409] * 4, answers
        assert {body["error"]["code"] for _, body in answers} == {"show_ended"}
        # A TV box without our JavaScript keeps fetching the (closed) playlist: served, not
        # counted.
        seen = stack.views.media_requests_seen
        status, _ = await stack.api.call("GET", viewer.master_url)
        assert status == 200
        await stack.media_reported(seen + 1)
        await stack.views.drain()

        live = await admin.ok("GET", "/api/v1/stats/live/show")
        assert (live["current_viewers"], live["peak_viewers"]) == (0, 1)
        clock.now = START + 60
        await stack.flush()
        item = await admin.ok("GET", f"/api/v1/stats/items/live/show?from={DAY}&to={DAY}")
        assert item["totals"]["watch_seconds"] == 6
        assert item["live"]["current_viewers"] == 0


async def test_a_completion_needs_watch_time_and_positions_are_bounded(stack: Stack) -> None:
    # A 6 s resource. The probe: "ended" one second in, or position 1e9, counted a completion.
    admin = await stack.api.login("admin", ADMIN_PASSWORD)
    path = org_path(await make_tree(admin, ["浙江省", "杭州市"]))
    await add_resource(stack, "short", path, duration_s=6.0)
    forger, seeker, listener = Player(stack), Player(stack), Player(stack)
    for player in (forger, seeker, listener):
        await player.play("resource", "short")

    stack.clock.advance(1)
    assert (await forger.beat(state="ended", position_s=6))[0] == 204
    for absurd in (1e9, -1, math.inf, math.nan):
        status, body = await seeker.beat(position_s=absurd)
        assert status == 400, (absurd, body)
        assert body["error"]["code"] == "invalid_body"
    # Beyond the duration but not absurd: taken as the end, which one second does not reach.
    assert (await seeker.beat(position_s=60))[0] == 204
    # Playing to the end, even at 2×: a completion (and an effective view).
    stack.clock.advance(2)
    assert (await listener.beat(position_s=6, state="ended"))[0] == 204

    await stack.flush()
    item = await admin.ok("GET", f"/api/v1/stats/items/resource/short?from={DAY}&to={DAY}")
    totals = item["totals"]
    assert (totals["plays"], totals["completions"], totals["effective"]) == (3, 1, 1), totals
    assert totals["watch_seconds"] == 1 + 1 + 3
