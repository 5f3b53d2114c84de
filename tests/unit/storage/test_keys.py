"""Object keys, prefixes and part lists that every object-store adapter accepts or refuses."""

from __future__ import annotations

import pytest

from culturecast.storage.objects.keys import (
    MAX_KEY_LENGTH,
    MAX_SEGMENT_LENGTH,
    check_key,
    check_parts,
    check_prefix,
)
from culturecast.storage.objects.port import UploadedPart


@pytest.mark.parametrize(
    "key",
    [
        "a",
        "live/ev1/720p/seg_00001.ts",
        "vod/r-42/master.m3u8",
        "originals/UP_9.mp4",
        "a.b.c/d-e_f",
        "x" * MAX_SEGMENT_LENGTH,
    ],
)
def test_server_built_keys_are_accepted_unchanged(key: str) -> None:
    assert check_key(key) == key


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("", "empty"),
        ("/abs", "leading slash"),
        ("a/", "trailing slash"),
        ("a//b", "empty segment"),
        ("../x", "parent"),
        ("a/../b", "parent in the middle"),
        ("a/b..c", "'..' anywhere"),
        ("./a", "current directory"),
        ("a/.meta/b", "hidden segment"),
        (".tmp-1", "hidden first segment"),
        ("a b", "space"),
        ("a\\b", "backslash"),
        ("a\x00b", "NUL"),
        ("直播/1.ts", "non-ASCII"),
        ("a?b", "query character"),
        ("a%2Fb", "percent"),
        ("x" * (MAX_SEGMENT_LENGTH + 1), "segment too long"),
        ("/".join(["abcdefg"] * 70), "key too long"),
    ],
)
def test_keys_that_could_escape_or_confuse_the_store_are_refused(key: str, why: str) -> None:
    with pytest.raises(ValueError, match="object key"):
        check_key(key)


def test_longest_key_is_accepted_and_one_more_character_is_not() -> None:
    longest = "/".join(["a" * 99] * 5) + "/" + "b" * (MAX_KEY_LENGTH - 500)
    assert len(longest) == MAX_KEY_LENGTH
    assert check_key(longest) == longest
    with pytest.raises(ValueError, match="longer than"):
        check_key(longest + "c")


@pytest.mark.parametrize("prefix", ["", "live/", "live/ev1/seg_0", "vod"])
def test_prefixes_that_keys_can_start_with_are_accepted(prefix: str) -> None:
    assert check_prefix(prefix) == prefix


@pytest.mark.parametrize("prefix", ["/", "/live", "live//", "../", "live/.meta/"])
def test_prefixes_no_valid_key_starts_with_are_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="object key"):
        check_prefix(prefix)


def _parts(*numbers: int) -> list[UploadedPart]:
    return [UploadedPart(number=n, etag=f"e{n}", size=1) for n in numbers]


def test_ascending_part_lists_are_accepted_even_with_gaps() -> None:
    check_parts(_parts(1))
    check_parts(_parts(1, 2, 3))
    check_parts(_parts(2, 5, 9))


@pytest.mark.parametrize("numbers", [(), (2, 1), (1, 1), (1, 3, 2)])
def test_empty_or_unordered_part_lists_are_refused(numbers: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="part"):
        check_parts(_parts(*numbers))
