"""What this process knows of live shows being on air, for accounting their live sessions.

A live session accrues no watch time after its show ended and is no longer a concurrent viewer
(``policy``: ``show_ended_at``). The live package owns the events and view counting may not
import it, so the answer comes from the item resolver — the database lookup that ``/play``
does, which every api process shares, whichever ingest process ended the show. It is trusted
for ``refresh_s``; a status notice from the live package (its pub/sub channel, wired in
``server/``) forgets it at once, so the next beat reads the event again. A show that has ended
stays ended: only the answer "on air" is re-read.

Between an end and a process learning of it (the notice's delivery, or at most ``refresh_s``
should the notice be lost), a beat can accrue up to that much time after the end; every later
beat of the session is clipped at the end the event records.

Heartbeats never wait on more than one read per show and process at a time, and a database
that does not answer does not refuse them: the last answer (else "on air") holds until the
next try, ``refresh_s`` later.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

from culturecast.media.views.items import ItemResolver
from culturecast.media.views.policy import ItemType

log = logging.getLogger("culturecast.views")

_MEMORY = 4096
"""Shows remembered at once (an ended show is remembered until pushed out)."""


class OnAirShows:
    """When each live show went off air (None: on air), as last read from its event."""

    def __init__(self, resolver: ItemResolver, refresh_s: float) -> None:
        self._resolver = resolver
        self._refresh_s = refresh_s
        # event id -> (when it ended, or None while on air; when this process read that)
        self._known: OrderedDict[str, tuple[float | None, float]] = OrderedDict()
        self._reading: dict[str, asyncio.Future[float | None]] = {}
        self.reads = 0
        """Events read through the resolver so far."""

    def cached(self, event_id: str, now: float) -> tuple[bool, float | None]:
        """``(True, ended_at)`` when this process knows the answer at ``now``; ``(False, None)``
        when the event must be read (``read``)."""
        known = self._known.get(event_id)
        if known is None:
            return False, None
        ended_at, read_at = known
        if ended_at is not None or 0 <= now - read_at < self._refresh_s:
            return True, ended_at
        return False, None

    async def read(self, event_id: str, now: float) -> float | None:
        """Read the event: when it went off air, or None while it is on air. An event that is
        gone (deleted or disabled) or ended without saying when is off air from ``now``."""
        reading = self._reading.get(event_id)
        if reading is None:
            reading = asyncio.ensure_future(self._read(event_id, now))
            self._reading[event_id] = reading
            reading.add_done_callback(lambda _: self._reading.pop(event_id, None))
        # Shielded: a beat whose request is cancelled does not cancel the others' read.
        return await asyncio.shield(reading)

    async def _read(self, event_id: str, now: float) -> float | None:
        try:
            item = await self._resolver.resolve(ItemType.LIVE, event_id)
        except Exception as exc:
            known = self._known.get(event_id)
            ended_at = None if known is None else known[0]
            log.warning("could not read live event %s (%s); keeping what is known", event_id, exc)
            self._remember(event_id, ended_at, now)
            return ended_at
        self.reads += 1
        if item is None:
            ended_at = now
        elif item.is_live:
            ended_at = None
        else:
            ended_at = item.ended_at if item.ended_at is not None else now
        self._remember(event_id, ended_at, now)
        return ended_at

    def on_air(self, event_id: str, now: float) -> None:
        """The event was read as on air at ``now`` (by ``/play``)."""
        self._remember(event_id, None, now)

    def forget(self, event_id: str) -> None:
        """The event's status changed: read it again on its next beat."""
        self._known.pop(event_id, None)

    def _remember(self, event_id: str, ended_at: float | None, now: float) -> None:
        known = self._known
        known[event_id] = (ended_at, now)
        known.move_to_end(event_id)
        while len(known) > _MEMORY:
            known.popitem(last=False)
