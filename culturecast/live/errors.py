"""Errors of the live API. Each has a stable ``code`` and an HTTP ``status`` as class
attributes and a sentence a person can act on in zh-CN and en; the server's middleware turns
them into ``{"error": {"code", "message"}}`` in the request's language."""

from __future__ import annotations

from culturecast.core.errors import ClientError, Sentence


class LiveError(ClientError):
    """Base of the live feature's client errors."""

    status = 400
    code = "live_error"


class EventNotFound(LiveError):
    """Unknown event, or another organization's (never say which)."""

    status = 404
    code = "live_event_not_found"

    def __init__(self) -> None:
        super().__init__(Sentence("直播活动不存在。", "Live event not found."))


class InvalidEvent(LiveError):
    """A field of a create/update body is out of range."""

    status = 400
    code = "invalid_live_event"


class InvalidCategory(LiveError):
    """The category is not one of ``GET /api/v1/categories``."""

    status = 400
    code = "invalid_category"


class EventOnAir(LiveError):
    """The action needs the event off air (delete while live)."""

    status = 409
    code = "event_on_air"


class EventEnded(LiveError):
    """The action needs an event that has not ended (rotate the key of an ended event)."""

    status = 409
    code = "event_ended"
