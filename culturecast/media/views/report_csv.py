"""The CSV a 文化馆 manager sends upward: the organization report's days and the ranking in
the units of a report — minutes with one decimal, rates as percentages, organizations by
name, categories and item types in Chinese (the bilingual headers stay, for machines).

A live show has no 播完率 (it has no end to reach while on air): its cell says 不适用. The
live report and the site-type table keep their own, finer formats (``live_report.py``,
``sites.py``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from culturecast.core.categories import LABELS, parse_category

__all__ = ["RANKING_HEADER", "REPORT_HEADER", "category_name", "ranking_rows", "report_cells"]

REPORT_HEADER = [
    "观看人次 plays",
    "观看时长(分钟) watch_minutes",
    "有效观看 effective",
    "播完 completions",
    "播完率 completion_rate",
    "有效时长(分钟) effective_watch_minutes",
]

ITEM_TYPES = {"live": "直播", "resource": "点播"}
NOT_APPLICABLE = "不适用"


def _minutes(seconds: float) -> float:
    return round(seconds / 60, 1)


def report_cells(data: Mapping[str, Any], *, live: bool = False) -> list[Any]:
    """The figures of ``data`` (``figures_json``'s keys) as a report shows them."""
    rate = NOT_APPLICABLE if live else f"{data['completion_rate'] * 100:.1f}%"
    return [
        data["plays"],
        _minutes(data["watch_seconds"]),
        data["effective"],
        data["completions"],
        rate,
        _minutes(data["effective_watch_seconds"]),
    ]


def category_name(code: str) -> str:
    """A category's Chinese name (the stored text itself when it is none we know)."""
    try:
        return LABELS[parse_category(code)][0]
    except ValueError:
        return code


RANKING_HEADER = [
    "排行 rank",
    "类型 item_type",
    "标题 title",
    "单位 org",
    "类别 category",
    "编号 item_id",
    *REPORT_HEADER,
]


def ranking_rows(places: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> list[list[Any]]:
    """The ranking's places as report rows (``names``: organization id → name)."""
    return [
        [
            p["rank"],
            ITEM_TYPES.get(p["item_type"], p["item_type"]),
            p["title"],
            names.get(p["org_id"], p["org_id"]),
            category_name(p["category"]),
            p["item_id"],
            *report_cells(p, live=p["item_type"] == "live"),
        ]
        for p in places
    ]
