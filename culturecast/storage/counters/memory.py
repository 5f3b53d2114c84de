"""The embedded twin of Redis for the counters port: plain dicts and sets in this process.

Everything runs on the event loop thread between two awaits, so each operation is atomic
without locks, which is what the port promises. Expiry is judged by the injected clock: a key
is checked whenever it is touched (lazy expiry) and every write also pops the deadlines that
have passed from a heap (the sweep), so keys nobody reads again do not pile up.

Keys hold one kind each, as in Redis: a string (counters and flags share it), a hash of numbers,
a unique set or a presence set. Using a key as another kind raises ``StorageError``.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Final

from culturecast.storage.counters.port import Subscription
from culturecast.storage.errors import EngineUnavailable, StorageError

#: How many undelivered messages one subscriber may hold before the oldest are dropped.
DEFAULT_SUBSCRIBER_BUFFER = 1000


class _UniqueSet(set[str]):
    """A distinct-count set; its own type so it is never mistaken for another kind."""


class _Presence(dict[str, float]):
    """Member to last-seen time."""


class _NumberHash(dict[str, float]):
    """A hash of numbers."""


type _Value = int | str | _NumberHash | _UniqueSet | _Presence


class Inbox:
    """Messages waiting for one subscriber, bounded so a slow reader cannot exhaust memory.

    When the buffer is full the oldest message is dropped to make room: live chat and viewer
    counts value the newest messages, and pub/sub promises at most once delivery anyway.
    ``close`` ends iteration at once; undelivered messages are discarded. ``fail`` ends it with
    an error instead (used by the Redis adapter when its connection is lost for good).
    """

    def __init__(self, capacity: int = DEFAULT_SUBSCRIBER_BUFFER) -> None:
        if capacity < 1:
            raise ValueError("an inbox holds at least one message")
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue(capacity)
        self._closed = False
        self._error: BaseException | None = None
        self.dropped = 0
        """How many messages were dropped because the reader was too slow."""

    @property
    def closed(self) -> bool:
        return self._closed

    def put(self, message: bytes) -> None:
        if self._closed:
            return
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(message)

    def end(self, error: BaseException | None = None) -> None:
        """Stop delivery; a waiting reader wakes up and iteration ends (or raises ``error``)."""
        if self._closed:
            return
        self._closed = True
        self._error = error
        # Discard what is queued so the reader sees the end now, then wake it with None.
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(None)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        if self._closed and self._queue.empty():
            return self._finish()
        message = await self._queue.get()
        if message is None:
            # Leave the marker for any other reader of the same inbox.
            self._queue.put_nowait(None)
            return self._finish()
        return message

    def _finish(self) -> bytes:
        if self._error is not None:
            raise self._error
        raise StopAsyncIteration


class MemorySubscription:
    """One subscriber of one channel of a ``MemoryCounters``."""

    def __init__(self, owner: MemoryCounters, channel: str, capacity: int) -> None:
        self._owner = owner
        self._channel = channel
        self._inbox = Inbox(capacity)

    @property
    def dropped(self) -> int:
        """Messages lost because this subscriber fell more than its buffer behind."""
        return self._inbox.dropped

    def deliver(self, message: bytes) -> None:
        self._inbox.put(message)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._inbox

    async def close(self) -> None:
        self._owner.forget_subscription(self._channel, self)
        self._inbox.end()


class MemoryCounters:
    """The counters port in process memory. ``clock`` gives the current Unix time in seconds."""

    engine: Final = "memory"

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        *,
        subscriber_buffer: int = DEFAULT_SUBSCRIBER_BUFFER,
    ) -> None:
        self._clock = clock
        self._subscriber_buffer = subscriber_buffer
        self._data: dict[str, _Value] = {}
        self._deadlines: dict[str, float] = {}
        # (deadline, key) pairs; an entry is stale when the key's deadline changed since.
        self._expiry_heap: list[tuple[float, str]] = []
        self._channels: dict[str, set[MemorySubscription]] = {}
        self._closed = False

    # -- plain counters -------------------------------------------------------------------

    async def incr(self, key: str, amount: int = 1) -> int:
        self._write_prelude()
        value = self._as_int(key, self._live(key)) + amount
        self._data[key] = value
        return value

    async def get_int(self, key: str) -> int:
        self._check_open()
        return self._as_int(key, self._live(key))

    # -- hashes of numbers ----------------------------------------------------------------

    async def hincr(self, key: str, field: str, amount: float = 1) -> float:
        self._write_prelude()
        hash_ = self._hash_for_write(key)
        hash_[field] = hash_.get(field, 0.0) + amount
        return hash_[field]

    async def hincr_many(self, key: str, amounts: Mapping[str, float]) -> None:
        self._write_prelude()
        if not amounts:
            return
        hash_ = self._hash_for_write(key)
        for field, amount in amounts.items():
            hash_[field] = hash_.get(field, 0.0) + amount

    async def hgetall(self, key: str) -> dict[str, float]:
        self._check_open()
        return dict(self._expect(key, _NumberHash) or {})

    async def htake(self, key: str) -> dict[str, float]:
        self._write_prelude()
        hash_ = self._expect(key, _NumberHash)
        if hash_ is None:
            return {}
        self._remove(key)
        return dict(hash_)

    # -- unique sets ----------------------------------------------------------------------

    async def unique_add(self, key: str, member: str) -> bool:
        self._write_prelude()
        members = self._expect(key, _UniqueSet)
        if members is None:
            members = self._data[key] = _UniqueSet()
        if member in members:
            return False
        members.add(member)
        return True

    async def unique_count(self, key: str) -> int:
        self._check_open()
        return len(self._expect(key, _UniqueSet) or ())

    # -- presence -------------------------------------------------------------------------

    async def presence_touch(self, key: str, member: str, now: float) -> None:
        self._write_prelude()
        seen = self._expect(key, _Presence)
        if seen is None:
            seen = self._data[key] = _Presence()
        # Keep the latest sighting: api processes' clocks and requests may arrive out of order.
        seen[member] = max(now, seen.get(member, now))

    async def presence_count(self, key: str, since: float) -> int:
        self._check_open()
        seen: Mapping[str, float] = self._expect(key, _Presence) or {}
        # A linear scan: presence sets are pruned every few seconds, so they stay small.
        return sum(1 for at in seen.values() if at >= since)

    async def presence_prune(self, key: str, before: float) -> int:
        self._write_prelude()
        seen = self._expect(key, _Presence)
        if seen is None:
            return 0
        stale = [member for member, at in seen.items() if at < before]
        for member in stale:
            del seen[member]
        if not seen:
            # Redis removes an emptied sorted set; so do we, so both report the same keys.
            self._remove(key)
        return len(stale)

    # -- flags ----------------------------------------------------------------------------

    async def set_flag(self, key: str, ttl_s: int, value: str = "1") -> bool:
        _check_ttl(ttl_s)
        self._write_prelude()
        if self._live(key) is not None:
            return False
        self._data[key] = value
        self._set_deadline(key, self._clock() + ttl_s)
        return True

    async def get_flag(self, key: str) -> str | None:
        self._check_open()
        value = self._live(key)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, int):
            return str(value)
        raise _wrong_kind(key)

    async def set_value(self, key: str, value: str, ttl_s: int) -> None:
        _check_ttl(ttl_s)
        self._write_prelude()
        # Like Redis SET: whatever the key held is replaced.
        self._data[key] = value
        self._set_deadline(key, self._clock() + ttl_s)

    async def swap_value(self, key: str, expected: str | None, value: str, ttl_s: int) -> bool:
        _check_ttl(ttl_s)
        self._write_prelude()
        current = self._live(key)
        if current is not None and not isinstance(current, (str, int)):
            raise _wrong_kind(key)
        if (None if current is None else str(current)) != expected:
            return False
        self._data[key] = value
        self._set_deadline(key, self._clock() + ttl_s)
        return True

    # -- any key --------------------------------------------------------------------------

    async def delete(self, *keys: str) -> int:
        self._write_prelude()
        removed = 0
        for key in dict.fromkeys(keys):
            if self._live(key) is not None:
                self._remove(key)
                removed += 1
        return removed

    async def expire(self, key: str, ttl_s: int) -> None:
        _check_ttl(ttl_s)
        self._write_prelude()
        if self._live(key) is not None:
            self._set_deadline(key, self._clock() + ttl_s)

    # -- pub/sub --------------------------------------------------------------------------

    async def publish(self, channel: str, message: bytes) -> None:
        self._check_open()
        for subscription in tuple(self._channels.get(channel, ())):
            subscription.deliver(message)

    async def subscribe(self, channel: str) -> Subscription:
        self._check_open()
        subscription = MemorySubscription(self, channel, self._subscriber_buffer)
        self._channels.setdefault(channel, set()).add(subscription)
        return subscription

    def forget_subscription(self, channel: str, subscription: MemorySubscription) -> None:
        """Called by a closing subscription; not part of the port."""
        subscribers = self._channels.get(channel)
        if subscribers is None:
            return
        subscribers.discard(subscription)
        if not subscribers:
            del self._channels[channel]

    # -- lifecycle ------------------------------------------------------------------------

    async def ping(self) -> None:
        self._check_open()

    async def close(self) -> None:
        self._closed = True
        for subscribers in tuple(self._channels.values()):
            for subscription in tuple(subscribers):
                await subscription.close()

    # -- internals ------------------------------------------------------------------------

    def _check_open(self) -> None:
        # A closed port behaves like an unreachable engine, so callers handle one error.
        if self._closed:
            raise EngineUnavailable("the memory counters are closed")

    def _write_prelude(self) -> None:
        self._check_open()
        self.sweep()

    def sweep(self) -> int:
        """Drop every key whose deadline has passed; returns how many. Writes call this, so
        its cost is spread over them: each expired deadline is popped once."""
        now = self._clock()
        removed = 0
        heap = self._expiry_heap
        while heap and heap[0][0] <= now:
            deadline, key = heapq.heappop(heap)
            if self._deadlines.get(key) == deadline:
                self._remove(key)
                removed += 1
        return removed

    def _live(self, key: str) -> _Value | None:
        """The key's value, or None when it is missing or its deadline has passed."""
        deadline = self._deadlines.get(key)
        if deadline is not None and deadline <= self._clock():
            self._remove(key)
            return None
        return self._data.get(key)

    def _expect[T: (_NumberHash, _UniqueSet, _Presence)](self, key: str, kind: type[T]) -> T | None:
        value = self._live(key)
        if value is None:
            return None
        if isinstance(value, kind):
            return value
        raise _wrong_kind(key)

    def _hash_for_write(self, key: str) -> _NumberHash:
        hash_ = self._expect(key, _NumberHash)
        if hash_ is None:
            hash_ = self._data[key] = _NumberHash()
        return hash_

    def _as_int(self, key: str, value: _Value | None) -> int:
        if value is None:
            return 0
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            # Counters and flags share the string kind, as in Redis (INCR on "7" works).
            try:
                return int(value)
            except ValueError:
                raise StorageError(f"key {key!r} does not hold an integer") from None
        raise _wrong_kind(key)

    def _set_deadline(self, key: str, deadline: float) -> None:
        self._deadlines[key] = deadline
        heapq.heappush(self._expiry_heap, (deadline, key))

    def _remove(self, key: str) -> None:
        self._data.pop(key, None)
        # The heap entry stays behind and is skipped as stale when its deadline comes.
        self._deadlines.pop(key, None)


def _check_ttl(ttl_s: int) -> None:
    if ttl_s < 1:
        raise ValueError(f"ttl_s must be a whole number of seconds >= 1, not {ttl_s!r}")


def _wrong_kind(key: str) -> StorageError:
    return StorageError(f"key {key!r} holds another kind of value")
