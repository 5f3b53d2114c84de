"""Roll-ups of daily view figures: per organization, category, terminal and day; rankings; the
monthly report.

What goes in (DESIGN.md § "Views and statistics")
-------------------------------------------------
`ItemDay` rows, as the counters flush them: the figures of one item (stream or resource) on one
China Standard Time day from one terminal. Figures are additive — plays, watch time, effective
views, completions, effective watch time — so every roll-up here is a sum of rows, and the
completion rate (播完率) is computed from the sums, never averaged.

Organizations form a tree of at most five levels (province, city, county, township, village);
an organization's figures include those of all its descendants, so a province sees every
village's plays and a village only its own. A row whose organization is not in the tree counts
for that organization alone.

Distinct viewers (观看人数, 日活跃用户) are not additive — one person watching two items is one
viewer — so they cannot be rolled up from per-item counts; the monthly report takes them as
given per day, counted by whoever saw the viewer ids.

Rankings are total orders: ties on the ranked figure are broken by plays, then watch time,
then completions (all descending), then by the key (ascending), and ranks are numbered 1, 2,
3, … without gaps or shared places, so the same data always prints the same table.

Nothing here does I/O or reads a clock: data in, data out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import NamedTuple, Protocol, Self

from culturecast.core.calendar import days_of_month
from culturecast.media.views.policy import ItemType, Terminal, ViewDeltas

__all__ = [
    "MAX_ORG_LEVELS",
    "ZERO",
    "DayPoint",
    "DistrictRow",
    "Figures",
    "ItemDay",
    "ItemKey",
    "ItemSummary",
    "MonthlyReport",
    "OrgTree",
    "RankBy",
    "Ranked",
    "RankedItem",
    "active_viewers_by_day",
    "by_category",
    "by_day",
    "by_org",
    "by_terminal",
    "in_days",
    "in_subtree",
    "item_totals",
    "monthly_report",
    "rank",
    "rank_items",
    "totals",
]

MAX_ORG_LEVELS = 5
"""Province, city, county, township, village."""


Figures = ViewDeltas
"""Additive view figures of some set of sessions: the same five numbers a heartbeat adds."""


ZERO = Figures()
"""No figures: the sum of no rows."""


@dataclass(frozen=True, slots=True)
class ItemDay:
    """One item's figures on one China Standard Time day from one terminal."""

    day: str
    """"YYYY-MM-DD", China Standard Time."""
    item_type: ItemType
    """Live stream or resource."""
    item_id: str
    """The stream's or resource's id."""
    org_id: str
    """The organization owning the item."""
    category: str
    """The item's category."""
    terminal: Terminal
    """Where it was watched."""
    figures: Figures
    """What was counted."""


class ItemKey(NamedTuple):
    """An item's identity; sorts by type, then id."""

    item_type: ItemType
    item_id: str


@dataclass(frozen=True, slots=True)
class ItemSummary:
    """An item's figures summed over the rows given."""

    key: ItemKey
    """Which item."""
    org_id: str
    """Its organization (as of its latest row)."""
    category: str
    """Its category (as of its latest row)."""
    figures: Figures
    """The sums."""


# -- the organization tree -------------------------------------------------------------


class OrgTree:
    """The organization tree, from a mapping of organization id to parent id (None at a root).

    Raises ValueError for a parent that is not in the mapping, a cycle, or more than five levels.
    """

    __slots__ = ("_children", "_lineage", "_parents")

    def __init__(self, parents: Mapping[str, str | None]) -> None:
        self._parents: dict[str, str | None] = dict(parents)
        children: dict[str, list[str]] = {org: [] for org in self._parents}
        for org, parent in self._parents.items():
            if parent is None:
                continue
            if parent not in self._parents:
                raise ValueError(f"organization {org!r} has unknown parent {parent!r}")
            children[parent].append(org)
        self._children = {org: tuple(sorted(kids)) for org, kids in children.items()}
        self._lineage: dict[str, tuple[str, ...]] = {}
        for org in self._parents:
            line = [org]
            parent = self._parents[org]
            while parent is not None:
                if parent in line:
                    raise ValueError(f"organization {org!r} is its own ancestor")
                line.append(parent)
                parent = self._parents[parent]
            if len(line) > MAX_ORG_LEVELS:
                raise ValueError(
                    f"organization {org!r} is {len(line)} levels deep; "
                    f"the most is {MAX_ORG_LEVELS} (province … village)"
                )
            self._lineage[org] = tuple(line)

    def __contains__(self, org: object) -> bool:
        return org in self._parents

    def parent(self, org: str) -> str | None:
        """The parent organization; None for a root or an unknown organization."""
        return self._parents.get(org)

    def lineage(self, org: str) -> tuple[str, ...]:
        """The organization and its ancestors, nearest first (just itself if unknown)."""
        return self._lineage.get(org, (org,))

    def depth(self, org: str) -> int:
        """1 for a root (e.g. the province), up to 5 (a village)."""
        return len(self.lineage(org))

    def children(self, org: str) -> tuple[str, ...]:
        """The direct children, sorted by id."""
        return self._children.get(org, ())

    def subtree(self, org: str) -> frozenset[str]:
        """The organization and all its descendants."""
        found = {org}
        pending = [org]
        while pending:
            for child in self.children(pending.pop()):
                found.add(child)
                pending.append(child)
        return frozenset(found)

    def roots(self) -> tuple[str, ...]:
        """The organizations without a parent, sorted by id."""
        return tuple(sorted(org for org, parent in self._parents.items() if parent is None))

    def orgs(self) -> tuple[str, ...]:
        """Every organization, sorted by id."""
        return tuple(sorted(self._parents))


# -- sums ---------------------------------------------------------------------------------


def totals(rows: Iterable[ItemDay]) -> Figures:
    """All rows summed."""
    total = ZERO
    for row in rows:
        total = total + row.figures
    return total


def _sum_by[K](rows: Iterable[ItemDay], key: Callable[[ItemDay], K]) -> dict[K, Figures]:
    sums: dict[K, Figures] = {}
    for row in rows:
        k = key(row)
        sums[k] = sums.get(k, ZERO) + row.figures
    return sums


def by_org(rows: Iterable[ItemDay], tree: OrgTree) -> dict[str, Figures]:
    """Per organization, each including its descendants; every organization of the tree appears."""
    sums: dict[str, Figures] = dict.fromkeys(tree.orgs(), ZERO)
    for row in rows:
        for org in tree.lineage(row.org_id):
            sums[org] = sums.get(org, ZERO) + row.figures
    return sums


def by_category(rows: Iterable[ItemDay]) -> dict[str, Figures]:
    """Per category (only categories that have rows)."""
    return _sum_by(rows, lambda row: row.category)


def by_terminal(rows: Iterable[ItemDay]) -> dict[Terminal, Figures]:
    """Per terminal; every terminal appears, in the order of `Terminal`."""
    sums = _sum_by(rows, lambda row: row.terminal)
    return {terminal: sums.get(terminal, ZERO) for terminal in Terminal}


def by_day(rows: Iterable[ItemDay]) -> dict[str, Figures]:
    """Per day, in day order (only days that have rows)."""
    sums = _sum_by(rows, lambda row: row.day)
    return {day: sums[day] for day in sorted(sums)}


def item_totals(rows: Iterable[ItemDay]) -> dict[ItemKey, ItemSummary]:
    """Per item; an item's organization and category are those of its latest row."""
    sums: dict[ItemKey, Figures] = {}
    latest: dict[ItemKey, ItemDay] = {}
    for row in rows:
        key = ItemKey(row.item_type, row.item_id)
        sums[key] = sums.get(key, ZERO) + row.figures
        seen = latest.get(key)
        if seen is None or row.day >= seen.day:
            latest[key] = row
    return {
        key: ItemSummary(
            key=key, org_id=latest[key].org_id, category=latest[key].category, figures=figures
        )
        for key, figures in sums.items()
    }


def in_subtree(rows: Iterable[ItemDay], tree: OrgTree, org: str) -> list[ItemDay]:
    """The rows of an organization and its descendants."""
    members = tree.subtree(org)
    return [row for row in rows if row.org_id in members]


def active_viewers_by_day(
    seen: Iterable[tuple[str, str, str]], tree: OrgTree, org: str
) -> dict[str, int]:
    """Distinct viewers per day of an organization and its descendants (日活跃用户).

    `seen` holds (day, organization, viewer id) triples — a viewer seen watching some item of
    that organization that day; a viewer seen in two villages of one county is one viewer of
    the county.
    """
    members = tree.subtree(org)
    viewers: dict[str, set[str]] = {}
    for day, org_id, viewer in seen:
        if org_id in members:
            viewers.setdefault(day, set()).add(viewer)
    return {day: len(viewers[day]) for day in sorted(viewers)}


def in_days(rows: Iterable[ItemDay], first: str, last: str) -> list[ItemDay]:
    """The rows from day `first` to day `last`, both included."""
    # ISO days sort as strings, so the comparison is a date comparison.
    return [row for row in rows if first <= row.day <= last]


# -- rankings -----------------------------------------------------------------------------


class RankBy(StrEnum):
    """What a ranking orders by (descending)."""

    PLAYS = "plays"
    WATCH_TIME = "watch_time"
    COMPLETION_RATE = "completion_rate"
    EFFECTIVE = "effective"
    EFFECTIVE_WATCH_TIME = "effective_watch_time"


class _Sortable(Protocol):
    def __lt__(self, other: Self, /) -> bool: ...


@dataclass(frozen=True, slots=True)
class Ranked[K]:
    """One place in a ranking."""

    rank: int
    """1 for the first place; no gaps, no shared places."""
    key: K
    """What is ranked (an organization, a category, an item key)."""
    figures: Figures
    """Its figures."""


def _primary(figures: Figures, by: RankBy) -> Fraction | float | int:
    match by:
        case RankBy.PLAYS:
            return figures.plays
        case RankBy.WATCH_TIME:
            return figures.watch_seconds
        case RankBy.COMPLETION_RATE:
            # Compared as exact fractions: 1/3 and 2/6 tie and fall through to plays.
            return Fraction(figures.completions, figures.plays) if figures.plays > 0 else 0
        case RankBy.EFFECTIVE:
            return figures.effective
        case RankBy.EFFECTIVE_WATCH_TIME:
            return figures.effective_watch_seconds


def rank[K: _Sortable](
    figures: Mapping[K, Figures],
    by: RankBy,
    *,
    limit: int | None = None,
    min_plays: int = 0,
) -> list[Ranked[K]]:
    """Rank keys by a figure; keys with fewer than `min_plays` plays are left out.

    `min_plays` keeps one play with one completion (100 %) off the top of a completion-rate
    ranking.
    """
    eligible = [(key, fig) for key, fig in figures.items() if fig.plays >= min_plays]
    # Sort by the key first (ascending), then stably by the figures (descending): the key is
    # the last tie-break.
    eligible.sort(key=lambda pair: pair[0])
    eligible.sort(
        key=lambda pair: (
            _primary(pair[1], by),
            pair[1].plays,
            pair[1].watch_seconds,
            pair[1].completions,
        ),
        reverse=True,
    )
    chosen = eligible if limit is None else eligible[: max(0, limit)]
    return [Ranked(rank=i, key=key, figures=fig) for i, (key, fig) in enumerate(chosen, start=1)]


@dataclass(frozen=True, slots=True)
class RankedItem:
    """One place in an item ranking (表4: 排行, 视频课程, 制作单位, 点击次数, 播完率)."""

    rank: int
    """1 for the first place."""
    item: ItemSummary
    """The item, its organization and category, and its figures."""


def rank_items(
    rows: Iterable[ItemDay],
    by: RankBy,
    *,
    limit: int | None = None,
    min_plays: int = 0,
) -> list[RankedItem]:
    """Rank the items of the rows (see `rank` for the order)."""
    summaries = item_totals(rows)
    ranked = rank(
        {key: summary.figures for key, summary in summaries.items()},
        by,
        limit=limit,
        min_plays=min_plays,
    )
    return [RankedItem(rank=place.rank, item=summaries[place.key]) for place in ranked]


# -- the monthly report -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DayPoint:
    """One day of the month's trend (图1 日活跃用户趋势)."""

    day: str
    """"YYYY-MM-DD"."""
    active_viewers: int
    """Distinct viewers that day, as given."""
    figures: Figures
    """That day's figures."""


@dataclass(frozen=True, slots=True)
class DistrictRow:
    """One child organization's line of the district table (表2)."""

    org_id: str
    """The child organization (区县)."""
    figures: Figures
    """The month's figures of it and its descendants."""
    sites: int
    """How many organizations it comprises (itself and its descendants; 站点数)."""

    @property
    def average_effective_watch_seconds(self) -> float:
        """平均学习时长 = 有效学习时长 / 站点数."""
        return self.figures.effective_watch_seconds / self.sites


@dataclass(frozen=True, slots=True)
class MonthlyReport:
    """The monthly report of one organization, in the shape of seed 004 (月度报告)."""

    org_id: str
    """Whose report: the organization and its descendants."""
    month: str
    """"YYYY-MM", China Standard Time."""
    totals: Figures
    """本月: the month's figures."""
    cumulative: Figures
    """截至月底累计: every row up to the month's last day."""
    by_terminal: dict[Terminal, Figures]
    """本月各终端: web, mobile H5, WeChat, app, TV."""
    by_category: dict[str, Figures]
    """本月各类别."""
    daily: tuple[DayPoint, ...]
    """Every day of the month, in order."""
    average_daily_active: float
    """日平均活跃用户量: mean of the daily distinct viewers over the month's days."""
    peak_day: DayPoint | None
    """The day with most distinct viewers (the earliest on a tie); None if there were none."""
    top_items: tuple[RankedItem, ...]
    """表4: the month's items ranked (by plays by default), with their completion rates."""
    districts: tuple[DistrictRow, ...]
    """表2: each child organization, in id order."""
    district_ranking: tuple[Ranked[str], ...]
    """The child organizations ranked by effective watch time (较长的有…)."""


def monthly_report(
    rows: Iterable[ItemDay],
    tree: OrgTree,
    org_id: str,
    month: str,
    daily_active: Mapping[str, int],
    *,
    top: int = 10,
    rank_by: RankBy = RankBy.PLAYS,
) -> MonthlyReport:
    """Build the monthly report of `org_id` for `month` ("YYYY-MM").

    `rows` may cover any days (the cumulative figures use every day up to the month's end);
    `daily_active` gives the distinct viewers of the organization per day (missing days are 0).
    """
    days = days_of_month(month)
    first, last = days[0], days[-1]
    own = in_subtree(rows, tree, org_id)
    up_to_end = [row for row in own if row.day <= last]
    this_month = in_days(up_to_end, first, last)

    per_day = by_day(this_month)
    daily = tuple(
        DayPoint(day=day, active_viewers=daily_active.get(day, 0), figures=per_day.get(day, ZERO))
        for day in days
    )
    peak: DayPoint | None = None
    for point in daily:
        best = 0 if peak is None else peak.active_viewers
        if point.active_viewers > best:
            peak = point

    per_org = by_org(this_month, tree)
    districts = tuple(
        DistrictRow(org_id=child, figures=per_org[child], sites=len(tree.subtree(child)))
        for child in tree.children(org_id)
    )
    district_ranking = tuple(
        rank({row.org_id: row.figures for row in districts}, RankBy.EFFECTIVE_WATCH_TIME)
    )

    return MonthlyReport(
        org_id=org_id,
        month=month,
        totals=totals(this_month),
        cumulative=totals(up_to_end),
        by_terminal=by_terminal(this_month),
        by_category=dict(sorted(by_category(this_month).items())),
        daily=daily,
        average_daily_active=sum(p.active_viewers for p in daily) / len(daily),
        peak_day=peak,
        top_items=tuple(rank_items(this_month, rank_by, limit=top)),
        districts=districts,
        district_ranking=district_ranking,
    )
