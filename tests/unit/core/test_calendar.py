"""The China Standard Time calendar every figure, report and daily job is bucketed by."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from culturecast.core.calendar import (
    DAY_S,
    cst_day,
    cst_day_end,
    cst_day_start,
    cst_month,
    days_of_month,
)

T0 = 1_696_723_200.0  # 2023-10-08 00:00 UTC = 08:00 CST


@pytest.mark.parametrize(
    ("utc", "day"),
    [
        ("2023-10-07T15:59:59", "2023-10-07"),
        ("2023-10-07T16:00:00", "2023-10-08"),
        ("2023-10-08T00:00:00", "2023-10-08"),
        ("2023-10-08T15:59:59.999", "2023-10-08"),
        ("2023-12-31T16:00:00", "2024-01-01"),
        ("2024-02-28T16:00:00", "2024-02-29"),
    ],
)
def test_cst_day_boundary_at_16_utc(utc: str, day: str) -> None:
    ts = datetime.fromisoformat(utc).replace(tzinfo=UTC).timestamp()
    assert cst_day(ts) == day


def test_cst_has_no_daylight_saving() -> None:
    # Every day of a year starts at 16:00 UTC: 24 h apart, summer or winter.
    starts = [cst_day_start(d) for m in range(1, 13) for d in days_of_month(f"2024-{m:02d}")]
    assert {b - a for a, b in itertools.pairwise(starts)} == {86_400.0}


@pytest.mark.parametrize(
    ("ts", "month"),
    [
        (cst_day_start("2023-10-01"), "2023-10"),
        (cst_day_start("2023-10-01") - 0.001, "2023-09"),
        (cst_day_start("2023-11-01") - 1, "2023-10"),
        (cst_day_start("2024-01-01"), "2024-01"),
    ],
)
def test_cst_month_follows_the_cst_day(ts: float, month: str) -> None:
    assert cst_month(ts) == month
    assert cst_day(ts).startswith(month)


def test_cst_day_start_is_16_utc_the_day_before() -> None:
    assert cst_day_start("2023-10-08") == T0 - 8 * 3600
    assert cst_day(cst_day_start("2023-10-08")) == "2023-10-08"


@pytest.mark.parametrize(
    ("month", "first", "last", "count"),
    [
        ("2023-10", "2023-10-01", "2023-10-31", 31),
        ("2024-02", "2024-02-01", "2024-02-29", 29),
        ("2023-02", "2023-02-01", "2023-02-28", 28),
        ("2023-04", "2023-04-01", "2023-04-30", 30),
    ],
)
def test_days_of_month(month: str, first: str, last: str, count: int) -> None:
    days = days_of_month(month)
    assert (days[0], days[-1], len(days)) == (first, last, count)


@pytest.mark.parametrize("bad", ["2023-13", "2023-1", "23-10", "2023-10-01", ""])
def test_bad_month_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="month"):
        days_of_month(bad)


@pytest.mark.parametrize("bad", ["2023-10", "2023-02-30", "20231001"])
def test_bad_day_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match=r"day|month"):
        cst_day_start(bad)


def test_a_day_ends_where_the_next_begins() -> None:
    assert cst_day_end("2023-10-08") == cst_day_start("2023-10-09")
    assert cst_day_end("2023-10-08") - cst_day_start("2023-10-08") == DAY_S
    assert cst_day(cst_day_end("2023-10-08") - 0.001) == "2023-10-08"
