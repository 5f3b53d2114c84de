"""Numbers from query strings: ASCII digits, in range, or a 400 naming the range."""

from __future__ import annotations

import pytest

from culturecast.core.errors import InvalidQuery
from culturecast.core.numbers import query_float, query_int


@pytest.mark.parametrize(
    "raw", ["-1", "201", "9223372036854775808", "１", "1_0", " 5", "5 ", "0x10", "ten", "5.0", "+"]
)
def test_whole_numbers_out_of_range_or_not_ascii_are_refused(raw: str) -> None:
    with pytest.raises(InvalidQuery) as info:
        query_int({"limit": raw}, "limit", 50, 1, 200)
    assert (
        info.value.message_in("en")
        == "The query parameter 'limit' must be a whole number from 1 to 200."
    )
    assert info.value.message_in("zh-CN") == "参数 limit 应为 1–200 之间的整数。"


@pytest.mark.parametrize(
    ("raw", "value"), [(None, 50), ("", 50), ("1", 1), ("200", 200), ("+7", 7)]
)
def test_whole_numbers_in_range_are_taken(raw: str | None, value: int) -> None:
    query = {} if raw is None else {"limit": raw}
    assert query_int(query, "limit", 50, 1, 200) == value


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf", "1e400", "1e3", "-0.5", "１.5", "1,5"])
def test_decimals_out_of_range_or_not_plain_are_refused(raw: str) -> None:
    with pytest.raises(InvalidQuery, match="'from' must be a number from 0 to 3600"):
        query_float({"from": raw}, "from", 0.0, 0.0, 3600.0)


def test_decimals_in_range_are_taken_and_a_required_one_is_named() -> None:
    assert query_float({"to": "12.5"}, "to", None, 0.0, 3600.0) == 12.5
    assert query_float({"to": ".5"}, "to", None, 0.0, 3600.0) == 0.5
    with pytest.raises(InvalidQuery, match="'to' is required"):
        query_float({}, "to", None, 0.0, 3600.0)
