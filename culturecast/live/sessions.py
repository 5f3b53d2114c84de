"""The life of one live event, as one pure state machine (owncast's habit, STYLE.md).

::

    scheduled ──publish──▶ live ──publisher left──▶ reconnecting ──grace over──▶ ended
                            ▲  └──transcoder died: restart┘  │  └──stop──────────▶ ended
                            └────────── publish again ◀──────┘
    any state but ended ──stop (API) / disabled──▶ ended
    on air, held by no ingest ──adopted by an ingest──▶ reconnecting
    on air, held by no ingest ──stop (API fallback)──▶ ended (at the publisher's leaving)
    held here, ended elsewhere ──▶ stand down

Nothing here does I/O or reads a clock: each input takes ``now`` and returns the
*decisions* the wiring (``live/runtime.py``, and ``live/service.py`` for an event no ingest
holds) performs, in order — start a transcoder, mark a
discontinuity, start the grace timer, persist the status, end the playlists, queue the
replay, notify listeners. Undoing happens in the reverse order of doing, as in owncast's
``core/streamState.go``: the publisher goes first, then the transcoder, then the playlists.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

DEFAULT_GRACE_S = 60.0
"""How long an event waits in ``reconnecting`` for its publisher to come back."""
RESTART_WINDOW_S = 60.0
"""Transcoder restarts are counted over this window."""
MAX_RESTARTS = 10
"""More restarts than this within the window: the stream itself is broken; drop it."""


class Status(enum.StrEnum):
    """Where an event is in its life (DESIGN.md § Live)."""

    SCHEDULED = "scheduled"
    """Created, never on air yet."""
    LIVE = "live"
    """A publisher is sending and the transcoder runs."""
    RECONNECTING = "reconnecting"
    """The publisher dropped; the event waits ``grace_s`` for it to come back."""
    ENDED = "ended"
    """Over for good: playlists closed, replay queued."""


ON_AIR = (Status.LIVE.value, Status.RECONNECTING.value)
"""The stored statuses of an event on air (live, or waiting for its publisher)."""


class StopReason(enum.StrEnum):
    """Why an event ended."""

    STOPPED = "stopped"
    """Staff stopped it through the API."""
    GRACE_EXPIRED = "grace_expired"
    """The publisher stayed away longer than the grace period."""
    DISABLED = "disabled"
    """Staff disabled the event while it was on air."""


# ---------------------------------------------------------------- decisions


@dataclass(frozen=True, slots=True)
class Decision:
    """Something the wiring must do."""


@dataclass(frozen=True, slots=True)
class StartTranscoder(Decision):
    """Start a fresh ffmpeg for the stream (replaying the buffered GOP into it)."""

    discontinuity: bool
    """A run came before this one: its first segment carries EXT-X-DISCONTINUITY."""
    delay_s: float = 0.0
    """Wait this long first (back-off after repeated crashes)."""


@dataclass(frozen=True, slots=True)
class StopTranscoder(Decision):
    """Close ffmpeg's input so it writes its last segment, then let it exit."""


@dataclass(frozen=True, slots=True)
class DisconnectPublisher(Decision):
    """Refuse and close the publishing connection."""

    code: str
    """Stable reason code, logged and sent to the encoder."""
    message: str
    """A sentence for the broadcaster."""


@dataclass(frozen=True, slots=True)
class StartGraceTimer(Decision):
    """Call :meth:`Session.tick` at ``deadline``."""

    deadline: float
    """When the grace period is over."""


@dataclass(frozen=True, slots=True)
class CancelGraceTimer(Decision):
    """The publisher is back or the event ended: forget the timer."""


@dataclass(frozen=True, slots=True)
class Persist(Decision):
    """Write these fields to the event document."""

    fields: dict[str, Any]
    """Field name → value (``None`` clears)."""


@dataclass(frozen=True, slots=True)
class EndPlaylists(Decision):
    """Append EXT-X-ENDLIST to every live playlist (after the last segment is uploaded)."""


@dataclass(frozen=True, slots=True)
class QueueReplay(Decision):
    """Queue the job that turns the recording into a replay."""


@dataclass(frozen=True, slots=True)
class StandDown(Decision):
    """The event ended elsewhere (the API's fallback) or is gone: close the packager, forget
    the event in this process, and perform nothing that was decided after this."""


@dataclass(frozen=True, slots=True)
class Notify(Decision):
    """Tell listeners (chat opens on live, closes on ended) about the new status."""

    status: Status
    """The status now in force."""


# ---------------------------------------------------------------- the machine


@dataclass(slots=True)
class Session:
    """One event's lifecycle as the ingest process tracks it."""

    event_id: str
    """The event."""
    grace_s: float = DEFAULT_GRACE_S
    """Grace period for reconnects."""
    status: Status = Status.SCHEDULED
    """Current status."""
    disabled: bool = False
    """Staff disabled the event: no publish is admitted."""
    publishing: bool = False
    """A publisher is connected and admitted."""
    runs: int = 0
    """Transcoder runs started so far (across restarts and reconnects)."""
    started_at: float | None = None
    """First time the event went live."""
    left_at: float | None = None
    """When the publisher last dropped."""
    ended_at: float | None = None
    """When the event ended."""
    grace_deadline: float | None = None
    """End of the running grace period."""
    stop_reason: StopReason | None = None
    """Why it ended."""
    restarts: list[float] = field(default_factory=list)
    """Times of recent transcoder restarts."""

    @classmethod
    def resume(
        cls,
        event_id: str,
        status: Status,
        *,
        grace_s: float = DEFAULT_GRACE_S,
        disabled: bool = False,
        started_at: float | None = None,
        left_at: float | None = None,
        runs: int = 0,
    ) -> Session:
        """The session of an event as stored (``live`` counts as ``reconnecting``: no
        publisher is connected to a process that just started)."""
        return cls(
            event_id,
            grace_s=grace_s,
            status=Status.RECONNECTING if status is Status.LIVE else status,
            disabled=disabled,
            started_at=started_at,
            left_at=left_at,
            runs=runs,
        )

    @property
    def live(self) -> bool:
        """On air with a publisher sending (the state in which a transcoder runs)."""
        return self.status is Status.LIVE

    # -------------------------------------------------------------- inputs

    def publish_started(self, now: float) -> list[Decision]:
        """A publisher was admitted (admission already checked status and ``publishing``)."""
        if self.status is Status.ENDED or self.publishing:
            raise ValueError(f"publish_started while {self.status} (publishing={self.publishing})")
        decisions: list[Decision] = []
        fields: dict[str, Any] = {"status": Status.LIVE.value, "reconnect_deadline": None}
        if self.status is Status.RECONNECTING:
            decisions.append(CancelGraceTimer())
        if self.started_at is None:
            self.started_at = now
            fields["started_at"] = now
        self.status = Status.LIVE
        self.publishing = True
        self.grace_deadline = None
        self.restarts.clear()
        decisions += [
            Persist(fields),
            StartTranscoder(discontinuity=self.runs > 0),
            Notify(Status.LIVE),
        ]
        self.runs += 1
        return decisions

    def publisher_left(self, now: float) -> list[Decision]:
        """The publishing connection ended (clean unpublish, dropped socket, or refused)."""
        if not self.publishing:
            return []
        self.publishing = False
        if self.status is not Status.LIVE:
            return [StopTranscoder()]
        self.status = Status.RECONNECTING
        self.left_at = now
        self.grace_deadline = now + self.grace_s
        return [
            StopTranscoder(),
            Persist(
                {
                    "status": Status.RECONNECTING.value,
                    "reconnect_deadline": self.grace_deadline,
                    "left_at": now,
                }
            ),
            StartGraceTimer(self.grace_deadline),
            Notify(Status.RECONNECTING),
        ]

    def transcoder_exited(self, now: float) -> list[Decision]:
        """ffmpeg exited while it should not have (crash, kill -9)."""
        if not (self.status is Status.LIVE and self.publishing):
            return []  # it was stopped on purpose
        self.restarts = [t for t in self.restarts if now - t < RESTART_WINDOW_S]
        if len(self.restarts) >= MAX_RESTARTS:
            return [
                DisconnectPublisher(
                    "transcoder_failing",
                    f"the transcoder failed {MAX_RESTARTS} times within "
                    f"{RESTART_WINDOW_S:g} s; check the encoder settings",
                )
            ]
        # Back off from instant to 4 s so a stream that kills ffmpeg every time does not
        # spin, while a one-off crash costs nothing.
        delay = 0.0 if not self.restarts else min(4.0, 0.25 * 2 ** (len(self.restarts) - 1))
        self.restarts.append(now)
        self.runs += 1
        return [StartTranscoder(discontinuity=True, delay_s=delay)]

    def tick(self, now: float) -> list[Decision]:
        """Time passed (the grace timer fired)."""
        if (
            self.status is Status.RECONNECTING
            and self.grace_deadline is not None
            and now >= self.grace_deadline
        ):
            return self._end(now, StopReason.GRACE_EXPIRED)
        return []

    def stop(self, now: float, reason: StopReason = StopReason.STOPPED) -> list[Decision]:
        """End the event now (API stop, or disabled while on air)."""
        return self._end(now, reason)

    def left_on_air(
        self, now: float, *, left_at: float | None, deadline: float | None
    ) -> list[Decision]:
        """Adopted by an ingest after the one that held it went away (or restarted): wait
        for the publisher in ``reconnecting`` until the stored deadline (or a full grace
        period from now), then end as a timed-out show would."""
        self.status = Status.RECONNECTING
        self.publishing = False
        self.left_at = left_at or now
        self.grace_deadline = deadline or now + self.grace_s
        return [
            Persist(
                {"status": Status.RECONNECTING.value, "reconnect_deadline": self.grace_deadline}
            ),
            StartGraceTimer(self.grace_deadline),
        ]

    def ended_elsewhere(self) -> list[Decision]:
        """The stored event says ``ended`` (the API ended it from another process, or it was
        deleted) while this process still holds it: drop everything and forget it."""
        self.status = Status.ENDED
        self.publishing = False
        self.grace_deadline = None
        return [
            DisconnectPublisher("event_ended", "直播已结束。The event has ended."),
            StopTranscoder(),
            StandDown(),
        ]

    def abandoned(self, now: float, reason: StopReason) -> list[Decision]:
        """End an event on air that no ingest holds (it crashed, or the publisher left and
        that process is gone), from whichever process noticed: the show ended when its
        publisher left, if it did; the replay job also closes the playlists."""
        if self.status is Status.ENDED:
            return []
        self.status = Status.ENDED
        self.stop_reason = reason
        self.publishing = False
        self.ended_at = self.left_at or now
        self.grace_deadline = None
        return [
            Persist(self._ended_fields(self.ended_at, reason)),
            QueueReplay(),
            Notify(Status.ENDED),
        ]

    def set_disabled(self, disabled: bool, now: float) -> list[Decision]:
        """Staff (dis)abled the event; disabling one that is on air ends it."""
        self.disabled = disabled
        if disabled and self.status in (Status.LIVE, Status.RECONNECTING):
            return self._end(now, StopReason.DISABLED)
        return []

    # -------------------------------------------------------------- helpers

    def _end(self, now: float, reason: StopReason) -> list[Decision]:
        if self.status is Status.ENDED:
            return []
        was = self.status
        decisions: list[Decision] = []
        if self.publishing:
            decisions.append(DisconnectPublisher(f"event_{reason.value}", _END_MESSAGES[reason]))
            decisions.append(StopTranscoder())
            self.publishing = False
        if was is Status.RECONNECTING and reason is not StopReason.GRACE_EXPIRED:
            decisions.append(CancelGraceTimer())
        self.status = Status.ENDED
        self.stop_reason = reason
        # A show that timed out ended when its publisher left, not when we gave up on it.
        ended_at = self.left_at if reason is StopReason.GRACE_EXPIRED and self.left_at else now
        self.ended_at = ended_at
        self.grace_deadline = None
        fields = self._ended_fields(ended_at, reason)
        # Playlists close before the status says "ended", so whoever reads "ended" finds
        # EXT-X-ENDLIST; the replay job reads the closed recording.
        if was is not Status.SCHEDULED:
            decisions.append(EndPlaylists())
        decisions.append(Persist(fields))
        if was is not Status.SCHEDULED:
            decisions.append(QueueReplay())
        decisions.append(Notify(Status.ENDED))
        return decisions

    def _ended_fields(self, ended_at: float, reason: StopReason) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "status": Status.ENDED.value,
            "ended_at": ended_at,
            "stop_reason": reason.value,
            "reconnect_deadline": None,
        }
        if self.started_at is not None:
            fields["duration"] = max(0.0, ended_at - self.started_at)
        return fields


_END_MESSAGES = {
    StopReason.STOPPED: "直播已被管理员结束。The event was stopped by its organizer.",
    StopReason.GRACE_EXPIRED: "直播已结束。The event has ended.",
    StopReason.DISABLED: "直播已被停用。The event was disabled by its organizer.",
}
