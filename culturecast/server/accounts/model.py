"""Roles, organization levels and the signed-in principal."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    """Everything, everywhere."""
    ORG_ADMIN = "org_admin"
    """Organizations, users and content in their organization's subtree."""
    EDITOR = "editor"
    """Content (events, resources) in their organization's subtree; not people."""
    VIEWER = "viewer"
    """A signed-in member of the public (history, chat identity)."""


class Level(IntEnum):
    """The five levels of the public culture service network (DESIGN.md § Accounts)."""

    PROVINCE = 1
    CITY = 2
    COUNTY = 3
    TOWNSHIP = 4
    VILLAGE = 5


LEVEL_NAMES = {
    Level.PROVINCE: "province",
    Level.CITY: "city",
    Level.COUNTY: "county",
    Level.TOWNSHIP: "township",
    Level.VILLAGE: "village",
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is making a request."""

    user_id: str
    """The user's id."""
    username: str
    """Their sign-in name."""
    role: Role
    """Their role."""
    org_id: str | None
    """Their organization (None for platform admins)."""
