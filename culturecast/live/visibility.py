"""Who may see a live event, and so its replay, its chat, its replay comments and its media.

The rule, pure (DESIGN.md § Accounts: "nobody reads another organization's events"):

- An event is **public** when it is published and not disabled. Anyone sees a public event:
  anonymous readers, guests, viewers, staff of any organization.
- Any other event — a draft (``published: false``) or a disabled one — is seen only by the
  **staff of its subtree**: org admins and editors whose organization is the event's or one of
  its ancestors (on its ``org_path``), and platform admins. To everyone else it does not
  exist: the API answers 404 as for an unknown id, the chat ``not_found`` as for an unknown
  room, ``/media`` 404 — so nobody learns that it does.
- **Staff-only fields** (who created it, its health, why it stopped, …) are for the same
  staff, public event or not.
- The **replay** (直播回看) follows its event: the resource it becomes is published exactly
  while the event is public (the composition root keeps the two in step), and its media lies
  under the event's ``live/<event_id>/`` keys, so this rule decides who gets them.

The live API, the chat (through the room reader the composition root gives it), the replay
comments, the replay's catalogue entry and ``/media/live/…`` all decide with this module.
Resources that are not replays follow the same shape of rule in ``media/catalogue/query.py``
(public there means published and ready): ``live`` and ``media`` may not import each other,
so the staff-of-the-subtree test exists in both until the shared kernel (``core/``, DESIGN.md
§ Packages) holds it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol

PLATFORM_ADMIN: Final = "platform_admin"
STAFF_ROLES: Final = frozenset({PLATFORM_ADMIN, "org_admin", "editor"})
"""Roles that manage content (in their subtree; platform admins everywhere)."""

PUBLIC_FILTER: Final[Mapping[str, Any]] = {"published": True, "disabled": False}
"""The database filter of public events (:func:`is_public` as a query)."""


class Caller(Protocol):
    """A signed-in user (``server``'s Principal fits); None stands for anonymous readers and
    guests."""

    @property
    def role(self) -> str: ...

    @property
    def org_id(self) -> str | None: ...


def is_public(event: Mapping[str, Any]) -> bool:
    """Whether anyone may see the event (a stored event document, or its facts)."""
    return bool(event.get("published")) and not event.get("disabled")


def sees_drafts(caller: Caller | None, org_path: Sequence[str]) -> bool:
    """Whether ``caller`` is staff of the subtree holding an object of ``org_path`` (its
    organization first, then the ancestors): they see its drafts and staff-only fields."""
    if caller is None:
        return False
    role = str(caller.role)
    if role == PLATFORM_ADMIN:
        return True
    return role in STAFF_ROLES and caller.org_id is not None and caller.org_id in org_path


def may_see(caller: Caller | None, org_path: Sequence[str], *, public: bool) -> bool:
    """Whether ``caller`` may see an event (its page, room, comments, replay, media)."""
    return public or sees_drafts(caller, org_path)
