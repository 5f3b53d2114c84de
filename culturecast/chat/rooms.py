"""A room as this process holds it, and the names rooms are known by elsewhere: the
Socket.IO room, the counters' keys and the pub/sub channel every api process listens on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from culturecast.chat.access import EventView
from culturecast.chat.policy import RoomState
from culturecast.chat.store import RoomSettings

ROOMS_CHANNEL: Final = "chat:rooms"
"""Counters pub/sub channel: an event id whose room settings changed."""


def room_name(event_id: str) -> str:
    """The Socket.IO room of one live event."""
    return f"event:{event_id}"


def moderators_room(event_id: str) -> str:
    """The Socket.IO room of one live event's moderators (they hear ``sanctions``)."""
    return f"moderators:{event_id}"


def likes_key(event_id: str) -> str:
    return f"chat:likes:{event_id}"


def viewers_key(event_id: str) -> str:
    return f"chat:viewers:{event_id}"


def alive_key(process_id: str) -> str:
    return f"chat:alive:{process_id}"


def slow_key(event_id: str, user_id: str) -> str:
    return f"chat:slow:{event_id}:{user_id}"


@dataclass(slots=True)
class LocalRoom:
    """This process's view of one room with at least one local member."""

    event: EventView
    state: RoomState
    settings: RoomSettings
    guests_allowed: bool
    members: set[str] = field(default_factory=set)
    watchers: set[str] = field(default_factory=set)
    """The members counted as viewers (not a moderation console's connection)."""
    likes_pending: int = 0
    likes_sent: int = -1

    def apply_settings(self) -> None:
        """Make the comment policy's state follow the event and the stored settings."""
        state, settings = self.state, self.settings
        state.live = self.event.live
        state.open = not settings.closed
        state.slow_mode_seconds = float(settings.slow_mode)
        state.muted = dict(settings.muted)
        state.banned = dict(settings.banned)

    def chat_state(self) -> dict[str, Any]:
        """The ``chat_state`` event's body."""
        return {
            "open": self.event.live and not self.settings.closed,
            "live": self.event.live,
            "closed": self.settings.closed,
            "slow_mode": self.settings.slow_mode,
            "guests": self.guests_allowed,
        }
