"""Wire shapes of the playback and heartbeat endpoints (msgspec structs, also the OpenAPI
document's schemas)."""

from __future__ import annotations

from typing import ClassVar

import msgspec

from culturecast.core.numbers import ClientSeq, MediaSeconds
from culturecast.media.views.policy import ItemType, PlayerState, Terminal

MAX_BATCH = 100
"""Beats in one batched request (a beacon sent at page unload holds a few)."""


class PlayRequest(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /api/v1/play``."""

    malformed_code: ClassVar[str] = "invalid_body"
    """Playback bodies say ``invalid_body`` for JSON that does not parse, too (``core.body``)."""

    item_type: ItemType
    item_id: str = msgspec.field()
    terminal: Terminal | None = None
    """web, mobile_h5, wechat, app, tv; guessed from the User-Agent when absent."""


class PlayResponse(msgspec.Struct):
    session_id: str
    """Names the session in heartbeats."""
    token: str
    """Goes into media URLs; media requests carrying it count as heartbeats."""
    master_url: str
    """The HLS master playlist, with the token in its path."""
    heartbeat_interval_s: float
    """Send a heartbeat this often while the page is open."""
    item_type: ItemType
    item_id: str
    title: str
    is_live: bool
    duration_s: float | None


class Beat(msgspec.Struct, forbid_unknown_fields=True):
    """One heartbeat; names its session by ``session_id`` or ``token``."""

    session_id: str | None = None
    token: str | None = None
    position_s: MediaSeconds | None = None
    state: PlayerState = PlayerState.PLAYING
    seq: ClientSeq | None = None


class HeartbeatRequest(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /api/v1/views/heartbeat``: one beat, or ``{"beats": [...]}``, whose beats may
    leave out the session named at the top."""

    malformed_code: ClassVar[str] = "invalid_body"

    session_id: str | None = None
    token: str | None = None
    position_s: MediaSeconds | None = None
    state: PlayerState = PlayerState.PLAYING
    seq: ClientSeq | None = None
    beats: list[Beat] | None = None
