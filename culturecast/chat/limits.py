"""Chat rate limits as pure state machines: time is a parameter, nothing sleeps.

Four limits, each answering "may this happen at ``now``, and if not, how many
seconds until it may" (``None`` means yes):

- :class:`TokenBuckets` — per user, ``rate`` messages per second on average
  with bursts of up to ``burst``;
- :class:`SlowMode` — per room, one message per user every N seconds, N set by
  moderators at any time (0 turns it off);
- :class:`DuplicateWindow` — per room, the same user may not send the same
  normalised text again within ``window`` seconds;
- :class:`RoomCap` — per room, a token bucket shared by everyone, which bounds
  the fan-out of a room whatever the number of senders.

Checking and recording are separate (``retry_after`` then ``record``) so the
policy can refuse for one reason without charging the others.

Memory is bounded. Each limit keeps its per-user entries in an ordered dict,
least recently touched first. An entry that no longer restricts anyone (a
bucket that has refilled, a slow-mode stamp or a duplicate older than its
interval) is dropped as soon as it reaches the front, and when the dict holds
``max_entries`` the least recently touched entry is dropped regardless. So a
flood of distinct user ids costs at most ``max_entries`` entries per limit
(default 10,000: about a megabyte). Evicting a live entry forgets a user's
recent history early, which favours that user; the room cap still bounds the
whole room, so a flood of fresh ids cannot out-send it.

Clocks may step backwards (wall-clock adjustments): elapsed time is clamped to
zero, never negative.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

DEFAULT_MAX_ENTRIES: Final = 10_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


def _refill(bucket: _Bucket, rate: float, burst: float, now: float) -> None:
    elapsed = max(0.0, now - bucket.updated)
    bucket.tokens = min(burst, bucket.tokens + elapsed * rate)
    bucket.updated = max(bucket.updated, now)


def _prune[K, V](
    entries: OrderedDict[K, V], is_stale: Callable[[V], bool], max_entries: int
) -> None:
    """Drop stale entries from the least recently touched end, then any beyond the cap.

    The newest entry (just recorded, at the end) is never dropped.
    """
    while len(entries) > 1:
        value = next(iter(entries.values()))
        if len(entries) <= max_entries and not is_stale(value):
            break
        entries.popitem(last=False)


def _check_positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {value!r}")


class TokenBuckets:
    """A token bucket per key: ``rate`` tokens/second, holding at most ``burst``."""

    def __init__(
        self, rate: float, burst: float, *, max_entries: int = DEFAULT_MAX_ENTRIES
    ) -> None:
        _check_positive("rate", rate)
        _check_positive("burst", burst)
        _check_positive("max_entries", max_entries)
        self.rate = rate
        self.burst = burst
        self.max_entries = max_entries
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        """Number of keys currently tracked (at most ``max_entries``)."""
        return len(self._buckets)

    def retry_after(self, key: str, now: float) -> float | None:
        """Seconds until ``key`` has a whole token, or ``None`` if it has one now."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return None
        tokens = min(self.burst, bucket.tokens + max(0.0, now - bucket.updated) * self.rate)
        if tokens >= 1.0:
            return None
        return (1.0 - tokens) / self.rate

    def record(self, key: str, now: float) -> None:
        """Spend one token of ``key`` at ``now`` (may go below one; never below zero)."""
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = _Bucket(self.burst, now)
        _refill(bucket, self.rate, self.burst, now)
        bucket.tokens = max(0.0, bucket.tokens - 1.0)
        self._buckets[key] = bucket
        # A bucket untouched for burst/rate seconds is full again: the same as
        # no entry at all, so it can go.
        full_after = self.burst / self.rate
        _prune(self._buckets, lambda b: now - b.updated >= full_after, self.max_entries)

    def take(self, key: str, now: float) -> float | None:
        """Spend a token if there is one: ``None`` if spent, else seconds to wait."""
        wait = self.retry_after(key, now)
        if wait is None:
            self.record(key, now)
        return wait


class SlowMode:
    """One message per user every ``interval`` seconds; the interval may change any time."""

    def __init__(self, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        _check_positive("max_entries", max_entries)
        self.max_entries = max_entries
        self._last: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        """Number of users currently tracked (at most ``max_entries``)."""
        return len(self._last)

    def retry_after(self, user_id: str, interval: float, now: float) -> float | None:
        """Seconds ``user_id`` must still wait under ``interval`` (0 = off), or ``None``."""
        if interval <= 0:
            return None
        last = self._last.get(user_id)
        if last is None:
            return None
        wait = last + interval - now
        return wait if wait > 0 else None

    def record(self, user_id: str, interval: float, now: float) -> None:
        """Remember that ``user_id`` sent at ``now``; ``interval`` only guides pruning."""
        self._last.pop(user_id, None)
        self._last[user_id] = now
        # Stale under the interval in force now: raising the interval later
        # does not bring back stamps already dropped, which only favours users.
        _prune(self._last, lambda stamp: now - stamp >= interval, self.max_entries)


class DuplicateWindow:
    """Refuses the same user sending the same normalised text within ``window`` seconds."""

    def __init__(self, window: float, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        _check_positive("window", window)
        _check_positive("max_entries", max_entries)
        self.window = window
        self.max_entries = max_entries
        # (user id, text) → when it was last sent. The text is at most a
        # comment long, so the bound on entries bounds the bytes too.
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()

    def __len__(self) -> int:
        """Number of (user, text) pairs currently remembered (at most ``max_entries``)."""
        return len(self._seen)

    def retry_after(self, user_id: str, text: str, now: float) -> float | None:
        """Seconds until ``text`` from ``user_id`` is no longer a duplicate, or ``None``."""
        at = self._seen.get((user_id, text))
        if at is None:
            return None
        wait = at + self.window - now
        return wait if wait > 0 else None

    def record(self, user_id: str, text: str, now: float) -> None:
        """Remember that ``user_id`` sent ``text`` at ``now``."""
        key = (user_id, text)
        self._seen.pop(key, None)
        self._seen[key] = now
        _prune(self._seen, lambda at: now - at >= self.window, self.max_entries)


class RoomCap:
    """A token bucket shared by a whole room: ``rate`` messages/second, bursts of ``burst``."""

    def __init__(self, rate: float, burst: float) -> None:
        _check_positive("rate", rate)
        _check_positive("burst", burst)
        self.rate = rate
        self.burst = burst
        self._bucket: _Bucket | None = None

    def retry_after(self, now: float) -> float | None:
        """Seconds until the room may carry another message, or ``None``."""
        if self._bucket is None:
            return None
        tokens = min(
            self.burst, self._bucket.tokens + max(0.0, now - self._bucket.updated) * self.rate
        )
        return None if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def record(self, now: float) -> None:
        """Spend one of the room's tokens at ``now``."""
        if self._bucket is None:
            self._bucket = _Bucket(self.burst, now)
        _refill(self._bucket, self.rate, self.burst, now)
        self._bucket.tokens = max(0.0, self._bucket.tokens - 1.0)
