"""The vote rule of a campaign (投票), without I/O: which limits a vote must pass and what
each limit's counter is named, so the service can count them exactly on the counters port.

A vote by a viewer (the signed-in account, else the ``cc_did`` device) passes when, counting
it:

1. the campaign is open: ``starts_at <= now < ends_at`` (after ``ends_at`` the results are
   frozen: no vote changes them);
2. guests may vote, or the viewer is signed in;
3. the viewer's votes this CST day are at most ``votes_per_day`` (每人每天限投 N 票);
4. the viewer's votes in the whole campaign are at most ``votes_total`` (when set);
5. the votes from the client's network address are at most ``ADDRESS_PER_MINUTE`` (60) in
   the current minute and ``ADDRESS_PER_DAY`` (1,000) this CST day.

Rule 5 is the one against scripts: a script that clears its cookie before each vote is a new
device every time, but it keeps its address. A school or a village committee whose pupils and
elders share one address (NAT) is not cut off at two votes: 60 votes a minute lets a class of
30 vote twice each in the same minute, and 1,000 a day lets 500 people vote twice. A script
voting 10,000 times from one address gets 60 votes in its first minute, at most 1,000 in the
day, and every other vote is refused ``vote_limit`` — each refusal costs a few counter
operations, so other voters are not slowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from culturecast.core.calendar import cst_day
from culturecast.core.errors import Sentence

ADDRESS_PER_MINUTE: Final = 60
"""Votes one network address may cast in a campaign per clock minute."""
ADDRESS_PER_DAY: Final = 1_000
"""Votes one network address may cast in a campaign per CST day."""
KEY_TTL_S: Final = 3 * 86_400
"""Counters of the limits expire after this (a day's counter is needed for a day)."""


class Limit(StrEnum):
    """Which part of the rule refused a vote."""

    PER_DAY = "per_day"
    TOTAL = "total"
    ADDRESS_MINUTE = "address_minute"
    ADDRESS_DAY = "address_day"


@dataclass(frozen=True, slots=True)
class Rule:
    """A campaign's vote rule."""

    votes_per_day: int
    votes_total: int | None
    guests: bool

    def sentence(self) -> Sentence:
        """The rule as the page states it."""
        zh = f"每人每天限投 {self.votes_per_day} 票"
        en = f"{self.votes_per_day} vote{'s' if self.votes_per_day != 1 else ''} per person a day"
        if self.votes_total is not None:
            zh += f"，活动期间共 {self.votes_total} 票"
            en += f", {self.votes_total} in all"
        if not self.guests:
            zh += "，登录后投票"
            en += "; sign in to vote"
        return Sentence(zh + "。", en + ".")


@dataclass(frozen=True, slots=True)
class Check:
    """One counter a vote adds to, and the most it may reach."""

    limit: Limit
    key: str
    most: int


def checks(campaign_id: str, rule: Rule, viewer: str, address: str, now: float) -> list[Check]:
    """The counters a vote by ``viewer`` from ``address`` at ``now`` adds one to, in order;
    the vote passes when none exceeds its ``most``."""
    day = cst_day(now)
    minute = int(now // 60)
    base = f"vote:{campaign_id}"
    # The address first: a flood is refused after one counter, before any viewer's.
    out = [
        Check(Limit.ADDRESS_MINUTE, f"{base}:a:{address}:m{minute}", ADDRESS_PER_MINUTE),
        Check(Limit.ADDRESS_DAY, f"{base}:a:{address}:{day}", ADDRESS_PER_DAY),
        Check(Limit.PER_DAY, f"{base}:v:{viewer}:{day}", rule.votes_per_day),
    ]
    if rule.votes_total is not None:
        out.append(Check(Limit.TOTAL, f"{base}:v:{viewer}:all", rule.votes_total))
    return out


def refusal(rule: Rule, limit: Limit) -> Sentence:
    """What a voter refused by ``limit`` is told: which limit, and the rule."""
    stated = rule.sentence()
    if limit is Limit.PER_DAY:
        head = Sentence(
            "今天的票已投完，明天再来。", "You have used today's votes; come back tomorrow."
        )
    elif limit is Limit.TOTAL:
        head = Sentence("本次活动的票已投完。", "You have used all your votes in this campaign.")
    else:
        head = Sentence(
            "同一网络投票过于频繁，请稍后再试。",
            "Too many votes from your network; try again later.",
        )
    return Sentence(f"{head.zh}规则：{stated.zh}", f"{head.en} The rule: {stated.en}")
