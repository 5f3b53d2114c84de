"""Guest nicknames that would pass for staff (pure).

A guest's nickname is shown next to every comment, as a user's name is, so a guest calling
themselves 管理员 or ``admin`` reads like the platform speaking. Nicknames are compared folded
— NFKC (full-width ``ＡＤＭＩＮ`` is ``ADMIN``), case-folded, without spaces, punctuation,
symbols and invisible characters (``a d m i n``, ``官·方``) — and a nickname is reserved when:

- it contains a reserved Chinese name anywhere (``官方客服``, ``我是管理员``): a Chinese
  title reads as one wherever it stands, and one more try at a nickname costs a guest little;
- it is a reserved Latin name, alone or followed by digits (``Admin``, ``admin2``) — not
  inside other words, so ``badminton`` stays a fine nickname;
- or it is an existing user's name (asked of the accounts, see ``ports.UserNames``).

The list is the operator's (``CULTURECAST_CHAT_RESERVED_NAMES``); :data:`DEFAULT_RESERVED_NAMES`
are the titles a culture center's chat would show for its own people.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Final

DEFAULT_RESERVED_NAMES: Final = (
    "管理员",
    "超级管理员",
    "官方",
    "主持人",
    "主播",
    "系统",
    "客服",
    "版主",
    "房管",
    "工作人员",
    "admin",
    "administrator",
    "moderator",
    "system",
    "official",
    "staff",
)

_TRAILING_DIGITS: Final = re.compile(r"\d+$")


def fold(name: str) -> str:
    """``name`` as user names are compared: NFKC, case-folded, outer spaces dropped."""
    return unicodedata.normalize("NFKC", name).casefold().strip()


def skeleton(name: str) -> str:
    """``name`` folded, without separators, punctuation, symbols and invisible characters."""
    return "".join(c for c in fold(name) if unicodedata.category(c)[0] in "LMN")


class ReservedNames:
    """The reserved nicknames of one deployment."""

    def __init__(self, names: Iterable[str] = DEFAULT_RESERVED_NAMES) -> None:
        self._latin: set[str] = set()
        self._other: list[str] = []
        for name in names:
            key = skeleton(name)
            if not key:
                continue
            if key.isascii():
                self._latin.add(key)
            else:
                self._other.append(key)

    def is_reserved(self, nickname: str) -> bool:
        """Whether ``nickname`` would pass for one of the reserved names."""
        key = skeleton(nickname)
        if not key:
            return False
        if key in self._latin or _TRAILING_DIGITS.sub("", key) in self._latin:
            return True
        return any(name in key for name in self._other)
