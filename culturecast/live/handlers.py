"""HTTP handlers of the live API: parse, call the service, serialise.

``live`` may not import ``server`` (DESIGN.md § Packages), so what it uses of the server's
HTTP kit is declared here as a Protocol; ``server/features/live.py`` passes the real kit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from aiohttp import web

from culturecast.core.numbers import MAX_OFFSET, query_int
from culturecast.live import schemas
from culturecast.live.service import LiveService

TAG = "live"


class Kit(Protocol):
    """What the handlers use of ``server.kit.HttpKit``."""

    def add_route(
        self,
        method: str,
        path: str,
        handler: Any,
        *,
        summary: str,
        tag: str,
        body: type | None = None,
        response: type | None = None,
        status: int = 200,
        auth: bool = True,
    ) -> None: ...
    async def caller(self, request: web.Request) -> Any: ...
    async def optional_caller(self, request: web.Request) -> Any: ...
    async def body[T](self, request: web.Request, model: type[T]) -> T: ...
    def json(
        self, data: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> web.Response: ...


def _fields(body: Any) -> dict[str, Any]:
    return {f: getattr(body, f) for f in body.__struct_fields__ if getattr(body, f) is not None}


MAX_PAGE = 200
"""Most events one list request returns."""


def setup_routes(kit: Kit, service_of: Callable[[web.Request], LiveService]) -> None:
    """Add the live API to the app; ``service_of(request)`` is the process's service."""

    async def create(request: web.Request) -> web.Response:
        caller = await kit.caller(request)
        body = await kit.body(request, schemas.EventCreate)
        fields = _fields(body)
        fields.setdefault("published", body.published)
        return kit.json(await service_of(request).create(caller, fields), status=201)

    async def list_events(request: web.Request) -> web.Response:
        caller = await kit.optional_caller(request)
        items = await service_of(request).list_events(
            caller,
            request.query.get("status"),
            limit=query_int(request.query, "limit", 50, 1, MAX_PAGE),
            offset=query_int(request.query, "offset", 0, 0, MAX_OFFSET),
        )
        return kit.json({"items": items})

    async def get(request: web.Request) -> web.Response:
        caller = await kit.optional_caller(request)
        return kit.json(await service_of(request).get(caller, request.match_info["event_id"]))

    async def update(request: web.Request) -> web.Response:
        caller = await kit.caller(request)
        body = await kit.body(request, schemas.EventUpdate)
        event = await service_of(request).update(
            caller, request.match_info["event_id"], _fields(body)
        )
        return kit.json(event)

    async def delete(request: web.Request) -> web.Response:
        caller = await kit.caller(request)
        await service_of(request).delete(caller, request.match_info["event_id"])
        return web.Response(status=204)

    async def rotate_key(request: web.Request) -> web.Response:
        caller = await kit.caller(request)
        return kit.json(
            await service_of(request).rotate_key(caller, request.match_info["event_id"])
        )

    async def stop(request: web.Request) -> web.Response:
        caller = await kit.caller(request)
        return kit.json(await service_of(request).stop(caller, request.match_info["event_id"]))

    async def health(request: web.Request) -> web.Response:
        caller = await kit.caller(request)
        return kit.json(await service_of(request).health(caller, request.match_info["event_id"]))

    async def refusals(request: web.Request) -> web.Response:
        caller = await kit.caller(request)
        items = await service_of(request).list_refusals(caller, request.match_info["event_id"])
        return kit.json({"items": items})

    async def unmatched_refusals(request: web.Request) -> web.Response:
        caller = await kit.caller(request)
        return kit.json({"items": await service_of(request).list_refusals(caller, None)})

    base = "/api/v1/live"
    item = base + "/{event_id}"
    kit.add_route(
        "POST",
        base,
        create,
        summary="Create a live event; returns its stream key and OBS settings once",
        tag=TAG,
        body=schemas.EventCreate,
        response=schemas.EventCreated,
        status=201,
    )
    kit.add_route(
        "GET",
        base,
        list_events,
        summary="List live events (public: published; staff: their subtree incl. drafts)",
        tag=TAG,
        response=schemas.EventList,
        auth=False,
    )
    kit.add_route(
        "GET",
        base + "/refusals",
        unmatched_refusals,
        summary="Refused publishes no event could be named for (unknown keys; platform admins)",
        tag=TAG,
        response=schemas.RefusalList,
    )
    kit.add_route(
        "GET", item, get, summary="One live event", tag=TAG, response=schemas.Event, auth=False
    )
    kit.add_route(
        "PATCH",
        item,
        update,
        summary="Change a live event (disabling one on air ends it)",
        tag=TAG,
        body=schemas.EventUpdate,
        response=schemas.Event,
    )
    kit.add_route(
        "DELETE",
        item,
        delete,
        summary="Delete a live event that is not on air",
        tag=TAG,
        status=204,
    )
    kit.add_route(
        "POST",
        item + "/key",
        rotate_key,
        summary="Replace the stream key (shown once); the old key stops working",
        tag=TAG,
        response=schemas.StreamKey,
    )
    kit.add_route(
        "POST",
        item + "/stop",
        stop,
        summary="End the event now: playlists close and the replay is made",
        tag=TAG,
        response=schemas.Event,
    )
    kit.add_route(
        "GET",
        item + "/health",
        health,
        summary="Stream health: bit rate, fps, keyframe interval, resolution, codecs, speed",
        tag=TAG,
        response=schemas.Health,
    )
    kit.add_route(
        "GET",
        item + "/refusals",
        refusals,
        summary="Recent refused publishes of the event, with the reason",
        tag=TAG,
        response=schemas.RefusalList,
    )
