"""View counting across real processes: two ``culturecast api`` processes account the same
playback sessions (their state lives in Redis), the worker flushes the counters into MongoDB,
and both processes then answer the same statistics.

The product runs with ``CULTURECAST_VIEWS_FLUSH_INTERVAL=1`` (each api process queues the
``views.flush`` job every second, one job per 1-s slot, run by the worker); the write-behind
drain of each api process stays at its built-in 1 s. Organizations: 浙江省 › 淳安县; every item
belongs to the county. Viewers V1–V7 are distinct ``cc_did`` device ids. All sessions start on
api0. The test then runs ``ROUNDS`` = 13 rounds one second apart (t = 0…12 s after the loop
starts); in round r:

Resource R1 (评书, 20 s; effective: watch > 20 % = 4 s; completion: position >= 90 % = 18 s)
  V1–V5  web  beat with seq r+1 to api[(r+i) % 2] — each session alternates between the two
              processes; position r+1, except V1's last beat reports 19 s (it seeks to the end)
  V6     tv   token only: GET <master_url> on api1 in rounds 0, 6, 12 (6 s apart, so each
              request counts as a heartbeat: at most one per 5 s is counted)
  V1 again, on api1 after the rounds: within 30 min of V1's play, so no second play.
  plays 6 (V1's second session continues its play), unique viewers 6, completions 1 (V1),
  completion rate 1/6 = 0.166667, effective 6 (every session watches about 12 s > 4 s),
  effective watch time = watch time (every session is effective).
Resource R2 (戏曲, 20 s), beaten concurrently
  V7     web  each round sends two beats at once, one to api0 and one to api1 (asyncio.gather):
              in even rounds the same beat twice (seq k, k), in odd rounds successive beats
              (seq k, k+1). Exactly one of two racing beats applies to a given state (the
              other is refused as out of order or stale, or re-read and applied on top), so
              the session accrues about 12 s — never the ~24 s of counting each beat twice.
  plays 1, unique viewers 1, effective 1.
Live event L (戏曲, on air)
  V1–V3  web  beat to api[(r+i+1) % 2], no position.
  plays 3, unique viewers 3, effective 0 (live needs > 30 s); concurrent viewers 3 (every
  session beat within 30 s), the peak 3 — the same figures from both processes.
Organization 浙江省 (the subtree): plays 6 + 1 + 3 = 10, distinct viewers 7 (V1–V7).

Watch time is wall time, so it is bounded from both sides by the test's own measurements (the
servers' clock is this machine's ``time.time()``). A session starts at a server time within
[play sent, play answered] and accrues, while playing, the time up to its last accepted beat
(beats are 1 s apart, far below the 30 s tolerance), which happened within [last beat sent,
last beat answered]; so its watch time lies in

  [last beat sent − play answered, last beat answered − play sent]   (≈ 12 s, a few ms wide).

For V6 the last counted request's heartbeat runs after the media was answered (fire and
forget), so its upper end is the moment the final statistics were read. For V7 the last
round's pair counts: at least one of its two beats applies. Per-terminal figures separate V6
(tv) from V1–V5 (web), so each bound is checked on its own, then summed for items and the
organization. A figure counted once per process would exceed the upper bound by ~12 s per
session; a beat lost between processes would fall short of the lower bound by ~1 s.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from culturecast.core.calendar import cst_day, cst_day_start
from culturecast.media.views.flush import FLUSH_JOB
from tests.e2e.conftest import running_distributed
from tests.support.api import Api
from tests.support.engines import S3Endpoint
from tests.support.product import ADMIN_PASSWORD, Distributed

FLUSH_INTERVAL_S = 1.0
DRAIN_INTERVAL_S = 1.0
"""``ViewsConfig.drain_interval_s``: api processes write buffered figures to Redis this often."""
ROUNDS = 13
ROUND_S = 1.0
TOKEN_ROUNDS = (0, 6, 12)
"""Rounds in which the token-only viewer fetches media: more than 5 s apart, so each counts."""
DURATION_S = 20.0
SETTLE_WITHIN_S = 20.0
ROUNDING_S = 0.002
"""The statistics API rounds seconds to 3 decimals."""
PLAYLIST = b"#EXTM3U\n#EXT-X-VERSION:3\n"


@pytest.fixture
def distributed_fast_flush(
    tmp_path: Path, redis_url: str, mongo_url: str, s3_endpoint: S3Endpoint
) -> Iterator[Distributed]:
    """The distributed product flushing view counters every second instead of every minute."""
    env = {"CULTURECAST_VIEWS_FLUSH_INTERVAL": str(FLUSH_INTERVAL_S)}
    with running_distributed(tmp_path, redis_url, mongo_url, s3_endpoint, env) as product:
        yield product


@pytest.fixture
async def viewers_http() -> AsyncIterator[aiohttp.ClientSession]:
    # Each viewer names its device in its own Cookie header; a shared jar must not mix them.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        yield session


@dataclass
class Bounds:
    """Watch time bounded by measured times (seconds)."""

    low: float = 0.0
    high: float = 0.0

    def __add__(self, other: Bounds) -> Bounds:
        return Bounds(self.low + other.low, self.high + other.high)

    def holds(self, value: float) -> bool:
        return self.low - ROUNDING_S <= value <= self.high + ROUNDING_S


@dataclass
class Viewer:
    """One player: its device, its session and the times bounding its watch time."""

    name: str
    device: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    session_id: str = ""
    token: str = ""
    master_url: str = ""
    seq: int = 0
    play_sent: float = 0.0
    play_answered: float = 0.0
    last_sent: float = 0.0
    last_answered: float = 0.0

    def bounds(self) -> Bounds:
        return Bounds(self.last_sent - self.play_answered, self.last_answered - self.play_sent)


async def play(api: Api, viewer: Viewer, item_type: str, item_id: str, terminal: str) -> None:
    viewer.play_sent = time.time()
    status, body = await api.call(
        "POST",
        "/api/v1/play",
        {"item_type": item_type, "item_id": item_id, "terminal": terminal},
        headers={"Cookie": f"cc_did={viewer.device}"},
    )
    viewer.play_answered = time.time()
    assert status == 201, body
    viewer.session_id, viewer.token = body["session_id"], body["token"]
    viewer.master_url, viewer.seq = body["master_url"], 0
    viewer.last_sent, viewer.last_answered = viewer.play_sent, viewer.play_answered


async def send_beat(api: Api, session_id: str, seq: int, position: float | None) -> None:
    body: dict[str, Any] = {"session_id": session_id, "state": "playing", "seq": seq}
    if position is not None:
        body["position_s"] = position
    status, answer = await api.call("POST", "/api/v1/views/heartbeat", body)
    # A beat refused as a duplicate or out of order is still answered 204: only its figures
    # are ignored; an unknown session would be 404.
    assert status == 204, (api.base, answer)


async def beat(api: Api, viewer: Viewer, position: float | None) -> None:
    viewer.seq += 1
    sent = time.time()
    await send_beat(api, viewer.session_id, viewer.seq, position)
    viewer.last_sent, viewer.last_answered = sent, time.time()


async def beat_on_both(apis: list[Api], viewer: Viewer, successive: bool) -> None:
    """Two beats of one session at once, one to each process: the same beat twice, or two
    successive ones. At least one applies, so the last accepted beat is within this call."""
    first = viewer.seq + 1
    second = first + 1 if successive else first
    viewer.seq = second
    sent = time.time()
    await asyncio.gather(
        send_beat(apis[0], viewer.session_id, first, None),
        send_beat(apis[1], viewer.session_id, second, None),
    )
    viewer.last_sent, viewer.last_answered = sent, time.time()


async def fetch_media(api: Api, viewer: Viewer) -> None:
    """A TV box without our JavaScript: only its media requests carry the session token."""
    sent = time.time()
    status, body = await api.call("GET", viewer.master_url)
    assert status == 200, body
    assert body == PLAYLIST
    viewer.last_sent, viewer.last_answered = sent, time.time()


async def wait_flush_after(admin: Api, moment: float) -> str:
    """Wait until a ``views.flush`` job queued at or after ``moment`` has run; its id.

    Each api process queues one every second under the id of its 1-s slot; a slot can be
    skipped when a process's loop drifts across a boundary, so a few slots are tried."""
    first = math.ceil(moment / FLUSH_INTERVAL_S)
    deadline = time.monotonic() + SETTLE_WITHIN_S
    while time.monotonic() < deadline:
        for slot in range(first, first + 4):
            status, job = await admin.call("GET", f"/api/v1/jobs/{FLUSH_JOB}:{slot}")
            if status != 200:
                continue
            assert job["status"] != "failed", job
            if job["status"] == "succeeded":
                assert job["created"] >= moment, job
                return str(job["id"])
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {FLUSH_JOB} job queued after {moment} ran within the deadline")


async def read_all(apis: list[Api], paths: list[str]) -> list[dict[str, Any]]:
    """Every statistics document from every process, in order (process-major)."""
    return [await api.ok("GET", path) for api in apis for path in paths]


async def settled(
    admin0: Api, apis: list[Api], paths: list[str], after: float
) -> tuple[list[Any], str]:
    """The statistics once everything is flushed: read after a flush queued past ``after``,
    then again after each further flush until two reads agree (a drain or flush still in
    flight would change the second). Returns the last read of api0's documents and the id of
    the last flush job."""
    await wait_flush_after(admin0, after)
    previous = await read_all(apis[:1], paths)
    deadline = time.monotonic() + SETTLE_WITHIN_S
    while True:
        job_id = await wait_flush_after(admin0, time.time())
        current = await read_all(apis[:1], paths)
        if current == previous:
            return current, job_id
        assert time.monotonic() < deadline, (previous, current)
        previous = current


def one_day(report: dict[str, Any]) -> dict[str, Any]:
    assert len(report["daily"]) == 1, report["daily"]
    day: dict[str, Any] = report["daily"][0]
    return day


async def test_two_api_processes_count_the_same_sessions_and_answer_the_same_figures(
    distributed_fast_flush: Distributed,
    http: aiohttp.ClientSession,
    viewers_http: aiohttp.ClientSession,
) -> None:
    product = distributed_fast_flush
    now = time.time()
    if cst_day_start(cst_day(now)) + 86_400 - now < 120:
        pytest.skip("China Standard Time midnight is near: the figures would span two days")
    admin = await Api(http, product.urls[0]).login("admin", ADMIN_PASSWORD)
    admins = [admin, Api(http, product.urls[1], admin.token)]
    apis = [Api(viewers_http, url) for url in product.urls]
    province = await admin.ok("POST", "/api/v1/orgs", {"name": "浙江省"}, expect=201)
    county = await admin.ok(
        "POST", "/api/v1/orgs", {"name": "淳安县", "parent_id": province["id"]}, expect=201
    )
    path = [county["id"], province["id"]]

    # The media and live packages own these documents and objects; write them as they would
    # once a resource is processed and published, and once a stream is on air.
    tag = uuid.uuid4().hex[:8]
    r1, r2, live = f"r1-{tag}", f"r2-{tag}", f"live-{tag}"
    store = product.object_store()
    db = await product.database()
    try:
        for rid, title, category in (
            (r1, "评书《三国演义》第一回", "评书"),
            (r2, "越剧《梁祝》", "戏曲"),
        ):
            await store.put(f"vod/{rid}/master.m3u8", PLAYLIST, "application/vnd.apple.mpegurl")
            await db.collection("resources").insert(
                {
                    "_id": rid,
                    "org_id": path[0],
                    "org_path": path,
                    "title": title,
                    "category": category,
                    "kind": "audio",
                    "published": True,
                    "status": "ready",
                    "hls_master_key": f"vod/{rid}/master.m3u8",
                    "duration_s": DURATION_S,
                    "series_id": None,
                }
            )
        await store.put(f"live/{live}/master.m3u8", PLAYLIST, "application/vnd.apple.mpegurl")
        await db.collection("live_events").insert(
            {
                "_id": live,
                "org_id": path[0],
                "org_path": path,
                "title": "婺剧《三请梨花》直播",
                "category": "戏曲",
                "status": "live",
                "started_at": time.time(),
                "published": True,
                "disabled": False,
            }
        )
    finally:
        await db.close()
        await store.close()

    # -- every session starts on api0 ------------------------------------------------------
    v = [Viewer(f"V{n}") for n in range(1, 8)]
    web, tv, racer = v[:5], v[5], v[6]
    live_viewers = [Viewer(x.name, x.device) for x in v[:3]]
    for viewer in web:
        await play(apis[0], viewer, "resource", r1, "web")
    await play(apis[0], tv, "resource", r1, "tv")
    await play(apis[0], racer, "resource", r2, "web")
    for viewer in live_viewers:
        await play(apis[0], viewer, "live", live, "web")

    # -- a heartbeat naming no session is refused by both processes ------------------------
    for api in apis:
        for unknown in ({"session_id": "A" * 22}, {"token": "B" * 32}):
            status, body = await api.call("POST", "/api/v1/views/heartbeat", unknown)
            assert status == 404, (api.base, body)
            assert body["error"]["code"] == "unknown_session"

    # -- the rounds ---------------------------------------------------------------------------
    loop_start = time.monotonic()
    for r in range(ROUNDS):
        await asyncio.sleep(max(0.0, loop_start + r * ROUND_S - time.monotonic()))
        last = r == ROUNDS - 1
        steps = [
            beat(apis[(r + i) % 2], viewer, 19.0 if last and i == 0 else float(r + 1))
            for i, viewer in enumerate(web)
        ]
        steps += [beat(apis[(r + i + 1) % 2], x, None) for i, x in enumerate(live_viewers)]
        steps.append(beat_on_both(apis, racer, successive=r % 2 == 1))
        if r in TOKEN_ROUNDS:
            steps.append(fetch_media(apis[1], tv))
        await asyncio.gather(*steps)
    # V1 comes back through the other process within 30 min: a new session, no new play.
    again = Viewer("V1 again", v[0].device)
    await play(apis[1], again, "resource", r1, "web")
    activity_over = time.time()

    # -- live concurrent viewers, straight from the counters, agree between processes --------
    live_path = f"/api/v1/stats/live/{live}"
    deadline = time.monotonic() + SETTLE_WITHIN_S
    while True:
        now_live = [await a.ok("GET", live_path) for a in admins]
        if all(x["current_viewers"] == 3 and x["peak_viewers"] == 3 for x in now_live):
            break
        assert time.monotonic() < deadline, now_live
        await asyncio.sleep(0.2)
    assert now_live[0] == now_live[1]
    assert now_live[0]["peak_at"] is not None

    # -- after the worker's flush, both processes answer the same figures --------------------
    paths = [
        f"/api/v1/stats/items/resource/{r1}",
        f"/api/v1/stats/items/resource/{r2}",
        f"/api/v1/stats/items/live/{live}",
        f"/api/v1/stats/orgs/{province['id']}",
        live_path,
    ]
    figures, job_id = await settled(admin, admins, paths, activity_over + DRAIN_INTERVAL_S + 0.5)
    read_at = time.time()
    assert await read_all(admins[1:], paths) == figures
    item1, item2, item_live, org, live_now = figures
    # The api processes only queue the flush; the worker runs it.
    assert product.worker is not None
    ran = f"job {job_id} ({FLUSH_JOB}) succeeded"
    assert ran in product.worker.log
    assert all(ran not in api.log for api in product.apis)

    # R1: 6 plays (V1's second session continues its play), 6 distinct viewers.
    web_bounds = sum((x.bounds() for x in web), Bounds())
    tv_bounds = Bounds(tv.last_sent - tv.play_answered, read_at - tv.play_sent)
    for low in (x.bounds().low for x in [*web, tv, racer]):
        assert low > 0.2 * DURATION_S, "every resource session must be an effective view"
    totals = item1["totals"]
    assert (totals["plays"], totals["effective"], totals["completions"]) == (6, 6, 1), totals
    assert totals["completion_rate"] == round(1 / 6, 6)
    assert one_day(item1)["unique_viewers"] == 6
    assert web_bounds.holds(item1["by_terminal"]["web"]["watch_seconds"]), (web_bounds, item1)
    assert tv_bounds.holds(item1["by_terminal"]["tv"]["watch_seconds"]), (tv_bounds, item1)
    assert (web_bounds + tv_bounds).holds(totals["watch_seconds"]), item1
    assert abs(totals["effective_watch_seconds"] - totals["watch_seconds"]) <= ROUNDING_S
    assert item1["by_terminal"]["tv"]["plays"] == 1
    # The token-only viewer was counted through its media requests on api1 alone.
    assert item1["by_terminal"]["tv"]["watch_seconds"] > 2 * 5.0

    # R2: beaten on both processes at once, it accrued no more than wall time.
    racer_bounds = racer.bounds()
    totals2 = item2["totals"]
    assert (totals2["plays"], totals2["effective"], one_day(item2)["unique_viewers"]) == (1, 1, 1)
    assert racer_bounds.holds(totals2["watch_seconds"]), (racer_bounds, totals2)

    # The live event: 3 plays, 3 viewers, none effective yet (live needs > 30 s).
    live_bounds = sum((x.bounds() for x in live_viewers), Bounds())
    totals_live = item_live["totals"]
    assert (totals_live["plays"], totals_live["effective"]) == (3, 0), totals_live
    assert one_day(item_live)["unique_viewers"] == 3
    assert live_bounds.holds(totals_live["watch_seconds"]), (live_bounds, totals_live)
    assert item_live["live"]["peak_viewers"] == 3
    assert (live_now["current_viewers"], live_now["peak_viewers"]) == (3, 3)

    # The province's subtree: every item, 7 distinct viewers.
    all_bounds = web_bounds + tv_bounds + racer_bounds + live_bounds
    assert org["totals"]["plays"] == 10
    assert all_bounds.holds(org["totals"]["watch_seconds"]), (all_bounds, org["totals"])
    assert one_day(org)["unique_viewers"] == 7
