"""The rule of typed text, and paths kept out of what users read."""

from __future__ import annotations

import pytest

from culturecast.core.errors import InvalidBody
from culturecast.core.text import clean_text, is_visible, without_paths


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\u200b",
        "\u200b\u200c\u200d\u2060\ufeff",
        "\u202e\u202d",
        "\u3000",
        "\u3164",
        "\u2800",
        "\u0301\u0301",
        "\x01\x7f",
        "\u115f\u1160",
    ],
)
def test_nothing_visible(text: str) -> None:
    assert not is_visible(text)


@pytest.mark.parametrize("text", ["村晚", "a", "《梁祝》", "🎭", "\u200b越剧", "١"])
def test_something_visible(text: str) -> None:
    assert is_visible(text)


def test_clean_text_keeps_chinese_as_typed_and_refuses_nul_and_invisible() -> None:
    assert clean_text("title", "  越剧《梁祝》\u200d选段 ", max_len=20) == "越剧《梁祝》\u200d选段"
    assert clean_text("description", "  ", max_len=20, required=False) == ""
    for bad in ["\x00", "村\x00晚", "\u200b\u200b"]:
        with pytest.raises(InvalidBody) as info:
            clean_text("title", bad, max_len=20, code="invalid_live_event")
        assert info.value.code == "invalid_live_event"
        assert "title" in info.value.message_in("en")
    with pytest.raises(InvalidBody, match="must be 1 to 3 characters"):
        clean_text("title", "四个字符", max_len=3)
    with pytest.raises(InvalidBody):
        clean_text("description", "\u200b", max_len=20, required=False)


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        (
            "[Errno 20] Not a directory: '/srv/cc/data/work/media/r1-1'",
            "[Errno 20] Not a directory: '…/r1-1'",
        ),
        (
            "/srv/cc/data/work/r1/original: Invalid data found when processing input",
            "…/original: Invalid data found when processing input",
        ),
        (
            "Error opening output file /tmp/w/v0/seg_%05d.ts.",
            "Error opening output file …/seg_%05d.ts.",
        ),
        (
            "fetch http://example.org/live/a.m3u8 failed",
            "fetch http://example.org/live/a.m3u8 failed",
        ),
        ("exit 1 | moov atom not found", "exit 1 | moov atom not found"),
    ],
)
def test_without_paths(message: str, shown: str) -> None:
    assert without_paths(message) == shown
