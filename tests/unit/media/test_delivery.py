"""Delivery's pure parts: byte ranges (RFC 9110 §14), servable keys, the item a key belongs to
(what the gate decides on), the hot cache."""

from __future__ import annotations

import pytest

from culturecast.media.delivery import (
    HotCache,
    _Entry,
    content_type,
    item_of,
    memory_ttl,
    parse_range,
    servable,
)


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 100, None),
        ("bytes=0-9", 100, (0, 9)),
        ("bytes=90-", 100, (90, 99)),
        ("bytes=-10", 100, (90, 99)),
        ("bytes=-1000", 100, (0, 99)),
        ("bytes=50-5000", 100, (50, 99)),
        ("bytes=0-0", 1, (0, 0)),
        ("bytes=0-9,20-29", 100, None),
        ("items=0-9", 100, None),
        ("bytes=9-0", 100, None),
        ("bytes=a-b", 100, None),
        ("bytes=5", 100, None),
    ],
)
def test_parse_range(header: str | None, size: int, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(("header", "size"), [("bytes=100-", 100), ("bytes=-0", 100)])
def test_unsatisfiable_ranges(header: str, size: int) -> None:
    with pytest.raises(ValueError, match="range"):
        parse_range(header, size)


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("vod/r1/master.m3u8", True),
        ("live/e1/720p/seg_00001.ts", True),
        ("originals/u1/show.mp4", False),
        ("uploads/u1/tail", False),
        ("vod/../originals/x", False),
        ("vod/.meta", False),
        ("vod//x", False),
    ],
)
def test_only_live_and_vod_keys_are_served(key: str, ok: bool) -> None:
    assert servable(key) is ok


@pytest.mark.parametrize(
    ("key", "item"),
    [
        ("live/e1/720p/seg_00001.ts", ("live", "e1")),
        ("live/e1/replay/master.m3u8", ("live", "e1")),  # a replay is its event's
        ("vod/r1/audio/index.m3u8", ("resource", "r1")),
        ("vod/r1/poster.jpg", ("resource", "r1")),
        ("vod/r1", None),
        ("live//x", None),
        ("originals/u1/show.mp4", None),
    ],
)
def test_each_key_belongs_to_the_item_whose_visibility_decides(
    key: str, item: tuple[str, str] | None
) -> None:
    assert item_of(key) == item


def test_content_types_by_suffix() -> None:
    assert content_type("vod/r/master.m3u8", "text/plain") == "application/vnd.apple.mpegurl"
    assert content_type("vod/r/720p/seg_00000.ts", "") == "video/mp2t"
    assert content_type("vod/r/poster.jpg", "") == "image/jpeg"
    assert content_type("vod/r/x.aac", "") == "audio/aac"
    assert content_type("vod/r/file", "text/plain") == "text/plain"


def _entry(size: int, expires: float) -> _Entry:
    return _Entry(b"x" * size, '"e"', "video/mp2t", "public", expires)


def test_hot_cache_expires_entries_by_time() -> None:
    cache = HotCache(max_bytes=100, ttl_s=1.0)
    cache.put("a", _entry(10, expires=11.0))
    assert cache.get("a", now=10.5) is not None
    assert cache.get("a", now=11.0) is None
    assert cache.size_bytes == 0


def test_hot_cache_evicts_least_recently_used_within_its_bound() -> None:
    cache = HotCache(max_bytes=100, ttl_s=1.0)
    cache.put("a", _entry(40, 99))
    cache.put("b", _entry(40, 99))
    assert cache.get("a", now=0) is not None  # a is now the most recent
    cache.put("c", _entry(40, 99))
    assert cache.get("b", now=0) is None
    assert cache.get("a", now=0) is not None
    assert cache.size_bytes == 80
    cache.put("huge", _entry(101, 99))
    assert cache.get("huge", now=0) is None


def test_live_playlists_stay_in_memory_a_quarter_second_everything_else_the_ttl() -> None:
    assert memory_ttl("live/ev1/720p/index.m3u8", 1.0) == 0.25
    assert memory_ttl("live/ev1/master.m3u8", 1.0) == 0.25
    assert memory_ttl("live/ev1/720p/seg_000001.ts", 1.0) == 1.0
    assert memory_ttl("vod/r1/720p/index.m3u8", 1.0) == 1.0
    assert memory_ttl("live/ev1/720p/index.m3u8", 0.1) == 0.1


@pytest.mark.parametrize("header", ["bytes=１-", "bytes=²-", "bytes=0-９", "bytes=-٣"])
def test_a_range_of_other_digits_than_ascii_is_ignored(header: str) -> None:
    # RFC 9110 §14.1.2: 1*DIGIT is ASCII; str.isdigit() also takes full-width and superscripts.
    assert parse_range(header, 100) is None
