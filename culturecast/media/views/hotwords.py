"""Hot search words (学习热词, seed 004): every search term counted per organization and China
Standard Time day in ``search_terms_daily`` (this module owns the collection), and the top
terms of a subtree over some days for the monthly report.

A search is a person typing, far rarer than heartbeats, so each one is one upsert in the
database (durable for the month's report) rather than a counter to flush. Terms are folded
(whitespace collapsed, case folded, at most ``MAX_TERM`` characters) so 三国 and " 三国 " count
together. ``record_search`` never fails the search that calls it.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Collection

from culturecast.core.calendar import cst_day
from culturecast.storage.database.port import Database, IndexSpec

log = logging.getLogger("culturecast.views")

__all__ = ["INDEXES", "MAX_TERM", "SEARCH_TERMS", "SearchTerms", "fold_term"]

SEARCH_TERMS = "search_terms_daily"
INDEXES = (IndexSpec(SEARCH_TERMS, (("day", 1),)),)
MAX_TERM = 40
PLATFORM = ""
"""The organization of a search not scoped to one."""

_SPACES = re.compile(r"\s+")


def fold_term(term: str) -> str:
    """The term as counted; "" when there is nothing to count."""
    return _SPACES.sub(" ", term).strip().casefold()[:MAX_TERM]


class SearchTerms:
    def __init__(self, database: Database, clock: Callable[[], float]) -> None:
        self._terms = database.collection(SEARCH_TERMS)
        self._clock = clock

    async def record_search(self, org_id: str | None, term: str) -> None:
        """Count one search for ``term`` under ``org_id`` (None: the whole platform)."""
        folded = fold_term(term)
        if not folded:
            return
        org = org_id or PLATFORM
        day = cst_day(self._clock())
        try:
            await self._terms.update_one(
                {"_id": f"{day}:{org}:{folded}"},
                set={"day": day, "org_id": org, "term": folded},
                inc={"count": 1},
                upsert=True,
            )
        except Exception:
            log.exception("search term not counted")

    async def top(
        self, orgs: Collection[str], first: str, last: str, limit: int = 20
    ) -> list[tuple[str, int]]:
        """The most searched terms of ``orgs`` from ``first`` to ``last``, most first (ties in
        term order)."""
        docs = await self._terms.find({"day": {"$gte": first, "$lte": last}})
        counts: Counter[str] = Counter()
        for doc in docs:
            if doc.get("org_id") in orgs:
                counts[str(doc["term"])] += int(doc.get("count", 0))
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
