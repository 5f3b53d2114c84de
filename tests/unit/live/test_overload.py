"""Overload: which rungs go first, what stands in for them, and when the ladder changes, from
speed samples at given times (ffmpeg reports about twice a second)."""

from __future__ import annotations

import pytest

from culturecast.live.overload import (
    Action,
    OverloadPolicy,
    Shedder,
    SpeedMeter,
    shed_ladder,
    sheddable,
)
from culturecast.transcode.ladder import PlannedRung


def video(name: str, w: int, h: int, *, copy: bool = False) -> PlannedRung:
    return PlannedRung(name, "video", w, h, 1000, 1100, 1500, 96, "main", "4.0", 30.0, copy)


AUDIO = PlannedRung("audio", "audio", 0, 0, 0, 0, 0, 64, "", "")
COPY_TOP = [
    video("1080p", 1920, 1080, copy=True),
    video("720p", 1280, 720),
    video("480p", 854, 480),
    video("360p", 640, 360),
    video("240p", 426, 240),
    AUDIO,
]
ENCODED_TOP = [video("720p", 1280, 720), video("480p", 854, 480), video("360p", 640, 360), AUDIO]


def names(plan: list[PlannedRung]) -> list[str]:
    return [r.name for r in plan]


def test_the_most_expensive_encoded_rung_goes_first_never_the_copy_or_the_audio() -> None:
    assert sheddable(COPY_TOP) == ["720p", "480p", "360p", "240p"]


def test_without_a_copied_rung_one_encoded_rendition_always_stays() -> None:
    assert sheddable(ENCODED_TOP) == ["720p", "480p"]
    assert names(shed_ladder(ENCODED_TOP, 5).planned) == ["360p", "audio"]


def test_a_shed_rendition_shows_the_next_smaller_kept_one_else_the_smallest_larger() -> None:
    two = shed_ladder(COPY_TOP, 2)
    assert names(two.planned) == ["1080p", "360p", "240p", "audio"]
    assert two.stand_ins == {"720p": "360p", "480p": "360p"}
    everything = shed_ladder(COPY_TOP, 4)
    assert names(everything.planned) == ["1080p", "audio"]
    assert everything.stand_ins == {r: "1080p" for r in ("720p", "480p", "360p", "240p")}
    assert shed_ladder(COPY_TOP, 0).planned == COPY_TOP
    assert shed_ladder(COPY_TOP, 0).stand_ins == {}


def test_speed_is_media_seconds_per_wall_second_between_blocks() -> None:
    meter = SpeedMeter()
    assert meter.sample(100.0, 10.0, 1.2) is None  # the first block has nothing before it
    assert meter.sample(100.5, 10.25, 0.9) == pytest.approx(0.5)
    assert meter.sample(101.5, 11.25, 0.9) == pytest.approx(1.0)
    assert meter.sample(102.0, None, 0.8) == 0.8  # no output time: ffmpeg's own figure
    meter.reset()
    assert meter.sample(103.0, 0.5, 1.0) is None


def feed(policy: OverloadPolicy, start: float, end: float, speed: float) -> list[tuple[float, str]]:
    """Samples every 0.5 s in [start, end); the changes, with when they came."""
    changes = []
    steps = round((end - start) / 0.5)
    for i in range(steps):
        now = start + 0.5 * i
        change = policy.sample(now, speed)
        if change is not None:
            changes.append((now, f"{change.action.value} {change.shed}"))
            policy.run_started(now)  # the runtime restarts the transcoder on the new ladder
    return changes


def test_a_transcoder_that_keeps_up_is_left_alone() -> None:
    policy = OverloadPolicy(sheddable=4)
    policy.run_started(0.0)
    assert feed(policy, 0.0, 600.0, 1.0) == []
    assert feed(policy, 600.0, 1200.0, 0.985) == []  # rounding, not falling behind


def test_ten_seconds_below_real_time_sheds_one_rung_after_the_run_settled() -> None:
    policy = OverloadPolicy(sheddable=4)
    policy.run_started(0.0)
    # The first 3 s of a run are not measured (the buffered GOP goes in faster than real
    # time), then a full 10 s window decides.
    assert feed(policy, 0.0, 13.0, 0.6) == []
    assert feed(policy, 13.0, 13.5, 0.6) == [(13.0, "shed 1")]
    assert policy.sheds == 1


def test_a_short_slowdown_does_not_shed() -> None:
    policy = OverloadPolicy(sheddable=4)
    policy.run_started(0.0)
    assert feed(policy, 0.0, 20.0, 1.0) == []
    # 6 s at half speed, caught up after: the window averages 0.7, but not each part of it.
    assert feed(policy, 20.0, 26.0, 0.5) == []
    assert feed(policy, 26.0, 60.0, 1.0) == []
    assert policy.shed == 0


def test_it_sheds_rung_after_rung_while_still_behind_and_stops_when_nothing_is_left() -> None:
    policy = OverloadPolicy(sheddable=2)
    policy.run_started(0.0)
    changes = feed(policy, 0.0, 100.0, 0.5)
    assert changes == [(13.0, "shed 1"), (26.0, "shed 2")]
    assert policy.shed == 2


def test_rungs_come_back_one_by_one_after_thirty_seconds_at_full_speed() -> None:
    policy = OverloadPolicy(sheddable=4)
    policy.run_started(0.0)
    assert feed(policy, 0.0, 13.5, 0.5) == [(13.0, "shed 1")]
    assert feed(policy, 13.5, 30.0, 0.5) == [(26.0, "shed 2")]
    # Room again: from the first window at full speed (at 39.5), 30 s of it; the next
    # after the new run's first full window (13 s) and 30 s more.
    changes = feed(policy, 30.0, 200.0, 1.0)
    assert changes == [(69.5, "restore 1"), (112.5, "restore 0")]
    assert (policy.shed, policy.sheds, policy.restores) == (0, 2, 2)


def test_a_restore_that_falls_behind_again_doubles_the_wait_before_the_next() -> None:
    policy = OverloadPolicy(sheddable=4)
    policy.run_started(0.0)
    assert feed(policy, 0.0, 13.5, 0.5) == [(13.0, "shed 1")]
    assert feed(policy, 13.5, 57.0, 1.0) == [(56.0, "restore 0")]
    assert feed(policy, 57.0, 70.0, 0.5) == [(69.0, "shed 1")]
    # Now 60 s of full speed (after the new run's 13 s) before the next trial.
    assert feed(policy, 70.0, 150.0, 1.0) == [(142.0, "restore 0")]
    # That one holds: after 60 s at full speed the wait is 30 s again.
    assert feed(policy, 150.0, 210.0, 1.0) == []
    # (A run long on: each fifth of the window slow, the first one only partly.)
    assert feed(policy, 210.0, 220.0, 0.5) == [(218.0, "shed 1")]
    assert feed(policy, 220.0, 280.0, 1.0) == [(261.0, "restore 0")]


def test_a_stalled_ffmpeg_reporting_rarely_still_counts() -> None:
    policy = OverloadPolicy(sheddable=1)
    policy.run_started(0.0)
    changes = [policy.sample(t, 0.3) for t in (4.0, 8.0, 12.0, 16.0)]
    assert [c.action if c else None for c in changes] == [None, None, None, Action.SHED]


def test_the_shedder_measures_ffmpegs_output_time_not_its_average_since_the_start() -> None:
    shedder = Shedder.for_plan(COPY_TOP)
    shedder.run_started(0.0)
    # ffmpeg says 1.0x (its average over the run so far) while writing half a second a second.
    changes = []
    for i in range(60):
        change = shedder.progress(0.5 * i, 0.25 * i, 1.0)
        if change is not None:
            changes.append(change)
    # One change, then nothing until the runtime says the new run is on.
    assert len(changes) == 1
    change = changes[0]
    assert change is not None
    assert change.action is Action.SHED
    assert change.speed == pytest.approx(0.5)
    assert shedder.shed_names == ["720p"]
    assert names(shedder.ladder().planned) == ["1080p", "480p", "360p", "240p", "audio"]
    assert shedder.ladder().stand_ins == {"720p": "480p"}
