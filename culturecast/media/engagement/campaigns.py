"""Vote campaigns (投票): one owner of ``campaigns``; the rule is ``votes.py``.

A vote's limits are counted on the counters port (Redis across api processes): each limit's
counter is incremented first and, when one goes past its rule, every counter this vote
incremented is decremented again and the vote refused. Concurrent votes therefore never pass
a limit: of three racing votes against "2 per day" the counter reaches 3 for exactly one of
them, which is refused. An accepted vote adds one to its entry's tally in the campaign's
document (an atomic ``inc``), which is what the leaderboard and the CSV show, so they equal
the votes cast and survive a restart. Votes at or after ``ends_at`` are refused
(``campaign_closed``): the results are frozen.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from culturecast.core.errors import (
    Conflict,
    InvalidBody,
    NotFound,
    Sentence,
    TooManyRequests,
    Unauthorized,
)
from culturecast.media.engagement.votes import KEY_TTL_S, Rule, checks, refusal
from culturecast.media.views.items import ItemStores
from culturecast.media.views.policy import ItemType
from culturecast.storage.database.port import Document, IndexSpec

COLLECTION: Final = "campaigns"
INDEXES: Final = (IndexSpec(COLLECTION, (("org_path", 1), ("starts_at", -1))),)
MAX_ENTRIES: Final = 200


class UnknownCampaign(NotFound):
    code = "not_found"

    def __init__(self) -> None:
        super().__init__(Sentence("找不到该投票活动。", "Campaign not found."))


class UnknownEntry(NotFound):
    code = "unknown_entry"

    def __init__(self) -> None:
        super().__init__(Sentence("该作品不在本次投票中。", "No such entry in this campaign."))


class CampaignClosed(Conflict):
    code = "campaign_closed"

    def __init__(self, started: bool) -> None:
        super().__init__(
            Sentence("投票已结束，结果已锁定。", "Voting has ended; the results are final.")
            if started
            else Sentence("投票尚未开始。", "Voting has not started yet.")
        )


class VoteLoginRequired(Unauthorized):
    code = "login_required"

    def __init__(self) -> None:
        super().__init__(Sentence("本次投票需登录后参与。", "Sign in to vote in this campaign."))


class VoteLimit(TooManyRequests):
    """A vote past the campaign's rule; the message states the rule."""

    code = "vote_limit"


@dataclass(frozen=True, slots=True)
class NewEntry:
    item_type: ItemType
    item_id: str


@dataclass(frozen=True, slots=True)
class NewCampaign:
    org_path: list[str]
    title: str
    cover: str | None
    starts_at: float
    ends_at: float
    entries: Sequence[NewEntry]
    votes_per_day: int
    votes_total: int | None
    guests: bool


def rule_of(doc: Document) -> Rule:
    return Rule(
        votes_per_day=int(doc["votes_per_day"]),
        votes_total=None if doc.get("votes_total") is None else int(doc["votes_total"]),
        guests=bool(doc["guests"]),
    )


def _bad(zh: str, en: str) -> InvalidBody:
    return InvalidBody(Sentence(zh, en))


class CampaignService:
    """Creates campaigns, takes votes, reads the leaderboard."""

    def __init__(self, stores: ItemStores) -> None:
        self._campaigns = stores.database.collection(COLLECTION)
        self._counters = stores.counters
        self._resolver = stores.resolver
        self._clock = stores.clock
        self._fixed: dict[str, Document] = {}
        """Campaigns as created: all but the tallies never change, so votes read them once."""

    def now(self) -> float:
        return self._clock()

    async def create(self, new: NewCampaign) -> Document:
        title = new.title.strip()
        if not 1 <= len(title) <= 100:
            raise _bad("标题应为 1–100 个字符。", "The title has 1 to 100 characters.")
        if not new.starts_at < new.ends_at:
            raise _bad("结束时间应晚于开始时间。", "ends_at comes after starts_at.")
        if not 1 <= len(new.entries) <= MAX_ENTRIES:
            raise _bad(
                f"作品应为 1–{MAX_ENTRIES} 个。", f"A campaign has 1 to {MAX_ENTRIES} entries."
            )
        if not 1 <= new.votes_per_day <= 100:
            raise _bad("每天票数应为 1–100。", "votes_per_day is 1 to 100.")
        if new.votes_total is not None and not 1 <= new.votes_total <= 10_000:
            raise _bad("总票数应为 1–10000。", "votes_total is 1 to 10000.")
        entries = []
        seen: set[tuple[ItemType, str]] = set()
        for n, entry in enumerate(new.entries, 1):
            item = await self._resolver.resolve(entry.item_type, entry.item_id)
            if item is None or (entry.item_type, entry.item_id) in seen:
                raise _bad(
                    f"第 {n} 个作品不存在或重复。", f"Entry {n} does not exist or is repeated."
                )
            seen.add((entry.item_type, entry.item_id))
            entries.append(
                {
                    "id": f"e{n}",
                    "item_type": entry.item_type.value,
                    "item_id": entry.item_id,
                    "title": item.title,
                }
            )
        doc: Document = {
            "_id": secrets.token_hex(8),
            "org_id": new.org_path[0],
            "org_path": new.org_path,
            "title": title,
            "cover": new.cover,
            "starts_at": float(new.starts_at),
            "ends_at": float(new.ends_at),
            "entries": entries,
            "votes_per_day": new.votes_per_day,
            "votes_total": new.votes_total,
            "guests": new.guests,
            "tallies": {e["id"]: 0 for e in entries},
            "created_at": self._clock(),
        }
        await self._campaigns.insert(doc)
        return doc

    async def get(self, campaign_id: str) -> Document:
        doc = None if len(campaign_id) > 64 else await self._campaigns.get(campaign_id)
        if doc is None:
            raise UnknownCampaign()
        return doc

    async def find(self, org_id: str | None) -> list[Document]:
        flt: dict[str, Any] = {} if org_id is None else {"org_path": org_id}
        return await self._campaigns.find(flt, sort=[("starts_at", -1)], limit=200)

    async def vote(
        self, campaign_id: str, entry_id: str, viewer: str, signed_in: bool, address: str
    ) -> Document:
        """Cast one vote; returns the campaign as it is after it."""
        doc = self._fixed.get(campaign_id)
        if doc is None:
            doc = await self.get(campaign_id)
            if len(self._fixed) >= 1_000:
                self._fixed.clear()
            self._fixed[campaign_id] = doc
        now = self._clock()
        if not doc["starts_at"] <= now < doc["ends_at"]:
            raise CampaignClosed(started=now >= doc["starts_at"])
        if entry_id not in doc["tallies"]:
            raise UnknownEntry()
        rule = rule_of(doc)
        if not rule.guests and not signed_in:
            raise VoteLoginRequired()
        counted: list[str] = []
        for check in checks(campaign_id, rule, viewer, address, now):
            value = await self._counters.incr(check.key)
            counted.append(check.key)
            if value == 1:
                await self._counters.expire(check.key, KEY_TTL_S)
            if value > check.most:
                for key in counted:
                    await self._counters.incr(key, -1)
                raise VoteLimit(refusal(rule, check.limit))
        updated = await self._campaigns.update_one(
            {"_id": campaign_id}, inc={f"tallies.{entry_id}": 1}
        )
        return updated or doc

    def leaderboard(self, doc: Document) -> list[dict[str, Any]]:
        """The entries, most votes first (ties in entry order), each with its votes."""
        tallies = doc["tallies"]
        rows: list[dict[str, Any]] = [
            {**entry, "votes": int(tallies.get(entry["id"], 0))} for entry in doc["entries"]
        ]
        order = {entry["id"]: n for n, entry in enumerate(doc["entries"])}
        rows.sort(key=lambda row: (-row["votes"], order[row["id"]]))
        return rows

    def to_csv(self, doc: Document) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["rank", "entry_id", "item_type", "item_id", "title", "votes"])
        for rank, row in enumerate(self.leaderboard(doc), 1):
            writer.writerow(
                [rank, row["id"], row["item_type"], row["item_id"], row["title"], row["votes"]]
            )
        # A byte-order mark so that spreadsheet programs read the Chinese titles as UTF-8.
        return ("\ufeff" + out.getvalue()).encode()
