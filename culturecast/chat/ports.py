"""What chat needs from the rest of the system, as Protocols the composition root fills.

Chat may import only ``storage`` (DESIGN.md § Packages), so live events, accounts and
the Socket.IO transport reach it through these small interfaces.
"""

from __future__ import annotations

from typing import Any, Protocol

from culturecast.chat.access import EventView
from culturecast.core.access import Caller
from culturecast.core.mediatime import Timeline


class LiveEvents(Protocol):
    """Read-only access to live events (the live package's ``live_events``)."""

    async def get(self, event_id: str) -> EventView | None:
        """The event as chat sees it, or None when there is no such event."""

    def may_see(self, caller: Caller | None, event: EventView) -> bool:
        """Whether ``caller`` (None: a guest or an anonymous reader) may see the event — its
        room, history, messages and replay comments — by the live package's rule."""


class MediaTimelines(Protocol):
    """How far each show's media had got by each moment (``core/mediatime.py``), recorded by
    the live package while it was on air."""

    async def media_timeline(self, event_id: str) -> Timeline | None:
        """The show's ``(wall, media)`` points, or None when it has none (yet)."""


class Identities(Protocol):
    """Accounts and organizations, as far as chat needs them."""

    async def caller_from_token(self, token: str) -> Caller | None:
        """The user behind a bearer token, or None when it is unknown or expired."""

    async def guest_chat(self, org_id: str) -> bool:
        """Whether the organization lets guests (a nickname, no account) comment."""


class UserNames(Protocol):
    """The accounts' user names, so that no guest takes one as a nickname."""

    async def is_user_name(self, nickname: str) -> bool:
        """Whether a user account goes by ``nickname`` (compared as ``names.fold`` does)."""


class Emitter(Protocol):
    """The Socket.IO side: rooms and emits on the chat namespace."""

    async def emit(
        self, event: str, data: Any, *, to: str | None = None, local: bool = False
    ) -> None:
        """Send ``event`` to one socket id or room name ``to``. ``local`` delivers only to
        this process's sockets (each process pushes its own periodic figures)."""

    async def enter_room(self, sid: str, room: str) -> None: ...

    async def leave_room(self, sid: str, room: str) -> None: ...
