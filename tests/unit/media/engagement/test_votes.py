"""The pure vote rule: which counters a vote adds to, and what a refused voter reads."""

from __future__ import annotations

from culturecast.core.calendar import cst_day_start
from culturecast.media.engagement.votes import (
    ADDRESS_PER_DAY,
    ADDRESS_PER_MINUTE,
    Limit,
    Rule,
    checks,
    refusal,
)


def test_a_day_is_a_cst_day_and_the_address_is_counted_first() -> None:
    rule = Rule(votes_per_day=2, votes_total=5, guests=True)
    midnight = cst_day_start("2024-03-11")
    before = checks("c1", rule, "d:abc", "10.0.0.1", midnight - 1)
    after = checks("c1", rule, "d:abc", "10.0.0.1", midnight)
    assert [c.limit for c in before] == [
        Limit.ADDRESS_MINUTE,
        Limit.ADDRESS_DAY,
        Limit.PER_DAY,
        Limit.TOTAL,
    ]
    assert [c.most for c in before] == [ADDRESS_PER_MINUTE, ADDRESS_PER_DAY, 2, 5]
    day_keys = {c.limit: (b.key, c.key) for b, c in zip(before, after, strict=True)}
    assert day_keys[Limit.PER_DAY][0].endswith("2024-03-10")
    assert day_keys[Limit.PER_DAY][1].endswith("2024-03-11")
    assert day_keys[Limit.TOTAL][0] == day_keys[Limit.TOTAL][1]


def test_no_total_limit_without_votes_total() -> None:
    rule = Rule(votes_per_day=1, votes_total=None, guests=False)
    assert Limit.TOTAL not in {c.limit for c in checks("c", rule, "u:1", "a", 0.0)}


def test_a_school_behind_one_address_is_not_cut_off_at_two_votes() -> None:
    # A class of 30 voting twice each in the same minute passes the address rule.
    assert ADDRESS_PER_MINUTE >= 60
    assert ADDRESS_PER_DAY >= 1_000


def test_the_refusal_states_the_rule_in_both_languages() -> None:
    rule = Rule(votes_per_day=2, votes_total=None, guests=True)
    sentence = refusal(rule, Limit.PER_DAY)
    assert "每人每天限投 2 票" in sentence.zh
    assert "2 votes per person a day" in sentence.en
    closed = Rule(votes_per_day=1, votes_total=3, guests=False).sentence()
    assert closed.zh == "每人每天限投 1 票，活动期间共 3 票，登录后投票。"
    assert closed.en == "1 vote per person a day, 3 in all; sign in to vote."
