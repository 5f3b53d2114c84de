"""The one base of every error a client can cause: an HTTP ``status`` and a stable ``code``
(class attributes, the code overridable per instance) and a sentence a person can act on, in
zh-CN and English.

The server's error middleware renders ``{"error": {"code", "message"}}``; the message is in
the language the request chose (``?lang=`` or the ``cc_lang`` cookie the pages set), or both
(zh-CN first) when it chose none. Errors still built from one plain string send it as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

type Lang = Literal["zh-CN", "en"]

LANG_COOKIE: Final = "cc_lang"
"""The cookie the pages set when a viewer picks a language (``server/web/i18n.py``)."""

_CJK: Final = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds Chinese characters or CJK punctuation (full-width forms too)."""
    return _CJK.search(text) is not None


def parse_lang(value: str | None) -> Lang | None:
    """``en``/``en-US``… → en, ``zh``/``zh-CN``… → zh-CN, anything else → None."""
    if not value:
        return None
    tag = value.strip().lower()
    if tag == "en" or tag.startswith("en-"):
        return "en"
    if tag == "zh" or tag.startswith("zh-"):
        return "zh-CN"
    return None


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence a person reads, in the two languages the UI shows."""

    zh: str
    """Simplified Chinese (zh-CN), the default language: no English words but names."""
    en: str
    """English, with no Chinese characters."""

    def in_language(self, lang: Lang | None) -> str:
        """The sentence in ``lang``; both (zh-CN first) when no language was chosen."""
        if lang == "en":
            return self.en
        if lang == "zh-CN":
            return self.zh
        return f"{self.zh} ({self.en})"

    def __str__(self) -> str:
        return self.in_language(None)


class ClientError(Exception):
    """Base of the errors a client can cause; subclasses set ``status`` and ``code``."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str | Sentence, *, code: str | None = None) -> None:
        super().__init__(str(message))
        self.sentence = message if isinstance(message, Sentence) else None
        """The sentence in both languages; None for an error built from one string."""
        self.message = str(message)
        """The sentence in both languages (or the one string)."""
        if code is not None:
            self.code = code

    def message_in(self, lang: Lang | None) -> str:
        """The message in ``lang`` (both when None, or when built from one string)."""
        return self.message if self.sentence is None else self.sentence.in_language(lang)


class InvalidQuery(ClientError, ValueError):
    """A query parameter is malformed or out of its range (a ``ValueError`` too, as pure
    parsers raise for a malformed value)."""

    status = 400
    code = "invalid_query"


class InvalidBody(ClientError, ValueError):
    """A body field is malformed or out of its range (a ``ValueError`` too)."""

    status = 400
    code = "invalid_body"


class MalformedBody(ClientError):
    """The body is not JSON (or is empty)."""

    status = 400
    code = "malformed_json"


class InvalidEncoding(ClientError):
    """The body is not UTF-8 text."""

    status = 400
    code = "invalid_encoding"


class UnsupportedMediaType(ClientError):
    """The body is in a content type the endpoint does not read."""

    status = 415
    code = "unsupported_media_type"
