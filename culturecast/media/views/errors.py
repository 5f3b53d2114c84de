"""Errors of view counting and statistics that a client can cause.

Each carries a stable ``code`` and an HTTP ``status`` as class attributes and a ``message`` a
person can act on (zh-CN first, then en); the server's error middleware turns them into
``{"error": {"code", "message"}}``.
"""

from __future__ import annotations


class ViewsError(Exception):
    """Base of this package's client errors."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidBody(ViewsError):
    """The request body is not what the endpoint takes."""

    status = 400
    code = "invalid_body"


class InvalidQuery(ViewsError):
    """A query parameter is malformed (a day, a month, a ranking)."""

    status = 400
    code = "invalid_query"


class LoginRequired(ViewsError):
    """The item is only for signed-in viewers."""

    status = 401
    code = "login_required"

    def __init__(self) -> None:
        super().__init__("请先登录再观看。 (Sign in to watch this.)")


class UnknownItem(ViewsError):
    """No such live event or resource (or not one the caller may see)."""

    status = 404
    code = "not_found"

    def __init__(self, what: str) -> None:
        super().__init__(f"找不到{what}。 ({what} not found.)")


class UnknownSession(ViewsError):
    """The heartbeat names no live playback session: never started, or expired."""

    status = 404
    code = "unknown_session"

    def __init__(self) -> None:
        super().__init__(
            "播放会话不存在或已过期，请重新开始播放。 "
            "(Unknown or expired playback session; start playing again with POST /api/v1/play.)"
        )


class ShowEnded(ViewsError):
    """A heartbeat of a live session whose show has ended: its time up to the end is counted,
    nothing after it; the replay, if any, is watched in a new session."""

    status = 409
    code = "show_ended"

    def __init__(self) -> None:
        super().__init__(
            "直播已结束，感谢收看。如有回看，请重新开始播放。 "
            "(The live show has ended; to watch its replay, start playing again.)"
        )


class NotPlayable(ViewsError):
    """The item exists but cannot be played now; ``reason`` says why."""

    status = 409
    code = "not_playable"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class RateLimited(ViewsError):
    """Too many requests from one address."""

    status = 429
    code = "rate_limited"

    def __init__(self) -> None:
        super().__init__(
            "请求过于频繁，请稍后再试。 (Too many requests from your address; wait a minute.)"
        )


class UnsupportedMediaType(ViewsError):
    """A body in a content type the endpoint does not read."""

    status = 415
    code = "unsupported_media_type"
