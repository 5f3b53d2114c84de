"""Wire shapes of the engagement endpoints (msgspec structs, also the OpenAPI schemas)."""

from __future__ import annotations

import msgspec

from culturecast.media.views.policy import ItemType


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
