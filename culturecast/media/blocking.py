"""Blocking playlist reload (LL-HLS, RFC 8216bis §6.2.5.2) for the delivery.

One subscription per api process to the parts channel (:data:`PART_CHANNEL`, published by
the ingest's packager through the counters, so memory in one process or Redis across N):
every message wakes the requests held for that playlist, which then read it again from the
store and decide (:func:`culturecast.core.llhls.reload_decision`). Nothing polls: a request
sleeps until a part of its playlist is announced or its deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from culturecast.core.llhls import PART_CHANNEL, parse_part_message
from culturecast.storage.counters.port import Counters, Subscription

log = logging.getLogger(__name__)


class PartWaiter:
    """Who is waiting for which playlist's next part, in this process."""

    def __init__(self, counters: Counters) -> None:
        self._counters = counters
        self._events: dict[str, asyncio.Event] = {}
        self._subscription: Subscription | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._subscription = await self._counters.subscribe(PART_CHANNEL)
        self._task = asyncio.create_task(self._listen(self._subscription))

    def next_part(self, playlist_key: str) -> asyncio.Event:
        """Set when the next part of ``playlist_key`` is announced (take it *before* reading
        the playlist, so an announcement in between is not missed)."""
        event = self._events.get(playlist_key)
        if event is None:
            event = self._events[playlist_key] = asyncio.Event()
        return event

    async def _listen(self, subscription: Subscription) -> None:
        async for raw in subscription:
            parsed = parse_part_message(raw)
            if parsed is None:
                continue
            event = self._events.pop(parsed[0], None)
            if event is not None:
                event.set()

    async def close(self) -> None:
        if self._subscription is not None:
            await self._subscription.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        for event in self._events.values():
            event.set()
        self._events.clear()
