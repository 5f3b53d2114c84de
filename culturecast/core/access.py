"""Who may do what, where: the roles, the actions, the caller and the one subtree rule.

Every package decides with this module (DESIGN.md § Packages, § Accounts); none repeats it.

- An organization's **subtree** is the organization and everything below it. An object
  carries its ``org_path``: its organization's id first, then the ancestors' ids. The caller
  is *in* the subtree of an object when its own organization is on that path; a platform
  admin is in every subtree.
- **Visibility first, then permission** (:func:`authorize`): an object outside the caller's
  subtree is *not found* (404), so nobody learns what another organization has; an object in
  the subtree that the caller's role may not act on is *forbidden* (403).
- **Staff** (:data:`STAFF_ROLES`: platform admins, org admins, editors) manage content;
  staff of an object's subtree (:func:`manages_subtree`) see its drafts and staff-only fields.
  Viewers are signed-in members of the public: they read what is public, and are told 403
  (not 404) for what they can read but may not change.

This module is pure: no I/O, nothing of ours imported. Looking up an organization's path is
the server's (``server/accounts``, through the kit's ``org_path``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol

from culturecast.core.errors import Forbidden, NotFound, Sentence


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    """Everything, everywhere."""
    ORG_ADMIN = "org_admin"
    """Organizations, users and content in their organization's subtree."""
    EDITOR = "editor"
    """Content (events, resources) in their organization's subtree; not people."""
    VIEWER = "viewer"
    """A signed-in member of the public (history, chat identity)."""


class Action(StrEnum):
    READ_ORG = "read_org"
    MANAGE_ORG = "manage_org"
    READ_USERS = "read_users"
    MANAGE_USERS = "manage_users"
    MANAGE_CONTENT = "manage_content"
    READ_CONTENT = "read_content"
    READ_STATS = "read_stats"


ALLOWED: Final[Mapping[Role, frozenset[Action]]] = {
    Role.PLATFORM_ADMIN: frozenset(Action),
    Role.ORG_ADMIN: frozenset(Action),
    Role.EDITOR: frozenset(
        {Action.READ_ORG, Action.MANAGE_CONTENT, Action.READ_CONTENT, Action.READ_STATS}
    ),
    Role.VIEWER: frozenset(),
}
"""What each role may do in its subtree (platform admins: everywhere)."""

STAFF_ROLES: Final = frozenset({Role.PLATFORM_ADMIN, Role.ORG_ADMIN, Role.EDITOR})
"""Roles that manage content (in their subtree; platform admins everywhere)."""


class Caller(Protocol):
    """A signed-in user as the server's accounts know them (:class:`Principal` fits); None
    stands for anonymous readers and guests wherever a caller is optional."""

    @property
    def user_id(self) -> str: ...

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> Role: ...

    @property
    def org_id(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is making a request (the server builds it from a bearer token)."""

    user_id: str
    """The user's id."""
    username: str
    """Their sign-in name."""
    role: Role
    """Their role."""
    org_id: str | None
    """Their organization (None for platform admins)."""


def is_platform_admin(caller: Caller | None) -> bool:
    """Whether ``caller`` runs the platform (every subtree is theirs)."""
    return caller is not None and caller.role == Role.PLATFORM_ADMIN


def is_staff(caller: Caller | None) -> bool:
    """Whether ``caller`` manages content somewhere (their subtree, or everywhere)."""
    return caller is not None and caller.role in STAFF_ROLES


def in_subtree(caller: Caller | None, org_path: Sequence[str]) -> bool:
    """Whether ``caller``, whatever its role, belongs to the subtree holding an object of
    ``org_path`` (its organization first, then the ancestors): its own organization is on
    the path, or it runs the platform."""
    if caller is None:
        return False
    if caller.role == Role.PLATFORM_ADMIN:
        return True
    return caller.org_id is not None and caller.org_id in org_path


def manages_subtree(caller: Caller | None, org_path: Sequence[str]) -> bool:
    """Whether ``caller`` is staff of the subtree holding an object of ``org_path``: it sees
    the object's drafts and staff-only fields, and may moderate its chat."""
    return is_staff(caller) and in_subtree(caller, org_path)


def may(caller: Caller, action: Action) -> bool:
    """Whether the caller's role may ever do ``action`` (in its subtree)."""
    return action in ALLOWED.get(Role(caller.role), frozenset())


def require_role(caller: Caller, action: Action) -> None:
    """Raise Forbidden when the role may never do ``action`` (for listings and creation)."""
    if not may(caller, action):
        raise Forbidden(
            Sentence(
                f"你的角色（{caller.role}）无权执行此操作（{action}）。",
                f"Your role ({caller.role}) may not do this ({action}).",
            )
        )


def authorize(caller: Caller, action: Action, org_path: Sequence[str], not_found: Sentence) -> None:
    """Raise NotFound (saying ``not_found``) when an object of ``org_path`` is outside the
    caller's subtree, Forbidden when the role may not do ``action``; return when allowed."""
    if not in_subtree(caller, org_path):
        raise NotFound(not_found)
    require_role(caller, action)


def subtree_filter(caller: Caller) -> dict[str, str | None]:
    """A database filter for the objects (carrying ``org_path``) of the caller's subtree."""
    return {} if is_platform_admin(caller) else {"org_path": caller.org_id}


def assignable_roles(caller: Caller) -> frozenset[Role]:
    """Roles the caller may give to users it creates or edits."""
    if caller.role == Role.PLATFORM_ADMIN:
        return frozenset(Role)
    if caller.role == Role.ORG_ADMIN:
        return frozenset({Role.ORG_ADMIN, Role.EDITOR, Role.VIEWER})
    return frozenset()
