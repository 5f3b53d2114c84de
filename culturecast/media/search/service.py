"""The search index: the one owner of ``search_terms``, maintained when resources change.

One document per (term, resource): ``_id`` is ``<term>\\x1f<resource_id>``, so a query is a
range on ``_id`` (``[key, key + U+FFFF)``), which both adapters answer from their primary-key
index — no scan of the resources. The hits are grouped per resource, ranked
(``terms.score``), and the catalogue then reads only those resources.
"""

from __future__ import annotations

import contextlib
from typing import Any, Final

from culturecast.media.search.terms import (
    Field,
    place,
    query_key,
    resource_terms,
    score,
)
from culturecast.storage.database.port import Database, IndexSpec
from culturecast.storage.errors import DuplicateKeyError

COLLECTION: Final = "search_terms"
INDEXES: Final = (IndexSpec(COLLECTION, (("resource_id", 1),)),)
SEP: Final = "\x1f"
MAX_HITS: Final = 5_000
"""Term rows read for one query: enough for every resource a short query matches in a
provincial library; a one-letter query on a huge catalogue ranks the first 5,000 terms."""


class SearchIndex:
    def __init__(self, database: Database) -> None:
        self._terms = database.collection(COLLECTION)

    async def put(self, doc: dict[str, Any]) -> None:
        """(Re)index one resource document (its ``series_title`` too)."""
        resource_id = str(doc["_id"])
        await self._terms.delete_many({"resource_id": resource_id})
        for term in resource_terms(doc, doc.get("series_title")):
            with contextlib.suppress(DuplicateKeyError):  # another process indexing it too
                await self._terms.insert(
                    {
                        "_id": f"{term.text}{SEP}{resource_id}",
                        "resource_id": resource_id,
                        "field": int(term.field),
                        "start": term.start,
                        "whole": term.whole,
                    }
                )

    async def is_empty(self) -> bool:
        return not await self._terms.find(limit=1)

    async def remove(self, resource_id: str) -> None:
        await self._terms.delete_many({"resource_id": resource_id})

    async def search(self, q: str) -> list[str]:
        """Ids of the resources matching ``q``, best first (ties by id)."""
        key = query_key(q)
        if not key:
            return []
        rows = await self._terms.find({"_id": {"$gte": key, "$lt": key + "\uffff"}}, limit=MAX_HITS)
        best: dict[str, int] = {}
        for row in rows:
            where = place(bool(row["start"]), str(row["whole"]), key)
            value = score(Field(int(row["field"])), where)
            rid = str(row["resource_id"])
            if value > best.get(rid, 0):
                best[rid] = value
        return sorted(best, key=lambda rid: (-best[rid], rid))
