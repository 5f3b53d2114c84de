"""Roll-ups: organizations with descendants, categories, terminals, days, rankings, the report."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from culturecast.core.calendar import cst_day
from culturecast.media.views.policy import (
    Heartbeat,
    ItemType,
    PlayerState,
    Terminal,
    ViewDeltas,
    ViewRules,
    apply_heartbeat,
    start_session,
)
from culturecast.media.views.rollup import (
    ZERO,
    Figures,
    ItemDay,
    ItemKey,
    OrgTree,
    RankBy,
    active_viewers_by_day,
    by_category,
    by_day,
    by_org,
    by_terminal,
    in_days,
    in_subtree,
    item_totals,
    monthly_report,
    rank,
    rank_items,
    totals,
)

RES = ItemType.RESOURCE
LIVE = ItemType.LIVE

# A province, two cities, counties, one township and one village: all five levels.
TREE = OrgTree(
    {
        "js": None,
        "js-sz": "js",
        "js-nj": "js",
        "js-sz-wz": "js-sz",
        "js-sz-ks": "js-sz",
        "js-sz-wz-t1": "js-sz-wz",
        "js-sz-wz-t1-v1": "js-sz-wz-t1",
        "js-nj-xw": "js-nj",
    }
)


def fig(
    plays: int = 0, watch: float = 0, eff: int = 0, done: int = 0, eff_watch: float = 0
) -> Figures:
    return Figures(
        plays=plays,
        watch_seconds=watch,
        effective=eff,
        completions=done,
        effective_watch_seconds=eff_watch,
    )


def row(
    org: str,
    figures: Figures,
    *,
    day: str = "2023-10-08",
    item: str = "item-1",
    item_type: ItemType = RES,
    category: str = "戏曲",
    terminal: Terminal = Terminal.WEB,
) -> ItemDay:
    return ItemDay(
        day=day,
        item_type=item_type,
        item_id=item,
        org_id=org,
        category=category,
        terminal=terminal,
        figures=figures,
    )


# -- the organization tree -------------------------------------------------------------


def test_lineage_runs_from_the_organization_up_to_the_province() -> None:
    assert TREE.lineage("js-sz-wz-t1-v1") == (
        "js-sz-wz-t1-v1",
        "js-sz-wz-t1",
        "js-sz-wz",
        "js-sz",
        "js",
    )
    assert TREE.depth("js-sz-wz-t1-v1") == 5
    assert TREE.depth("js") == 1
    assert TREE.parent("js-sz") == "js"
    assert TREE.parent("js") is None


def test_children_subtree_and_roots() -> None:
    assert TREE.children("js") == ("js-nj", "js-sz")
    assert TREE.children("js-sz-wz-t1-v1") == ()
    assert TREE.subtree("js-sz-wz") == {"js-sz-wz", "js-sz-wz-t1", "js-sz-wz-t1-v1"}
    assert TREE.subtree("js") == set(TREE.orgs())
    assert TREE.roots() == ("js",)
    assert "js-nj" in TREE
    assert "elsewhere" not in TREE


def test_unknown_organization_is_its_own_lineage() -> None:
    assert TREE.lineage("elsewhere") == ("elsewhere",)
    assert TREE.subtree("elsewhere") == {"elsewhere"}


@pytest.mark.parametrize(
    ("parents", "message"),
    [
        ({"a": "missing"}, "unknown parent"),
        ({"a": "b", "b": "a"}, "own ancestor"),
        ({"a": "a"}, "own ancestor"),
        ({"1": None, "2": "1", "3": "2", "4": "3", "5": "4", "6": "5"}, "6 levels deep"),
    ],
)
def test_tree_refuses_broken_shapes(parents: dict[str, str | None], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OrgTree(parents)


# -- sums -----------------------------------------------------------------------------------


def test_org_totals_include_descendants() -> None:
    rows = [
        row("js-sz-wz-t1-v1", fig(plays=5, watch=100)),
        row("js-sz-ks", fig(plays=3, watch=30)),
        row("js-nj-xw", fig(plays=7, watch=70)),
        row("js", fig(plays=1, watch=1)),
    ]
    sums = by_org(rows, TREE)
    assert sums["js-sz-wz-t1-v1"].plays == 5
    assert sums["js-sz-wz-t1"].plays == 5
    assert sums["js-sz-wz"].plays == 5
    assert sums["js-sz"].plays == 8
    assert sums["js-nj"].plays == 7
    assert sums["js"] == fig(plays=16, watch=201)


def test_every_organization_appears_even_without_views() -> None:
    sums = by_org([row("js-nj-xw", fig(plays=1))], TREE)
    assert set(sums) == set(TREE.orgs())
    assert sums["js-sz-ks"] == ZERO


def test_rows_of_an_unknown_organization_count_only_for_it() -> None:
    sums = by_org([row("elsewhere", fig(plays=4))], TREE)
    assert sums["elsewhere"].plays == 4
    assert sums["js"].plays == 0


def test_completion_rate_is_computed_from_sums_not_averaged() -> None:
    # One item played once and completed, another played nine times and never completed:
    # the county's 播完率 is 1/10, not the average of 100 % and 0 %.
    rows = [
        row("js-sz-ks", fig(plays=1, done=1), item="a"),
        row("js-sz-ks", fig(plays=9, done=0), item="b"),
    ]
    assert by_org(rows, TREE)["js-sz-ks"].completion_rate == pytest.approx(0.1)
    assert totals(rows).completion_rate == pytest.approx(0.1)


def test_per_category_per_terminal_per_day() -> None:
    rows = [
        row("js-sz", fig(plays=2), category="评书", terminal=Terminal.MOBILE_H5, day="2023-10-02"),
        row("js-sz", fig(plays=3), category="评书", terminal=Terminal.TV, day="2023-10-01"),
        row("js-nj", fig(plays=4), category="戏曲", terminal=Terminal.MOBILE_H5, day="2023-10-02"),
    ]
    assert by_category(rows) == {"评书": fig(plays=5), "戏曲": fig(plays=4)}
    terminals = by_terminal(rows)
    assert list(terminals) == list(Terminal)
    assert terminals[Terminal.MOBILE_H5].plays == 6
    assert terminals[Terminal.TV].plays == 3
    assert terminals[Terminal.WECHAT] == ZERO
    days = by_day(rows)
    assert list(days) == ["2023-10-01", "2023-10-02"]
    assert days["2023-10-02"].plays == 6


def test_item_totals_sum_days_and_terminals() -> None:
    rows = [
        row("js-sz", fig(plays=2, watch=20), day="2023-10-01", terminal=Terminal.WEB),
        row("js-sz", fig(plays=3, watch=30), day="2023-10-02", terminal=Terminal.TV),
        row("js-nj", fig(plays=1), day="2023-10-01", item="other"),
        row("js-sz", fig(plays=1), day="2023-10-01", item="item-1", item_type=LIVE),
    ]
    items = item_totals(rows)
    assert items[ItemKey(RES, "item-1")].figures == fig(plays=5, watch=50)
    assert items[ItemKey(LIVE, "item-1")].figures == fig(plays=1)
    assert len(items) == 3


def test_item_organization_and_category_are_those_of_its_latest_day() -> None:
    rows = [
        row("js-sz-ks", fig(plays=1), day="2023-10-05", category="戏曲"),
        row("js-sz", fig(plays=1), day="2023-10-01", category="曲艺"),
    ]
    summary = item_totals(rows)[ItemKey(RES, "item-1")]
    assert (summary.org_id, summary.category) == ("js-sz-ks", "戏曲")


def test_filters_by_subtree_and_days() -> None:
    rows = [
        row("js-sz-wz-t1-v1", fig(plays=1), day="2023-09-30"),
        row("js-sz-ks", fig(plays=2), day="2023-10-01"),
        row("js-nj", fig(plays=4), day="2023-10-31"),
        row("js-nj", fig(plays=8), day="2023-11-01"),
    ]
    assert totals(in_subtree(rows, TREE, "js-sz")).plays == 3
    assert totals(in_subtree(rows, TREE, "js-sz-wz")).plays == 1
    assert totals(in_days(rows, "2023-10-01", "2023-10-31")).plays == 6


def test_figures_add_up_counter_deltas() -> None:
    deltas = ViewDeltas(plays=1, watch_seconds=40, effective=1, effective_watch_seconds=40)
    assert deltas + deltas == fig(plays=2, watch=80, eff=2, eff_watch=80)


def test_active_viewers_are_distinct_across_the_subtree() -> None:
    # One person watching in two villages of the same county is one viewer of the county.
    seen = [
        ("2023-10-08", "js-sz-wz-t1-v1", "u1"),
        ("2023-10-08", "js-sz-wz", "u1"),
        ("2023-10-08", "js-sz-ks", "u2"),
        ("2023-10-08", "js-nj-xw", "u3"),
        ("2023-10-09", "js-sz-wz", "u1"),
    ]
    assert active_viewers_by_day(seen, TREE, "js-sz") == {"2023-10-08": 2, "2023-10-09": 1}
    assert active_viewers_by_day(seen, TREE, "js-sz-wz") == {"2023-10-08": 1, "2023-10-09": 1}
    assert active_viewers_by_day(seen, TREE, "js")["2023-10-08"] == 3
    assert active_viewers_by_day([], TREE, "js") == {}


# -- rankings -----------------------------------------------------------------------------


def test_ranking_by_plays_breaks_ties_by_watch_time_then_completions_then_key() -> None:
    figures = {
        "b": fig(plays=10, watch=50),
        "a": fig(plays=10, watch=50),
        "c": fig(plays=10, watch=90),
        "d": fig(plays=10, watch=50, done=1),
        "e": fig(plays=20),
    }
    ranked = rank(figures, RankBy.PLAYS)
    assert [(p.rank, p.key) for p in ranked] == [(1, "e"), (2, "c"), (3, "d"), (4, "a"), (5, "b")]


def test_ranking_by_watch_time() -> None:
    figures = {"x": fig(plays=100, watch=10), "y": fig(plays=1, watch=3600)}
    assert [p.key for p in rank(figures, RankBy.WATCH_TIME)] == ["y", "x"]


def test_ranking_by_watch_time_breaks_ties_by_plays() -> None:
    figures = {"a": fig(plays=1, watch=60, done=1), "b": fig(plays=2, watch=60)}
    assert [p.key for p in rank(figures, RankBy.WATCH_TIME)] == ["b", "a"]


def test_ranking_by_completion_rate_is_exact_and_prefers_more_plays_on_a_tie() -> None:
    figures = {
        "third": fig(plays=3, done=1),
        "sixth": fig(plays=6, done=2),  # the same 1/3, with more evidence
        "half": fig(plays=2, done=1),
        "none": fig(),
    }
    ranked = rank(figures, RankBy.COMPLETION_RATE)
    assert [p.key for p in ranked] == ["half", "sixth", "third", "none"]


def test_completion_rate_ranking_can_require_a_minimum_of_plays() -> None:
    figures = {"lucky": fig(plays=1, done=1), "solid": fig(plays=500, done=450)}
    assert [p.key for p in rank(figures, RankBy.COMPLETION_RATE, min_plays=10)] == ["solid"]


def test_ranking_by_effective_views_and_effective_watch_time() -> None:
    figures = {"a": fig(plays=9, eff=1, eff_watch=10), "b": fig(plays=2, eff=2, eff_watch=5)}
    assert [p.key for p in rank(figures, RankBy.EFFECTIVE)] == ["b", "a"]
    assert [p.key for p in rank(figures, RankBy.EFFECTIVE_WATCH_TIME)] == ["a", "b"]


@pytest.mark.parametrize(("limit", "count"), [(None, 4), (2, 2), (10, 4), (0, 0)])
def test_ranking_limit(limit: int | None, count: int) -> None:
    figures = {k: fig(plays=i) for i, k in enumerate("abcd")}
    ranked = rank(figures, RankBy.PLAYS, limit=limit)
    assert len(ranked) == count
    assert [p.rank for p in ranked] == list(range(1, count + 1))


def test_item_ranking_carries_organization_category_and_completion_rate() -> None:
    rows = [
        row("js-sz", fig(plays=4846, done=3479), item="两会精神", category="讲座"),
        row("js-nj", fig(plays=3230, done=2621), item="共同富裕", category="讲座"),
        row("js-nj", fig(plays=5000, done=100), item="直播", item_type=LIVE, category="演出"),
    ]
    ranked = rank_items(rows, RankBy.PLAYS, limit=2)
    assert [(r.rank, r.item.key.item_id) for r in ranked] == [(1, "直播"), (2, "两会精神")]
    second = ranked[1].item
    assert (second.org_id, second.category) == ("js-sz", "讲座")
    assert second.figures.completion_rate == pytest.approx(0.7179, abs=1e-4)


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=3),
        st.builds(
            fig,
            plays=st.integers(0, 20),
            watch=st.integers(0, 100),
            done=st.integers(0, 20),
        ),
        max_size=20,
    ),
    st.sampled_from(list(RankBy)),
)
def test_ranking_is_a_deterministic_total_order(figures: dict[str, Figures], by: RankBy) -> None:
    ranked = rank(figures, by)
    assert sorted(p.key for p in ranked) == sorted(figures)
    assert [p.rank for p in ranked] == list(range(1, len(figures) + 1))
    reordered = dict(reversed(list(figures.items())))
    assert rank(reordered, by) == ranked


# -- the monthly report -------------------------------------------------------------------


def october_rows() -> list[ItemDay]:
    return [
        # before the month: only in the cumulative figures
        row("js-sz-ks", fig(plays=100, watch=1000), day="2023-09-30", item="old"),
        # the month
        row("js-sz-wz-t1-v1", fig(plays=10, watch=600, eff=6, done=4, eff_watch=500),
            day="2023-10-01", item="评书-1", category="评书", terminal=Terminal.MOBILE_H5),
        row("js-sz-ks", fig(plays=20, watch=2000, eff=15, done=12, eff_watch=1900),
            day="2023-10-08", item="戏曲-1", category="戏曲", terminal=Terminal.WEB),
        row("js-sz-ks", fig(plays=5, watch=100, eff=1, done=0, eff_watch=50),
            day="2023-10-08", item="戏曲-1", category="戏曲", terminal=Terminal.TV),
        row("js-nj-xw", fig(plays=30, watch=300, eff=3, done=1, eff_watch=40),
            day="2023-10-31", item="直播-1", item_type=LIVE, category="演出",
            terminal=Terminal.WECHAT),
        # after the month: nowhere in October's report
        row("js-nj-xw", fig(plays=999), day="2023-11-01", item="直播-1", item_type=LIVE),
    ]  # fmt: skip


def test_monthly_report_totals_and_cumulative() -> None:
    report = monthly_report(october_rows(), TREE, "js", "2023-10", {})
    assert report.totals == fig(plays=65, watch=3000, eff=25, done=17, eff_watch=2490)
    assert report.cumulative.plays == 165  # 截至10月底累计: September included, November not
    assert report.totals.completion_rate == pytest.approx(17 / 65)


def test_monthly_report_per_terminal_and_category() -> None:
    report = monthly_report(october_rows(), TREE, "js", "2023-10", {})
    assert {t: f.plays for t, f in report.by_terminal.items()} == {
        Terminal.WEB: 20,
        Terminal.MOBILE_H5: 10,
        Terminal.WECHAT: 30,
        Terminal.APP: 0,
        Terminal.TV: 5,
    }
    assert list(report.by_category) == sorted(["评书", "戏曲", "演出"])
    assert report.by_category["戏曲"].plays == 25


def test_monthly_report_daily_active_trend() -> None:
    # Seed 004: 日平均活跃用户量, and the day with the most (10月8日 796).
    active = {"2023-10-08": 796, "2023-10-09": 796, "2023-10-01": 300}
    report = monthly_report(october_rows(), TREE, "js", "2023-10", active)
    assert len(report.daily) == 31
    assert report.daily[0].day == "2023-10-01"
    assert report.daily[-1].day == "2023-10-31"
    assert report.daily[7].active_viewers == 796
    assert report.daily[7].figures.plays == 25
    assert report.daily[1].active_viewers == 0
    assert report.average_daily_active == pytest.approx((796 * 2 + 300) / 31)
    assert report.peak_day is not None
    assert report.peak_day.day == "2023-10-08"  # the earlier of two equal days


def test_monthly_report_top_items_by_plays() -> None:
    report = monthly_report(october_rows(), TREE, "js", "2023-10", {}, top=2)
    assert [(r.rank, r.item.key.item_id, r.item.figures.plays) for r in report.top_items] == [
        (1, "直播-1", 30),
        (2, "戏曲-1", 25),
    ]


def test_monthly_report_district_table_lists_each_child_with_its_descendants() -> None:
    report = monthly_report(october_rows(), TREE, "js-sz", "2023-10", {})
    assert [d.org_id for d in report.districts] == ["js-sz-ks", "js-sz-wz"]
    ks, wz = report.districts
    assert ks.figures.plays == 25
    assert (wz.figures.plays, wz.sites) == (10, 3)  # the county, its township and its village
    assert wz.average_effective_watch_seconds == pytest.approx(500 / 3)
    assert [(p.rank, p.key) for p in report.district_ranking] == [(1, "js-sz-ks"), (2, "js-sz-wz")]
    assert report.totals.plays == 35  # Nanjing's figures are not Suzhou's


def test_monthly_report_of_a_village_has_no_districts() -> None:
    report = monthly_report(october_rows(), TREE, "js-sz-wz-t1-v1", "2023-10", {})
    assert report.districts == ()
    assert report.totals.plays == 10


def test_monthly_report_of_a_quiet_month() -> None:
    report = monthly_report([], TREE, "js", "2024-02", {})
    assert report.totals == ZERO
    assert len(report.daily) == 29
    assert report.average_daily_active == 0
    assert report.peak_day is None
    assert report.top_items == ()
    assert all(d.figures == ZERO for d in report.districts)


def test_counted_sessions_roll_up_into_the_report() -> None:
    # End to end, still pure: two sessions counted by the policy, flushed as daily rows.
    rules = ViewRules()
    start = 1_696_780_800.0  # 2023-10-08 16:00 UTC = 2023-10-09 00:00 CST
    rows = []
    for viewer, terminal, seconds in [("a", Terminal.WEB, 120), ("b", Terminal.MOBILE_H5, 20)]:
        session, total = start_session(
            session_id=viewer,
            item_type=RES,
            item_id="评书-三国演义-1",
            org_id="js-sz-wz-t1-v1",
            category="评书",
            terminal=terminal,
            viewer_id=viewer,
            duration=100.0,
            prior=None,
            now=start,
            rules=rules,
        )
        for t in range(10, seconds + 1, 10):
            state = PlayerState.ENDED if t == 100 else PlayerState.PLAYING
            session, deltas = apply_heartbeat(
                session, Heartbeat(state=state, position=float(t)), rules, start + t
            )
            total = total + deltas
        rows.append(
            row(
                session.org_id,
                total,
                day=cst_day(start),
                terminal=terminal,
                item=session.item_id,
                category=session.category,
            )
        )
    report = monthly_report(rows, TREE, "js", "2023-10", {"2023-10-09": 2})
    assert report.totals.plays == 2
    assert report.totals.effective == 1  # 120 s of 100 s on the web; 20 s on a phone is not
    assert report.totals.completions == 1
    assert report.totals.completion_rate == 0.5
    assert report.daily[8].figures.plays == 2  # 9 October, China time
    assert report.districts[1].figures.plays == 2  # js-sz, the city containing the village


# -- properties -----------------------------------------------------------------------------

rows_strategy = st.lists(
    st.builds(
        row,
        st.sampled_from([*TREE.orgs(), "elsewhere"]),
        st.builds(fig, plays=st.integers(0, 50), done=st.integers(0, 50)),
        day=st.sampled_from(["2023-09-30", "2023-10-01", "2023-10-31", "2023-11-01"]),
        terminal=st.sampled_from(list(Terminal)),
        category=st.sampled_from(["评书", "戏曲"]),
    ),
    max_size=40,
)


@given(rows_strategy)
def test_an_organization_is_its_own_rows_plus_its_childrens(rows: list[ItemDay]) -> None:
    sums = by_org(rows, TREE)
    for org in TREE.orgs():
        own = totals(r for r in rows if r.org_id == org)
        children = [sums[child] for child in TREE.children(org)]
        assert sums[org].plays == own.plays + sum(c.plays for c in children)
    inside = [r for r in rows if r.org_id in TREE]
    assert sums["js"] == totals(inside)


@given(rows_strategy)
def test_every_breakdown_adds_up_to_the_total(rows: list[ItemDay]) -> None:
    total = totals(rows).plays
    assert sum(f.plays for f in by_terminal(rows).values()) == total
    assert sum(f.plays for f in by_category(rows).values()) == total
    assert sum(f.plays for f in by_day(rows).values()) == total
    assert sum(s.figures.plays for s in item_totals(rows).values()) == total
