"""Text fields a person types (titles, names, descriptions, tags): the one check they pass.

A field is kept as typed (Chinese included), only trimmed of surrounding white space, but
refused when it holds NUL anywhere (C strings, ffmpeg metadata and log lines would cut it),
or when nothing visible is left once control characters, format characters (zero-width
space and joiners, bidi marks, the BOM), separators, combining marks alone and the
blank-looking fillers (Hangul fillers, braille blank) are taken away — such a title shows
as an empty card.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from culturecast.core.errors import InvalidBody, Sentence

_INVISIBLE_CATEGORIES: Final = frozenset(
    {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"}
)
_BLANK_LOOKING: Final = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def is_visible(text: str) -> bool:
    """Whether ``text`` has at least one character a reader sees."""
    return any(
        ch not in _BLANK_LOOKING and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES
        for ch in text
    )


def clean_text(
    name: str,
    value: str,
    *,
    max_len: int,
    required: bool = True,
    min_len: int = 1,
    code: str = InvalidBody.code,
) -> str:
    """``value`` trimmed; :class:`InvalidBody` (with ``code``) naming ``name`` when it holds
    NUL, is longer than ``max_len`` (or shorter than ``min_len``) characters, or shows
    nothing — allowed only for an optional field left empty."""
    if "\x00" in value:
        raise InvalidBody(
            Sentence(
                f"{name} 中不能含有空字符（U+0000）。",
                f"{name} must not contain the NUL character (U+0000).",
            ),
            code=code,
        )
    text = value.strip()
    if not text and not required:
        return text
    if not is_visible(text):
        raise InvalidBody(
            Sentence(
                f"{name} 不能为空，也不能只含不可见字符。",
                f"{name} must not be empty or made only of invisible characters.",
            ),
            code=code,
        )
    if not min_len <= len(text) <= max_len:
        raise InvalidBody(
            Sentence(
                f"{name} 应为 {min_len}–{max_len} 个字符。",
                f"{name} must be {min_len} to {max_len} characters long.",
            ),
            code=code,
        )
    return text


_POSIX_PATH: Final = re.compile(
    r"(?<![\w:/.~-])/(?:[^\s/'\"|:;,()\[\]<>]+/)+([^\s/'\"|:;,()\[\]<>]*)"
)


def without_paths(message: str) -> str:
    """``message`` (an exception's or a tool's words, shown to users) with every absolute
    file-system path cut to its last part, so the server's layout stays private:
    ``/srv/data/work/r1-1/original: Invalid data`` → ``…/original: Invalid data``. URLs
    (``http://host/x``) are left alone."""
    return _POSIX_PATH.sub(lambda m: f"…/{m[1]}" if m[1] else "…/", message)
