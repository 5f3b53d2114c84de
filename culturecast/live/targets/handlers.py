"""HTTP handlers of the targets API: parse, call the store, serialise."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from culturecast.core.kit import Kit
from culturecast.core.routes import Route, add_routes
from culturecast.live.handlers import TAG
from culturecast.live.targets import schemas
from culturecast.live.targets.store import TargetStore


def setup_routes(kit: Kit, store_of: Callable[[web.Request], TargetStore]) -> None:
    """``GET|POST /api/v1/live/{event_id}/targets``, ``DELETE …/targets/{target_id}``."""

    async def list_targets(request: web.Request) -> web.Response:
        caller = await kit.caller(request)
        items = await store_of(request).list_for(caller, request.match_info["event_id"])
        return kit.json({"items": items})

    async def add(request: web.Request) -> web.Response:
        caller = await kit.caller(request)
        body = await kit.body(request, schemas.TargetCreate)
        fields = {"name": body.name, "url": body.url, "key": body.key}
        target = await store_of(request).add(caller, request.match_info["event_id"], fields)
        return kit.json(target, status=201)

    async def remove(request: web.Request) -> web.Response:
        caller = await kit.caller(request)
        info = request.match_info
        await store_of(request).remove(caller, info["event_id"], info["target_id"])
        return web.Response(status=204)

    path = "/api/v1/live/{event_id}/targets"
    add_routes(kit, TAG, [
        Route("GET", path, list_targets,
              "The event's push targets (转推) with their state; keys are never shown",
              response=schemas.TargetList),
        Route("POST", path, add,
              "Add a push target {name, url, key}: rtmp://, rtmps:// or srt://",
              body=schemas.TargetCreate, response=schemas.Target, status=201),
        Route("DELETE", path + "/{target_id}", remove,
              "Remove a push target (a running push stops)", status=204),
    ])  # fmt: skip
