"""The feature kit: what the live, media and chat packages use of the composition root's
HTTP helpers (``server/kit.py`` ``HttpKit`` is the one implementation).

The feature packages may not import ``server`` (DESIGN.md § Packages), so this Protocol is the
seam, declared once: documented routes, who is calling, a typed JSON body, a JSON response,
and the organization path of an organization the caller may act in (the one part that needs
the database). Deciding who may do what is pure and lives beside it in ``core/access.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NotRequired, Protocol, TypedDict, Unpack

from aiohttp import web

from culturecast.core.access import Action, Caller

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class RouteDoc(TypedDict):
    """What the OpenAPI document says of a route."""

    summary: str
    """One line for the document."""
    tag: str
    """Group in the document."""
    body: NotRequired[type | None]
    """Request body struct, if any."""
    raw_body: NotRequired[tuple[str, ...]]
    """Content types of a raw (non-JSON) request body, such as a cover's image types."""
    response: NotRequired[type | None]
    """Response body struct, if any."""
    status: NotRequired[int]
    """Success status (200 when not given)."""
    auth: NotRequired[bool]
    """Whether a bearer token is required (True when not given)."""


class OrgPaths(Protocol):
    """The organizations, as a feature service needs them (no HTTP)."""

    async def org_path(self, caller: Caller, org_id: str, action: Action) -> list[str]:
        """``[org_id, *ancestors]`` of an organization the caller may do ``action`` in (404
        when unknown or foreign, 403 when the role may not) — stored on new objects so later
        checks need no lookup."""
        ...


class Kit(OrgPaths, Protocol):
    """Request helpers of the HTTP kit."""

    def add_route(self, method: str, path: str, handler: Handler, **doc: Unpack[RouteDoc]) -> None:
        """Add a documented route (it appears in ``/api/v1/openapi.json``)."""
        ...

    async def caller(self, request: web.Request) -> Caller:
        """The signed-in caller, or 401."""
        ...

    async def optional_caller(self, request: web.Request) -> Caller | None:
        """The caller when a valid token is sent, None when none is; 401 for a bad token."""
        ...

    async def body[T](self, request: web.Request, model: type[T], *, text_ok: bool = False) -> T:
        """The JSON body decoded into ``model`` (400/413/415 with a clear message)."""
        ...

    async def raw_body(self, request: web.Request, max_bytes: int) -> bytes | None:
        """The body as bytes (an image), or None when it is larger than ``max_bytes`` (by its
        ``Content-Length``, or once more has arrived): never more is read or held."""
        ...

    def json(
        self, data: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> web.Response:
        """A JSON response of ``data`` (anything msgspec encodes)."""
        ...
