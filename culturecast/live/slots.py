"""Which RTMP connections an ingest process keeps: pure policy, time as a parameter.

A connection costs a slot from accept on, long before it says who it is, so anyone can
try to take them all. The rules, in the order they apply to a new connection:

1. One address (an IPv4 address, an IPv6 /64) may hold ``max_per_address`` connections that
   are not publishing; more are refused (``too_many_connections``). Publishing connections
   do not count: one studio may push several events from behind one NAT.
2. Below ``max_connections`` the connection is admitted.
3. When full, it takes the slot of a connection still in its handshake: the oldest one of
   the address that holds the most such connections. A real client finishes its handshake
   in one round trip, so slots stay open to it however many sockets send only C0; a
   connection that got past the handshake is never displaced.
4. Otherwise it is refused (``ingest_busy``).
"""

from __future__ import annotations

import enum
import ipaddress
import itertools
from collections.abc import Hashable
from dataclasses import dataclass

from culturecast.live.admission import Refusal, address_full, ingest_full


class Stage(enum.Enum):
    """How far a connection has come."""

    HANDSHAKE = "handshake"
    CONNECTED = "connected"
    PUBLISHING = "publishing"


def address_group(host: str) -> str:
    """The unit rule 1 counts: an IPv4 address, an IPv6 /64 (one subscriber's usual
    allocation), the IPv4 address inside an IPv4-mapped IPv6 one; anything else as is."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


@dataclass(frozen=True, slots=True)
class Admission:
    """What to do with a new connection."""

    refusal: Refusal | None = None
    """Why it is refused (None: admitted)."""
    evict: Hashable | None = None
    """A connection still in its handshake to close so that the new one has its slot."""


@dataclass(slots=True)
class _Entry:
    group: str
    stage: Stage
    order: int
    """Admission order: smaller is older."""


class ConnectionSlots:
    """The process's connections by address group and stage (keys are the host's objects)."""

    def __init__(self, *, max_connections: int, max_per_address: int) -> None:
        """``max_per_address`` 0 turns rule 1 off (every client behind one proxy)."""
        if max_connections < 1 or max_per_address < 0:
            raise ValueError("max_connections must be positive, max_per_address not negative")
        self.max_connections = max_connections
        self.max_per_address = max_per_address
        # Insertion order is age: the first key of a group's handshakes is its oldest.
        self._entries: dict[Hashable, _Entry] = {}
        self._unpublished: dict[str, int] = {}
        self._handshakes: dict[str, dict[Hashable, None]] = {}
        self._order = itertools.count()

    def __len__(self) -> int:
        return len(self._entries)

    def admit(self, key: Hashable, host: str) -> Admission:
        """Decide on a new connection from ``host``; admitted ones are tracked from here on
        (an evicted one is no longer)."""
        group = address_group(host)
        limit = self.max_per_address
        if limit and self._unpublished.get(group, 0) >= limit:
            return Admission(refusal=address_full(limit))
        evict: Hashable | None = None
        if len(self._entries) >= self.max_connections:
            evict = self._oldest_handshake_of_the_busiest_group()
            if evict is None:
                return Admission(refusal=ingest_full(self.max_connections))
            self.remove(evict)
        self._entries[key] = _Entry(group, Stage.HANDSHAKE, next(self._order))
        self._unpublished[group] = self._unpublished.get(group, 0) + 1
        self._handshakes.setdefault(group, {})[key] = None
        return Admission(evict=evict)

    def advance(self, key: Hashable, stage: Stage) -> None:
        """The connection reached ``stage`` (a publish that ends goes back to CONNECTED)."""
        entry = self._entries.get(key)
        if entry is None or entry.stage is stage:
            return
        self._leave_stage(key, entry)
        entry.stage = stage
        if stage is not Stage.PUBLISHING:
            self._unpublished[entry.group] = self._unpublished.get(entry.group, 0) + 1
        if stage is Stage.HANDSHAKE:
            self._handshakes.setdefault(entry.group, {})[key] = None

    def remove(self, key: Hashable) -> None:
        """The connection is gone (idempotent)."""
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._leave_stage(key, entry)

    def _leave_stage(self, key: Hashable, entry: _Entry) -> None:
        group = entry.group
        if entry.stage is not Stage.PUBLISHING:
            left = self._unpublished[group] - 1
            if left:
                self._unpublished[group] = left
            else:
                del self._unpublished[group]
        if entry.stage is Stage.HANDSHAKE:
            handshakes = self._handshakes[group]
            del handshakes[key]
            if not handshakes:
                del self._handshakes[group]

    def _oldest_handshake_of_the_busiest_group(self) -> Hashable | None:
        if not self._handshakes:
            return None
        most = max(len(keys) for keys in self._handshakes.values())
        # Each group's first key is its oldest handshake; among equally busy groups, the
        # oldest of those goes.
        oldest = (next(iter(keys)) for keys in self._handshakes.values() if len(keys) == most)
        return min(oldest, key=lambda key: self._entries[key].order)


class LogThrottle:
    """Repeated complaints about one address are logged once per window, with a count.

    A client that reconnects thousands of times a second must not write thousands of log
    lines a second; the first of each (address, code) is logged at once, the rest are
    counted into the next line logged for them.
    """

    def __init__(self, *, window_s: float = 10.0, max_keys: int = 4096) -> None:
        self.window_s = window_s
        self.max_keys = max_keys
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}

    def __len__(self) -> int:
        """(address, code) pairs remembered."""
        return len(self._seen)

    def allow(self, host: str, code: str, now: float) -> int | None:
        """None to stay silent, else how many like it were silenced since the last line."""
        key = (address_group(host), code)
        seen = self._seen.get(key)
        if seen is not None and now - seen[0] < self.window_s:
            self._seen[key] = (seen[0], seen[1] + 1)
            return None
        if seen is None and len(self._seen) >= self.max_keys:
            self._forget(now)
        self._seen[key] = (now, 0)
        return seen[1] if seen is not None else 0

    def _forget(self, now: float) -> None:
        self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self.window_s}
        if len(self._seen) >= self.max_keys:
            self._seen.clear()  # many addresses at once: losing a few counts is fine
