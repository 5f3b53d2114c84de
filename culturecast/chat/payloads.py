"""Validate what clients send, before anything else looks at it (pure).

Socket.IO delivers whatever JSON (or binary attachments) a client chose to send, so
every event's payload is checked here for shape, types and sizes and turned into a
typed value (a one-field payload is just its value), or refused with ``bad_payload``
(``too_long`` for an over-long text, so the person knows what to change). Unknown keys
are refused like unknown fields of the REST API, so a typo never passes silently.
``bool`` is not accepted where a number is expected (in Python it is an ``int``; on the
wire it is a mistake).

The engine refuses frames over ``max_http_buffer_size`` before this module sees them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from culturecast.chat.events import RefusalCode

MAX_ID_LENGTH: Final = 128
MAX_RAW_TEXT: Final = 2_000
"""Longest raw text accepted in ``send``/``pin`` (the policy's ``max_raw_length``)."""
MAX_TOKEN_LENGTH: Final = 512
MAX_LIKES_PER_EVENT: Final = 50
"""A client may batch likes (``{count}``), up to this many in one event."""
MAX_MUTE_SECONDS: Final = 30 * 86_400
MAX_BAN_SECONDS: Final = 365 * 86_400
MAX_SLOW_MODE_SECONDS: Final = 3_600

_ID_RE: Final = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


class PayloadError(Exception):
    """The payload is not what the event takes."""

    def __init__(self, code: RefusalCode = RefusalCode.BAD_PAYLOAD) -> None:
        super().__init__(code.value)
        self.code = code


@dataclass(frozen=True, slots=True)
class Join:
    event_id: str
    watching: bool = True
    """False: a moderation console, which follows the room without being one of its viewers
    (not counted in 在看)."""


@dataclass(frozen=True, slots=True)
class Like:
    count: int


@dataclass(frozen=True, slots=True)
class Sanction:
    """``mute`` or ``ban``; ``seconds`` None bans for ever, 0 lifts it."""

    user_id: str
    seconds: float | None


@dataclass(frozen=True, slots=True)
class Auth:
    """Connection credentials: a user token, or a guest nickname, or neither (read only)."""

    token: str | None = None
    guest: str | None = None
    lang: str = "zh-CN"


def _fields(
    data: object,
    required: frozenset[str] | set[str],
    optional: frozenset[str] | set[str] = frozenset(),
) -> dict[str, object]:
    if data is None and not required:
        return {}
    if not isinstance(data, dict):
        raise PayloadError()
    keys = set(data)
    if not required <= keys or not keys <= required | optional:
        raise PayloadError()
    return data


def _ident(value: object) -> str:
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise PayloadError()
    return value


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise PayloadError()
    if len(value) > MAX_RAW_TEXT:
        raise PayloadError(RefusalCode.TOO_LONG)
    return value


def _number(value: object, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError()
    if not low <= value <= high:  # also refuses NaN
        raise PayloadError()
    return float(value)


def parse_join(data: object) -> Join:
    fields = _fields(data, {"event_id"}, {"watching"})
    watching = fields.get("watching", True)
    if not isinstance(watching, bool):
        raise PayloadError()
    return Join(_ident(fields["event_id"]), watching)


def parse_send(data: object) -> str:
    """The raw text of a comment."""
    return _text(_fields(data, {"text"})["text"])


def parse_like(data: object) -> Like:
    fields = _fields(data, set(), {"count"})
    if "count" not in fields:
        return Like(1)
    return Like(int(_number(fields["count"], 1, MAX_LIKES_PER_EVENT)))


def parse_delete(data: object) -> str:
    """The id of the message to delete."""
    return _ident(_fields(data, {"message_id"})["message_id"])


def parse_mute(data: object) -> Sanction:
    fields = _fields(data, {"user_id", "seconds"})
    return Sanction(_ident(fields["user_id"]), _number(fields["seconds"], 0, MAX_MUTE_SECONDS))


def parse_ban(data: object) -> Sanction:
    fields = _fields(data, {"user_id"}, {"seconds"})
    seconds = fields.get("seconds")
    if seconds is None:
        return Sanction(_ident(fields["user_id"]), None)
    return Sanction(_ident(fields["user_id"]), _number(seconds, 0, MAX_BAN_SECONDS))


def parse_pin(data: object) -> str:
    """The raw text of the notice to pin (the same rules as a comment's)."""
    return parse_send(data)


def parse_nothing(data: object) -> None:
    """``close`` and ``open`` take no payload (``{}`` is accepted too)."""
    _fields(data, set())


def parse_slow_mode(data: object) -> int:
    """Whole seconds between two comments of a member (0 lifts slow mode)."""
    seconds = _number(_fields(data, {"seconds"})["seconds"], 0, MAX_SLOW_MODE_SECONDS)
    if seconds != int(seconds):
        raise PayloadError()
    return int(seconds)


def parse_auth(data: object) -> Auth:
    """The ``auth`` object of the Socket.IO connection: ``{token}`` or ``{guest}``."""
    fields = _fields(data, set(), {"token", "guest", "lang"})
    lang = fields.get("lang", "zh-CN")
    if not isinstance(lang, str) or len(lang) > 16:
        raise PayloadError()
    token = fields.get("token")
    guest = fields.get("guest")
    if token is not None and guest is not None:
        raise PayloadError()
    if token is not None and (not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH):
        raise PayloadError()
    if guest is not None and (not isinstance(guest, str) or len(guest) > 200):
        raise PayloadError()
    return Auth(token=token, guest=guest, lang=lang)
