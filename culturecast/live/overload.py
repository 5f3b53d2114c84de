"""Overload: a live ladder that encodes below real time sheds rungs, and gets them back.

A transcoder slower than its input falls behind without bound: every second it adds lag,
until the ingest drops whole GOPs (DESIGN.md § Live). The rule, pure (no I/O, time passed in):

- **Speed** is measured from ffmpeg's ``-progress`` blocks as media seconds written per wall
  second between blocks (:class:`SpeedMeter`); ffmpeg's own ``speed=`` is an average since
  the run started, which hides a recent slowdown for minutes. It falls back to that figure
  when a block has no output time.
- **Shed** (:class:`OverloadPolicy`): when the speed is below ``slow_below`` in each fifth
  of the last ``window_s`` (10 s; a dip of a few seconds, caught up after, is no overload),
  one more rung goes, the most expensive first (pixels × frame rate).
  The pass-through rung (a copy costs nothing) and the audio-only rung are never shed, and
  one video rendition always stays. The samples of a new run count only after ``settle_s``
  (it starts with the buffered GOP, faster than real time) and only a full window decides.
- **Restore**: after ``restore_after_s`` at full speed on the smaller ladder, one rung comes
  back. Speed cannot show room to spare (the input arrives in real time, so a transcoder
  that keeps up measures 1.0 whatever its headroom), so a restore is a trial: a shed again
  within ``restore_after_s`` of it doubles the wait before the next trial (up to
  ``max_restore_after_s``); a restore that holds resets it.
- **Viewers keep their rendition**: the master playlist stays that of the whole ladder, and
  a shed rendition's playlists go on with the segments of a kept one, its *stand-in*
  (:func:`shed_ladder`: the next smaller kept rendition, else the smallest larger one),
  after an EXT-X-DISCONTINUITY. A player on it plays on, at a smaller picture.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from culturecast.transcode.ladder import PlannedRung

SLOW_BELOW = 0.98
"""Speed under which the ladder counts as falling behind: a transcoder that keeps up
measures 1.0 give or take a frame or two over a window (ffmpeg reports about twice a
second), so the strict 1.0 would shed on rounding."""
SLICES = 5
"""The window is judged in this many slices; each must be slow for the window to be."""


def cost(rung: PlannedRung) -> float:
    """What encoding ``rung`` costs, relatively: pixels per second (0 for a copy or audio)."""
    if rung.kind != "video" or rung.passthrough:
        return 0.0
    return float(rung.width * rung.height) * (rung.fps or 30.0)


def sheddable(plan: Sequence[PlannedRung]) -> list[str]:
    """The renditions that may be shed, in the order they are: most expensive first. One
    video rendition always stays (the cheapest encoded one when nothing is passed through)."""
    encoded = sorted((r for r in plan if cost(r) > 0), key=cost, reverse=True)
    kept_video = any(r.kind == "video" and r.passthrough for r in plan)
    if not kept_video and encoded:
        encoded = encoded[:-1]
    return [r.name for r in encoded]


@dataclass(frozen=True, slots=True)
class ShedLadder:
    """The ladder a run encodes, and what the shed renditions show meanwhile."""

    planned: list[PlannedRung]
    """The renditions this run produces (the full plan's order)."""
    stand_ins: dict[str, str]
    """Shed rendition → the kept rendition whose segments its playlists carry."""


def shed_ladder(plan: Sequence[PlannedRung], shed: int) -> ShedLadder:
    """``plan`` without its ``shed`` most expensive sheddable rungs."""
    order = sheddable(plan)
    gone = set(order[: max(0, shed)])
    kept = [r for r in plan if r.name not in gone]
    kept_video = [r for r in kept if r.kind == "video"]
    stand_ins: dict[str, str] = {}
    for rung in plan:
        if rung.name not in gone:
            continue
        area = rung.width * rung.height
        smaller = [r for r in kept_video if r.width * r.height < area]
        larger = [r for r in kept_video if r.width * r.height >= area]
        if smaller:
            stand_ins[rung.name] = max(smaller, key=lambda r: r.width * r.height).name
        elif larger:
            stand_ins[rung.name] = min(larger, key=lambda r: r.width * r.height).name
    return ShedLadder(kept, stand_ins)


@dataclass(slots=True)
class SpeedMeter:
    """Media seconds per wall second between consecutive ``-progress`` blocks of one run."""

    _last: tuple[float, float] | None = None

    def reset(self) -> None:
        """A new run: its output time starts again."""
        self._last = None

    def sample(self, now: float, out_time_s: float | None, reported: float | None) -> float | None:
        """The speed since the previous block (``reported`` when there is no output time)."""
        if out_time_s is None:
            return reported
        last, self._last = self._last, (now, out_time_s)
        if last is None or now <= last[0]:
            return None
        return max(0.0, (out_time_s - last[1]) / (now - last[0]))


class Action(Enum):
    SHED = "shed"
    RESTORE = "restore"


@dataclass(frozen=True, slots=True)
class Change:
    """The ladder must change: re-plan with ``shed`` rungs shed and restart the transcoder."""

    action: Action
    shed: int
    """Rungs shed after the change."""
    speed: float
    """The speed over the window that decided it."""


@dataclass(slots=True)
class OverloadPolicy:
    """The shedding state machine of one stream (see the module's docstring)."""

    sheddable: int
    """How many rungs the plan lets go (:func:`sheddable`)."""
    window_s: float = 10.0
    slow_below: float = SLOW_BELOW
    settle_s: float = 3.0
    restore_after_s: float = 30.0
    max_restore_after_s: float = 600.0
    shed: int = 0
    """Rungs shed now."""
    sheds: int = 0
    """Sheds so far (a health figure)."""
    restores: int = 0
    """Restores so far."""
    _samples: deque[tuple[float, float]] = field(default_factory=deque)
    _run_start: float | None = None
    _healthy_since: float | None = None
    _restored_at: float | None = None
    _wait_s: float = 0.0

    def __post_init__(self) -> None:
        self._wait_s = self.restore_after_s

    def run_started(self, now: float) -> None:
        """A transcoder run started (first, after a crash or after a change): measure anew."""
        self._samples.clear()
        self._run_start = now
        self._healthy_since = None

    def window_speed(self, now: float) -> float | None:
        """Time-weighted speed over the last ``window_s``; None until a full window."""
        if self._run_start is None or now - self._run_start < self.settle_s + self.window_s:
            return None
        return self._mean(now - self.window_s, now)

    def _mean(self, start: float, end: float) -> float | None:
        # Each sample is the speed since the block before it, so the oldest kept one marks
        # where the measured time begins.
        if len(self._samples) < 2 or self._samples[0][0] > start:
            return None
        total = weight = 0.0
        previous = self._samples[0][0]
        for at, speed in list(self._samples)[1:]:
            span = min(at, end) - max(previous, start)
            if span > 0:
                total += speed * span
                weight += span
            previous = at
        return total / weight if weight > 0 else None

    def _sustained_slow(self, now: float) -> bool:
        """Below ``slow_below`` in each fifth of the window, not only on average (a few
        seconds' dip, caught up after, is no overload)."""
        step = self.window_s / SLICES
        for i in range(SLICES):
            mean = self._mean(now - self.window_s + i * step, now - self.window_s + (i + 1) * step)
            if mean is None or mean >= self.slow_below:
                return False
        return True

    def sample(self, now: float, speed: float | None) -> Change | None:
        """One speed sample of the current run; a :class:`Change` when the ladder must change
        (then samples are ignored until :meth:`run_started` says the new run is on)."""
        if speed is None or self._run_start is None or now - self._run_start < self.settle_s:
            return None
        self._samples.append((now, speed))
        # Keep one sample at or before the window's start: it bounds the first interval.
        while len(self._samples) > 2 and self._samples[1][0] <= now - self.window_s:
            self._samples.popleft()
        measured = self.window_speed(now)
        if measured is None:
            return None
        if self._sustained_slow(now):
            self._healthy_since = None
            if self.shed >= self.sheddable:
                return None  # nothing left to shed: the lag grows, health shows it
            if self._restored_at is not None and now - self._restored_at < self._wait_s:
                self._wait_s = min(self._wait_s * 2, self.max_restore_after_s)
            self._restored_at = None
            self.shed += 1
            self.sheds += 1
            return self._change(Action.SHED, measured)
        if measured < self.slow_below:
            self._healthy_since = None
            return None
        if self._healthy_since is None:
            self._healthy_since = now
        if self._restored_at is not None and now - self._restored_at >= self._wait_s:
            # The last restore held: the next trial waits the shortest time again.
            self._restored_at = None
            self._wait_s = self.restore_after_s
        if self.shed > 0 and now - self._healthy_since >= self._wait_s:
            self.shed -= 1
            self.restores += 1
            self._restored_at = now
            return self._change(Action.RESTORE, measured)
        return None

    def _change(self, action: Action, speed: float) -> Change:
        self._samples.clear()
        self._run_start = None
        self._healthy_since = None
        return Change(action, self.shed, speed)


@dataclass(slots=True)
class Shedder:
    """One stream's overload rule over its full plan: what the next run encodes, and whether
    a ``-progress`` block calls for another ladder."""

    plan: list[PlannedRung]
    policy: OverloadPolicy
    meter: SpeedMeter = field(default_factory=SpeedMeter)
    speed: float | None = None
    """The speed over the last window (None until a run has a full one)."""

    @classmethod
    def for_plan(
        cls, plan: Sequence[PlannedRung], *, window_s: float = 10.0, restore_after_s: float = 30.0
    ) -> Shedder:
        policy = OverloadPolicy(
            len(sheddable(plan)), window_s=window_s, restore_after_s=restore_after_s
        )
        return cls(list(plan), policy)

    def ladder(self) -> ShedLadder:
        """What the next run encodes."""
        return shed_ladder(self.plan, self.policy.shed)

    @property
    def shed_names(self) -> list[str]:
        return sheddable(self.plan)[: self.policy.shed]

    def run_started(self, now: float) -> None:
        self.policy.run_started(now)
        self.meter.reset()
        self.speed = None

    def progress(
        self, now: float, out_time_s: float | None, reported: float | None
    ) -> Change | None:
        """One ``-progress`` block of the current run."""
        change = self.policy.sample(now, self.meter.sample(now, out_time_s, reported))
        self.speed = change.speed if change is not None else self.policy.window_speed(now)
        return change
