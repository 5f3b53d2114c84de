"""Write-behind of view figures: heartbeats add to plain dicts in this process, and ``drain``
writes the sums to the counters port (Redis or memory) — one write per item and day instead
of several per heartbeat.

Why: a heartbeat must cost about one round trip to Redis (its session's compare-and-set) for
one api process to sustain what a bare handler does (see ``bench/bench_heartbeats.py``). The
price is that figures reach the shared counters up to one drain interval (default 1 s) late,
and that a crash of the process loses what it had not drained (at most that interval's
figures; the flush job's interval comes on top, see ``flush.py``).

Peak concurrent viewers are judged at each drain, at the time of the newest beat drained for
the stream: the count only grows when a session beats, so judging after a batch of beats sees
every peak that lasted longer than one drain interval.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from culturecast.media.views import state
from culturecast.media.views.policy import PeakTracker, Terminal, ViewDeltas, ViewRules
from culturecast.media.views.realtime import RT_TTL_S, realtime_key
from culturecast.storage.counters.port import Counters

log = logging.getLogger("culturecast.views")

REALTIME_PREFIX = "views:rt:"
UNIQUES_TTL_S = 3 * 24 * 3600
"""Distinct-viewer sets outlive their day long enough for the last flush of the day."""
PEAK_TTL_S = 90 * 24 * 3600
"""A stream's peak stays in the counters this long (the flush also keeps it in the database)."""


_TERMINAL_FIELDS = {
    terminal: tuple(f"{name}@{terminal}" for name in state.FIGURE_FIELDS) for terminal in Terminal
}
"""The per-terminal hash fields of each figure (``plays@web``), in ``FIGURE_FIELDS`` order."""


@dataclass(slots=True)
class _Pending:
    hashes: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))
    dirty: dict[str, float] = field(default_factory=dict)
    uniques: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    presence: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))

    def empty(self) -> bool:
        return not (self.hashes or self.dirty or self.uniques or self.presence)


class CounterBuffer:
    """Figures, distinct viewers and presence waiting to be written to the counters."""

    def __init__(self, counters: Counters, rules: ViewRules) -> None:
        self._counters = counters
        self._rules = rules
        self._pending = _Pending()
        # Members this process already added per unique key: a viewer is added once per item
        # and day per process, not on every beat. Cleared when the day changes.
        self._added: dict[str, set[str]] = defaultdict(set)
        self._added_day = ""
        # Per item and day, the keys its figures go to (built once, not on every beat), and
        # the viewers already handled per item, so a repeat beat skips the per-key checks.
        self._figure_keys: dict[tuple[str, str, str, tuple[str, ...], str], tuple[str, str]] = {}
        self._unique_keys: dict[tuple[str, str, tuple[str, ...]], tuple[str, ...]] = {}
        self._viewers_seen: set[tuple[str, str, tuple[str, ...], str]] = set()

    def add_figures(
        self,
        *,
        day: str,
        item_type: str,
        item_id: str,
        org_path: tuple[str, ...],
        category: str,
        terminal: Terminal,
        deltas: ViewDeltas,
        device: str = "",
        region: str = "",
    ) -> None:
        """Add a session start's or a heartbeat's deltas to the item's figures of ``day``."""
        if deltas.is_zero:
            return
        values = (
            deltas.plays,
            deltas.watch_seconds,
            deltas.effective,
            deltas.completions,
            deltas.effective_watch_seconds,
        )
        self._new_day(day)
        at = (day, item_type, item_id, org_path, category)
        keys = self._figure_keys.get(at)
        if keys is None:
            keys = (
                state.day_item_key(day, item_type, item_id),
                state.dirty_field(day, item_type, item_id, org_path, category),
            )
            self._figure_keys[at] = keys
        hash_key, dirty = keys
        fields = self._pending.hashes[hash_key]
        for name, per_terminal, value in zip(
            state.FIGURE_FIELDS, _TERMINAL_FIELDS[terminal], values, strict=True
        ):
            if value:
                fields[name] = fields.get(name, 0.0) + value
                fields[per_terminal] = fields.get(per_terminal, 0.0) + value
        # Per device family and region too (``@d:`` / ``@r:``; state.py), for the plays and
        # watch time and effective views the split reports show.
        for prefix, part in (("@d:", device), ("@r:", region)):
            if part:
                for name, value in zip(state.FIGURE_FIELDS, values, strict=True):
                    if value:
                        field_name = f"{name}{prefix}{part}"
                        fields[field_name] = fields.get(field_name, 0.0) + value
        self._pending.dirty[dirty] = 1

    def add_realtime(self, day: str, org_path: tuple[str, ...], amounts: dict[str, float]) -> None:
        """Add to the data screen's hash of each organization of ``org_path`` (``realtime.py``);
        never flushed, these expire."""
        if not amounts:
            return
        for org in org_path:
            fields = self._pending.hashes[realtime_key(day, org)]
            for name, value in amounts.items():
                fields[name] = fields.get(name, 0.0) + value

    def add_viewer(
        self, *, day: str, item_type: str, item_id: str, org_path: tuple[str, ...], viewer: str
    ) -> None:
        """Count ``viewer`` among the day's distinct viewers of the item and of each org."""
        self._new_day(day)
        seen = (item_type, item_id, org_path, viewer)
        if seen in self._viewers_seen:
            return
        self._viewers_seen.add(seen)
        at = (item_type, item_id, org_path)
        keys = self._unique_keys.get(at)
        if keys is None:
            keys = (
                state.item_uniques_key(day, item_type, item_id),
                *(state.org_uniques_key(day, org) for org in org_path),
            )
            self._unique_keys[at] = keys
        for key in keys:
            added = self._added[key]
            if viewer not in added:
                added.add(viewer)
                self._pending.uniques[key].add(viewer)

    def _new_day(self, day: str) -> None:
        """Forget the previous day's keys and viewers (they are per CST day)."""
        if day != self._added_day:
            self._added.clear()
            self._figure_keys.clear()
            self._unique_keys.clear()
            self._viewers_seen.clear()
            self._added_day = day

    def touch(self, item_type: str, item_id: str, session_id: str, now: float) -> None:
        """Record a live session as watching at ``now``."""
        seen = self._pending.presence[state.presence_key(item_type, item_id)]
        seen[session_id] = max(now, seen.get(session_id, now))

    @property
    def idle(self) -> bool:
        return self._pending.empty()

    async def drain(self) -> None:
        """Write everything pending. What cannot be written stays pending for the next drain."""
        pending, self._pending = self._pending, _Pending()
        if pending.empty():
            return
        counters = self._counters
        try:
            # Hashes before the dirty marks: the flush job takes the marks first, so a hash
            # written after a mark was taken is found by the next flush, never orphaned.
            while pending.hashes:
                key, amounts = next(iter(pending.hashes.items()))
                await counters.hincr_many(key, amounts)
                if key.startswith(REALTIME_PREFIX):
                    await counters.expire(key, RT_TTL_S)
                del pending.hashes[key]
            if pending.dirty:
                await counters.hincr_many(state.DIRTY_KEY, pending.dirty)
                pending.dirty = {}
            while pending.uniques:
                key, members = next(iter(pending.uniques.items()))
                for member in sorted(members):
                    await counters.unique_add(key, member)
                    members.discard(member)
                await counters.expire(key, UNIQUES_TTL_S)
                del pending.uniques[key]
            while pending.presence:
                key, seen = next(iter(pending.presence.items()))
                for member, at in seen.items():
                    await counters.presence_touch(key, member, at)
                await self._judge_peak(key, max(seen.values()))
                del pending.presence[key]
        except BaseException:
            self._restore(pending)
            raise

    async def _judge_peak(self, presence_key: str, at: float) -> None:
        window = self._rules.concurrent_window_seconds
        counters = self._counters
        # Sessions silent for two windows can never count again; keep the set small.
        await counters.presence_prune(presence_key, at - 2 * window)
        count = await counters.presence_count(presence_key, at - window)
        peak_key = "views:peak:" + presence_key.removeprefix("views:presence:")
        for _ in range(5):
            raw = await counters.get_flag(peak_key)
            peak = state.decode_peak(raw)
            better = peak.update(count, at)
            if better is peak:
                return
            if await counters.swap_value(peak_key, raw, state.encode_peak(better), PEAK_TTL_S):
                # The flush job keeps the peak in the database too.
                item_type, _, item_id = presence_key.removeprefix("views:presence:").partition(":")
                await counters.hincr_many(state.DIRTY_KEY, {peak_field(item_type, item_id): 1})
                return
        log.warning("peak of %s not updated: too much contention", presence_key)

    def _restore(self, unwritten: _Pending) -> None:
        """Put back what a failed drain did not write (merged with what arrived since)."""
        current = self._pending
        for key, amounts in unwritten.hashes.items():
            fields = current.hashes[key]
            for name, value in amounts.items():
                fields[name] = fields.get(name, 0.0) + value
        current.dirty.update(unwritten.dirty)
        for key, members in unwritten.uniques.items():
            current.uniques[key].update(members)
        for key, seen in unwritten.presence.items():
            target = current.presence[key]
            for member, at in seen.items():
                target[member] = max(at, target.get(member, at))


def peak_field(item_type: str, item_id: str) -> str:
    """The dirty mark telling the flush job to keep a stream's peak in the database."""
    return json.dumps(["peak", item_type, item_id])


async def read_peak(counters: Counters, item_type: str, item_id: str) -> PeakTracker:
    return state.decode_peak(await counters.get_flag(state.peak_key(item_type, item_id)))
