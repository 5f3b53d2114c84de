"""Likes, favorites and shares: one record per viewer, action and item, in ``engagements``.

Idempotence comes from the record's deterministic ``_id`` (``policy.record_id``): of two
likes by the same viewer, on one api process or two, exactly one inserts and the other meets
``DuplicateKeyError``; of two unlikes exactly one deletes. Counts are the number of records
(an indexed count), so they are exact across processes and survive a restart on either
database adapter. A live event's likes are the chat's: a like through the API also adds one
to the chat room's like counter (``live_like_key``, on the counters port), so the page's
heart and the chat's ``likes`` show the same total.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from culturecast.media.engagement.policy import (
    COLLECTION,
    UNDOABLE,
    Kind,
    record_id,
)
from culturecast.media.views.errors import UnknownItem
from culturecast.media.views.items import ItemStores, PlayableItem
from culturecast.media.views.policy import ItemType
from culturecast.storage.database.port import IndexSpec
from culturecast.storage.errors import DuplicateKeyError

INDEXES: Final = (
    IndexSpec(COLLECTION, (("kind", 1), ("item_type", 1), ("item_id", 1))),
    IndexSpec(COLLECTION, (("kind", 1), ("viewer", 1), ("at", -1))),
)
FAVORITES_PAGE: Final = 200
"""At most this many favorites are listed, newest first."""


@dataclass(frozen=True, slots=True)
class Counts:
    """An item's engagement figures, and what this viewer did."""

    likes: int
    favorites: int
    shares: int
    liked: bool
    favorited: bool


@dataclass(frozen=True, slots=True)
class Favorite:
    """One entry of 我的收藏."""

    item_type: ItemType
    item_id: str
    title: str
    at: float


class EngagementService:
    """The one owner of ``engagements``."""

    def __init__(self, stores: ItemStores, live_like_key: Callable[[str], str]) -> None:
        self._records = stores.database.collection(COLLECTION)
        self._counters = stores.counters
        self._resolver = stores.resolver
        self._clock = stores.clock
        self._live_like_key = live_like_key

    async def item(self, item_type: ItemType, item_id: str) -> PlayableItem:
        """The item, if anyone may see it (a draft is unknown to viewers); else 404."""
        item = None if len(item_id) > 200 else await self._resolver.resolve(item_type, item_id)
        if item is None or not item.public:
            raise UnknownItem(item_type.value)
        return item

    async def do(self, kind: Kind, item_type: ItemType, item_id: str, viewer: str) -> Counts:
        """Record that ``viewer`` did ``kind`` to the item (again: nothing changes)."""
        item = await self.item(item_type, item_id)
        doc = {
            "_id": record_id(kind, item_type, item_id, viewer),
            "kind": kind.value,
            "item_type": item_type.value,
            "item_id": item_id,
            "viewer": viewer,
            "title": item.title,
            "at": self._clock(),
        }
        try:
            await self._records.insert(doc)
        except DuplicateKeyError:
            pass
        else:
            if kind is Kind.LIKE and item_type is ItemType.LIVE:
                await self._counters.incr(self._live_like_key(item_id))
        return await self.counts(item_type, item_id, viewer)

    async def undo(self, kind: Kind, item_type: ItemType, item_id: str, viewer: str) -> Counts:
        """Take back a like or a favorite (when there is none: nothing changes)."""
        assert kind in UNDOABLE
        await self.item(item_type, item_id)
        deleted = await self._records.delete_one(
            {"_id": record_id(kind, item_type, item_id, viewer)}
        )
        if deleted and kind is Kind.LIKE and item_type is ItemType.LIVE:
            await self._counters.incr(self._live_like_key(item_id), -1)
        return await self.counts(item_type, item_id, viewer)

    async def counts(self, item_type: ItemType, item_id: str, viewer: str | None) -> Counts:
        """The item's figures; ``liked``/``favorited`` for ``viewer`` (False without one)."""
        totals: dict[Kind, int] = {}
        for kind in Kind:
            totals[kind] = await self._records.count(
                {"kind": kind.value, "item_type": item_type.value, "item_id": item_id}
            )
        if item_type is ItemType.LIVE:
            # The chat's counter is the live like total: taps in the chat and likes here.
            totals[Kind.LIKE] = await self._counters.get_int(self._live_like_key(item_id))
        liked = favorited = False
        if viewer is not None:
            liked = await self._has(Kind.LIKE, item_type, item_id, viewer)
            favorited = await self._has(Kind.FAVORITE, item_type, item_id, viewer)
        return Counts(
            likes=totals[Kind.LIKE],
            favorites=totals[Kind.FAVORITE],
            shares=totals[Kind.SHARE],
            liked=liked,
            favorited=favorited,
        )

    async def favorites(self, viewer: str) -> list[Favorite]:
        """The viewer's favorites, newest first."""
        docs = await self._records.find(
            {"kind": Kind.FAVORITE.value, "viewer": viewer},
            sort=[("at", -1)],
            limit=FAVORITES_PAGE,
        )
        return [
            Favorite(
                item_type=ItemType(doc["item_type"]),
                item_id=str(doc["item_id"]),
                title=str(doc.get("title") or ""),
                at=float(doc["at"]),
            )
            for doc in docs
        ]

    async def _has(self, kind: Kind, item_type: ItemType, item_id: str, viewer: str) -> bool:
        return await self._records.get(record_id(kind, item_type, item_id, viewer)) is not None
