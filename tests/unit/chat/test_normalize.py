"""Comment text normalisation: what a person sends versus what is stored."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from culturecast.chat.normalize import MAX_LENGTH, matching_form, normalize, text_length


def test_full_width_text_is_kept_as_typed() -> None:
    # Issue 14: "唱得真好！" keeps its full-width "！"; only the ideographic space is a space.
    assert normalize("唱得真好！") == "唱得真好！"
    assert normalize("文明发言，共享精彩！") == "文明发言，共享精彩！"
    assert normalize("ＣｕｌｔｕｒｅＣａｓｔ　２０２５") == "ＣｕｌｔｕｒｅＣａｓｔ ２０２５"


def test_matching_form_folds_full_width_letters_and_digits_to_ascii() -> None:
    assert matching_form("ＣｕｌｔｕｒｅＣａｓｔ　２０２５") == "CultureCast 2025"
    assert matching_form("好！") == matching_form("好!")


def test_whitespace_runs_collapse_and_ends_are_trimmed() -> None:
    assert normalize("  好\t\t戏\n\n开场了 \u3000 ") == "好 戏 开场了"


def test_zero_width_characters_are_removed() -> None:
    assert normalize("精\u200b彩\u200c演\u200d出\ufeff\u2060") == "精彩演出"


def test_bidi_controls_are_removed() -> None:
    # An RTL override would flip the rest of everyone's chat line.
    assert normalize("abc\u202edcba\u202c \u2066x\u2069 \u200fy") == "abcdcba x y"


def test_control_characters_are_removed() -> None:
    assert normalize("a\x00b\x07c\x1bd\x7f") == "abcd"


def test_lone_surrogates_are_removed() -> None:
    assert normalize("ok\ud800!") == "ok!"


def test_removal_that_uncovers_a_composition_is_still_a_fixed_point() -> None:
    # e + ZWSP + combining acute: once the ZWSP goes, NFC composes é.
    result = normalize("caf" + "e\u200b\u0301")
    assert result == "café"
    assert normalize(result) == result


def test_only_invisible_characters_normalise_to_empty() -> None:
    assert normalize("\u200b \u200d\t\ufeff\u3000") == ""


def test_chinese_text_and_emoji_pass_unchanged() -> None:
    text = "三国演义第十回 👍 太精彩了！"
    assert normalize(text) == text
    assert "👍" in normalize(text)


def test_length_counts_code_points_so_chinese_characters_count_one_each() -> None:
    assert text_length(normalize("文化云" * 10)) == 30
    assert MAX_LENGTH == 200


# Every code point, lone surrogates included (plain st.text() leaves them out).
_ANY_CODE_POINT = st.text(st.characters(exclude_categories=()))


@given(_ANY_CODE_POINT)
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@given(_ANY_CODE_POINT)
def test_normalized_text_has_no_invisible_or_edge_space(text: str) -> None:
    result = normalize(text)
    assert result == result.strip()
    assert "  " not in result
    assert all(unicodedata.category(c) not in {"Cc", "Cf", "Cs"} for c in result)
