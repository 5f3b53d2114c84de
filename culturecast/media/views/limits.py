"""Per-address request limits (anti-inflation, DESIGN.md § Views: "per-IP limits").

Plays are limited exactly: each one adds to a shared counter per address and minute. Heartbeats
are far more frequent, so they are counted in this process and the counts are added to the
shared counter at each write-behind drain: an address over the limit is refused everywhere
within one drain interval, and a heartbeat costs no extra round trip.
"""

from __future__ import annotations

import math
from collections import defaultdict

from culturecast.storage.counters.port import Counters


def _window(now: float, window_s: int) -> int:
    return math.floor(now / window_s)


class AddressLimiter:
    """At most ``limit`` requests per address per ``window_s`` seconds, across processes."""

    def __init__(self, counters: Counters, name: str, limit: int, window_s: int = 60) -> None:
        if limit < 1 or window_s < 1:
            raise ValueError("a limit allows at least one request per second or more")
        self._counters = counters
        self._name = name
        self.limit = limit
        self._window_s = window_s
        # Local heartbeat counts not yet shared, and the shared totals last seen, per window.
        self._unshared: dict[str, int] = defaultdict(int)
        self._shared: dict[str, int] = {}
        self._window_no = -1

    def _key(self, address: str, window_no: int) -> str:
        return f"views:rl:{self._name}:{window_no}:{address}"

    async def hit(self, address: str, now: float, cost: int = 1) -> bool:
        """Count a request exactly (one round trip); False when over the limit."""
        window_no = _window(now, self._window_s)
        key = self._key(address, window_no)
        total = await self._counters.incr(key, cost)
        if total == cost:
            await self._counters.expire(key, 2 * self._window_s)
        return total <= self.limit

    def hit_local(self, address: str, now: float, cost: int = 1) -> bool:
        """Count a request here, judged against the shared total of the last ``sync``."""
        self._roll(now)
        self._unshared[address] += cost
        return self._shared.get(address, 0) + self._unshared[address] <= self.limit

    async def sync(self, now: float) -> None:
        """Add this process's counts to the shared totals and learn the others'."""
        self._roll(now)
        unshared, self._unshared = self._unshared, defaultdict(int)
        for address, count in unshared.items():
            key = self._key(address, self._window_no)
            total = await self._counters.incr(key, count)
            if total == count:
                await self._counters.expire(key, 2 * self._window_s)
            self._shared[address] = total

    def _roll(self, now: float) -> None:
        window_no = _window(now, self._window_s)
        if window_no != self._window_no:
            self._window_no = window_no
            self._unshared.clear()
            self._shared.clear()
