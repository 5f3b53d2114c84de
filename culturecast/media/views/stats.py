"""Reading the statistics: daily documents of the flush (``flush.py``) rolled up by
``rollup.py`` into the figures per item, organization subtree, category, terminal and day,
rankings, trends and the monthly report; plus CSV rendering (UTF-8 with a byte-order mark, so
Excel opens Chinese text correctly).

Figures in the database lag the counters by up to one flush interval; live concurrent viewers
and peaks are read from the counters directly. Organizations (owned by ``server``) are read
through the :class:`Organizations` port the server passes in.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Protocol

from culturecast.core.calendar import cst_day, cst_day_start, days_of_month
from culturecast.core.errors import InvalidQuery, Sentence
from culturecast.core.sites import SiteType
from culturecast.media.views.flush import PEAKS, STATS
from culturecast.media.views.items import ItemStores
from culturecast.media.views.policy import (
    ItemType,
    PeakTracker,
    Terminal,
    ViewRules,
)
from culturecast.media.views.rollup import (
    Figures,
    ItemDay,
    MonthlyReport,
    OrgTree,
    RankBy,
    by_category,
    by_day,
    by_org,
    by_terminal,
    monthly_report,
    rank_items,
    totals,
)
from culturecast.media.views.shows import shows_per_org
from culturecast.media.views.sites import site_type_table
from culturecast.media.views.splits import devices_json, figures_of, regions_json
from culturecast.media.views.state import decode_peak, peak_key, presence_key
from culturecast.storage.database.port import Document

MAX_RANGE_DAYS = 366

RANK_ALIASES = {
    "plays": RankBy.PLAYS,
    "watch_time": RankBy.WATCH_TIME,
    "completion": RankBy.COMPLETION_RATE,
    "completion_rate": RankBy.COMPLETION_RATE,
    "effective": RankBy.EFFECTIVE,
    "effective_watch_time": RankBy.EFFECTIVE_WATCH_TIME,
}


class OrgNode(Protocol):
    """One organization of a subtree, as the statistics need it."""

    @property
    def id(self) -> str: ...
    @property
    def parent_id(self) -> str | None: ...
    @property
    def name(self) -> str: ...
    @property
    def site_type(self) -> SiteType: ...
    @property
    def expected_learners(self) -> int: ...


class Organizations(Protocol):
    """What the statistics read of the organizations (``server/accounts`` implements it)."""

    async def subtree(self, org_id: str) -> Sequence[OrgNode]:
        """The organization and every organization below it (none if it does not exist)."""
        ...


def figures_json(figures: Figures) -> dict[str, Any]:
    return {
        "plays": figures.plays,
        "watch_seconds": round(figures.watch_seconds, 3),
        "effective": figures.effective,
        "completions": figures.completions,
        "completion_rate": round(figures.completion_rate, 6),
        "effective_watch_seconds": round(figures.effective_watch_seconds, 3),
    }


def parse_range(first: str | None, last: str | None, now: float) -> tuple[str, str]:
    """The days asked for: ``from``/``to`` (YYYY-MM-DD, China time), by default the 30 days
    ending today."""
    try:
        to_day = last or cst_day(now)
        cst_day_start(to_day)
        from_day = first or (date.fromisoformat(to_day) - timedelta(days=29)).isoformat()
        cst_day_start(from_day)
    except ValueError:
        raise InvalidQuery(
            Sentence("日期格式应为 YYYY-MM-DD。", "from and to are days written YYYY-MM-DD.")
        ) from None
    if from_day > to_day:
        raise InvalidQuery(Sentence("开始日期晚于结束日期。", "from is after to."))
    span = (date.fromisoformat(to_day) - date.fromisoformat(from_day)).days + 1
    if span > MAX_RANGE_DAYS:
        raise InvalidQuery(
            Sentence(
                f"一次最多查询 {MAX_RANGE_DAYS} 天。",
                f"Ask for at most {MAX_RANGE_DAYS} days at once.",
            )
        )
    return from_day, to_day


def parse_month(month: str | None, now: float) -> str:
    value = month or cst_day(now)[:7]
    try:
        days_of_month(value)
    except ValueError:
        raise InvalidQuery(
            Sentence("月份格式应为 YYYY-MM。", "month is written YYYY-MM.")
        ) from None
    return value


def parse_rank(by: str | None) -> RankBy:
    if by is None:
        return RankBy.PLAYS
    try:
        return RANK_ALIASES[by]
    except KeyError:
        raise InvalidQuery(
            Sentence(
                "排序方式应为 plays、watch_time、completion、effective 或 effective_watch_time。",
                "by is one of plays, watch_time, completion, effective, effective_watch_time.",
            )
        ) from None


def rows_of(docs: Iterable[Document]) -> list[ItemDay]:
    """One ``ItemDay`` per item document and terminal."""
    rows: list[ItemDay] = []
    for doc in docs:
        for terminal, figures in (doc.get("terminals") or {}).items():
            if terminal not in Terminal.__members__.values():
                continue
            rows.append(
                ItemDay(
                    day=doc["day"],
                    item_type=ItemType(doc["item_type"]),
                    item_id=doc["item_id"],
                    org_id=doc["org_id"],
                    category=doc["category"],
                    terminal=Terminal(terminal),
                    figures=figures_of(figures),
                )
            )
    return rows


class StatsReader:
    """Queries over ``view_stats_daily`` (and live figures from the counters)."""

    def __init__(self, stores: ItemStores, rules: ViewRules, orgs: Organizations) -> None:
        self._stats = stores.database.collection(STATS)
        self._peaks = stores.database.collection(PEAKS)
        self._orgs = orgs
        self._counters = stores.counters
        self._resolver = stores.resolver
        self._clock = stores.clock
        self._rules = rules

    def now(self) -> float:
        return self._clock()

    # -- organizations ----------------------------------------------------------------------

    async def org_tree(self, org_id: str) -> tuple[OrgTree, dict[str, str]]:
        """The subtree of ``org_id`` (as a tree rooted there) and the names of its members."""
        parents: dict[str, str | None] = {}
        names: dict[str, str] = {}
        for org in await self._orgs.subtree(org_id):
            parents[org.id] = None if org.id == org_id else org.parent_id
            names[org.id] = org.name
        parents.setdefault(org_id, None)
        return OrgTree(parents), names

    # -- rows -------------------------------------------------------------------------------

    async def item_docs(
        self, item_type: ItemType, item_id: str, first: str, last: str
    ) -> list[Document]:
        return await self._stats.find(
            {
                "scope": "item",
                "key": f"{item_type}:{item_id}",
                "day": {"$gte": first, "$lte": last},
            },
            sort=[("day", 1)],
        )

    async def plays_to_date(self, item_type: ItemType, item_ids: Iterable[str]) -> dict[str, int]:
        """Plays to date (观看人次, every flushed day) of each item among ``item_ids`` that has
        any: what the cards of the public lists show, read in one query."""
        keys = [f"{item_type}:{item_id}" for item_id in item_ids]
        if not keys:
            return {}
        docs = await self._stats.find({"scope": "item", "key": {"$in": keys}})
        plays: dict[str, int] = {}
        for doc in docs:
            item_id = str(doc["key"]).partition(":")[2]
            plays[item_id] = plays.get(item_id, 0) + int(doc.get("plays", 0))
        return plays

    async def org_path_of(self, item_type: ItemType, item_id: str) -> list[str] | None:
        """The organization path recorded with an item's statistics (for items since deleted)."""
        doc = await self._stats.find_one({"scope": "item", "key": f"{item_type}:{item_id}"})
        return None if doc is None else list(doc.get("org_path") or [doc["org_id"]])

    async def subtree_rows(self, org_id: str, first: str | None, last: str) -> list[ItemDay]:
        return rows_of(await self.subtree_docs(org_id, first, last))

    async def subtree_docs(self, org_id: str, first: str | None, last: str) -> list[Document]:
        day: dict[str, str] = {"$lte": last}
        if first is not None:
            day["$gte"] = first
        return await self._stats.find({"scope": "item", "org_path": org_id, "day": day})

    async def org_uniques(self, org_id: str, first: str, last: str) -> dict[str, int]:
        docs = await self._stats.find(
            {"scope": "org", "key": org_id, "day": {"$gte": first, "$lte": last}}
        )
        return {doc["day"]: int(doc.get("uniques", 0)) for doc in docs}

    # -- reports ----------------------------------------------------------------------------

    async def item_report(
        self, item_type: ItemType, item_id: str, first: str, last: str, is_live: bool
    ) -> dict[str, Any]:
        docs = await self.item_docs(item_type, item_id, first, last)
        rows = rows_of(docs)
        uniques = {doc["day"]: int(doc.get("uniques", 0)) for doc in docs}
        daily = by_day(rows)
        report: dict[str, Any] = {
            "item_type": str(item_type),
            "item_id": item_id,
            "from": first,
            "to": last,
            "totals": figures_json(totals(rows)),
            "daily": [
                {"day": day, "unique_viewers": uniques.get(day, 0), **figures_json(figures)}
                for day, figures in daily.items()
            ],
            "by_terminal": {str(t): figures_json(f) for t, f in by_terminal(rows).items()},
            "by_device": devices_json(docs, figures_json),
            "by_region": regions_json(docs, figures_json),
        }
        if item_type is ItemType.LIVE or is_live:
            report["live"] = await self.live(item_type, item_id, is_live)
        return report

    async def live(self, item_type: ItemType, item_id: str, on_air: bool) -> dict[str, Any]:
        """在线人数 now (none once the show is off air), and the peak with its time (counters
        first, then the database)."""
        now = self._clock()
        current = 0
        if on_air:
            current = await self._counters.presence_count(
                presence_key(item_type, item_id), now - self._rules.concurrent_window_seconds
            )
        peak = decode_peak(await self._counters.get_flag(peak_key(item_type, item_id)))
        stored = await self._peaks.get(f"{item_type}:{item_id}")
        if stored is not None and int(stored.get("peak", 0)) > peak.value:
            peak = PeakTracker(value=int(stored["peak"]), at=stored.get("peak_at"))
        return {
            "current_viewers": current,
            "peak_viewers": peak.value,
            "peak_at": peak.at,
        }

    async def org_report(self, org_id: str, first: str, last: str, top: int) -> dict[str, Any]:
        tree, names = await self.org_tree(org_id)
        docs = await self.subtree_docs(org_id, first, last)
        rows = rows_of(docs)
        uniques = await self.org_uniques(org_id, first, last)
        per_org = by_org(rows, tree)
        daily = by_day(rows)
        days = sorted(set(daily) | set(uniques))
        return {
            "org_id": org_id,
            "name": names.get(org_id, org_id),
            "from": first,
            "to": last,
            "totals": figures_json(totals(rows)),
            "daily": [
                {
                    "day": day,
                    "unique_viewers": uniques.get(day, 0),
                    **figures_json(daily.get(day, Figures())),
                }
                for day in days
            ],
            "by_category": {c: figures_json(f) for c, f in sorted(by_category(rows).items())},
            "by_terminal": {str(t): figures_json(f) for t, f in by_terminal(rows).items()},
            "by_device": devices_json(docs, figures_json),
            "by_region": regions_json(docs, figures_json),
            "children": [
                {"org_id": child, "name": names.get(child, child), **figures_json(per_org[child])}
                for child in tree.children(org_id)
            ],
            "top_items": await self._ranked(rows, RankBy.PLAYS, top, 0),
        }

    async def ranking(
        self, org_id: str, first: str, last: str, by: RankBy, limit: int, min_plays: int
    ) -> list[dict[str, Any]]:
        rows = await self.subtree_rows(org_id, first, last)
        return await self._ranked(rows, by, limit, min_plays)

    async def _ranked(
        self, rows: Sequence[ItemDay], by: RankBy, limit: int, min_plays: int
    ) -> list[dict[str, Any]]:
        places = rank_items(rows, by, limit=limit, min_plays=min_plays)
        result: list[dict[str, Any]] = []
        for place in places:
            item = place.item
            resolved = await self._resolver.resolve(item.key.item_type, item.key.item_id)
            result.append(
                {
                    "rank": place.rank,
                    "item_type": str(item.key.item_type),
                    "item_id": item.key.item_id,
                    "title": resolved.title if resolved is not None else "",
                    "org_id": item.org_id,
                    "category": item.category,
                    **figures_json(item.figures),
                }
            )
        return result

    async def monthly(
        self, org_id: str, month: str, top: int
    ) -> tuple[MonthlyReport, dict[str, str]]:
        tree, names = await self.org_tree(org_id)
        days = days_of_month(month)
        rows = await self.subtree_rows(org_id, None, days[-1])
        active = await self.org_uniques(org_id, days[0], days[-1])
        return monthly_report(rows, tree, org_id, month, active, top=top), names

    async def monthly_shows(self, org_id: str, month: str) -> list[dict[str, Any]]:
        """场次 and 场均观看 of the organization and each child in ``month``."""
        tree, names = await self.org_tree(org_id)
        days = days_of_month(month)
        rows = await self.subtree_rows(org_id, days[0], days[-1])
        return shows_per_org(rows, tree, org_id, names)

    async def monthly_site_types(self, org_id: str, month: str) -> dict[str, Any]:
        """Seed 004's table 2: the month's effective learning hours of each child by site
        type, the total and the average per site."""
        orgs = await self._orgs.subtree(org_id)
        tree, names = await self.org_tree(org_id)
        days = days_of_month(month)
        rows = await self.subtree_rows(org_id, days[0], days[-1])
        return site_type_table(
            rows,
            tree,
            org_id,
            names,
            {org.id: org.site_type for org in orgs},
            {org.id: org.expected_learners for org in orgs},
        )

    async def subtree_ids(self, org_id: str) -> frozenset[str]:
        tree, _ = await self.org_tree(org_id)
        return tree.subtree(org_id)


def monthly_json(report: MonthlyReport, names: Mapping[str, str]) -> dict[str, Any]:
    return {
        "org_id": report.org_id,
        "name": names.get(report.org_id, report.org_id),
        "month": report.month,
        "totals": figures_json(report.totals),
        "cumulative": figures_json(report.cumulative),
        "by_terminal": {str(t): figures_json(f) for t, f in report.by_terminal.items()},
        "by_category": {c: figures_json(f) for c, f in report.by_category.items()},
        "daily": [
            {"day": p.day, "active_viewers": p.active_viewers, **figures_json(p.figures)}
            for p in report.daily
        ],
        "average_daily_active": round(report.average_daily_active, 3),
        "peak_day": None
        if report.peak_day is None
        else {"day": report.peak_day.day, "active_viewers": report.peak_day.active_viewers},
        "top_items": [
            {
                "rank": place.rank,
                "item_type": str(place.item.key.item_type),
                "item_id": place.item.key.item_id,
                "org_id": place.item.org_id,
                "category": place.item.category,
                **figures_json(place.item.figures),
            }
            for place in report.top_items
        ],
        "districts": [
            {
                "org_id": row.org_id,
                "name": names.get(row.org_id, row.org_id),
                "sites": row.sites,
                "average_effective_watch_seconds": round(row.average_effective_watch_seconds, 3),
                **figures_json(row.figures),
            }
            for row in report.districts
        ],
        "district_ranking": [
            {"rank": place.rank, "org_id": place.key, "name": names.get(place.key, place.key)}
            for place in report.district_ranking
        ],
    }


# -- CSV ------------------------------------------------------------------------------------

FIGURE_HEADER = [
    "观看人次 plays",
    "观看时长(秒) watch_seconds",
    "有效观看 effective",
    "播完 completions",
    "播完率 completion_rate",
    "有效时长(秒) effective_watch_seconds",
]
FIGURE_KEYS = [
    "plays",
    "watch_seconds",
    "effective",
    "completions",
    "completion_rate",
    "effective_watch_seconds",
]


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """CSV in UTF-8 with a byte-order mark (Excel reads Chinese correctly only with it)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def figure_cells(data: Mapping[str, Any]) -> list[Any]:
    return [data[key] for key in FIGURE_KEYS]
