"""Who is connected: one socket's session, the id a guest posts as, the identity shown next
to a comment, and the refusal of a connection."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from culturecast.chat.events import RefusalCode, refusal_message
from culturecast.chat.limits import TokenBuckets
from culturecast.chat.policy import ChatUser
from culturecast.core.access import Caller
from culturecast.core.device import is_device_id


def guest_id(device: str | None, sid: str) -> str:
    """A guest's user id: from the device cookie when there is a well-formed one — hashed, so
    the id every client sees does not give away the cookie — else from the connection."""
    if device is not None and is_device_id(device):
        digest = hashlib.sha256(b"culturecast-guest:" + device.encode()).digest()
        return "guest-" + base64.urlsafe_b64encode(digest[:12]).decode()
    return f"guest-{sid}"


def wire_user(user: ChatUser) -> dict[str, Any]:
    """Who sent a message, as every client sees it: ``{id, name, guest}``, plus ``staff:
    true`` for the room's moderators (pages mark guests and staff, so neither passes for the
    other)."""
    body: dict[str, Any] = {"id": user.id, "name": user.name, "guest": user.is_guest}
    if user.is_moderator:
        body["staff"] = True
    return body


class ConnectRefused(Exception):
    """The connection is refused; ``payload`` is the ``{code, message}`` the client gets."""

    def __init__(self, code: RefusalCode, lang: str = "zh-CN") -> None:
        super().__init__(code.value)
        self.code = code
        self.payload = {"code": code.value, "message": refusal_message(code, lang)}


@dataclass(slots=True)
class Session:
    """One connected socket."""

    sid: str
    caller: Caller | None
    """The signed-in user, or None for guests and anonymous readers."""
    guest_name: str | None
    """A guest's nickname (None: not a guest)."""
    lang: str
    guest_id: str = ""
    """The id a guest posts as (see :func:`guest_id`)."""
    event_id: str | None = None
    """The joined room's event."""
    user: ChatUser | None = None
    """The identity comments are sent with in the joined room (None: may not comment)."""
    moderator: bool = False
    likes: TokenBuckets | None = None
