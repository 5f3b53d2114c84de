"""The report of one live show in the seeds' shape (seed 000's 直播数据): peak concurrent
viewers and when, plays, unique viewers, total and average watch time, effective views,
comments and likes, split by terminal, device family and region; and its CSV.

Definitions (DESIGN.md § Views and statistics): the figures are the show's item figures over
every day it has (a replay watched later counts as the show); ``unique_viewers`` sums the
distinct viewers of each day (a show rarely spans midnight; a viewer on two days counts on
both); ``average_watch_seconds`` is watch time per play (人次). Comments are the visible chat
messages, likes the chat's like counter: both belong to chat, read through the ``Engagement``
port the server wires (media may not import chat).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from culturecast.media.views.stats import FIGURE_HEADER, figure_cells, to_csv

__all__ = ["Engagement", "NoEngagement", "live_report_csv", "shape_live_report"]


class Engagement(Protocol):
    async def comments_and_likes(self, event_id: str) -> tuple[int, int]:
        """The show's visible comments and its likes."""
        ...


class NoEngagement:
    """No chat in this process: none of either."""

    async def comments_and_likes(self, event_id: str) -> tuple[int, int]:
        return 0, 0


def shape_live_report(
    event_id: str, title: str, item: Mapping[str, Any], comments: int, likes: int
) -> dict[str, Any]:
    """The show's report from its item report (``StatsReader.item_report``)."""
    totals = item["totals"]
    live = item.get("live") or {}
    plays = int(totals["plays"])
    watch = float(totals["watch_seconds"])
    return {
        "event_id": event_id,
        "title": title,
        "from": item["from"],
        "to": item["to"],
        "peak_viewers": int(live.get("peak_viewers", 0)),
        "peak_at": live.get("peak_at"),
        "current_viewers": int(live.get("current_viewers", 0)),
        "plays": plays,
        "unique_viewers": sum(int(d["unique_viewers"]) for d in item["daily"]),
        "watch_seconds": round(watch, 3),
        "average_watch_seconds": round(watch / plays, 3) if plays else 0.0,
        "effective": int(totals["effective"]),
        "comments": comments,
        "likes": likes,
        "totals": totals,
        "by_terminal": item["by_terminal"],
        "by_device": item["by_device"],
        "by_region": item["by_region"],
    }


_SUMMARY = [
    ("峰值在线 peak_viewers", "peak_viewers"),
    ("峰值时间 peak_at", "peak_at"),
    ("观看人次 plays", "plays"),
    ("观看人数 unique_viewers", "unique_viewers"),
    ("总观看时长(秒) watch_seconds", "watch_seconds"),
    ("平均观看时长(秒) average_watch_seconds", "average_watch_seconds"),
    ("有效观看 effective", "effective"),
    ("评论 comments", "comments"),
    ("点赞 likes", "likes"),
]


def live_report_csv(report: Mapping[str, Any]) -> bytes:
    """One sheet: the summary, then one row per terminal, device, province and city."""
    header = ["分组 group", "名称 name", "值 value", *FIGURE_HEADER]
    rows: list[list[Any]] = [["直播 show", report["title"], report["event_id"]]]
    rows += [["汇总 summary", label, report[key]] for label, key in _SUMMARY]
    rows += [["终端 terminal", t, "", *figure_cells(f)] for t, f in report["by_terminal"].items()]
    rows += [["设备 device", d, "", *figure_cells(f)] for d, f in report["by_device"].items()]
    for province in report["by_region"]:
        rows.append(["省份 province", province["province"], "", *figure_cells(province)])
        rows += [
            ["城市 city", f"{province['province']} {c['city']}".strip(), "", *figure_cells(c)]
            for c in province["cities"]
        ]
    return to_csv(header, rows)
