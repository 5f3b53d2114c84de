"""Authorization: one pure helper every handler goes through.

Visibility first, then permission: an object outside the principal's subtree is reported as
*not found* (404), so nobody learns what another organization has; an object in the subtree
that the role may not act on is *forbidden* (403).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from culturecast.server.accounts.model import Principal, Role
from culturecast.server.errors import Forbidden, NotFound


class Action(StrEnum):
    READ_ORG = "read_org"
    MANAGE_ORG = "manage_org"
    READ_USERS = "read_users"
    MANAGE_USERS = "manage_users"
    MANAGE_CONTENT = "manage_content"
    READ_CONTENT = "read_content"
    READ_STATS = "read_stats"


_ALLOWED: dict[Role, frozenset[Action]] = {
    Role.PLATFORM_ADMIN: frozenset(Action),
    Role.ORG_ADMIN: frozenset(Action),
    Role.EDITOR: frozenset(
        {Action.READ_ORG, Action.MANAGE_CONTENT, Action.READ_CONTENT, Action.READ_STATS}
    ),
    Role.VIEWER: frozenset(),
}


def in_subtree(principal: Principal, org_id: str, ancestors: Sequence[str]) -> bool:
    """Whether the organization ``org_id`` (with its ancestor ids) is the principal's own
    organization or below it."""
    if principal.role is Role.PLATFORM_ADMIN:
        return True
    if principal.org_id is None:
        return False
    return org_id == principal.org_id or principal.org_id in ancestors


def authorize(principal: Principal, action: Action, org: Mapping[str, Any], what: str) -> None:
    """Raise NotFound when ``org`` is outside the principal's subtree, Forbidden when the role
    may not do ``action``; return when allowed. ``what`` names the object for the message."""
    if not in_subtree(principal, org["_id"], org.get("ancestors", [])):
        raise NotFound(f"{what} not found")
    if action not in _ALLOWED[principal.role]:
        raise Forbidden(f"your role ({principal.role}) may not do this ({action})")


def require_role(principal: Principal, action: Action) -> None:
    """Raise Forbidden when the role may never do ``action`` (for listings and creation)."""
    if action not in _ALLOWED[principal.role]:
        raise Forbidden(f"your role ({principal.role}) may not do this ({action})")


def subtree_filter(principal: Principal, field: str = "org_id") -> dict[str, Any]:
    """A database filter for objects whose ``field`` is an organization in the principal's
    subtree. Objects carry ``org_path`` (the org and its ancestors) for this."""
    if principal.role is Role.PLATFORM_ADMIN:
        return {}
    return {"org_path": principal.org_id}


def assignable_roles(principal: Principal) -> frozenset[Role]:
    """Roles the principal may give to users it creates or edits."""
    if principal.role is Role.PLATFORM_ADMIN:
        return frozenset(Role)
    if principal.role is Role.ORG_ADMIN:
        return frozenset({Role.ORG_ADMIN, Role.EDITOR, Role.VIEWER})
    return frozenset()
