"""A feature's documented routes as one table: a row per route, added by one loop, so the
table reads as the feature's API (method, path, what it does) without the keyword noise of
one ``add_route`` call each."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from culturecast.core.kit import Handler, Kit


@dataclass(frozen=True, slots=True)
class Route:
    """One documented route (the fields of :class:`~culturecast.core.kit.RouteDoc`)."""

    method: str
    path: str
    handler: Handler
    summary: str
    """One line for the OpenAPI document."""
    body: type | None = None
    """Request body struct, if any."""
    raw_body: tuple[str, ...] = ()
    """Content types of a raw (non-JSON) request body, such as a cover's image types."""
    response: type | None = None
    """Response body struct, if any."""
    status: int = 200
    """Success status."""
    auth: bool = True
    """Whether a bearer token is required."""


def add_routes(kit: Kit, tag: str, routes: Iterable[Route]) -> None:
    """Add ``routes`` to ``kit``, grouped under ``tag`` in the document."""
    for route in routes:
        kit.add_route(
            route.method,
            route.path,
            route.handler,
            summary=route.summary,
            tag=tag,
            body=route.body,
            raw_body=route.raw_body,
            response=route.response,
            status=route.status,
            auth=route.auth,
        )
