"""The bounds of every number the API takes, and the one parser of numbers in query strings.

Numbers reach the API two ways, and both are checked before any handler uses them:

- in a query string (``?limit=``, ``?offset=``, ``?from=``): :func:`query_int` and
  :func:`query_float` take ASCII decimal digits only (``int()`` and ``float()`` also accept
  full-width "１", underscores and ``inf``), and refuse a value outside its range with 400
  ``invalid_query`` naming the parameter and the range, instead of clamping it silently;
- in a JSON body: every number field of a request struct is one of the ``Annotated`` types
  below (or declares its own ``msgspec.Meta(ge=, le=)``), so msgspec refuses it while
  decoding and ``core.body`` says which field and which range. A unit test checks that no
  request body has an unbounded number, since an unbounded integer overflows the database.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Annotated, Final

import msgspec

from culturecast.core.errors import InvalidQuery, Sentence

EPOCH_MIN: Final = 946_684_800.0
"""2000-01-01T00:00:00Z: no show or statistic of this platform is older."""
EPOCH_MAX: Final = 4_102_444_800.0
"""2100-01-01T00:00:00Z: past any schedule a person means (and inside every date library)."""

MAX_OFFSET: Final = 1_000_000
"""Largest list offset: far past any list a person pages through, far below int64."""

EpochSeconds = Annotated[
    float,
    msgspec.Meta(
        ge=EPOCH_MIN,
        le=EPOCH_MAX,
        description="Seconds since 1970-01-01 UTC, between 2000-01-01 and 2100-01-01.",
    ),
]
"""A moment in a body (a show's planned start)."""

MediaSeconds = Annotated[
    float,
    msgspec.Meta(ge=0, le=30 * 24 * 3600, description="Seconds of media, 0 to 30 days."),
]
"""A position in a recording or a show (a player's heartbeat)."""

ClientSeq = Annotated[
    int, msgspec.Meta(ge=0, le=2**53, description="A counter a client increments, from 0.")
]
"""A client's sequence number (heartbeats)."""

_INT: Final = re.compile(r"[+-]?[0-9]{1,18}")
_FLOAT: Final = re.compile(r"[+-]?(?:[0-9]{1,18}(?:\.[0-9]{0,9})?|\.[0-9]{1,9})")


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _range(low: float, high: float) -> str:
    return f"{_num(low)}–{_num(high)}"


def parse_int(name: str, raw: str, low: int, high: int) -> int:
    """``raw`` as a whole number within ``[low, high]``; :class:`InvalidQuery` otherwise."""
    value = int(raw) if _INT.fullmatch(raw) else None
    if value is None or not low <= value <= high:
        raise InvalidQuery(
            Sentence(
                f"参数 {name} 应为 {_range(low, high)} 之间的整数。",
                f"The query parameter '{name}' must be a whole number from {low} to {high}.",
            )
        )
    return value


def parse_float(name: str, raw: str, low: float, high: float) -> float:
    """``raw`` as a decimal number within ``[low, high]``; :class:`InvalidQuery` otherwise."""
    value = float(raw) if _FLOAT.fullmatch(raw) else math.nan
    if not low <= value <= high:
        raise InvalidQuery(
            Sentence(
                f"参数 {name} 应为 {_range(low, high)} 之间的数。",
                f"The query parameter '{name}' must be a number from {_num(low)} to {_num(high)}.",
            )
        )
    return value


def query_int(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """The whole-number query parameter ``name`` (``default`` when absent or empty)."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    return parse_int(name, raw, low, high)


def query_float(
    query: Mapping[str, str], name: str, default: float | None, low: float, high: float
) -> float:
    """The decimal query parameter ``name``; required when ``default`` is None."""
    raw = query.get(name)
    if raw is None or raw == "":
        if default is None:
            raise InvalidQuery(
                Sentence(
                    f"缺少参数 {name}（{_range(low, high)} 之间的数）。",
                    f"The query parameter '{name}' is required "
                    f"(a number from {_num(low)} to {_num(high)}).",
                )
            )
        return default
    return parse_float(name, raw, low, high)
