"""The flush: counter hashes into daily statistics documents in the database.

A periodic job (``views.flush``, every ``flush_interval_s``, default 60 s; its job id carries
the time slot, so however many api processes schedule it, each slot runs once) takes the
marks of the item hashes written since the last flush (``views:dirty``), takes each hash
(``htake``: read and delete in one step, so a concurrent increment lands either in what is
taken or in the next flush) and adds it into ``view_stats_daily``:

``{_id: "<day>:<scope>:<key>", day, scope, key, plays, watch_s, effective, completions,
effective_watch_s, uniques}`` with scope

- ``item`` (key ``<type>:<id>``; also ``org_id``, ``org_path``, ``category`` and the same
  figures per terminal under ``terminals.<terminal>``): the one source of every figure; the
  reader rolls items up per organization, category, terminal and day (``rollup.py``);
- ``org`` (key the organization id): only ``uniques``, the distinct viewers of its whole
  subtree that day — the one figure items cannot be summed into.

Figures are added with ``inc``; distinct viewers are not additive, so the day's count
(HyperLogLog in Redis, exact in memory) is stored instead, only ever raised. A stream's peak
concurrent viewers go to ``view_peaks``, also only ever raised.

Loss on a crash: a flush that dies between taking a hash and adding it to the database loses
that hash — at most one flush interval of that item's figures (60 s by default); add the
write-behind drain interval of a crashed api process (1 s, ``buffer.py``). Marks not yet
processed when a flush fails are put back, so nothing else is orphaned. With the memory
counters (standalone) a crash also loses everything not yet flushed: at most one flush
interval. Re-running a flush after it finished changes nothing (the hashes are gone).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from culturecast.media.views import state
from culturecast.media.views.buffer import read_peak
from culturecast.storage.counters.port import Counters
from culturecast.storage.database.port import Collection, Database, IndexSpec

log = logging.getLogger("culturecast.views")

FLUSH_JOB = "views.flush"
STATS = "view_stats_daily"
PEAKS = "view_peaks"

INDEXES = (
    IndexSpec(STATS, (("scope", 1), ("day", 1))),
    IndexSpec(STATS, (("org_path", 1), ("day", 1))),
    IndexSpec(STATS, (("key", 1), ("day", 1))),
)


def flush_job_id(now: float, interval_s: float) -> str:
    """``views.flush:<slot>``: one job per interval across every process that schedules it."""
    return f"{FLUSH_JOB}:{int(now // interval_s)}"


@dataclass(frozen=True, slots=True)
class FlushReport:
    items: int
    """Item-day hashes flushed."""
    peaks: int
    """Stream peaks kept."""


type _Sums = dict[str, float]


class StatsFlusher:
    """Moves counter figures into ``view_stats_daily``."""

    def __init__(self, database: Database, counters: Counters) -> None:
        self._stats: Collection = database.collection(STATS)
        self._peaks: Collection = database.collection(PEAKS)
        self._counters = counters

    async def flush(self) -> FlushReport:
        marks = list(await self._counters.htake(state.DIRTY_KEY))
        done = 0
        items = peaks = 0
        org_days: set[tuple[str, str]] = set()
        try:
            for mark in marks:
                parsed = json.loads(mark)
                if parsed[0] == "peak":
                    await self._keep_peak(parsed[1], parsed[2])
                    peaks += 1
                else:
                    day, item_type, item_id, org_path, category = parsed
                    await self._flush_item(day, item_type, item_id, tuple(org_path), category)
                    items += 1
                    org_days.update((day, org) for org in org_path)
                done += 1
        except BaseException:
            # Put back the marks not processed, so their hashes are flushed next time.
            rest = marks[done:]
            if rest:
                await self._counters.hincr_many(state.DIRTY_KEY, dict.fromkeys(rest, 1))
            raise
        for day, org in sorted(org_days):
            uniques = await self._counters.unique_count(state.org_uniques_key(day, org))
            await self._keep_org_uniques(day, org, uniques)
        if items or peaks:
            log.info("flushed view figures", extra={"items": items, "peaks": peaks})
        return FlushReport(items=items, peaks=peaks)

    async def _flush_item(
        self, day: str, item_type: str, item_id: str, org_path: tuple[str, ...], category: str
    ) -> None:
        taken = await self._counters.htake(state.day_item_key(day, item_type, item_id))
        totals: _Sums = {}
        terminals: dict[str, _Sums] = defaultdict(dict)
        splits: dict[str, _Sums] = defaultdict(dict)
        for name, value in taken.items():
            figure, _, terminal = name.partition("@")
            if figure not in state.FIGURE_FIELDS:
                continue
            if terminal.startswith(("d:", "r:")):
                kind, _, part = terminal.partition(":")
                group = "devices" if kind == "d" else "regions"
                splits[f"{group}.{part}"][figure] = value
            elif terminal:
                terminals[terminal][figure] = value
            else:
                totals[figure] = value
        uniques = await self._counters.unique_count(state.item_uniques_key(day, item_type, item_id))
        facts = {
            "item_type": item_type,
            "item_id": item_id,
            "org_id": org_path[0],
            "org_path": list(org_path),
            "category": category,
        }
        per_terminal = {
            f"terminals.{terminal}.{figure}": value
            for terminal, figures in terminals.items()
            for figure, value in figures.items()
        }
        per_split = {
            f"{where}.{figure}": value
            for where, figures in splits.items()
            for figure, value in figures.items()
        }
        await self._add_doc(
            day,
            "item",
            f"{item_type}:{item_id}",
            {**totals, **per_terminal, **per_split},
            facts,
            uniques,
        )

    async def _keep_org_uniques(self, day: str, org: str, uniques: int) -> None:
        """An organization's distinct viewers of the day (its figures come from its items)."""
        doc_id = f"{day}:org:{org}"
        await self._stats.update_one(
            {"_id": doc_id},
            set={"day": day, "scope": "org", "key": org},
            inc={"uniques": 0},
            upsert=True,
        )
        await self._raise_uniques(doc_id, uniques)

    async def _raise_uniques(self, doc_id: str, uniques: int | None) -> None:
        if uniques:
            # Only ever raised: a flush that read a smaller count later must not lower it.
            await self._stats.update_one(
                {"_id": doc_id, "uniques": {"$lt": uniques}}, set={"uniques": uniques}
            )

    async def _add_doc(
        self,
        day: str,
        scope: str,
        key: str,
        amounts: Mapping[str, float],
        facts: Mapping[str, object],
        uniques: int | None,
    ) -> None:
        doc_id = f"{day}:{scope}:{key}"
        # Every figure is present from the first flush on, so readers need no defaults.
        inc: dict[str, int | float] = dict.fromkeys(state.FIGURE_FIELDS, 0)
        inc.update(amounts)
        inc["uniques"] = 0
        await self._stats.update_one(
            {"_id": doc_id},
            set={"day": day, "scope": scope, "key": key, **facts},
            inc=inc,
            upsert=True,
        )
        await self._raise_uniques(doc_id, uniques)

    async def _keep_peak(self, item_type: str, item_id: str) -> None:
        peak = await read_peak(self._counters, item_type, item_id)
        if peak.at is None:
            return
        doc_id = f"{item_type}:{item_id}"
        await self._peaks.update_one(
            {"_id": doc_id},
            set={"item_type": item_type, "item_id": item_id},
            inc={"peak": 0},
            upsert=True,
        )
        await self._peaks.update_one(
            {"_id": doc_id, "peak": {"$lt": peak.value}},
            set={"peak": peak.value, "peak_at": peak.at},
        )
