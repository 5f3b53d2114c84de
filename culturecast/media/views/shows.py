"""Live shows per organization in the monthly report (seed 000: 直播场次 and 场均观看, e.g.
兴化 14.8 万场均): a show counts in a month when its live item has plays that month; its
views are those plays (replays watched later count as the show, as everywhere). Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from culturecast.media.views.policy import ItemType
from culturecast.media.views.rollup import ItemDay, OrgTree

__all__ = ["shows_per_org"]


def shows_per_org(
    rows: Iterable[ItemDay], tree: OrgTree, org_id: str, names: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The organization itself, then each child: shows (场次), their plays, plays per show
    (场均观看, 0 without shows). ``rows`` are the month's."""
    targets = (org_id, *tree.children(org_id))
    shows: dict[str, set[str]] = {org: set() for org in targets}
    plays: dict[str, int] = dict.fromkeys(targets, 0)
    for row in rows:
        if row.item_type is not ItemType.LIVE or not row.figures.plays:
            continue
        for org in tree.lineage(row.org_id):
            if org in shows:
                shows[org].add(row.item_id)
                plays[org] += row.figures.plays
    return [
        {
            "org_id": org,
            "name": names.get(org, org),
            "shows": len(shows[org]),
            "plays": plays[org],
            "views_per_show": round(plays[org] / len(shows[org]), 3) if shows[org] else 0.0,
        }
        for org in targets
    ]
