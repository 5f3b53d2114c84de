"""HTTP handlers of likes, favorites and shares: parse, call the service, serialise.

The viewer is the signed-in user, else the device (``cc_did``, set when missing), so a guest's
like and 我的收藏 follow their browser."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from culturecast.core.kit import Handler, Kit
from culturecast.media.engagement.policy import Kind, device_viewer, user_viewer
from culturecast.media.engagement.schemas import (
    CountsResponse,
    FavoriteItem,
    FavoritesResponse,
)
from culturecast.media.engagement.service import Counts, EngagementService
from culturecast.media.views.errors import UnknownItem
from culturecast.media.views.handlers import device_of, remember_device
from culturecast.media.views.policy import ItemType

TAG = "engagement"


def _item_type(raw: str) -> ItemType:
    try:
        return ItemType(raw)
    except ValueError:
        raise UnknownItem() from None


class EngagementHandlers:
    """The routes of likes, favorites and shares; the service comes once engines are open."""

    def __init__(self, kit: Kit, service: Callable[[], EngagementService]) -> None:
        self._kit = kit
        self._service = service

    def setup_routes(self) -> None:
        # Every route is public: a guest is a viewer by its device cookie.
        item = "/api/v1/{kind}/{{item_type}}/{{item_id}}"
        routes: list[tuple[str, str, Handler, str, type]] = []
        for item_type, prefix in ((ItemType.RESOURCE, "resources"), (ItemType.LIVE, "live")):
            path = f"/api/v1/{prefix}/{{item_id}}/like"
            like = f"Like a {item_type.value} (once per viewer; again changes nothing)"
            routes.append(
                ("POST", path, self._action(Kind.LIKE, item_type, undo=False), like, CountsResponse)
            )
            routes.append(
                (
                    "DELETE",
                    path,
                    self._action(Kind.LIKE, item_type, undo=True),
                    f"Take back a like of a {item_type.value}",
                    CountsResponse,
                )
            )
        favorites = item.format(kind="favorites")
        routes += [
            ("POST", favorites, self._action(Kind.FAVORITE, None, undo=False),
             "Add an item to 我的收藏 (once per viewer)", CountsResponse),
            ("DELETE", favorites, self._action(Kind.FAVORITE, None, undo=True),
             "Remove an item from 我的收藏", CountsResponse),
            ("GET", "/api/v1/favorites", self.favorites,
             "The viewer's favorites (我的收藏), newest first", FavoritesResponse),
            ("POST", item.format(kind="shares"), self._action(Kind.SHARE, None, undo=False),
             "Count a share from the share button (once per viewer and item)", CountsResponse),
            ("GET", item.format(kind="engagement"), self.counts,
             "An item's likes, favorites and shares, and what this viewer did", CountsResponse),
        ]  # fmt: skip
        for method, path, handler, summary, response in routes:
            self._kit.add_route(
                method, path, handler, summary=summary, tag=TAG, response=response, auth=False
            )

    async def _viewer(self, request: web.Request) -> tuple[str, str | None]:
        """The viewer id, and a device id to remember when the request had none."""
        caller = await self._kit.optional_caller(request)
        if caller is not None:
            return user_viewer(caller.user_id), None
        device, new = device_of(request)
        return device_viewer(device), device if new else None

    def _respond(
        self,
        request: web.Request,
        item_type: ItemType,
        item_id: str,
        counts: Counts,
        new_device: str | None,
    ) -> web.Response:
        response = self._kit.json(
            CountsResponse(
                item_type=item_type,
                item_id=item_id,
                likes=counts.likes,
                favorites=counts.favorites,
                shares=counts.shares,
                liked=counts.liked,
                favorited=counts.favorited,
            )
        )
        if new_device is not None:
            remember_device(request, response, new_device)
        return response

    def _action(self, kind: Kind, fixed_type: ItemType | None, *, undo: bool) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            item_type = fixed_type or _item_type(request.match_info["item_type"])
            item_id = request.match_info["item_id"]
            viewer, new_device = await self._viewer(request)
            service = self._service()
            if undo:
                counts = await service.undo(kind, item_type, item_id, viewer)
            else:
                counts = await service.do(kind, item_type, item_id, viewer)
            return self._respond(request, item_type, item_id, counts, new_device)

        return handler

    async def counts(self, request: web.Request) -> web.StreamResponse:
        item_type = _item_type(request.match_info["item_type"])
        item_id = request.match_info["item_id"]
        service = self._service()
        await service.item(item_type, item_id)
        viewer, new_device = await self._viewer(request)
        counts = await service.counts(item_type, item_id, viewer)
        return self._respond(request, item_type, item_id, counts, new_device)

    async def favorites(self, request: web.Request) -> web.StreamResponse:
        viewer, new_device = await self._viewer(request)
        entries = await self._service().favorites(viewer)
        response = self._kit.json(
            FavoritesResponse(
                items=[FavoriteItem(e.item_type, e.item_id, e.title, e.at) for e in entries]
            )
        )
        if new_device is not None:
            remember_device(request, response, new_device)
        return response
