"""Who may read a room, who may comment, who moderates: pure rules over plain data.

The live package owns live events; chat only reads them, through :class:`EventView`,
the few fields it needs, filled in by the composition root from the ``live_events``
collection. Status is the live package's model (DESIGN.md § Live):
``scheduled → live ⇄ reconnecting → ended``.

- **Reading** a room (joining, history, receiving its messages, the replay's comments)
  is for whoever may see the event, by the live package's rule (``live/visibility.py``),
  which chat does not repeat: the composition root's :class:`~culturecast.chat.ports.
  LiveEvents` answers it. Scheduled, live, reconnecting and ended alike, a public event is
  read by anyone; a draft (or disabled) event only by the staff of its subtree, and to
  everyone else it does not exist: ``join`` answers ``not_found`` exactly as for an unknown
  id, so nobody learns that it does.
- **Commenting** needs the show to be on: ``live`` or ``reconnecting`` (a publisher
  drop is not the end of the show, so the chat stays open through the grace period).
- **Moderating** is for the event organization's staff: org admins and editors of its
  subtree (their organization is on the event's ``org_path``), and platform admins — the
  kernel's subtree rule (``core/access.py``), not repeated here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from culturecast.core.access import Caller, manages_subtree

LIVE_STATUSES: Final = frozenset({"live", "reconnecting"})
"""Statuses in which comments are accepted."""


@dataclass(frozen=True, slots=True)
class EventView:
    """What chat reads of a live event."""

    id: str
    """The event id (also the room's name)."""
    org_id: str
    """The organization the event belongs to."""
    org_path: tuple[str, ...]
    """``org_id`` then its ancestors, as stored on the event."""
    status: str
    """``scheduled``, ``live``, ``reconnecting`` or ``ended``."""
    started_at: float | None = None
    """When the show first went live (epoch seconds); comment offsets count from it."""
    public: bool = False
    """Anyone may see it (published, not disabled); otherwise only the staff of its subtree."""

    @property
    def live(self) -> bool:
        """Whether comments are accepted (``live`` or ``reconnecting``)."""
        return self.status in LIVE_STATUSES

    def offset_of(self, at: float) -> float:
        """Seconds from the show's start to ``at`` (0 before it started)."""
        if self.started_at is None:
            return 0.0
        return max(0.0, at - self.started_at)


def is_moderator(caller: Caller | None, event: EventView) -> bool:
    """Whether ``caller`` moderates the event's chat: staff of its subtree (``core/access``)."""
    return manages_subtree(caller, event.org_path)
