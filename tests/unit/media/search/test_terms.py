"""Search terms: characters, full pinyin and initials, and the ranking of hits."""

from __future__ import annotations

from culturecast.media.search.terms import (
    Field,
    Place,
    field_terms,
    fold,
    place,
    query_key,
    resource_terms,
    score,
)


def _texts(title: str) -> set[str]:
    return {t.text for t in field_terms(title, Field.TITLE)}


def test_a_title_is_found_by_characters_pinyin_and_initials() -> None:
    texts = _texts("三国演义")
    for q in ("三国", "国演", "sanguo", "sanguoyanyi", "guoyan", "sgyy", "gyy"):
        key = query_key(q)
        assert any(t.startswith(key) for t in texts), q


def test_folding_drops_case_full_width_and_punctuation() -> None:
    assert fold("评书《三国》ＡＢＣ 12") == "评书三国abc12"
    assert query_key(" SGYY ") == "sgyy"


def test_description_is_characters_only() -> None:
    texts = {t.text for t in field_terms("三国演义的故事", Field.DESCRIPTION)}
    assert "三国演义的故事" in texts
    assert not any(t.startswith("san") for t in texts)


def test_rank_title_before_description_and_exact_before_partial() -> None:
    assert score(Field.TITLE, Place.INSIDE) > score(Field.DESCRIPTION, Place.EXACT)
    assert score(Field.TITLE, Place.EXACT) > score(Field.TITLE, Place.START)
    assert score(Field.TITLE, Place.START) > score(Field.TITLE, Place.INSIDE)
    assert place(True, "sgyy", "sgyy") is Place.EXACT
    assert place(True, "sgyy", "sg") is Place.START
    assert place(False, "sgyy", "gy") is Place.INSIDE


def test_a_term_in_two_fields_keeps_the_better_field() -> None:
    terms = resource_terms({"title": "梁祝", "description": "梁祝"}, None)
    assert {t.text: t.field for t in terms}["梁祝"] is Field.TITLE
