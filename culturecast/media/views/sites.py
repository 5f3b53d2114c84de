"""Seed 004's table 2 in the monthly report: effective learning hours (有效学习时长) of each
child organization by the site type of its sites (分配站点: the child and every organization
below it, each counting the items it owns), the total, and the average per site. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from culturecast.core.sites import SITE_TYPE_LABELS, SiteType
from culturecast.media.views.rollup import ItemDay, OrgTree

__all__ = ["SITE_TYPE_HEADER", "site_type_csv_rows", "site_type_table"]


def _hours(seconds: float) -> float:
    return round(seconds / 3600, 3)


def _line(
    seconds: Mapping[SiteType, float], sites: Mapping[SiteType, int], learners: int
) -> dict[str, Any]:
    total_seconds = sum(seconds.values())
    total_sites = sum(sites.values())
    return {
        "by_site_type": {
            str(kind): {
                "sites": sites[kind],
                "effective_watch_seconds": round(seconds[kind], 3),
                "effective_hours": _hours(seconds[kind]),
            }
            for kind in SiteType
        },
        "sites": total_sites,
        "expected_learners": learners,
        "effective_watch_seconds": round(total_seconds, 3),
        "effective_hours": _hours(total_seconds),
        "average_hours_per_site": _hours(total_seconds / total_sites) if total_sites else 0.0,
    }


def site_type_table(
    rows: Iterable[ItemDay],
    tree: OrgTree,
    org_id: str,
    names: Mapping[str, str],
    site_types: Mapping[str, SiteType],
    learners: Mapping[str, int],
) -> dict[str, Any]:
    """One line per child of ``org_id`` (in id order) and the total line of them all.
    ``rows`` are the month's; organizations missing from ``site_types`` count as "other"."""
    own: dict[str, float] = {}
    for row in rows:
        own[row.org_id] = own.get(row.org_id, 0.0) + row.figures.effective_watch_seconds
    lines: list[dict[str, Any]] = []
    all_seconds = dict.fromkeys(SiteType, 0.0)
    all_sites = dict.fromkeys(SiteType, 0)
    all_learners = 0
    for child in tree.children(org_id):
        seconds = dict.fromkeys(SiteType, 0.0)
        sites = dict.fromkeys(SiteType, 0)
        expected = 0
        for site in sorted(tree.subtree(child)):
            kind = site_types.get(site, SiteType.OTHER)
            seconds[kind] += own.get(site, 0.0)
            sites[kind] += 1
            expected += learners.get(site, 0)
        for kind in SiteType:
            all_seconds[kind] += seconds[kind]
            all_sites[kind] += sites[kind]
        all_learners += expected
        lines.append(
            {"org_id": child, "name": names.get(child, child), **_line(seconds, sites, expected)}
        )
    return {
        "site_types": [
            {"site_type": str(kind), "label": SITE_TYPE_LABELS[kind]} for kind in SiteType
        ],
        "rows": lines,
        "total": _line(all_seconds, all_sites, all_learners),
    }


SITE_TYPE_HEADER: Sequence[str] = (
    "单位 org_id",
    "名称 name",
    *(f"{SITE_TYPE_LABELS[kind]}站点数 {kind}_sites" for kind in SiteType),
    *(f"{SITE_TYPE_LABELS[kind]}有效学习时长(时) {kind}_hours" for kind in SiteType),
    "站点数 sites",
    "应学人数 expected_learners",
    "有效学习时长(时) effective_hours",
    "站点平均学习时长(时) average_hours_per_site",
)


def _cells(line: Mapping[str, Any]) -> list[Any]:
    by_type = line["by_site_type"]
    return [
        *(by_type[str(kind)]["sites"] for kind in SiteType),
        *(by_type[str(kind)]["effective_hours"] for kind in SiteType),
        line["sites"],
        line["expected_learners"],
        line["effective_hours"],
        line["average_hours_per_site"],
    ]


def site_type_csv_rows(table: Mapping[str, Any]) -> list[list[Any]]:
    """The table's lines for CSV (``SITE_TYPE_HEADER``), the total last."""
    rows = [[line["org_id"], line["name"], *_cells(line)] for line in table["rows"]]
    rows.append(["合计 total", "", *_cells(table["total"])])
    return rows
