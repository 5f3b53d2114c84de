"""Operational endpoints: liveness, readiness naming each engine, metrics, OpenAPI."""

from __future__ import annotations

from aiohttp import web

from culturecast import __version__
from culturecast.server.api import ApiRoutes
from culturecast.server.context import METRICS, ROLE, ROUTES, SERVICES
from culturecast.server.engines import check_ready
from culturecast.server.jsonapi import json_response


async def healthz(request: web.Request) -> web.Response:
    return json_response({"status": "ok", "version": __version__, "role": request.app[ROLE]})


async def readyz(request: web.Request) -> web.Response:
    services = request.app.get(SERVICES)
    if services is None:
        return json_response({"status": "starting", "engines": {}}, status=503)
    engines = services.engines
    ok, report = await check_ready(
        {
            "database": (engines.database.engine, engines.database.ping),
            "objects": (engines.objects.engine, engines.objects.ping),
            "counters": (engines.counters.engine, engines.counters.ping),
            "jobs": (services.jobs.engine, services.jobs.ping),
        }
    )
    return json_response(
        {"status": "ready" if ok else "unavailable", "engines": report}, status=200 if ok else 503
    )


async def metrics(request: web.Request) -> web.Response:
    return request.app[METRICS].render()


async def openapi(request: web.Request) -> web.Response:
    return json_response(request.app[ROUTES].openapi())


def setup_routes(routes: ApiRoutes) -> None:
    tag = "operations"
    routes.add("GET", "/healthz", healthz, summary="The process is up", tag=tag, auth=False)
    routes.add(
        "GET",
        "/readyz",
        readyz,
        summary="200 only when every engine answers; names each engine",
        tag=tag,
        auth=False,
    )
    routes.add("GET", "/metrics", metrics, summary="Prometheus metrics", tag=tag, auth=False)
    routes.add("GET", "/api/v1/openapi.json", openapi, summary="This document", tag=tag, auth=False)
