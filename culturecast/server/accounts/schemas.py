"""Request and response bodies of the accounts API (also the OpenAPI schemas)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from culturecast.core.access import Role
from culturecast.core.referer import MAX_ENTRIES, MAX_HOST_LENGTH
from culturecast.core.sites import MAX_EXPECTED_LEARNERS

type ExpectedLearners = Annotated[
    int,
    msgspec.Meta(
        ge=0,
        le=MAX_EXPECTED_LEARNERS,
        description=f"People the site should reach, 0 to {MAX_EXPECTED_LEARNERS} (应学人数).",
    ),
]


class Strict(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Request bodies: unknown fields are refused, so a typo never passes silently."""


class LoginRequest(Strict):
    username: str
    password: str


class OrgCreate(Strict):
    name: str
    parent_id: str | None = None
    guest_chat: bool = True
    site_type: str = "other"
    expected_learners: ExpectedLearners = 0


class OrgUpdate(Strict):
    name: str | None = None
    guest_chat: bool | None = None
    site_type: str | None = None
    expected_learners: ExpectedLearners | None = None
    referer_allow: (
        Annotated[
            list[Annotated[str, msgspec.Meta(max_length=MAX_HOST_LENGTH)]],
            msgspec.Meta(max_length=MAX_ENTRIES),
        ]
        | None
    ) = None
    """防盗链: the sites whose pages may embed this organization's media (empty: any)."""


class UserCreate(Strict):
    username: str
    password: str
    role: Role
    org_id: str | None = None
    display_name: str | None = None


class UserUpdate(Strict):
    display_name: str | None = None
    password: str | None = None
    role: Role | None = None
    disabled: bool | None = None


class User(msgspec.Struct):
    id: str
    username: str
    display_name: str
    role: Role
    org_id: str | None
    disabled: bool
    created_at: float


class Org(msgspec.Struct):
    id: str
    name: str
    level: int
    level_name: str
    parent_id: str | None
    ancestors: list[str]
    guest_chat: bool
    site_type: str
    expected_learners: int
    created_at: float
    referer_allow: list[str] = []


class LoginResponse(msgspec.Struct):
    token: str
    expires_at: float
    user: User


class OrgList(msgspec.Struct):
    items: list[Org]


class UserList(msgspec.Struct):
    items: list[User]
