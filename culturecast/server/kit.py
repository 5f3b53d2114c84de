"""The HTTP kit the composition root hands to feature packages (live, media, chat).

Feature packages may not import ``server`` (DESIGN.md § Packages): they type what they use of
it as ``core.kit.Kit``, and ``server/features/*.py`` passes them this implementation (mypy
checks that it satisfies the Protocol where it is passed). Who may do what is decided by
``core/access.py``, pure; errors are ``core.errors.ClientError``s, which the middleware
renders as the documented JSON error.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from culturecast.core.access import Action, Caller, Principal
from culturecast.core.errors import Unauthorized
from culturecast.server.api import ApiRoutes
from culturecast.server.auth import bearer_token, require_principal
from culturecast.server.context import SERVICES
from culturecast.server.jsonapi import json_response, read_json


class HttpKit:
    """Request helpers bound to one application."""

    def __init__(self, app: web.Application, routes: ApiRoutes) -> None:
        self._app = app
        self.routes = routes
        self.add_route = routes.add
        """Add a documented API route (it appears in ``/api/v1/openapi.json``)."""

    async def caller(self, request: web.Request) -> Principal:
        """The signed-in caller (``user_id``, ``username``, ``role``, ``org_id``), or 401."""
        return await require_principal(request, self._app[SERVICES].accounts)

    async def optional_caller(self, request: web.Request) -> Principal | None:
        """The caller when a valid token is sent, None when none is; 401 for a bad token."""
        if bearer_token(request) is None:
            return None
        return await self.caller(request)

    async def caller_from_token(self, token: str) -> Principal | None:
        """The principal behind a raw token (Socket.IO auth), or None when invalid."""
        try:
            return await self._app[SERVICES].accounts.authenticate(token)
        except Unauthorized:
            return None

    async def is_user_name(self, name: str) -> bool:
        """Whether a user account goes by ``name`` (NFKC, case-insensitive)."""
        return await self._app[SERVICES].accounts.is_user_name(name)

    async def body[T](self, request: web.Request, model: type[T], *, text_ok: bool = False) -> T:
        """The JSON body decoded into ``model`` (400/413/415 with a clear message);
        ``text_ok`` also takes it sent as text/plain (``navigator.sendBeacon``)."""
        return await read_json(request, model, text_ok=text_ok)

    async def raw_body(self, request: web.Request, max_bytes: int) -> bytes | None:
        """The body as bytes, or None when it is larger than ``max_bytes`` (the app's
        ``client_max_size`` is for JSON: this reads the stream itself, at most one byte past
        the limit)."""
        if request.content_length is not None and request.content_length > max_bytes:
            return None
        chunks: list[bytes] = []
        size = 0
        while chunk := await request.content.read(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    def json(
        self, data: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> web.Response:
        return json_response(data, status=status, headers=headers)

    async def org_path(self, caller: Caller, org_id: str, action: Action) -> list[str]:
        """``[org_id, *ancestors]`` of an organization the caller may do ``action`` in (404
        when unknown or foreign, 403 when the role may not) — stored on new objects so later
        checks need no lookup."""
        accounts = self._app[SERVICES].accounts
        doc = await accounts.visible_org(caller, org_id, action)
        return [doc["_id"], *doc.get("ancestors", [])]

    async def org_info(self, org_id: str) -> dict[str, Any] | None:
        """Public facts of an organization (id, name, level, parent, ancestors, guest_chat)."""
        accounts = self._app[SERVICES].accounts
        try:
            doc = await accounts.get_org_doc(org_id)
        except Exception:
            return None
        return {
            "id": doc["_id"],
            "name": doc["name"],
            "level": doc["level"],
            "parent_id": doc.get("parent_id"),
            "ancestors": doc.get("ancestors", []),
            "guest_chat": bool(doc.get("guest_chat", True)),
        }
