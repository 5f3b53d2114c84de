"""The view definitions of DESIGN.md § "Views and statistics", one test per rule and edge."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import fields

import pytest
from hypothesis import given
from hypothesis import strategies as st

from culturecast.media.views.policy import (
    NO_CHANGE,
    BeatRejection,
    Heartbeat,
    ItemType,
    PeakTracker,
    PlaybackSession,
    PlayerState,
    PriorPlay,
    Terminal,
    ViewDeltas,
    ViewRules,
    apply_heartbeat,
    check_heartbeat,
    completion_rate,
    has_completed,
    is_effective,
    is_expired,
    prior_play_of,
    should_count_play,
    start_session,
    terminal_from_user_agent,
)

RULES = ViewRules()
T0 = 1_696_723_200.0  # 2023-10-08 00:00 UTC = 08:00 CST
MIN = 60.0
HOUR = 3600.0

LIVE = ItemType.LIVE
RES = ItemType.RESOURCE
PLAYING = Heartbeat(state=PlayerState.PLAYING)
PAUSED = Heartbeat(state=PlayerState.PAUSED)


def start(
    item_type: ItemType = RES,
    *,
    terminal: Terminal = Terminal.WEB,
    duration: float | None = 600.0,
    prior: PriorPlay | None = None,
    now: float = T0,
    rules: ViewRules = RULES,
    viewer: str = "v1",
) -> tuple[PlaybackSession, ViewDeltas]:
    return start_session(
        session_id="s1",
        item_type=item_type,
        item_id="item-1",
        org_id="org-county",
        category="戏曲",
        terminal=terminal,
        viewer_id=viewer,
        duration=duration,
        prior=prior,
        now=now,
        rules=rules,
    )


def session_of(
    item_type: ItemType = RES,
    *,
    terminal: Terminal = Terminal.WEB,
    duration: float | None = 600.0,
) -> PlaybackSession:
    return start(item_type, terminal=terminal, duration=duration)[0]


def run(
    session: PlaybackSession,
    beats: Sequence[tuple[float, Heartbeat]],
    rules: ViewRules = RULES,
) -> tuple[PlaybackSession, ViewDeltas]:
    """Apply beats given as (seconds after the session start, beat); sum the deltas."""
    total = ViewDeltas()
    for offset, beat in beats:
        session, deltas = apply_heartbeat(session, beat, rules, session.started_at + offset)
        total = total + deltas
    return session, total


def every(
    interval: float, until: float, beat: Heartbeat = PLAYING
) -> list[tuple[float, Heartbeat]]:
    """Beats every `interval` seconds from `interval` up to and including `until`."""
    count = int(until // interval)
    return [((i + 1) * interval, beat) for i in range(count)]


# -- the rules -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("play_dedupe_seconds", 30 * 60),
        ("heartbeat_interval_seconds", 15),
        ("heartbeat_tolerance_seconds", 30),
        ("live_watch_cap_seconds", 4 * 3600),
        ("effective_vod_percent", 20),
        ("effective_live_seconds", 30),
        ("effective_mobile_h5_seconds", 30),
        ("seconds_rule_terminals", frozenset({Terminal.MOBILE_H5})),
        ("completion_percent", 90),
        ("concurrent_window_seconds", 30),
        ("session_expiry_seconds", 5 * 60),
    ],
)
def test_default_rules_are_the_design_defaults(name: str, value: object) -> None:
    assert getattr(RULES, name) == value


def test_tolerance_follows_the_heartbeat_interval() -> None:
    assert ViewRules(heartbeat_interval_seconds=10).heartbeat_tolerance_seconds == 20
    assert ViewRules(heartbeat_tolerance_factor=3).heartbeat_tolerance_seconds == 45


def test_rules_are_frozen() -> None:
    with pytest.raises(AttributeError):
        RULES.live_watch_cap_seconds = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    "bad",
    [
        {"heartbeat_interval_seconds": 0},
        {"play_dedupe_seconds": -1},
        {"session_expiry_seconds": math.nan},
        {"live_watch_cap_seconds": math.inf},
        {"effective_vod_percent": 120},
        {"completion_percent": -5},
        {"effective_live_seconds": -1},
    ],
)
def test_rules_refuse_nonsense_naming_the_field(bad: dict[str, float]) -> None:
    (name,) = bad
    with pytest.raises(ValueError, match=name):
        ViewRules(**bad)  # type: ignore[arg-type]


# -- plays ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_play_after", "counts"),
    [
        (None, True),
        (0.0, False),
        (1.0, False),
        (29 * MIN, False),
        (30 * MIN - 0.001, False),
        (30 * MIN, True),
        (31 * MIN, True),
        (3 * HOUR, True),
    ],
)
def test_same_viewer_within_30_minutes_counts_one_play(
    last_play_after: float | None, counts: bool
) -> None:
    last = None if last_play_after is None else T0
    now = T0 + (last_play_after or 0.0)
    assert should_count_play(last, now, RULES) is counts


def test_dedupe_window_is_configurable() -> None:
    rules = ViewRules(play_dedupe_seconds=5 * MIN)
    assert should_count_play(T0, T0 + 5 * MIN, rules)
    assert not should_count_play(T0, T0 + 5 * MIN, RULES)


def test_session_start_counts_one_play() -> None:
    session, deltas = start()
    assert deltas == ViewDeltas(plays=1)
    assert session.play_counted
    assert session.play_at == T0
    assert session.watched_seconds == 0


def test_reopening_within_30_minutes_continues_the_play() -> None:
    first, _ = start()
    second, deltas = start(prior=prior_play_of(first), now=T0 + 10 * MIN)
    assert deltas.plays == 0
    assert not second.play_counted
    assert second.play_at == T0


def test_dedupe_window_runs_from_the_counted_play_not_every_session() -> None:
    # A viewer reopening the item every 20 minutes: counted at 0 and at 40, not at 20 or 60.
    prior: PriorPlay | None = None
    plays = []
    for minute in (0, 20, 40, 60):
        session, deltas = start(prior=prior, now=T0 + minute * MIN)
        plays.append(deltas.plays)
        prior = prior_play_of(session)
    assert plays == [1, 0, 1, 0]


def test_continued_play_does_not_count_effective_view_or_completion_again() -> None:
    first, _ = start(duration=100)
    first, counted = run(first, [*every(15, 45), (60, Heartbeat(position=95))])
    assert (counted.effective, counted.completions) == (1, 1)
    second, _ = start(duration=100, prior=prior_play_of(first), now=T0 + 5 * MIN)
    second, again = run(second, [(15, PLAYING), (30, Heartbeat(position=95))])
    assert (again.plays, again.effective, again.completions) == (0, 0, 0)
    assert again.watch_seconds == 30


def test_continued_play_counts_the_effective_view_the_first_session_missed() -> None:
    # A reload after 5 s: the second session watches long enough, so the play becomes effective.
    first, _ = start(duration=100)
    first, short = run(first, [(5, PLAYING)])
    assert short.effective == 0
    second, _ = start(duration=100, prior=prior_play_of(first), now=T0 + MIN)
    _, later = run(second, every(15, 30))
    assert later.effective == 1


def test_rewatching_within_the_window_keeps_completion_rate_at_most_one() -> None:
    prior: PriorPlay | None = None
    total = ViewDeltas()
    for minute in (0, 3, 6):
        session, deltas = start(duration=30, prior=prior, now=T0 + minute * MIN)
        session, watched = run(session, [(15, PLAYING), (30, Heartbeat(state=PlayerState.ENDED))])
        total = total + deltas + watched
        prior = prior_play_of(session)
    assert (total.plays, total.completions) == (1, 1)
    assert completion_rate(total.completions, total.plays) == 1.0


# -- watch time ----------------------------------------------------------------------


def test_playing_heartbeats_accrue_the_time_between_them() -> None:
    session, deltas = run(session_of(), every(15, 60))
    assert session.watched_seconds == 60
    assert deltas.watch_seconds == 60


def test_late_heartbeat_accrues_at_most_twice_the_interval() -> None:
    # A phone that slept for 100 s: only 30 s of it is believed.
    _, deltas = run(session_of(), [(100, PLAYING)])
    assert deltas.watch_seconds == 30


def test_one_lost_heartbeat_still_accrues_fully() -> None:
    _, deltas = run(session_of(), [(15, PLAYING), (45, PLAYING)])
    assert deltas.watch_seconds == 45


def test_time_while_paused_is_not_watch_time() -> None:
    # Playing 0–15, paused 15–45 (reported at once), playing again 45–60.
    beats = [(15, PAUSED), (30, PAUSED), (45, PLAYING), (60, PLAYING)]
    session, deltas = run(session_of(), beats)
    assert deltas.watch_seconds == 30
    assert session.state is PlayerState.PLAYING


@pytest.mark.parametrize("state", [PlayerState.PAUSED, PlayerState.BUFFERING, PlayerState.ENDED])
def test_only_playing_time_accrues(state: PlayerState) -> None:
    _, deltas = run(session_of(), [(15, Heartbeat(state=state)), (30, Heartbeat(state=state))])
    assert deltas.watch_seconds == 15  # 0–15 was playing; 15–30 was `state`


def test_heartbeat_cannot_accrue_more_than_wall_clock() -> None:
    # Segment requests arrive in a burst: twenty "beats" within two seconds are two seconds.
    burst = [(i * 0.1, PLAYING) for i in range(1, 21)]
    session, deltas = run(session_of(), burst)
    assert session.watched_seconds == pytest.approx(2.0)
    assert deltas.watch_seconds <= 2.0 + 1e-9


def test_seeking_does_not_add_watch_time() -> None:
    beats = [
        (15, Heartbeat(position=15)),
        (30, Heartbeat(position=500)),
        (45, Heartbeat(position=5)),
    ]
    session, deltas = run(session_of(duration=600), beats)
    assert deltas.watch_seconds == 45
    assert session.max_position == 500


def test_live_watch_time_capped_at_four_hours() -> None:
    session, deltas = run(session_of(LIVE, duration=None), every(15, 5 * HOUR))
    assert session.watched_seconds == 4 * HOUR
    assert deltas.watch_seconds == 4 * HOUR


def test_resource_watch_time_is_not_capped_at_four_hours() -> None:
    # A 评书 series played for five hours straight is five hours of listening.
    session, _ = run(session_of(RES, duration=20 * HOUR), every(15, 5 * HOUR))
    assert session.watched_seconds == 5 * HOUR


def test_live_cap_is_configurable() -> None:
    rules = ViewRules(live_watch_cap_seconds=HOUR)
    session, _ = run(session_of(LIVE, duration=None), every(15, 2 * HOUR), rules)
    assert session.watched_seconds == HOUR


def test_segment_requests_without_sequence_count_as_heartbeats() -> None:
    # A TV box fetching 2-second live segments, no JavaScript, no sequence numbers.
    _, deltas = run(session_of(LIVE, terminal=Terminal.TV, duration=None), every(2, 60))
    assert deltas.watch_seconds == 60
    assert deltas.effective == 1


# -- ignored heartbeats --------------------------------------------------------------


def test_replayed_heartbeat_ignored() -> None:
    session, _ = run(session_of(), [(15, Heartbeat(seq=1)), (30, Heartbeat(seq=2))])
    replayed, deltas = apply_heartbeat(session, Heartbeat(seq=2), RULES, T0 + 45)
    assert replayed is session
    assert deltas == NO_CHANGE
    assert check_heartbeat(session, Heartbeat(seq=2), T0 + 45, RULES) is BeatRejection.OUT_OF_ORDER


def test_out_of_order_heartbeat_ignored() -> None:
    session, deltas = run(
        session_of(), [(15, Heartbeat(seq=1)), (30, Heartbeat(seq=3)), (31, Heartbeat(seq=2))]
    )
    assert deltas.watch_seconds == 30
    assert session.last_seq == 3
    assert session.last_beat_at == T0 + 30


def test_heartbeat_dated_before_the_last_one_ignored() -> None:
    session, _ = run(session_of(), [(30, PLAYING)])
    assert check_heartbeat(session, PLAYING, T0 + 20, RULES) is BeatRejection.STALE
    assert apply_heartbeat(session, PLAYING, RULES, T0 + 20) == (session, NO_CHANGE)


@pytest.mark.parametrize(
    ("silence", "expired"),
    [(60.0, False), (5 * MIN, False), (5 * MIN + 0.5, True), (HOUR, True)],
)
def test_heartbeat_for_expired_session_ignored(silence: float, expired: bool) -> None:
    session, _ = run(session_of(), [(15, PLAYING)])
    now = T0 + 15 + silence
    assert is_expired(session, now, RULES) is expired
    after, deltas = apply_heartbeat(session, PLAYING, RULES, now)
    if expired:
        assert check_heartbeat(session, PLAYING, now, RULES) is BeatRejection.EXPIRED
        assert (after, deltas) == (session, NO_CHANGE)
    else:
        assert after.last_beat_at == now
        assert deltas.watch_seconds == 30  # the late beat is still capped at the tolerance


def test_session_expiry_is_configurable() -> None:
    rules = ViewRules(session_expiry_seconds=MIN)
    session = session_of()
    assert check_heartbeat(session, PLAYING, T0 + 61, rules) is BeatRejection.EXPIRED


def test_beats_without_sequence_do_not_reset_the_sequence() -> None:
    beats = [(15, Heartbeat(seq=5)), (17, PLAYING), (30, Heartbeat(seq=5))]
    session, _ = run(session_of(), beats)
    assert session.last_seq == 5
    assert session.last_beat_at == T0 + 17


# -- effective views -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("item_type", "terminal", "duration", "watched", "effective"),
    [
        # resources: more than 20 % of the duration (web and smart TV, seed 004)
        (RES, Terminal.WEB, 100.0, 20.0, False),
        (RES, Terminal.WEB, 100.0, 20.001, True),
        (RES, Terminal.TV, 3000.0, 600.0, False),
        (RES, Terminal.TV, 3000.0, 601.0, True),
        (RES, Terminal.APP, 30.0, 6.0, False),
        (RES, Terminal.APP, 30.0, 6.1, True),
        (RES, Terminal.WECHAT, 1000.0, 100.0, False),
        # live: more than 30 s
        (LIVE, Terminal.WEB, None, 30.0, False),
        (LIVE, Terminal.WEB, None, 30.5, True),
        (LIVE, Terminal.TV, None, 0.0, False),
        # mobile H5: more than 30 s whatever the item (seed 004: 手机微网站)
        (RES, Terminal.MOBILE_H5, 1000.0, 31.0, True),
        (RES, Terminal.MOBILE_H5, 60.0, 20.0, False),
        (RES, Terminal.MOBILE_H5, 60.0, 30.0, False),
        (LIVE, Terminal.MOBILE_H5, None, 30.0, False),
        (LIVE, Terminal.MOBILE_H5, None, 31.0, True),
        # a resource whose duration is not known is judged like live
        (RES, Terminal.WEB, None, 30.0, False),
        (RES, Terminal.WEB, None, 31.0, True),
    ],
)
def test_effective_view_definition(
    item_type: ItemType, terminal: Terminal, duration: float | None, watched: float, effective: bool
) -> None:
    assert is_effective(item_type, terminal, watched, duration, RULES) is effective


def test_vod_view_not_effective_at_20_percent_exactly() -> None:
    # 20 s of a 100 s video, exactly: "more than 20 %" is not met.
    session, deltas = run(session_of(duration=100), [(10, PLAYING), (20, PLAYING)])
    assert session.watched_seconds == 20
    assert deltas.effective == 0
    session, deltas = run(session, [(21, PLAYING)])
    assert deltas.effective == 1


def test_live_view_effective_after_30_seconds() -> None:
    session, deltas = run(session_of(LIVE, duration=None), every(15, 30))
    assert deltas.effective == 0
    _, deltas = run(session, [(31, PLAYING)])
    assert deltas.effective == 1


def test_mobile_h5_view_effective_after_30_seconds_even_for_a_long_video() -> None:
    # 31 s of an hour-long film is far below 20 %, but the phone rule is 30 s.
    session = session_of(terminal=Terminal.MOBILE_H5, duration=HOUR)
    _, deltas = run(session, [(15, PLAYING), (30, PLAYING), (31, PLAYING)])
    assert deltas.effective == 1


def test_wechat_is_judged_like_mobile_h5_when_configured() -> None:
    rules = ViewRules(seconds_rule_terminals=frozenset({Terminal.MOBILE_H5, Terminal.WECHAT}))
    assert is_effective(RES, Terminal.WECHAT, 31, HOUR, rules)
    assert not is_effective(RES, Terminal.WECHAT, 31, HOUR, RULES)


def test_effective_thresholds_are_configurable() -> None:
    rules = ViewRules(effective_vod_percent=50, effective_live_seconds=60)
    assert not is_effective(RES, Terminal.WEB, 50, 100, rules)
    assert is_effective(RES, Terminal.WEB, 51, 100, rules)
    assert not is_effective(LIVE, Terminal.WEB, 60, None, rules)
    assert is_effective(LIVE, Terminal.WEB, 61, None, rules)


def test_effective_view_counted_once_per_session() -> None:
    _, deltas = run(session_of(LIVE, duration=None), every(15, HOUR))
    assert deltas.effective == 1


def test_seeking_far_ahead_does_not_make_a_view_effective() -> None:
    # Jumping to 95 % of the film after 5 s is neither an effective view nor, since a
    # completion needs watch time too (issue 18: completions were forged this way), a completion.
    _, deltas = run(session_of(duration=1000), [(5, Heartbeat(position=950))])
    assert deltas.effective == 0
    assert deltas.completions == 0


def test_effective_watch_time_counts_the_whole_session_once_effective() -> None:
    # 有效学习时长: nothing until the session is effective, then all of it.
    session = session_of(LIVE, duration=None)
    session, first = run(session, every(15, 30))
    assert first.effective_watch_seconds == 0
    session, crossing = run(session, [(45, PLAYING)])
    assert crossing.effective_watch_seconds == 45
    _, after = run(session, [(60, PLAYING)])
    assert after.effective_watch_seconds == 15


def test_short_sessions_add_no_effective_watch_time() -> None:
    _, deltas = run(session_of(duration=1000), every(15, 150))
    assert deltas.watch_seconds == 150
    assert deltas.effective_watch_seconds == 0


# -- completions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "completed"),
    [(0.0, False), (500.0, False), (899.9, False), (900.0, True), (999.0, True), (1000.0, True)],
)
def test_completion_at_90_percent_of_the_duration(position: float, completed: bool) -> None:
    assert has_completed(RES, position, 1000.0, RULES) is completed
    # Watched long enough (465 s) that the position alone decides.
    beats = [*every(15, 450), (465, Heartbeat(position=position))]
    _, deltas = run(session_of(duration=1000), beats)
    assert deltas.completions == (1 if completed else 0)


def test_completion_counted_once_per_session() -> None:
    beats = [
        (15, Heartbeat(position=95)),
        (30, Heartbeat(position=99)),
        (45, Heartbeat(position=3)),
    ]
    beats += [(60, Heartbeat(position=96)), (75, Heartbeat(state=PlayerState.ENDED))]
    _, deltas = run(session_of(duration=100), beats)
    assert deltas.completions == 1


def test_ended_state_is_a_completion() -> None:
    beats = [*every(15, 45), (60, Heartbeat(state=PlayerState.ENDED))]
    session, deltas = run(session_of(duration=100), beats)
    assert deltas.completions == 1
    assert session.max_position == 100


def test_live_never_completes() -> None:
    beats = [(15, Heartbeat(position=10_000)), (30, Heartbeat(state=PlayerState.ENDED))]
    _, deltas = run(session_of(LIVE, duration=3600), beats)
    assert deltas.completions == 0
    assert not has_completed(LIVE, 10_000, 3600, RULES)


def test_resource_of_unknown_duration_never_completes() -> None:
    _, deltas = run(session_of(duration=None), [(15, Heartbeat(state=PlayerState.ENDED))])
    assert deltas.completions == 0


@pytest.mark.parametrize("position", [-5.0, math.nan, math.inf])
def test_nonsense_positions_are_ignored(position: float) -> None:
    session, deltas = run(session_of(duration=100), [(15, Heartbeat(position=position))])
    assert session.max_position == 0
    assert deltas.completions == 0
    assert deltas.watch_seconds == 15


def test_position_beyond_the_end_counts_as_the_end() -> None:
    session, _ = run(session_of(duration=100), [(15, Heartbeat(position=5000))])
    assert session.max_position == 100


def test_completion_threshold_is_configurable() -> None:
    rules = ViewRules(completion_percent=100)
    assert not has_completed(RES, 99.9, 100, rules)
    assert has_completed(RES, 100, 100, rules)


@pytest.mark.parametrize(
    ("completions", "plays", "rate"),
    [(0, 0, 0.0), (0, 5, 0.0), (1, 2, 0.5), (7179, 10_000, 0.7179), (3, 3, 1.0)],
)
def test_completion_rate_is_completions_over_plays(
    completions: int, plays: int, rate: float
) -> None:
    assert completion_rate(completions, plays) == pytest.approx(rate)


# -- concurrent viewers --------------------------------------------------------------


def test_peak_keeps_the_highest_count_and_when_it_was_first_reached() -> None:
    peak = PeakTracker()
    assert (peak.value, peak.at) == (0, None)
    for count, at in [(3, T0), (10, T0 + 30), (7, T0 + 60), (10, T0 + 90), (0, T0 + 120)]:
        peak = peak.update(count, at)
    assert (peak.value, peak.at) == (10, T0 + 30)


def test_peak_tracker_is_immutable() -> None:
    empty = PeakTracker()
    empty.update(5, T0)
    assert empty.value == 0


# -- terminals -----------------------------------------------------------------------

UA_WECHAT_ANDROID = (
    "Mozilla/5.0 (Linux; Android 13; V2203A Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5023 "
    "MMWEBSDK/20230405 MMWEBID/2585 MicroMessenger/8.0.35.2360(0x2800235B) WeChat/arm64 Weixin"
)
UA_WECHAT_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.38(0x1800262c) NetType/WIFI"
)
UA_ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)
UA_IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
UA_HARMONY = (
    "Mozilla/5.0 (Phone; OpenHarmony 4.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/99.0.4844.88 Safari/537.36 ArkWeb/4.1.6.1 Mobile"
)
UA_SAMSUNG_TV = (
    "Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "76.0.3809.146/6.0 TV Safari/537.36"
)
UA_LG_TV = (
    "Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/79.0.3945.79 Safari/537.36 WebAppManager"
)
UA_FIRE_TV = (
    "Mozilla/5.0 (Linux; Android 9; AFTMM Build/PS7633; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36"
)
UA_BRAVIA = (
    "Mozilla/5.0 (Linux; Android 9; BRAVIA 4K UR2 Build/PTT1.190515.001.S52) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.136 Mobile Safari/537.36"
)
UA_MITV = (
    "Mozilla/5.0 (Linux; Android 9; MiTV-MOSR1 Build/PI; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/83.0.4103.101 Mobile Safari/537.36"
)
UA_TV_BOX = (
    "Mozilla/5.0 (Linux; U; Android 4.4.2; zh-cn; TV Box Build/KOT49H) AppleWebKit/534.30 "
    "(KHTML, like Gecko) Version/4.0 Safari/534.30"
)
UA_APP = (
    "Mozilla/5.0 (Linux; Android 12; SM-G9910) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/108.0 Mobile Safari/537.36 CultureCastApp/1.2.0"
)
UA_WINDOWS_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
UA_MAC_SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15"
)


@pytest.mark.parametrize(
    ("user_agent", "terminal"),
    [
        (UA_WECHAT_ANDROID, Terminal.WECHAT),
        (UA_WECHAT_IPHONE, Terminal.WECHAT),
        (UA_ANDROID_CHROME, Terminal.MOBILE_H5),
        (UA_IPHONE_SAFARI, Terminal.MOBILE_H5),
        (UA_HARMONY, Terminal.MOBILE_H5),
        (UA_SAMSUNG_TV, Terminal.TV),
        (UA_LG_TV, Terminal.TV),
        (UA_FIRE_TV, Terminal.TV),
        (UA_BRAVIA, Terminal.TV),
        (UA_MITV, Terminal.TV),
        (UA_TV_BOX, Terminal.TV),
        (UA_APP, Terminal.APP),
        (UA_WINDOWS_CHROME, Terminal.WEB),
        (UA_MAC_SAFARI, Terminal.WEB),
        ("Lavf/60.3.100", Terminal.WEB),
        ("SoftCraftBrowser/1.0 (Windows NT 10.0)", Terminal.WEB),
        ("", Terminal.WEB),
        (None, Terminal.WEB),
    ],
)
def test_terminal_from_user_agent(user_agent: str | None, terminal: Terminal) -> None:
    assert terminal_from_user_agent(user_agent) is terminal


@pytest.mark.parametrize("claimed", list(Terminal))
def test_terminal_claimed_by_the_client_wins(claimed: Terminal) -> None:
    assert terminal_from_user_agent(UA_WECHAT_ANDROID, claimed) is claimed


def test_terminal_wire_values() -> None:
    assert [t.value for t in Terminal] == ["web", "mobile_h5", "wechat", "app", "tv"]
    assert [t.value for t in ItemType] == ["live", "resource"]


# -- properties ----------------------------------------------------------------------

beat_strategy = st.builds(
    Heartbeat,
    state=st.sampled_from(list(PlayerState)),
    position=st.one_of(st.none(), st.just(math.nan), st.floats(min_value=-10, max_value=20_000)),
    seq=st.one_of(st.none(), st.integers(min_value=0, max_value=50)),
)
gap_strategy = st.one_of(
    st.floats(min_value=0, max_value=60, allow_nan=False),
    st.floats(min_value=-30, max_value=0, allow_nan=False),  # reordered deliveries
    st.floats(min_value=60, max_value=2000, allow_nan=False),  # long silences
)


@st.composite
def sessions_and_beats(
    draw: st.DrawFn,
) -> tuple[PlaybackSession, list[tuple[float, Heartbeat]]]:
    item_type = draw(st.sampled_from(list(ItemType)))
    terminal = draw(st.sampled_from(list(Terminal)))
    duration = draw(st.one_of(st.none(), st.floats(min_value=1, max_value=20_000)))
    session = session_of(item_type, terminal=terminal, duration=duration)
    pairs = draw(st.lists(st.tuples(gap_strategy, beat_strategy), max_size=80))
    offset = 0.0
    beats = []
    for gap, beat in pairs:
        offset = max(0.0, offset + gap)
        beats.append((offset, beat))
    return session, beats


@given(sessions_and_beats())
def test_watch_time_never_exceeds_wall_time(
    case: tuple[PlaybackSession, list[tuple[float, Heartbeat]]],
) -> None:
    session, beats = case
    latest = session.started_at
    for offset, beat in beats:
        now = session.started_at + offset
        latest = max(latest, now)
        before = session.watched_seconds
        session, deltas = apply_heartbeat(session, beat, RULES, now)
        # Wall time so far: up to the latest beat that has arrived (late ones are ignored).
        assert session.watched_seconds <= latest - session.started_at + 1e-6
        assert session.watched_seconds <= session.last_beat_at - session.started_at + 1e-6
        assert session.watched_seconds >= before
        assert deltas.watch_seconds == pytest.approx(session.watched_seconds - before)
        if session.item_type is ItemType.LIVE:
            assert session.watched_seconds <= RULES.live_watch_cap_seconds


@given(sessions_and_beats())
def test_effective_and_completion_counted_at_most_once(
    case: tuple[PlaybackSession, list[tuple[float, Heartbeat]]],
) -> None:
    session, beats = case
    session, total = run(session, beats)
    assert total.effective in (0, 1)
    assert total.completions in (0, 1)
    assert total.effective == int(session.effective_counted)
    assert total.completions == int(session.completion_counted)
    assert total.watch_seconds == pytest.approx(session.watched_seconds)
    # Effective watch time is all of the session's watch time or none of it.
    is_eff = is_effective(
        session.item_type, session.terminal, session.watched_seconds, session.duration, RULES
    )
    expected = session.watched_seconds if is_eff else 0.0
    assert total.effective_watch_seconds == pytest.approx(expected)


@given(sessions_and_beats())
def test_ignored_beats_change_nothing(
    case: tuple[PlaybackSession, list[tuple[float, Heartbeat]]],
) -> None:
    session, beats = case
    for offset, beat in beats:
        now = session.started_at + offset
        rejected = check_heartbeat(session, beat, now, RULES)
        after, deltas = apply_heartbeat(session, beat, RULES, now)
        if rejected is not None:
            assert after is session
            assert deltas == NO_CHANGE
        else:
            assert after.last_beat_at == now
        session = after


def test_view_deltas_fields_are_all_summed() -> None:
    one = ViewDeltas(
        plays=1, watch_seconds=2, effective=3, completions=4, effective_watch_seconds=5
    )
    doubled = one + one
    assert [getattr(doubled, f.name) for f in fields(ViewDeltas)] == [2, 4, 6, 8, 10]
    assert not one.is_zero
    assert ViewDeltas().is_zero


def test_a_heartbeat_keeps_every_field_it_does_not_account() -> None:
    # apply_heartbeat builds the new session field by field (for speed); a field added to
    # PlaybackSession later must not be silently reset by it.
    session = PlaybackSession(
        session_id="s9",
        item_type=RES,
        item_id="item-9",
        org_id="org-9",
        category="评书",
        terminal=Terminal.TV,
        viewer_id="u:9",
        started_at=T0,
        last_beat_at=T0 + 10,
        duration=600.0,
        play_at=T0 - 60,
        state=PlayerState.PAUSED,
        last_seq=4,
        watched_seconds=5.0,
        max_position=7.0,
        play_counted=True,
        effective_counted=True,
        completion_counted=True,
    )
    accounted = {"last_beat_at", "state", "last_seq", "watched_seconds", "max_position"}
    updated, _ = apply_heartbeat(session, Heartbeat(position=8.0, seq=5), RULES, T0 + 15)
    for f in fields(PlaybackSession):
        if f.name not in accounted:
            assert getattr(updated, f.name) == getattr(session, f.name), f.name
    assert (updated.last_beat_at, updated.state, updated.last_seq) == (
        T0 + 15,
        PlayerState.PLAYING,
        5,
    )
    assert (updated.watched_seconds, updated.max_position) == (5.0, 8.0)


# -- a show that has ended (issue 18, item 11) ---------------------------------------------


def run_live_show(
    beats: Sequence[tuple[float, Heartbeat]], ended_after: float
) -> tuple[PlaybackSession, ViewDeltas, list[BeatRejection | None]]:
    """A live session beating at (seconds after its start, beat); its show ends `ended_after`
    seconds after the session started, which beats from then on are told."""
    session = session_of(LIVE, duration=None)
    ended_at = session.started_at + ended_after
    total = ViewDeltas()
    rejections = []
    for offset, beat in beats:
        now = session.started_at + offset
        known = ended_at if now >= ended_at else None
        rejections.append(check_heartbeat(session, beat, now, RULES, known))
        session, deltas = apply_heartbeat(session, beat, RULES, now, known)
        total = total + deltas
    return session, total, rejections


def test_live_beats_after_the_show_ended_add_no_watch_time() -> None:
    # The probe: 6 s on air, beats every 3 s until 18 s: 6 s watched, not 18.
    session, total, rejections = run_live_show(every(3, 18), ended_after=6)
    assert session.watched_seconds == 6
    assert total.watch_seconds == 6
    # The first beat from the end on (at 6 s) accounts the time up to it; later ones are
    # ignored.
    assert rejections == [None, None, *[BeatRejection.SHOW_ENDED] * 4]


def test_the_first_beat_after_the_end_counts_the_time_before_it() -> None:
    # Beats at 15 and 30; the show ended at 20: 15–20 was watched on air.
    session, total, rejections = run_live_show(every(15, 45), ended_after=20)
    assert session.watched_seconds == 20
    assert total.watch_seconds == 20
    assert rejections == [None, None, BeatRejection.SHOW_ENDED]


def test_a_live_session_started_after_the_end_watches_nothing() -> None:
    session, total, rejections = run_live_show(every(15, 30), ended_after=-1)
    assert (session.watched_seconds, total) == (0, NO_CHANGE)
    assert rejections == [BeatRejection.SHOW_ENDED] * 2


@given(
    sessions_and_beats(),
    st.floats(min_value=-100, max_value=3000, allow_nan=False),
)
def test_live_watch_time_never_exceeds_the_time_on_air(
    case: tuple[PlaybackSession, list[tuple[float, Heartbeat]]], ended_after: float
) -> None:
    session, beats = case
    ended_at = session.started_at + ended_after
    for offset, beat in beats:
        now = session.started_at + offset
        session, _ = apply_heartbeat(
            session, beat, RULES, now, ended_at if now >= ended_at else None
        )
        assert session.watched_seconds <= max(0.0, ended_after) + 1e-6


# -- completions need watch time (issue 18, item 12) -----------------------------------------


def test_an_ended_state_one_second_in_is_not_a_completion() -> None:
    # The probe: {"state": "ended", "position_s": 6} one second into a 6 s resource.
    session, deltas = run(session_of(duration=6), [(1, Heartbeat(state=PlayerState.ENDED))])
    assert session.max_position == 6
    assert (deltas.completions, deltas.effective) == (0, 0)


@pytest.mark.parametrize("position", [6.0, 60.0, 1e9])
def test_a_position_alone_is_neither_a_completion_nor_an_effective_view(
    position: float,
) -> None:
    session, deltas = run(session_of(duration=6), [(1, Heartbeat(position=position))])
    assert session.max_position == 6  # clamped to the duration
    assert (deltas.completions, deltas.effective) == (0, 0)


@pytest.mark.parametrize(
    ("watched", "completed"), [(0.0, False), (449.9, False), (450.0, True), (900.0, True)]
)
def test_a_completion_needs_the_watch_time_of_playing_there_at_twice_the_speed(
    watched: float, completed: bool
) -> None:
    # 90 % of 1000 s at 2× is 450 s of watch time.
    assert has_completed(RES, 900, 1000, RULES, watched_seconds=watched) is completed
    assert not has_completed(RES, 899.9, 1000, RULES, watched_seconds=1000)


def test_playing_to_the_end_is_a_completion_at_any_offered_speed() -> None:
    for speed in (0.75, 1.0, 1.25, 1.5, 2.0):
        beats = [(t, Heartbeat(position=t * speed)) for t in range(15, 1400, 15)]
        beats.append((1400, Heartbeat(state=PlayerState.ENDED)))
        _, deltas = run(session_of(duration=1000), beats)
        assert deltas.completions == 1, speed


def test_a_seek_to_the_end_completes_once_enough_is_watched() -> None:
    beats = [(15, Heartbeat(position=95)), (30, PLAYING), (44, PLAYING), (45, PLAYING)]
    session, first = run(session_of(duration=100), beats[:3])
    assert first.completions == 0  # 44 s of a 100 s item: not yet 45 %
    _, then = run(session, beats[3:])
    assert then.completions == 1


def test_the_completion_speed_is_configurable() -> None:
    strict = ViewRules(completion_max_speed=1)
    assert not has_completed(RES, 1000, 1000, strict, watched_seconds=899)
    assert has_completed(RES, 1000, 1000, strict, watched_seconds=900)
    with pytest.raises(ValueError, match="completion_max_speed"):
        ViewRules(completion_max_speed=0.5)
    with pytest.raises(ValueError, match="completion_max_speed"):
        ViewRules(completion_max_speed=math.nan)
