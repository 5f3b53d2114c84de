"""The pure parts around the view policy: session encoding, token-derived ids, query parsing,
CSV, rows of flushed documents, and the write-behind buffer on the memory counters."""

from __future__ import annotations

import msgspec
import pytest

from culturecast.core.calendar import cst_day_start
from culturecast.core.errors import InvalidQuery
from culturecast.media.views import state
from culturecast.media.views.buffer import CounterBuffer, read_peak
from culturecast.media.views.items import PlayableItem
from culturecast.media.views.limits import AddressLimiter
from culturecast.media.views.policy import (
    Heartbeat,
    ItemType,
    PriorPlay,
    Terminal,
    ViewDeltas,
    ViewRules,
    start_session,
)
from culturecast.media.views.rollup import RankBy
from culturecast.media.views.service import (
    Viewer,
    ViewsConfig,
    ViewsService,
    is_session_id,
    is_token,
    session_id_of,
)
from culturecast.media.views.stats import parse_month, parse_range, parse_rank, rows_of, to_csv
from culturecast.storage.counters.memory import MemoryCounters

NOW = cst_day_start("2024-03-10") + 8 * 3600


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def test_session_record_round_trips() -> None:
    session, _ = start_session(
        session_id="s" * 22,
        item_type=ItemType.RESOURCE,
        item_id="r",
        org_id="o",
        category="评书",
        terminal=Terminal.TV,
        viewer_id="d:x",
        duration=100.0,
        prior=None,
        now=NOW,
        rules=ViewRules(),
    )
    record = state.SessionRecord(session=session, org_path=("o", "p"), is_live=False)
    assert state.decode_record(state.encode_record(record)) == record
    assert state.decode_record("not json") is None
    assert state.decode_record('{"session": 1}') is None
    assert state.decode_record('[["s", "resource"], [], false]') is None
    # A session stored whole in the earlier object form still reads (across an upgrade).
    assert state.decode_record(msgspec.json.encode(record).decode()) == record


def test_session_progress_and_identity_make_the_record() -> None:
    session, _ = start_session(
        session_id="s" * 22,
        item_type=ItemType.LIVE,
        item_id="e",
        org_id="o",
        category="戏曲",
        terminal=Terminal.WEB,
        viewer_id="u:1",
        duration=None,
        prior=None,
        now=NOW,
        rules=ViewRules(),
    )
    record = state.SessionRecord(session=session, org_path=("o", "p", "q"), is_live=True)
    progress = state.encode_progress(session)
    # The compare-and-set of every beat sends the progress twice: it stays small.
    assert len(progress.encode()) < 80
    base = state.decode_identity(state.encode_identity(record))
    assert base is not None
    assert state.with_progress(base, progress) == record
    assert state.with_progress(base, "not progress") is None
    assert state.decode_identity("[1, 2]") is None
    assert state.decode_identity(None) is None


class _Resolver:
    async def resolve(self, item_type: ItemType, item_id: str) -> PlayableItem | None:
        return PlayableItem(
            item_type=ItemType.RESOURCE,
            item_id=item_id,
            org_path=("o", "p"),
            category="评书",
            title="t",
            duration_s=600.0,
            master_key="vod/r/master.m3u8",
            is_live=False,
            public=True,
            unavailable=None,
        )


async def test_another_process_continues_a_session_and_an_old_whole_record_counts() -> None:
    clock = Clock()
    counters = MemoryCounters(clock)
    config = ViewsConfig(drain_interval_s=0)
    here = ViewsService(counters, _Resolver(), clock, config)
    there = ViewsService(counters, _Resolver(), clock, config)  # no cached sessions
    started = await here.play(
        ItemType.RESOURCE, "r", Terminal.WEB, Viewer("d:x", signed_in=False), "1.2.3.4"
    )
    sid = started.session_id
    clock.now += 10
    assert await there.heartbeat(sid, Heartbeat(position=10.0, seq=1))
    clock.now += 10
    # This process's cached copy is stale: it re-reads and applies its beat on top.
    assert await here.heartbeat(sid, Heartbeat(position=20.0, seq=2))
    assert not await there.heartbeat(sid, Heartbeat(position=5.0, seq=2))  # out of order
    figures = await counters.hgetall(state.day_item_key("2024-03-10", "resource", "r"))
    assert figures["watch_s"] == 20
    # A session stored whole by an earlier version is read, counted and rewritten split.
    record = state.decode_identity(await counters.get_flag(state.identity_key(sid)))
    progress = await counters.get_flag(state.session_key(sid))
    assert record is not None
    assert progress is not None
    whole = state.with_progress(record, progress)
    assert whole is not None
    await counters.set_value(state.session_key(sid), msgspec.json.encode(whole).decode(), 600)
    await counters.delete(state.identity_key(sid))
    fresh = ViewsService(counters, _Resolver(), clock, config)
    clock.now += 10
    assert await fresh.heartbeat(sid, Heartbeat(position=30.0, seq=3))
    assert await counters.get_flag(state.identity_key(sid)) is not None
    figures = await counters.hgetall(state.day_item_key("2024-03-10", "resource", "r"))
    assert figures["watch_s"] == 30
    await counters.close()


def test_prior_play_round_trips_and_tolerates_junk() -> None:
    prior = PriorPlay(at=NOW, effective_counted=True)
    assert state.decode_prior(state.encode_prior(prior)) == prior
    assert state.decode_prior(None) is None
    assert state.decode_prior("[") is None


def test_session_id_is_a_hash_of_the_token() -> None:
    token = "a" * 32
    sid = session_id_of(token)
    assert is_token(token)
    assert is_session_id(sid)
    assert sid == session_id_of(token)
    assert token not in sid
    assert not is_token("a" * 31)
    assert not is_token("a" * 31 + "/")


def test_range_defaults_to_the_thirty_days_ending_today() -> None:
    assert parse_range(None, None, NOW) == ("2024-02-10", "2024-03-10")
    assert parse_range("2024-03-01", "2024-03-01", NOW) == ("2024-03-01", "2024-03-01")


@pytest.mark.parametrize(
    ("first", "last"),
    [("2024-3-1", None), ("2024-03-10", "2024-03-09"), ("2023-01-01", "2024-03-01"), ("x", "y")],
)
def test_bad_ranges_are_refused(first: str, last: str | None) -> None:
    with pytest.raises(InvalidQuery):
        parse_range(first, last, NOW)


def test_month_and_rank_parsing() -> None:
    assert parse_month(None, NOW) == "2024-03"
    assert parse_month("2023-12", NOW) == "2023-12"
    with pytest.raises(InvalidQuery):
        parse_month("2023-13", NOW)
    assert parse_rank(None) is RankBy.PLAYS
    assert parse_rank("completion") is RankBy.COMPLETION_RATE
    assert parse_rank("watch_time") is RankBy.WATCH_TIME
    with pytest.raises(InvalidQuery):
        parse_rank("likes")


def test_csv_has_a_bom_and_crlf_lines() -> None:
    raw = to_csv(["标题", "plays"], [["评书, 第一回", 3], [None, 0]])
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig") == '标题,plays\r\n"评书, 第一回",3\r\n,0\r\n'


def test_rows_of_flushed_documents_one_per_terminal() -> None:
    doc = {
        "day": "2024-03-10",
        "item_type": "resource",
        "item_id": "r",
        "org_id": "o",
        "category": "评书",
        "terminals": {
            "web": {
                "plays": 2,
                "watch_s": 30.0,
                "effective": 1,
                "completions": 0,
                "effective_watch_s": 20.0,
            },
            "tv": {"plays": 1},
            "fridge": {"plays": 9},
        },
    }
    rows = rows_of([doc])
    assert [(r.terminal, r.figures.plays) for r in rows] == [(Terminal.WEB, 2), (Terminal.TV, 1)]
    assert rows[0].figures.watch_seconds == 30.0


async def test_buffer_sums_beats_into_one_write_and_judges_the_peak() -> None:
    clock = Clock()
    counters = MemoryCounters(clock)
    buffer = CounterBuffer(counters, ViewRules())
    for terminal in (Terminal.WEB, Terminal.WEB, Terminal.TV):
        buffer.add_figures(
            day="2024-03-10",
            item_type="live",
            item_id="e",
            org_path=("o", "p"),
            category="戏曲",
            terminal=terminal,
            deltas=ViewDeltas(plays=1, watch_seconds=15),
        )
    for n in range(3):
        buffer.add_viewer(
            day="2024-03-10", item_type="live", item_id="e", org_path=("o", "p"), viewer=f"v{n % 2}"
        )
        buffer.touch("live", "e", f"s{n}", NOW + n)
    await buffer.drain()
    assert buffer.idle
    assert await counters.hgetall(state.day_item_key("2024-03-10", "live", "e")) == {
        "plays": 3,
        "plays@web": 2,
        "plays@tv": 1,
        "watch_s": 45,
        "watch_s@web": 30,
        "watch_s@tv": 15,
    }
    assert await counters.unique_count(state.item_uniques_key("2024-03-10", "live", "e")) == 2
    assert await counters.unique_count(state.org_uniques_key("2024-03-10", "p")) == 2
    peak = await read_peak(counters, "live", "e")
    assert (peak.value, peak.at) == (3, NOW + 2)
    # Fewer viewers later never lower the peak.
    clock.now = NOW + 100
    buffer.touch("live", "e", "s9", NOW + 100)
    await buffer.drain()
    assert (await read_peak(counters, "live", "e")).value == 3
    await counters.close()


async def test_buffer_counts_a_viewer_again_on_the_next_day() -> None:
    # The buffer remembers keys and viewers per CST day; a new day starts afresh.
    counters = MemoryCounters(Clock())
    buffer = CounterBuffer(counters, ViewRules())
    for day in ("2024-03-10", "2024-03-10", "2024-03-11"):
        buffer.add_figures(
            day=day,
            item_type="resource",
            item_id="r",
            org_path=("o",),
            category="c",
            terminal=Terminal.WEB,
            deltas=ViewDeltas(watch_seconds=10),
        )
        buffer.add_viewer(day=day, item_type="resource", item_id="r", org_path=("o",), viewer="v")
        await buffer.drain()
    for day, watched in (("2024-03-10", 20), ("2024-03-11", 10)):
        figures = await counters.hgetall(state.day_item_key(day, "resource", "r"))
        assert figures == {"watch_s": watched, "watch_s@web": watched}
        assert await counters.unique_count(state.item_uniques_key(day, "resource", "r")) == 1
        assert await counters.unique_count(state.org_uniques_key(day, "o")) == 1
    await counters.close()


async def test_failed_drain_keeps_the_figures_for_the_next() -> None:
    clock = Clock()
    counters = MemoryCounters(clock)
    buffer = CounterBuffer(counters, ViewRules())
    buffer.add_figures(
        day="2024-03-10",
        item_type="resource",
        item_id="r",
        org_path=("o",),
        category="c",
        terminal=Terminal.WEB,
        deltas=ViewDeltas(plays=1),
    )
    await counters.close()
    with pytest.raises(Exception, match="closed"):
        await buffer.drain()
    assert not buffer.idle


async def test_local_limit_is_shared_at_sync() -> None:
    clock = Clock()
    counters = MemoryCounters(clock)
    here = AddressLimiter(counters, "beat", limit=5)
    there = AddressLimiter(counters, "beat", limit=5)
    assert all(here.hit_local("1.2.3.4", NOW) for _ in range(3))
    assert all(there.hit_local("1.2.3.4", NOW) for _ in range(2))
    await here.sync(NOW)
    await there.sync(NOW)
    assert not there.hit_local("1.2.3.4", NOW)
    assert here.hit_local("5.6.7.8", NOW)
    # A new minute starts afresh.
    assert there.hit_local("1.2.3.4", NOW + 60)
    await counters.close()
