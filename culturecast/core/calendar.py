"""The China Standard Time calendar: every figure, report and daily job is bucketed by it.

CST is UTC+8 all year (no daylight saving since 1991), so a day is always 86 400 s long and
starts at 16:00 UTC of the previous calendar day. Days are written ``YYYY-MM-DD`` and months
``YYYY-MM``, in ASCII digits. Times are seconds since the Unix epoch, passed in by the caller.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Final

CST: Final = timezone(timedelta(hours=8), "CST")
"""China Standard Time: UTC+8 all year."""
DAY_S: Final = 86_400.0
"""The length of every CST day, in seconds."""

# ASCII digits only: \d also matches full-width and other scripts' digits.
_DAY: Final = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_MONTH: Final = re.compile(r"^[0-9]{4}-[0-9]{2}$")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def cst_day(ts: float) -> str:
    """The CST day ("YYYY-MM-DD") of an epoch time."""
    return datetime.fromtimestamp(ts, CST).date().isoformat()


def cst_month(ts: float) -> str:
    """The CST month ("YYYY-MM") of an epoch time."""
    moment = datetime.fromtimestamp(ts, CST)
    return f"{moment.year:04d}-{moment.month:02d}"


def cst_day_start(day: str) -> float:
    """The epoch time at which a CST day begins (16:00 UTC the day before); ``ValueError``
    for anything but a real ``YYYY-MM-DD`` day."""
    start = datetime.combine(_parse_day(day), datetime.min.time(), CST)
    return (start - _EPOCH).total_seconds()


def cst_day_end(day: str) -> float:
    """The epoch time at which a CST day ends (the next day's start; not part of the day)."""
    return cst_day_start(day) + DAY_S


def days_of_month(month: str) -> tuple[str, ...]:
    """Every day of a month, in order ("2023-10" → "2023-10-01" … "2023-10-31");
    ``ValueError`` for anything but a real ``YYYY-MM`` month."""
    if not _MONTH.match(month) or not 1 <= int(month[5:]) <= 12:
        raise ValueError(f"not a month (YYYY-MM): {month!r}")
    first = date(int(month[:4]), int(month[5:]), 1)
    days = []
    day = first
    while day.month == first.month:
        days.append(day.isoformat())
        day += timedelta(days=1)
    return tuple(days)


def _parse_day(day: str) -> date:
    if not _DAY.match(day):
        raise ValueError(f"not a day (YYYY-MM-DD): {day!r}")
    return date.fromisoformat(day)
