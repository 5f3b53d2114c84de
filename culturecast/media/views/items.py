"""What can be played: the facts view counting needs of a live event or a resource.

The live and VOD packages own those objects; view counting may not import them (DESIGN.md §
Packages), so the composition root hands the service an ``ItemResolver`` built from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from culturecast.core.errors import Sentence
from culturecast.media.views.policy import ItemType
from culturecast.storage.counters.port import Counters
from culturecast.storage.database.port import Database


class Unavailable(StrEnum):
    """Why an existing item cannot be played now (the ``reason`` of a 409 ``not_playable``)."""

    NOT_READY = "not_ready"
    """A resource still uploading, processing, or failed."""
    NOT_STARTED = "not_started"
    """A live event that has not gone live yet."""
    NO_REPLAY = "no_replay"
    """A live event that has ended and has no replay (yet)."""


UNAVAILABLE_MESSAGES: dict[Unavailable, Sentence] = {
    Unavailable.NOT_READY: Sentence(
        "该资源仍在处理中，请稍后再试。", "This resource is being processed."
    ),
    Unavailable.NOT_STARTED: Sentence(
        "直播尚未开始，请开播后观看。", "This live event has not started yet."
    ),
    Unavailable.NO_REPLAY: Sentence(
        "直播已结束，回看尚未生成。", "This live event has ended; no replay yet."
    ),
}


@dataclass(frozen=True, slots=True)
class PlayableItem:
    """A live event or a resource as view counting sees it."""

    item_type: ItemType
    """Live event or resource."""
    item_id: str
    """Its id."""
    org_path: tuple[str, ...]
    """Its organization first, then that organization's ancestors (province last)."""
    category: str
    """Its category (戏曲, 评书, …); figures are kept per category."""
    title: str
    """Its title, for reports."""
    duration_s: float | None
    """Duration in seconds (resources and replays); None for a live stream or when unknown."""
    master_key: str | None
    """Object key of its HLS master playlist; None when there is nothing to play."""
    is_live: bool
    """Playing the live stream now (counted as live: concurrent viewers, the 4 h cap)."""
    public: bool
    """Anyone may play it (published; a live event also not disabled); otherwise only the
    staff of its organization's subtree may, as a preview."""
    unavailable: Unavailable | None = None
    """Why it cannot be played now; None when it can."""
    ended_at: float | None = None
    """When a live event went off air (epoch seconds); None while on air, for resources, and
    when the event does not say."""

    @property
    def org_id(self) -> str:
        """The owning organization."""
        return self.org_path[0]


class ItemResolver(Protocol):
    """Finds the playable facts of an item; None when there is no such item."""

    async def resolve(self, item_type: ItemType, item_id: str) -> PlayableItem | None: ...


@dataclass(frozen=True, slots=True)
class ItemStores:
    """What every service over playable items works with (statistics, engagement, campaigns):
    built once by the composition root and handed to each."""

    database: Database
    counters: Counters
    resolver: ItemResolver
    clock: Callable[[], float]
    """Epoch seconds."""
