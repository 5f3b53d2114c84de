"""What the media package needs from the composition root's HTTP kit (``server/kit.py``).

``media`` may not import ``server`` (DESIGN.md § Packages), so these Protocols state the
small part of the kit and of the signed-in principal it uses; the server passes its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PLATFORM_ADMIN = "platform_admin"
ORG_ADMIN = "org_admin"
EDITOR = "editor"
STAFF_ROLES = frozenset({PLATFORM_ADMIN, ORG_ADMIN, EDITOR})
"""Roles that manage content (everyone else sees only what is published)."""


class Caller(Protocol):
    """The signed-in principal."""

    @property
    def user_id(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def org_id(self) -> str | None: ...


class Kit(Protocol):
    """Request helpers of the HTTP kit."""

    def add_route(
        self,
        method: str,
        path: str,
        handler: Handler,
        *,
        summary: str,
        tag: str,
        body: type | None = None,
        response: type | None = None,
        status: int = 200,
        auth: bool = True,
    ) -> None: ...

    async def caller(self, request: web.Request) -> Caller: ...

    async def optional_caller(self, request: web.Request) -> Caller | None: ...

    async def body[T](
        self, request: web.Request, model: type[T], *, text_ok: bool = False
    ) -> T: ...

    def json(
        self, data: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> web.Response: ...

    def authorize(self, caller: Any, action: str, org_path: list[str], what: str) -> None: ...

    async def org_path(self, caller: Any, org_id: str, action: str) -> list[str]: ...


def is_staff(caller: Caller | None) -> bool:
    """Whether the caller manages content somewhere (their subtree, or everywhere)."""
    return caller is not None and str(caller.role) in STAFF_ROLES


def in_subtree(caller: Caller | None, org_path: list[str]) -> bool:
    """Whether the caller is staff of the subtree holding an object of organization path
    ``org_path`` (it sees the object's drafts and staff-only fields). The live package's
    ``visibility.sees_drafts`` is the same test: the packages may not import each other."""
    if caller is None or not is_staff(caller):
        return False
    if str(caller.role) == PLATFORM_ADMIN:
        return True
    return caller.org_id is not None and caller.org_id in org_path
