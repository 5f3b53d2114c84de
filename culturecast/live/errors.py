"""Errors of the live API. Each has a stable ``code`` and an HTTP ``status`` as class
attributes and a ``message`` a person can act on; the server's middleware turns them into
``{"error": {"code", "message"}}``."""

from __future__ import annotations


class LiveError(Exception):
    """Base of the live feature's client errors."""

    status = 400
    code = "live_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EventNotFound(LiveError):
    """Unknown event, or another organization's (never say which)."""

    status = 404
    code = "live_event_not_found"

    def __init__(self) -> None:
        super().__init__("直播活动不存在。Live event not found.")


class InvalidEvent(LiveError):
    """A field of a create/update body is out of range."""

    status = 400
    code = "invalid_live_event"


class EventOnAir(LiveError):
    """The action needs the event off air (delete while live)."""

    status = 409
    code = "event_on_air"


class EventEnded(LiveError):
    """The action needs an event that has not ended (rotate the key of an ended event)."""

    status = 409
    code = "event_ended"
