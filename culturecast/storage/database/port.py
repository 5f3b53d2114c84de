"""The database port: named collections of JSON documents with a small, shared query language.

Documents are ``dict`` values of JSON types (str, int, float, bool, None, list, dict); every
document has a string ``_id``. Timestamps are stored as float seconds since the epoch, so
both adapters sort and compare them alike.

Filters (a deliberate subset of MongoDB's, implemented identically by both adapters):

* ``{"field": value}`` equality; ``value`` may be any JSON scalar. ``None`` matches a missing
  field or an explicit null.
* ``{"field": {"$in": [...]}}``, ``{"$nin": [...]}``, ``{"$ne": v}``, ``{"$gt": v}``,
  ``{"$gte": v}``, ``{"$lt": v}``, ``{"$lte": v}``, ``{"$exists": bool}``; several operators on
  one field combine with AND.
* Dotted paths (``"stats.plays"``) address nested fields.
* ``{"$or": [filter, ...]}`` at the top level.
* Equality against a field holding a list matches when the list contains the value (tags).
* Several fields combine with AND. Anything else raises ``ValueError``.

Updates: ``set`` replaces fields (dotted paths allowed), ``unset`` removes them, ``inc``
adds to numbers (a missing field counts as 0). One update is atomic per document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypedDict, Unpack

type Document = dict[str, Any]
type Filter = Mapping[str, Any]
type SortSpec = Sequence[tuple[str, int]]
"""Pairs of (field, direction) with direction 1 ascending or -1 descending."""


@dataclass(frozen=True, slots=True)
class IndexSpec:
    """An index to create at start (idempotent)."""

    collection: str
    """Collection name."""
    keys: tuple[tuple[str, int], ...]
    """Indexed fields with direction, in order."""
    unique: bool = False
    """Reject a second document with the same key values (a document missing a key field, or
    holding null in it, is exempt: both adapters index such documents partially)."""


class Changes(TypedDict, total=False):
    """What an update does, each part optional (at least one must be given)."""

    set: Mapping[str, Any] | None
    """Field paths to set to values."""
    unset: Sequence[str]
    """Field paths to remove."""
    inc: Mapping[str, int | float] | None
    """Field paths to add numbers to (created at 0)."""


class Page(TypedDict, total=False):
    """Which of the matches ``find`` returns, each part optional."""

    sort: SortSpec
    """The order (ties broken by ``_id``); ``_id`` order when empty or left out."""
    skip: int
    """How many to pass over first (0 when left out)."""
    limit: int | None
    """How many at most (all when None or left out)."""


class Collection(Protocol):
    """One named collection."""

    @property
    def name(self) -> str: ...

    async def insert(self, doc: Document) -> None:
        """Insert one document; ``DuplicateKeyError`` if ``_id`` or a unique index clashes."""

    async def put_many(self, docs: Sequence[Document]) -> None:
        """Insert each document, or replace the one with its ``_id`` (an upsert by ``_id``),
        in one round trip to the engine: what a bulk load or an index rebuild uses instead of
        one call per document. ``DuplicateKeyError`` if a unique index (other than ``_id``)
        clashes; the batch is then not guaranteed to be applied in part or in whole. Two
        documents with the same ``_id`` in one batch: the last one is kept."""

    async def get(self, doc_id: str) -> Document | None:
        """The document with this ``_id``, or None."""

    async def find_one(self, flt: Filter) -> Document | None:
        """The first document matching ``flt`` (in ``_id`` order), or None."""

    async def find(self, flt: Filter | None = None, **page: Unpack[Page]) -> list[Document]:
        """Matching documents, sorted (ties broken by ``_id``), paginated."""

    async def count(self, flt: Filter | None = None) -> int:
        """How many documents match."""

    async def update_one(
        self, flt: Filter, *, upsert: bool = False, **changes: Unpack[Changes]
    ) -> Document | None:
        """Atomically update the first match and return it as it is after the update.

        Returns None when nothing matched and ``upsert`` is false. With ``upsert`` and no match
        a document is created from the filter's equality fields plus the update (``_id`` from the
        filter, else a new random id). This is the compare-and-set primitive: put the expected
        state in the filter.
        """

    async def update_many(self, flt: Filter, **changes: Unpack[Changes]) -> int:
        """Update every match; returns how many matched."""

    async def replace(self, doc: Document) -> bool:
        """Replace the document with ``doc["_id"]``; False when it does not exist."""

    async def delete_one(self, flt: Filter) -> bool:
        """Delete the first match; True when one was deleted."""

    async def delete_many(self, flt: Filter) -> int:
        """Delete every match; returns how many."""


class Database(Protocol):
    """A database of collections."""

    @property
    def engine(self) -> str:
        """A short name for readiness reports: ``"sqlite"`` or ``"mongodb"``."""

    def collection(self, name: str) -> Collection:
        """The named collection (created on first use)."""

    async def ensure_indexes(self, specs: Sequence[IndexSpec]) -> None:
        """Create missing indexes; existing ones are left alone."""

    async def ping(self) -> None:
        """Return when the engine answers and takes a write (a tiny one of its own, outside
        every collection); ``EngineUnavailable`` otherwise."""

    async def close(self) -> None:
        """Release connections; the object is unusable afterwards."""
