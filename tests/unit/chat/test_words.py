"""Sensitive-word filter: evasions are caught, innocent text is left alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from culturecast.chat.words import (
    TRADITIONAL_TO_SIMPLIFIED,
    SensitiveWordFilter,
    WordMatch,
    parse_word_list,
    read_default_words,
)

WORDS = ["敏感词", "网络赌博", "spam", "加微信"]


@pytest.fixture
def words() -> SensitiveWordFilter:
    return SensitiveWordFilter(WORDS)


def test_plain_occurrence_is_found_with_its_span(words: SensitiveWordFilter) -> None:
    assert words.find("这是敏感词啊") == [WordMatch(2, 5, "敏感词")]


@pytest.mark.parametrize(
    "text",
    [
        "敏 感 词",
        "敏*感*词",
        "敏.感。词",
        "敏-_-感~~词",
        "敏\u200d感\u200d词",  # zero-width joiners inside
        "敏\u200b感\ufeff词",
        "敏\u3000感\u3000词",  # ideographic spaces
    ],
)
def test_separators_between_characters_do_not_hide_a_word(
    words: SensitiveWordFilter, text: str
) -> None:
    matches = words.find(text)
    assert [(m.start, m.end, m.word) for m in matches] == [(0, len(text), "敏感词")]


@pytest.mark.parametrize("text", ["ＳＰＡＭ", "SpAm", "s p a m", "Ｓ.Ｐ.Ａ.Ｍ"])
def test_full_width_and_case_do_not_hide_a_word(words: SensitiveWordFilter, text: str) -> None:
    assert [m.word for m in words.find(text)] == ["spam"]


@pytest.mark.parametrize("text", ["敏感詞", "網絡賭博", "加微信", "網 絡 賭 博"])
def test_traditional_characters_do_not_hide_a_word(words: SensitiveWordFilter, text: str) -> None:
    assert words.contains(text)


def test_words_written_in_traditional_match_simplified_text() -> None:
    assert SensitiveWordFilter(["網絡賭博"]).contains("欢迎参加网络赌博")


def test_the_fold_table_is_extendable_by_configuration() -> None:
    plain = SensitiveWordFilter(["赌博"])
    extended = SensitiveWordFilter(["赌博"], extra_folds={"堵": "赌"})
    assert not plain.contains("堵博")
    assert extended.contains("堵博")


def test_fold_keys_must_be_single_characters() -> None:
    with pytest.raises(ValueError, match="one character"):
        SensitiveWordFilter(["赌博"], extra_folds={"賭博": "赌博"})


def test_builtin_table_is_a_table_of_single_characters() -> None:
    assert TRADITIONAL_TO_SIMPLIFIED["詞"] == "词"
    assert all(len(k) == 1 and len(v) == 1 and k != v for k, v in TRADITIONAL_TO_SIMPLIFIED.items())


@pytest.mark.parametrize(
    "text",
    [
        "今天的京剧演出太精彩了！",
        "感谢文化馆的老师们",
        "敏捷的感觉",  # shares characters, not the word
        "spa menu",  # "spa m" would match; "spa me" must not end a word early
        "微信公众号已关注",
        "",
        "   ",
    ],
)
def test_innocent_text_has_no_match(words: SensitiveWordFilter, text: str) -> None:
    assert words.find(text) == []
    assert words.mask(text) == (text, [])


def test_mask_replaces_only_the_matched_span(words: SensitiveWordFilter) -> None:
    masked, matches = words.mask("前面 敏 感 词 后面 spam!")
    assert masked == "前面 ＊＊＊＊＊ 后面 ＊＊＊＊!"
    assert [m.word for m in matches] == ["敏感词", "spam"]


def test_mask_character_is_configurable(words: SensitiveWordFilter) -> None:
    assert words.mask("a spam b", "*")[0] == "a **** b"


def test_overlapping_words_are_all_reported_and_masked() -> None:
    # The classic Aho–Corasick example, in characters that match anywhere.
    f = SensitiveWordFilter(["二三", "一二三", "二四", "二三五"])
    assert {(m.start, m.end, m.word) for m in f.find("零一二三五")} == {
        (1, 4, "一二三"),
        (2, 4, "二三"),
        (2, 5, "二三五"),
    }
    assert f.mask("零一二三五", "*")[0] == "零****"


def test_word_inside_a_longer_failed_prefix_is_found() -> None:
    # Failure links: "甲乙丙丁" fails at "戊", "乙丙戊" must still match.
    f = SensitiveWordFilter(["甲乙丙丁", "乙丙戊"])
    assert [m.word for m in f.find("甲乙丙戊")] == ["乙丙戊"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("spam", True),
        ("no spam!", True),
        ("s p a m", True),
        ("敏spam感", True),
        ("spamming", False),
        ("antispam", False),
        ("spam2", False),
    ],
)
def test_latin_words_must_stand_alone(text: str, found: bool) -> None:
    assert SensitiveWordFilter(["spam"]).contains(text) is found


def test_latin_part_of_a_chinese_word_needs_no_boundary() -> None:
    assert SensitiveWordFilter(["加qq"]).contains("快加qq123456")


def test_span_maps_back_through_characters_that_fold_to_several() -> None:
    # "ﬀ" (U+FB00) folds to "ff": the match still maps to original indices.
    f = SensitiveWordFilter(["off"])
    assert f.find("tip ｏﬀ now") == [WordMatch(4, 6, "off")]
    assert f.mask("tip ｏﬀ now", "*")[0] == "tip ** now"


def test_empty_word_list_matches_nothing() -> None:
    f = SensitiveWordFilter([])
    assert len(f) == 0
    assert f.find("敏感词") == []


def test_words_that_fold_to_nothing_are_ignored() -> None:
    f = SensitiveWordFilter(["", " ", "***", "ok"])
    assert len(f) == 1
    assert f.find("!!!") == []


def test_word_list_file_format() -> None:
    assert parse_word_list("# comment\n\n 加微信 \nspam # trailing\n") == ["加微信", "spam"]


def test_default_list_is_packaged_and_usable() -> None:
    default = read_default_words()
    assert "刷单" in default
    assert SensitiveWordFilter(default).contains("刷 單 兼职")
    assert not SensitiveWordFilter(default).contains("今晚七点越剧《梁祝》直播")


@given(st.text())
def test_filter_never_raises_and_spans_are_in_range(text: str) -> None:
    f = SensitiveWordFilter([*WORDS, "a", "ß"])
    for m in f.find(text):
        assert 0 <= m.start < m.end <= len(text)
    masked, _ = f.mask(text)
    assert len(masked) == len(text)


@given(st.text(), st.sampled_from(["敏感词", "网络赌博", "加微信"]), st.text())
def test_a_chinese_word_inserted_anywhere_is_found(prefix: str, word: str, suffix: str) -> None:
    assert SensitiveWordFilter(WORDS).contains(prefix + word + suffix)


@given(st.text(), st.text())
def test_a_latin_word_between_spaces_is_found(prefix: str, suffix: str) -> None:
    assert SensitiveWordFilter(WORDS).contains(prefix + " spam " + suffix)


@given(st.lists(st.text(), max_size=20), st.text())
def test_any_word_list_builds_and_never_raises(words: list[str], text: str) -> None:
    f = SensitiveWordFilter(words)
    for m in f.find(text):
        assert 0 <= m.start < m.end <= len(text)
        assert m.word in words


_SMALL = st.text(alphabet="甲乙丙", min_size=1, max_size=4)


@given(st.lists(_SMALL, min_size=1, max_size=8), st.text(alphabet="甲乙丙", max_size=30))
def test_automaton_agrees_with_brute_force(words: list[str], text: str) -> None:
    f = SensitiveWordFilter(words)
    expected = {
        (i, i + len(w), w)
        for w in dict.fromkeys(words)
        for i in range(len(text))
        if text.startswith(w, i)
    }
    assert {(m.start, m.end, m.word) for m in f.find(text)} == expected
    assert f.contains(text) is bool(expected)
