"""Request and response bodies of the targets API (also its OpenAPI schemas)."""

from __future__ import annotations

from typing import ClassVar

import msgspec

from culturecast.live.schemas import Strict


class TargetCreate(Strict):
    invalid_code: ClassVar[str] = "invalid_target"

    name: str
    """What the console shows, e.g. 抖音, 视频号, 省文化云."""
    url: str
    """``rtmp://``, ``rtmps://`` or ``srt://`` (the platform's "server" / 推流地址)."""
    key: str = ""
    """The platform's stream key (推流码), write-only: never returned. RTMP(S): appended to
    the URL as OBS does; SRT: sent as ``streamid``. Empty when the URL holds it."""


class TargetErrorView(msgspec.Struct):
    code: str
    """connection_refused, key_rejected, dns_failure, timeout, tls_failure, unsupported_url,
    connection_dropped or push_failed."""
    zh: str
    en: str
    message: str
    """Both languages, zh-CN first."""


class Target(msgspec.Struct):
    id: str
    event_id: str
    name: str
    url: str
    has_key: bool
    """A key is set (it is never shown)."""
    state: str
    """idle, connecting, live, retrying or failed."""
    since: float | None
    """When the target entered ``state``."""
    error: TargetErrorView | None
    """The last error, a sentence an admin can act on (kept after the target recovers)."""
    bytes_sent: int
    """Bytes pushed to the receiver so far (all shows and reconnections)."""
    created_at: float | None


class TargetList(msgspec.Struct):
    items: list[Target]
