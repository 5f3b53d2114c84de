"""``GET /api/v1/jobs/{job_id}``: a job's state and progress (platform admins)."""

from __future__ import annotations

import msgspec
from aiohttp import web

from culturecast.core.access import Role
from culturecast.core.errors import NotFound
from culturecast.server.api import ApiRoutes
from culturecast.server.auth import require_principal
from culturecast.server.context import SERVICES
from culturecast.server.jsonapi import json_response


class Job(msgspec.Struct):
    id: str
    name: str
    status: str
    attempts: int
    progress: float
    error: str | None
    created: float
    updated: float


async def get_job(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    principal = await require_principal(request, services.accounts)
    record = await services.job_records.get(request.match_info["job_id"])
    # Jobs of organizations' content are reported through their resources; the raw queue is
    # the platform operators' view.
    if record is None or principal.role != Role.PLATFORM_ADMIN:
        raise NotFound("job not found")
    return json_response(
        Job(
            id=record.job_id,
            name=record.name,
            status=str(record.status),
            attempts=record.attempts,
            progress=record.progress,
            error=record.error,
            created=record.created,
            updated=record.updated,
        )
    )


def setup_routes(routes: ApiRoutes) -> None:
    routes.add(
        "GET",
        "/api/v1/jobs/{job_id}",
        get_job,
        summary="A job's state and progress",
        tag="operations",
        response=Job,
    )
