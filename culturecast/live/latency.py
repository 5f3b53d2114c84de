"""A live event's latency mode (DESIGN.md § Latency).

``standard``: 1 s MPEG-TS segments published when ffmpeg closes them, players two segments
behind the edge (≤ 5 s glass to glass). ``low``: LL-HLS (RFC 8216bis) — CMAF segments made
of parts, blocking playlist reload, hls.js ``lowLatencyMode`` (goal ≤ 2 s).
"""

from __future__ import annotations

from enum import StrEnum


class LatencyMode(StrEnum):
    STANDARD = "standard"
    LOW = "low"


MODES: tuple[str, ...] = tuple(m.value for m in LatencyMode)
"""Every mode's name, as the API and ``CULTURECAST_LIVE_LATENCY_MODE`` spell them."""


def mode_of(doc: dict[str, object], default: str = LatencyMode.STANDARD) -> LatencyMode:
    """The mode an event document asks for (older events: ``default``)."""
    raw = doc.get("latency_mode") or default
    try:
        return LatencyMode(str(raw))
    except ValueError:
        return LatencyMode(default)
