"""Chat rate limits, with time passed in: no test sleeps."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from culturecast.chat.limits import DuplicateWindow, RoomCap, SlowMode, TokenBuckets

# -- token bucket ---------------------------------------------------------------


def test_burst_is_allowed_then_the_next_message_waits() -> None:
    buckets = TokenBuckets(rate=0.5, burst=3)
    assert [buckets.take("u1", 100.0) for _ in range(3)] == [None, None, None]
    assert buckets.take("u1", 100.0) == pytest.approx(2.0)  # one token at 0.5/s


def test_tokens_refill_with_time() -> None:
    buckets = TokenBuckets(rate=1.0, burst=2)
    buckets.take("u1", 0.0)
    buckets.take("u1", 0.0)
    assert buckets.retry_after("u1", 0.5) == pytest.approx(0.5)
    assert buckets.take("u1", 1.0) is None
    assert buckets.take("u1", 1.0) == pytest.approx(1.0)


def test_refill_never_exceeds_the_burst() -> None:
    buckets = TokenBuckets(rate=1.0, burst=2)
    buckets.take("u1", 0.0)
    allowed = [buckets.take("u1", 1000.0) is None for _ in range(3)]
    assert allowed == [True, True, False]


def test_users_have_separate_buckets() -> None:
    buckets = TokenBuckets(rate=0.1, burst=1)
    assert buckets.take("u1", 0.0) is None
    assert buckets.take("u1", 0.0) is not None
    assert buckets.take("u2", 0.0) is None


def test_clock_stepping_back_does_not_grant_or_break() -> None:
    buckets = TokenBuckets(rate=1.0, burst=1)
    buckets.take("u1", 10.0)
    wait = buckets.take("u1", 5.0)
    assert wait is not None
    assert wait > 0


def test_retry_after_does_not_spend() -> None:
    buckets = TokenBuckets(rate=1.0, burst=1)
    assert buckets.retry_after("u1", 0.0) is None
    assert buckets.retry_after("u1", 0.0) is None
    assert buckets.take("u1", 0.0) is None


def test_refilled_buckets_are_forgotten() -> None:
    buckets = TokenBuckets(rate=1.0, burst=2)
    for i in range(100):
        buckets.take(f"u{i}", 0.0)
    assert len(buckets) == 100
    buckets.take("late", 2.0)  # every earlier bucket is full again by now
    assert len(buckets) == 1


def test_a_flood_of_distinct_users_is_bounded() -> None:
    buckets = TokenBuckets(rate=0.01, burst=1, max_entries=50)
    for i in range(10_000):
        buckets.take(f"bot{i}", 0.0)
    assert len(buckets) == 50
    # The most recent users are the ones still limited.
    assert buckets.take("bot9999", 0.0) is not None


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (1, 0), (-1, 1)])
def test_nonsense_settings_are_rejected(rate: float, burst: float) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        TokenBuckets(rate, burst)


@given(st.lists(st.floats(min_value=0, max_value=1e6), max_size=60))
def test_bucket_never_allows_more_than_burst_plus_rate_times_elapsed(times: list[float]) -> None:
    buckets = TokenBuckets(rate=2.0, burst=3)
    times.sort()
    allowed = sum(buckets.take("u", t) is None for t in times)
    if times:
        assert allowed <= 3 + 2.0 * (times[-1] - times[0])


# -- slow mode --------------------------------------------------------------------


def test_slow_mode_off_allows_back_to_back_messages() -> None:
    slow = SlowMode()
    slow.record("u1", 0, 0.0)
    assert slow.retry_after("u1", 0, 0.0) is None


def test_slow_mode_waits_the_interval_per_user() -> None:
    slow = SlowMode()
    slow.record("u1", 10, 100.0)
    assert slow.retry_after("u1", 10, 104.0) == pytest.approx(6.0)
    assert slow.retry_after("u2", 10, 104.0) is None
    assert slow.retry_after("u1", 10, 110.0) is None


def test_moderator_changing_the_interval_applies_at_once() -> None:
    slow = SlowMode()
    slow.record("u1", 30, 0.0)
    assert slow.retry_after("u1", 30, 10.0) == pytest.approx(20.0)
    assert slow.retry_after("u1", 5, 10.0) is None  # shortened
    assert slow.retry_after("u1", 0, 10.0) is None  # turned off


def test_slow_mode_memory_is_bounded_and_pruned() -> None:
    slow = SlowMode(max_entries=20)
    for i in range(1_000):
        slow.record(f"u{i}", 60, 0.0)
    assert len(slow) == 20
    slow.record("late", 60, 61.0)
    assert len(slow) == 1


# -- duplicates ---------------------------------------------------------------------


def test_same_text_from_same_user_within_window_is_a_duplicate() -> None:
    dup = DuplicateWindow(30)
    dup.record("u1", "好", 0.0)
    assert dup.retry_after("u1", "好", 10.0) == pytest.approx(20.0)
    assert dup.retry_after("u1", "好", 30.0) is None


def test_other_text_or_other_user_is_not_a_duplicate() -> None:
    dup = DuplicateWindow(30)
    dup.record("u1", "好", 0.0)
    assert dup.retry_after("u1", "好好", 1.0) is None
    assert dup.retry_after("u2", "好", 1.0) is None


def test_duplicate_memory_is_bounded_and_pruned() -> None:
    dup = DuplicateWindow(30, max_entries=10)
    for i in range(500):
        dup.record("u1", f"msg {i}", float(i) / 100)
    assert len(dup) == 10
    dup.record("u2", "x", 100.0)
    assert len(dup) == 1


# -- room cap -----------------------------------------------------------------------


def test_room_cap_counts_everyone_together() -> None:
    cap = RoomCap(rate=1.0, burst=2)
    cap.record(0.0)
    cap.record(0.0)
    assert cap.retry_after(0.0) == pytest.approx(1.0)
    assert cap.retry_after(1.0) is None
