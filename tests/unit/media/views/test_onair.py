"""How the views service learns that a live show ended (issue 18, item 11): from the live
package's status notice at once, or from the event's record, re-read at least every
``live_status_refresh_s`` — here on the memory counters with a fake clock; and how a crowd's
plays of one show share the reads of it."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from culturecast.core.calendar import cst_day_start
from culturecast.media.views import state
from culturecast.media.views.errors import ShowEnded, UnknownItem
from culturecast.media.views.items import PlayableItem
from culturecast.media.views.policy import Heartbeat, ItemType, Terminal
from culturecast.media.views.service import PlayStarted, Viewer, ViewsConfig, ViewsService
from culturecast.storage.counters.memory import MemoryCounters

NOW = cst_day_start("2024-03-10") + 8 * 3600
DAY = "2024-03-10"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


class Events:
    """The live package's answer for one event, changed by the test; counts the reads."""

    def __init__(self) -> None:
        self.item = PlayableItem(
            item_type=ItemType.LIVE,
            item_id="show",
            org_path=("county", "province"),
            category="戏曲",
            title="越剧《梁祝》直播",
            duration_s=None,
            master_key="live/show/master.m3u8",
            is_live=True,
            public=True,
        )
        self.reads = 0
        self.down = False

    async def resolve(self, item_type: ItemType, item_id: str) -> PlayableItem | None:
        self.reads += 1
        await asyncio.sleep(0)  # a round trip: the others' beats arrive meanwhile
        if self.down:
            raise ConnectionError("the database does not answer")
        return self.item

    def end(self, at: float) -> None:
        self.item = replace(self.item, is_live=False, ended_at=at)


async def watched(counters: MemoryCounters) -> float:
    figures = await counters.hgetall(state.day_item_key(DAY, "live", "show"))
    return figures.get("watch_s", 0.0)


async def start(
    refresh_s: float, viewers: int = 1
) -> tuple[Clock, MemoryCounters, Events, ViewsService, list[str]]:
    clock = Clock()
    counters = MemoryCounters(clock)
    events = Events()
    config = ViewsConfig(drain_interval_s=0, live_status_refresh_s=refresh_s)
    views = ViewsService(counters, events, clock, config)
    sessions = []
    for n in range(viewers):
        started = await views.play(
            ItemType.LIVE, "show", Terminal.WEB, Viewer(f"d:{n}", signed_in=False), "1.2.3.4"
        )
        sessions.append(started.session_id)
    return clock, counters, events, views, sessions


async def test_a_status_notice_stops_the_show_s_sessions_at_once() -> None:
    clock, counters, events, views, (sid,) = await start(refresh_s=60)
    clock.now += 3
    assert await views.heartbeat(sid, Heartbeat(seq=1))
    events.end(at=NOW + 4)
    await views.on_live_status("show", "ended")
    clock.now += 1.5  # well within the refresh time: only the notice can tell
    with pytest.raises(ShowEnded):
        await views.heartbeat(sid, Heartbeat(seq=2))
    assert await watched(counters) == 4  # up to the end, not the beat
    clock.now += 15
    with pytest.raises(ShowEnded):
        await views.heartbeat(sid, Heartbeat(seq=3))
    assert await watched(counters) == 4
    assert views.beats["heartbeat", "show_ended"] == 2
    await counters.close()


async def test_without_a_notice_the_event_is_read_again_after_the_refresh_time() -> None:
    clock, counters, events, views, sessions = await start(refresh_s=1, viewers=3)
    reads = events.reads
    clock.now += 3
    # One read for all the show's sessions beating at once.
    accepted = await asyncio.gather(*(views.heartbeat(s, Heartbeat(seq=1)) for s in sessions))
    assert accepted == [True] * 3
    assert events.reads == reads + 1
    events.end(at=NOW + 3.25)  # the notice is lost
    clock.now += 0.5
    # Within the refresh time the show is still believed on air: 0.25 s too many each.
    assert await views.heartbeat(sessions[0], Heartbeat(seq=2))
    clock.now += 1
    for sid in sessions:
        with pytest.raises(ShowEnded):
            await views.heartbeat(sid, Heartbeat(seq=3))
    assert await watched(counters) == pytest.approx(3 * 3.25 + 0.25)
    await counters.close()


async def test_a_database_that_does_not_answer_does_not_refuse_live_beats() -> None:
    clock, counters, events, views, (sid,) = await start(refresh_s=1)
    events.down = True
    clock.now += 3
    assert await views.heartbeat(sid, Heartbeat(seq=1))
    events.down = False
    events.end(at=NOW + 4)
    clock.now += 3
    with pytest.raises(ShowEnded):
        await views.heartbeat(sid, Heartbeat(seq=2))
    assert await watched(counters) == 4
    await counters.close()


class GatedEvents(Events):
    """Reads take the item as it is when they start and end when the test says."""

    def __init__(self) -> None:
        super().__init__()
        self.open = asyncio.Event()
        self.open.set()
        self.started = asyncio.Event()

    async def resolve(self, item_type: ItemType, item_id: str) -> PlayableItem | None:
        self.reads += 1
        self.started.set()
        item = self.item
        await self.open.wait()
        return item


async def test_a_crowd_s_plays_share_reads_of_the_show_and_none_is_answered_from_before() -> None:
    clock = Clock()
    counters = MemoryCounters(clock)
    events = GatedEvents()
    views = ViewsService(counters, events, clock, ViewsConfig(drain_interval_s=0))

    def play(n: int) -> asyncio.Future[PlayStarted]:
        viewer = Viewer(f"d:{n}", signed_in=False)
        return asyncio.ensure_future(
            views.play(ItemType.LIVE, "show", Terminal.WEB, viewer, f"10.0.0.{n}")
        )

    started = await asyncio.gather(*(play(n) for n in range(50)))
    assert len({s.session_id for s in started}) == 50
    assert events.reads <= 2  # one read, and at most one for those who asked during it
    figures = await counters.hgetall(state.day_item_key(DAY, "live", "show"))
    assert figures["plays"] == 50
    # Unpublished while a read runs: who asks after that is answered by a later read.
    events.open.clear()
    reads = events.reads
    events.started.clear()
    early = play(100)
    await events.started.wait()
    events.item = replace(events.item, public=False)
    late = play(101)
    await asyncio.sleep(0.01)
    events.open.set()
    assert (await early).item.public
    with pytest.raises(UnknownItem):
        await late
    assert events.reads == reads + 2
    await counters.close()
