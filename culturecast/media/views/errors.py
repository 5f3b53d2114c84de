"""Errors of view counting and statistics that a client can cause.

Each is a ``core.errors`` status class with a stable ``code`` of its own and a sentence a
person can act on in zh-CN and en (``core.errors.Sentence``); the server's error middleware
turns them into ``{"error": {"code", "message"}}`` in the request's language.
"""

from __future__ import annotations

from typing import Final

from culturecast.core.errors import (
    Conflict,
    NotFound,
    Sentence,
    TooManyRequests,
    Unauthorized,
)


class LoginRequired(Unauthorized):
    """The item is only for signed-in viewers."""

    code = "login_required"

    def __init__(self) -> None:
        super().__init__(Sentence("请先登录再观看。", "Sign in to watch this."))


_WHAT: Final = {
    "live": Sentence("找不到该直播。", "Live event not found."),
    "resource": Sentence("找不到该资源。", "Resource not found."),
    "item": Sentence("找不到该内容。", "Item not found."),
}


def not_found(kind: str = "item") -> Sentence:
    """The sentence of a 404 about an item of ``kind`` (``live``, ``resource`` or ``item``)."""
    return _WHAT.get(kind, _WHAT["item"])


class UnknownItem(NotFound):
    """No such live event or resource (or not one the caller may see)."""

    code = "not_found"

    def __init__(self, kind: str = "item") -> None:
        """``kind``: ``live``, ``resource`` or ``item`` (either)."""
        super().__init__(not_found(kind))


class UnknownSession(NotFound):
    """The heartbeat names no live playback session: never started, or expired."""

    code = "unknown_session"

    def __init__(self) -> None:
        super().__init__(
            Sentence(
                "播放会话不存在或已过期，请重新开始播放。",
                "Unknown or expired playback session; start playing again with POST /api/v1/play.",
            )
        )


class ShowEnded(Conflict):
    """A heartbeat of a live session whose show has ended: its time up to the end is counted,
    nothing after it; the replay, if any, is watched in a new session."""

    code = "show_ended"

    def __init__(self) -> None:
        super().__init__(
            "直播已结束，感谢收看。如有回看，请重新开始播放。 "
            "(The live show has ended; to watch its replay, start playing again.)"
        )


class NotPlayable(Conflict):
    """The item exists but cannot be played now; ``reason`` says why."""

    code = "not_playable"

    def __init__(self, reason: str, message: str | Sentence) -> None:
        super().__init__(message)
        self.reason = reason


class RateLimited(TooManyRequests):
    """Too many requests from one address."""

    code = "rate_limited"

    def __init__(self) -> None:
        super().__init__(
            Sentence(
                "请求过于频繁，请稍后再试。", "Too many requests from your address; wait a minute."
            )
        )
