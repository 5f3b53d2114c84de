"""HTTP handlers of the live API: parse, call the service, serialise.

``server/features/live.py`` passes the server's HTTP kit, typed as the kernel's one
``core.kit.Kit``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from culturecast.core.cards import CardFacts, add_card_facts
from culturecast.core.covers import COVER_TYPES_SENT, MAX_COVER_BYTES, check_cover
from culturecast.core.kit import Kit
from culturecast.core.numbers import MAX_OFFSET, query_int
from culturecast.core.routes import Route, add_routes
from culturecast.live import schemas
from culturecast.live.service import LiveService

TAG = "live"


def _fields(body: Any) -> dict[str, Any]:
    return {f: getattr(body, f) for f in body.__struct_fields__ if getattr(body, f) is not None}


MAX_PAGE = 200
"""Most events one list request returns."""


def setup_routes(
    kit: Kit,
    service_of: Callable[[web.Request], LiveService],
    facts: Callable[[web.Request], CardFacts | None] = lambda request: None,
) -> None:
    """Add the live API to the app; ``service_of(request)`` is the process's service,
    ``facts(request)`` the organization names and 观看人次 of the list's cards."""

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
            org_id=request.query.get("org_id") or None,
        )
        await add_card_facts(facts(request), "live", items)
        return kit.json({"items": items})

    async def get(request: web.Request) -> web.Response:
        caller = await kit.optional_caller(request)
        event = await service_of(request).get(caller, request.match_info["event_id"])
        await add_card_facts(facts(request), "live", [event])  # the player page shows them
        return kit.json(event)

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

    async def put_cover(request: web.Request) -> web.Response:
        caller = await kit.caller(request)
        event_id = request.match_info["event_id"]
        await service_of(request).get(caller, event_id)  # 404 before reading a foreign body
        data = await kit.raw_body(request, MAX_COVER_BYTES)
        image = check_cover(data, request.headers.get("Content-Type"))
        return kit.json(await service_of(request).set_cover(caller, event_id, image))

    async def delete_cover(request: web.Request) -> web.Response:
        caller = await kit.caller(request)
        return kit.json(
            await service_of(request).remove_cover(caller, request.match_info["event_id"])
        )

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
    add_routes(kit, TAG, [
        Route("POST", base, create,
              "Create a live event; returns its stream key and OBS settings once",
              body=schemas.EventCreate, response=schemas.EventCreated, status=201),
        Route("GET", base, list_events,
              "List live events: status, org_id (its subtree), limit, offset (public: published; "
              "staff: their subtree incl. drafts)",
              response=schemas.EventList, auth=False),
        Route("GET", base + "/refusals", unmatched_refusals,
              "Refused publishes no event could be named for (unknown keys; platform admins)",
              response=schemas.RefusalList),
        Route("GET", item, get, "One live event, with org_name and views (观看人次)",
              response=schemas.ListedEvent, auth=False),
        Route("PATCH", item, update, "Change a live event (disabling one on air ends it)",
              body=schemas.EventUpdate, response=schemas.Event),
        Route("DELETE", item, delete, "Delete a live event that is not on air", status=204),
        Route("PUT", item + "/cover", put_cover,
              "Upload a live event's cover: the raw image as the body (image/jpeg, image/png or "
              "image/webp, at most 5 MB); cover becomes its URL", raw_body=COVER_TYPES_SENT),
        Route("DELETE", item + "/cover", delete_cover, "Remove a live event's cover"),
        Route("POST", item + "/key", rotate_key,
              "Replace the stream key (shown once); the old key stops working",
              response=schemas.StreamKey),
        Route("POST", item + "/stop", stop,
              "End the event now: playlists close and the replay is made",
              response=schemas.Event),
        Route("GET", item + "/health", health,
              "Stream health: bit rate, fps, keyframe interval, resolution, codecs, speed",
              response=schemas.Health),
        Route("GET", item + "/refusals", refusals,
              "Recent refused publishes of the event, with the reason",
              response=schemas.RefusalList),
    ])  # fmt: skip
