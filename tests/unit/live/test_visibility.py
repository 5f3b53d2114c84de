"""Who may see a live event (and so its replay, chat, comments and media): the one rule."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from culturecast.live.visibility import PUBLIC_FILTER, is_public, may_see, sees_drafts


@dataclass(frozen=True)
class Who:
    role: str
    org_id: str | None


PATH = ("village", "township", "county")
"""The event's organization first, then its ancestors."""


@pytest.mark.parametrize(
    ("who", "sees_drafts_"),
    [
        (None, False),  # anonymous readers and guests
        (Who("viewer", "village"), False),  # a viewer of the event's own organization
        (Who("viewer", "other"), False),
        (Who("editor", "village"), True),
        (Who("org_admin", "county"), True),  # staff of an ancestor: their subtree
        (Who("editor", "neighbour"), False),  # staff of a sibling organization
        (Who("org_admin", "hamlet"), False),  # staff below the event's organization
        (Who("editor", None), False),
        (Who("platform_admin", None), True),
    ],
)
def test_drafts_are_for_the_staff_of_the_events_subtree(
    who: Who | None, sees_drafts_: bool
) -> None:
    assert sees_drafts(who, PATH) is sees_drafts_
    assert may_see(who, PATH, public=False) is sees_drafts_
    assert may_see(who, PATH, public=True)


@pytest.mark.parametrize(
    ("doc", "public"),
    [
        ({"published": True, "disabled": False}, True),
        ({"published": False, "disabled": False}, False),
        ({"published": True, "disabled": True}, False),
        ({"published": True}, True),
        ({}, False),  # an event without the flag is a draft, never shown by mistake
    ],
)
def test_public_means_published_and_not_disabled(doc: dict[str, bool], public: bool) -> None:
    assert is_public(doc) is public
    if "disabled" in doc:  # the listing's filter says the same about stored events
        assert all(doc.get(k) == v for k, v in PUBLIC_FILTER.items()) is public
