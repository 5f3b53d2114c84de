"""Wire shapes of the engagement endpoints (msgspec structs, also the OpenAPI schemas)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from culturecast.core.numbers import EpochSeconds
from culturecast.media.views.policy import ItemType

VotesPerDay = Annotated[int, msgspec.Meta(ge=1, le=100, description="Votes a viewer a day.")]
VotesTotal = Annotated[
    int, msgspec.Meta(ge=1, le=10_000, description="Votes a viewer in the whole campaign.")
]


class CountsResponse(msgspec.Struct):
    """An item's likes, favorites and shares, and what the calling viewer did."""

    item_type: ItemType
    item_id: str
    likes: int
    favorites: int
    shares: int
    liked: bool
    """This viewer (signed-in user, else the ``cc_did`` device) likes it."""
    favorited: bool
    """This viewer has it under 我的收藏."""


class FavoriteItem(msgspec.Struct):
    item_type: ItemType
    item_id: str
    title: str
    at: float
    """When it was favorited (epoch seconds)."""


class FavoritesResponse(msgspec.Struct):
    """``GET /api/v1/favorites``: the viewer's favorites, newest first."""

    items: list[FavoriteItem]


class EntryRequest(msgspec.Struct, forbid_unknown_fields=True):
    item_type: ItemType
    item_id: str


class CampaignRequest(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /api/v1/campaigns``: times in epoch seconds, days in CST."""

    org_id: str
    title: str
    starts_at: EpochSeconds
    ends_at: EpochSeconds
    entries: list[EntryRequest]
    votes_per_day: VotesPerDay
    guests: bool
    cover: str | None = None
    votes_total: VotesTotal | None = None


class VoteRequest(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /api/v1/campaigns/{id}/votes``."""

    entry_id: str


class LeaderboardRow(msgspec.Struct):
    id: str
    """The entry id (``e1``, ``e2`` …) a vote names."""
    item_type: ItemType
    item_id: str
    title: str
    votes: int


class CampaignResponse(msgspec.Struct):
    """A campaign with its leaderboard (most votes first)."""

    id: str
    org_id: str
    title: str
    cover: str | None
    starts_at: float
    ends_at: float
    votes_per_day: int
    votes_total: int | None
    guests: bool
    rule: str
    """The rule in the request's language (每人每天限投 2 票。)."""
    status: str
    """``upcoming``, ``open`` or ``ended`` (results frozen)."""
    now: float
    """The server's time, for the page's countdown."""
    total_votes: int
    leaderboard: list[LeaderboardRow]


class CampaignsResponse(msgspec.Struct):
    items: list[CampaignResponse]
