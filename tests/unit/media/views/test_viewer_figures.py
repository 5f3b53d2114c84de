"""观看人数 and 在线人数 as the views service counts them (DESIGN.md § Views and statistics):
distinct viewers per item per China Standard Time day, and sessions with a beat in the last
30 s — on the memory counters with a clock the test moves."""

from __future__ import annotations

import pytest

from culturecast.core.calendar import cst_day_start
from culturecast.media.views import state
from culturecast.media.views.items import PlayableItem
from culturecast.media.views.policy import Heartbeat, ItemType, Terminal, ViewRules
from culturecast.media.views.service import Viewer, ViewsConfig, ViewsService
from culturecast.storage.counters.memory import MemoryCounters

T0 = cst_day_start("2023-10-08") + 8 * 3600  # 2023-10-08 08:00 CST
HOUR = 3600.0


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Items:
    """One resource and one live show on air."""

    async def resolve(self, item_type: ItemType, item_id: str) -> PlayableItem | None:
        live = item_type is ItemType.LIVE
        return PlayableItem(
            item_type=item_type,
            item_id=item_id,
            org_path=("county", "province"),
            category="戏曲",
            title="越剧《梁祝》",
            duration_s=None if live else 3600.0,
            master_key=f"{item_type}/{item_id}/master.m3u8",
            is_live=live,
            public=True,
        )


def service(clock: Clock, rules: ViewRules | None = None) -> tuple[MemoryCounters, ViewsService]:
    counters = MemoryCounters(clock)
    config = ViewsConfig(drain_interval_s=0, rules=rules or ViewRules())
    return counters, ViewsService(counters, Items(), clock, config)


async def play(views: ViewsService, viewer: str, item_type: ItemType = ItemType.RESOURCE) -> str:
    started = await views.play(
        item_type, "item-1", Terminal.WEB, Viewer(viewer, signed_in=False), f"198.51.100.{viewer}"
    )
    return started.session_id


async def unique(counters: MemoryCounters, day: str, item_type: str = "resource") -> int:
    return await counters.unique_count(state.item_uniques_key(day, item_type, "item-1"))


async def test_unique_viewers_are_distinct_viewers_per_item_per_day() -> None:
    # 观看人数: v1 twice and v2 once on 8 October, v1 again on 9 October (China time).
    clock = Clock()
    counters, views = service(clock)
    for viewer, at in [("1", T0), ("1", T0 + HOUR), ("2", T0 + 2 * HOUR), ("1", T0 + 16 * HOUR)]:
        clock.now = at
        await play(views, viewer)
    await views.drain()
    assert await unique(counters, "2023-10-08") == 2
    assert await unique(counters, "2023-10-09") == 1
    await counters.close()


async def test_a_session_across_midnight_counts_its_viewer_on_both_days() -> None:
    clock = Clock(T0 + 16 * HOUR - 10)  # 23:59:50 CST
    counters, views = service(clock)
    sid = await play(views, "1", ItemType.LIVE)
    clock.now += 15
    assert await views.heartbeat(sid, Heartbeat(seq=1))
    await views.drain()
    assert await unique(counters, "2023-10-08", "live") == 1
    assert await unique(counters, "2023-10-09", "live") == 1
    await counters.close()


@pytest.mark.parametrize(
    ("age", "concurrent"),
    [(0.0, True), (15.0, True), (30.0, True), (30.001, False), (120.0, False)],
)
async def test_concurrent_means_a_heartbeat_in_the_last_30_seconds(
    age: float, concurrent: bool
) -> None:
    clock = Clock()
    counters, views = service(clock)
    await play(views, "1", ItemType.LIVE)
    await views.drain()
    clock.now += age
    assert await views.concurrent(ItemType.LIVE, "item-1") == (1 if concurrent else 0)
    await counters.close()


@pytest.mark.parametrize(("window", "watching"), [(30, 3), (60, 4)])
async def test_concurrent_viewers_are_counted_over_sessions(window: int, watching: int) -> None:
    clock = Clock(T0 - 600)
    counters, views = service(clock, ViewRules(concurrent_window_seconds=window))
    for n, at in enumerate([T0 - 600, T0 - 31, T0 - 29, T0 - 10, T0]):
        clock.now = at
        await play(views, str(n), ItemType.LIVE)
    await views.drain()
    assert await views.concurrent(ItemType.LIVE, "item-1") == watching
    assert await views.concurrent(ItemType.LIVE, "another") == 0
    await counters.close()
