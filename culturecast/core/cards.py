"""What a public list's cards carry beyond the item itself (issue 14 point 6): the
organization's name and the item's 观看人次.

Organizations belong to ``server`` and view statistics to ``media.views``; the list handlers
of ``live`` and ``media`` read them through this port, which ``server`` implements with the
owners' services. One call per page of items, never one per item.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Protocol

ORG_NAME = "org_name"
"""The organization's name as its admins typed it (null when the organization is gone)."""
VIEWS = "views"
"""The item's plays to date (观看人次), as the statistics count them."""


class CardFacts(Protocol):
    """Organization names and play totals, in batches."""

    async def org_names(self, org_ids: Collection[str]) -> Mapping[str, str]:
        """The name of each organization found among ``org_ids``."""
        ...

    async def plays(self, item_type: str, item_ids: Collection[str]) -> Mapping[str, int]:
        """Plays to date of each item (``resource`` or ``live``) among ``item_ids`` that has
        any."""
        ...


async def add_card_facts(
    facts: CardFacts | None,
    item_type: str,
    items: Sequence[dict[str, Any]],
    counted: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Add ``org_name`` and ``views`` to each item (in place). ``counted`` names, per item,
    the ids whose plays make its figure (a series: its episodes); by default the item's own.
    Without ``facts`` (a process that keeps no statistics) names are null and views 0."""
    members = counted if counted is not None else {item["id"]: [item["id"]] for item in items}
    names: Mapping[str, str] = {}
    plays: Mapping[str, int] = {}
    if facts is not None and items:
        names = await facts.org_names({item["org_id"] for item in items})
        ids = {i for ids in members.values() for i in ids}
        plays = await facts.plays(item_type, ids) if ids else {}
    for item in items:
        item[ORG_NAME] = names.get(item["org_id"])
        item[VIEWS] = sum(plays.get(i, 0) for i in members.get(item["id"], ()))
