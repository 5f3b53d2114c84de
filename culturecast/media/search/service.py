"""The search index: the one owner of ``search_terms`` and ``search_docs``, maintained when
resources change.

One document per (term, resource): ``_id`` is ``<term>\\x1f<resource_id>``, so a query is a
range on ``_id`` (``[key, key + U+FFFF)``), which both adapters answer from their primary-key
index — no scan of the resources. The hits are grouped per resource, ranked
(``terms.score``), and the catalogue then reads only those resources.

``search_docs`` holds, per indexed resource (``_id`` = the resource's id), the ids of its term
rows, so reindexing or removing a resource deletes its old terms by primary key, and a batch
of resources is written with one bulk call (``Collection.put_many``) per
:data:`WRITE_BATCH` rows — never a filtered delete over every term row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from culturecast.media.search.terms import (
    Field,
    place,
    query_key,
    resource_terms,
    score,
)
from culturecast.storage.database.port import Database, IndexSpec

COLLECTION: Final = "search_terms"
DOCS: Final = "search_docs"
INDEXES: Final = (IndexSpec(COLLECTION, (("resource_id", 1),)),)
SEP: Final = "\x1f"
WRITE_BATCH: Final = 2_000
"""Term rows written per ``put_many`` call (a resource has about 60)."""
MAX_HITS: Final = 5_000
"""Term rows read for one query: enough for every resource a short query matches in a
provincial library; a one-letter query on a huge catalogue ranks the first 5,000 terms."""


class SearchIndex:
    def __init__(self, database: Database) -> None:
        self._terms = database.collection(COLLECTION)
        self._docs = database.collection(DOCS)

    async def put(self, doc: dict[str, Any]) -> None:
        """(Re)index one resource document (its ``series_title`` too)."""
        await self.put_many([doc])

    async def put_many(self, docs: Sequence[dict[str, Any]]) -> None:
        """(Re)index resource documents: their new terms are written in bulk, then the list of
        each one's terms, then the terms it no longer has are deleted by id. Another process
        indexing the same resource at once writes the same rows (upserts by id)."""
        if not docs:
            return
        ids = [str(doc["_id"]) for doc in docs]
        before = await self._docs.find({"_id": {"$in": ids}})
        rows: list[dict[str, Any]] = []
        lists: list[dict[str, Any]] = []
        for doc, resource_id in zip(docs, ids, strict=True):
            terms = [
                {
                    "_id": f"{term.text}{SEP}{resource_id}",
                    "resource_id": resource_id,
                    "field": int(term.field),
                    "start": term.start,
                    "whole": term.whole,
                }
                for term in resource_terms(doc, doc.get("series_title"))
            ]
            rows.extend(terms)
            lists.append({"_id": resource_id, "terms": [row["_id"] for row in terms]})
        for at in range(0, len(rows), WRITE_BATCH):
            await self._terms.put_many(rows[at : at + WRITE_BATCH])
        await self._docs.put_many(lists)
        kept = {row["_id"] for row in rows}
        await self._delete_terms([t for old in before for t in old["terms"] if t not in kept])

    async def is_empty(self) -> bool:
        """No resource is indexed yet (a new database, or one indexed before ``search_docs``:
        the rebuild then writes it)."""
        return not await self._docs.find(limit=1)

    async def remove(self, resource_id: str) -> None:
        old = await self._docs.get(resource_id)
        if old is None:
            await self._terms.delete_many({"resource_id": resource_id})
            return
        await self._delete_terms(list(old["terms"]))
        await self._docs.delete_one({"_id": resource_id})

    async def _delete_terms(self, term_ids: list[str]) -> None:
        for at in range(0, len(term_ids), WRITE_BATCH):
            await self._terms.delete_many({"_id": {"$in": term_ids[at : at + WRITE_BATCH]}})

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
