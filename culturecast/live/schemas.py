"""Request and response bodies of the live API (also its OpenAPI schemas)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import msgspec

from culturecast.core.numbers import EpochSeconds

LatencyModeName = Literal["standard", "low"]
"""``standard`` (≤ 5 s) or ``low`` (LL-HLS, ≤ 2 s); see ``culturecast.live.latency``."""

GraceSeconds = Annotated[
    float, msgspec.Meta(ge=1, le=3600, description="Seconds, 1 to 3600 (default 60).")
]


class Strict(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Request bodies: unknown fields are refused, so a typo never passes silently."""

    invalid_code: ClassVar[str] = "invalid_live_event"
    """The error code of a field out of its range (``core.body``)."""


class EventCreate(Strict):
    org_id: str
    """The organization that runs the show."""
    title: str
    category: str = "performance"
    """A code (or label) of ``GET /api/v1/categories``."""
    cover: str | None = None
    """An image URL or object key shown before the show."""
    scheduled_at: EpochSeconds | None = None
    """Planned start, seconds since the epoch (2000-01-01 to 2100-01-01)."""
    published: bool = False
    """Listed publicly (drafts are seen by staff only)."""
    reconnect_grace_s: GraceSeconds | None = None
    """How long to wait for a dropped encoder before ending (default 60 s)."""
    latency_mode: LatencyModeName | None = None
    """``standard`` or ``low`` (LL-HLS); default CULTURECAST_LIVE_LATENCY_MODE."""
    source: dict[str, Any] | None = None
    """``{"type": "push"}`` (default: an encoder publishes), ``{"type": "pull", "url": …}``
    (organization admins; rtmp(s), srt, rtsp or http(s) .m3u8) or ``{"type": "playout",
    "items": [resource ids], "loop": false}``."""


class EventUpdate(Strict):
    title: str | None = None
    category: str | None = None
    cover: str | None = None
    scheduled_at: EpochSeconds | None = None
    published: bool | None = None
    disabled: bool | None = None
    """Refuse publishing; disabling an event on air ends it."""
    reconnect_grace_s: GraceSeconds | None = None
    latency_mode: LatencyModeName | None = None
    """Takes effect at the next publish."""


class ObsSettings(msgspec.Struct):
    server: str
    """OBS → Settings → Stream → Server."""
    key: str
    """OBS → Settings → Stream → Stream Key."""


class StreamKey(msgspec.Struct):
    stream_key: str
    """Shown once; store it in the encoder."""
    rtmp_url: str
    """The full publishing URL (server + key)."""
    obs: ObsSettings


class Event(msgspec.Struct):
    id: str
    org_id: str
    title: str
    category: str
    cover: str | None
    scheduled_at: float | None
    status: str
    """scheduled, live, reconnecting or ended."""
    is_live: bool
    started_at: float | None
    ended_at: float | None
    duration: float | None
    master_url: str | None
    """Where players load the stream (live) or its replay (ended)."""
    replay: dict[str, Any] | None
    latency_mode: str
    """``standard`` or ``low``: how players should play it (hls.js ``lowLatencyMode``)."""


class EventCreated(Event):
    stream_key: str
    rtmp_url: str
    obs: ObsSettings


class ListedEvent(Event):
    """An event as the list and its page show it: with its organization's name and 观看人次."""

    org_name: str | None
    """The organization's name (null when it is gone)."""
    views: int
    """Plays to date (观看人次) of the show and its replay."""


class EventList(msgspec.Struct):
    items: list[ListedEvent]


class Refusal(msgspec.Struct):
    code: str
    message: str
    at: float
    remote: str | None


class RefusalList(msgspec.Struct):
    items: list[Refusal]


class Health(msgspec.Struct):
    status: str
    health: dict[str, Any] | None
    stale: bool
    """The figures are older than 10 s (no ingest is reporting)."""
