"""Catalogue list queries: parsing, visibility, filters, free-text matching; categories."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from culturecast.core.categories import Category, categories, label, parse_category
from culturecast.media.catalogue import query as q


@dataclass(frozen=True)
class Who:
    user_id: str
    role: str
    org_id: str | None


EDITOR = Who("u1", "editor", "city")
PLATFORM = Who("u0", "platform_admin", None)
VIEWER = Who("u2", "viewer", "city")


@pytest.mark.parametrize("name", ["评书", "storytelling", "Storytelling", " 评书 "])
def test_category_by_code_or_label(name: str) -> None:
    assert parse_category(name) is Category.STORYTELLING


def test_unknown_category_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="storytelling"):
        parse_category("相声")


def test_every_category_has_both_labels() -> None:
    assert {c["code"] for c in categories()} == {c.value for c in Category}
    assert label("opera") == {"zh": "戏曲", "en": "Opera"}
    for c in categories():
        assert c["zh"]
        assert c["en"]


def test_viewers_and_anonymous_see_only_published_ready() -> None:
    for who in (None, VIEWER):
        flt = q.build_filter(q.parse_query({}, staff=False), who)
        assert flt == {"published": True, "status": "ready"}


def test_staff_see_their_subtree_or_public() -> None:
    flt = q.build_filter(q.parse_query({"category": "戏曲"}, staff=True), EDITOR)
    assert flt == {
        "$or": [{"org_path": "city"}, {"published": True, "status": "ready"}],
        "category": "opera",
    }
    assert q.build_filter(q.parse_query({}, staff=True), PLATFORM) == {}


def test_filters_map_to_fields() -> None:
    query = q.parse_query(
        {
            "kind": "audio",
            "org_id": "county",
            "series_id": "s1",
            "tag": "三国",
            "status": "failed",
            "published": "false",
            "sort": "episode",
            "limit": "50",
            "offset": "10",
        },
        staff=True,
    )
    flt = q.build_filter(query, PLATFORM)
    assert flt == {
        "kind": "audio",
        "org_path": "county",
        "series_id": "s1",
        "tags": "三国",
        "status": "failed",
        "published": False,
    }
    assert q.sort_spec(query) == (("episode", 1), ("created_at", 1))
    assert (query.limit, query.offset) == (50, 10)


@pytest.mark.parametrize(
    ("params", "staff"),
    [
        ({"kind": "image"}, True),
        ({"status": "ready"}, False),
        ({"published": "false"}, False),
        ({"published": "maybe"}, True),
        ({"sort": "random"}, True),
        ({"limit": "0"}, True),
        ({"limit": "101"}, True),
        ({"offset": "-1"}, True),
        ({"limit": "ten"}, True),
        ({"category": "nope"}, True),
        ({"q": "x" * 101}, True),
    ],
)
def test_bad_parameters_are_refused(params: dict[str, str], staff: bool) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        q.parse_query(params, staff=staff)


def test_may_see_matches_the_visibility_filter() -> None:
    draft = {"published": False, "status": "ready", "org_path": ["city", "province"]}
    public = {"published": True, "status": "ready", "org_path": ["other"]}
    processing = {"published": True, "status": "processing", "org_path": ["other"]}
    assert q.may_see(None, public)
    assert not q.may_see(None, draft)
    assert not q.may_see(VIEWER, draft)
    assert not q.may_see(VIEWER, processing)
    assert q.may_see(EDITOR, draft)
    assert not q.may_see(EDITOR, processing)
    assert q.may_see(PLATFORM, processing)
    provincial = Who("u3", "editor", "province")
    assert q.may_see(provincial, draft)


def test_text_search_covers_title_performer_series_and_tags() -> None:
    doc = {
        "title": "三国演义 第一回",
        "performer": "单田芳",
        "series_title": "三国演义",
        "tags": ["评书", "Classic"],
    }
    for needle in ("第一回", "单田芳", "演义", "classic", ""):
        assert q.matches_text(doc, needle), needle
    assert not q.matches_text(doc, "水浒")
