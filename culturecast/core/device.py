"""Device identity: the ``cc_did`` cookie that names one browser or player.

The viewer pages and the playback API give a device an id the first time it comes (a year,
HTTP only: pages never read it, the server does). The views count a device's plays under it
(the same viewer and item within the play window count once), and the chat knows a guest by
it, so a mute or a ban outlasts a reconnect. Anything that is not a well-formed id is no id:
the device gets a new one, and the chat treats the guest as one connection.
"""

from __future__ import annotations

import re
import secrets
from typing import Final

DEVICE_COOKIE: Final = "cc_did"
"""The cookie's name."""
DEVICE_COOKIE_MAX_AGE_S: Final = 365 * 24 * 3600
"""How long a browser keeps it: a year."""

_DEVICE_ID: Final = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def is_device_id(value: str | None) -> bool:
    """Whether ``value`` is a well-formed device id (URL-safe, 16 to 64 characters)."""
    return value is not None and _DEVICE_ID.match(value) is not None


def new_device_id() -> str:
    """A fresh random device id (128 bits)."""
    return secrets.token_urlsafe(16)


def device_or_new(cookie: str | None) -> tuple[str, bool]:
    """The device id of a ``cc_did`` cookie value, or a new one (then True: the response
    should set the cookie)."""
    if cookie is not None and is_device_id(cookie):
        return cookie, False
    return new_device_id(), True
