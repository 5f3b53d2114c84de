"""Uploaded covers of live events, resources and series (issue 14): what a cover may be, and
where it is kept. Pure: bytes and names in, a checked image or a refusal out; no I/O.

A cover is one JPEG, PNG or WebP picture of at most :data:`MAX_COVER_BYTES`, sent as the raw
request body. Its type is read from the picture's own first bytes (the "magic numbers" of
each format); the ``Content-Type`` the client declares must name an accepted type and agree
with them, so a renamed file or a page saved as ``.jpg`` is refused with the reason. The
object key holds a hash of the content, so a new cover is a new URL and every cache may keep
a cover for a year (``immutable``); the old object is deleted when a new one replaces it.
Live and media both keep covers, so the rule lives here (DESIGN.md § Packages).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

from culturecast.core.errors import (
    BadRequest,
    PayloadTooLarge,
    Sentence,
    UnsupportedMediaType,
)

MAX_COVER_BYTES: Final = 5 * 1024 * 1024
"""Largest cover accepted (5 MB): a phone photo fits; a cover is shown at card size."""

COVER_TYPES: Final[dict[str, str]] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
}
"""Accepted content types and the file extension each is stored with."""

COVER_TYPES_SENT: Final = tuple(COVER_TYPES)
"""The content types a cover upload declares (for the OpenAPI document)."""

COVER_CACHE: Final = "public, max-age=31536000, immutable"
"""A cover's key changes with its content, so an object never changes: cached a year."""

COVER_NAME: Final = "cover-"
"""Covers are ``<item prefix>cover-<hash>.<ext>``."""


class CoverEmpty(BadRequest):
    code = "cover_empty"


class CoverTooLarge(PayloadTooLarge):
    code = "cover_too_large"


class CoverTypeUnsupported(UnsupportedMediaType):
    code = "cover_type_unsupported"


class CoverNotAnImage(UnsupportedMediaType):
    code = "cover_not_an_image"


class CoverTypeMismatch(BadRequest):
    code = "cover_type_mismatch"


@dataclass(frozen=True, slots=True)
class CoverImage:
    """A checked cover."""

    data: bytes
    """The picture, as sent."""
    content_type: str
    """``image/jpeg``, ``image/png`` or ``image/webp``, as its bytes say."""
    digest: str
    """SHA-256 of ``data``, hex."""

    @property
    def extension(self) -> str:
        return COVER_TYPES[self.content_type]


def sniff(data: bytes) -> str | None:
    """The accepted image type ``data`` starts as, or None. JPEG: SOI marker ``FF D8 FF``
    (ISO/IEC 10918-1 B.2.1); PNG: its 8-byte signature (PNG spec §5.2); WebP: a RIFF header
    whose form type is ``WEBP`` (RFC 9649 §2.5)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def declared_type(header: str | None) -> str:
    """The media type of a ``Content-Type`` header, lower-cased, without parameters."""
    return (header or "").split(";", 1)[0].strip().lower()


def too_large() -> CoverTooLarge:
    mb = MAX_COVER_BYTES // (1024 * 1024)
    return CoverTooLarge(
        Sentence(f"封面图片不能超过 {mb} MB。", f"A cover image may be at most {mb} MB.")
    )


def check_cover(data: bytes | None, content_type: str | None) -> CoverImage:
    """The cover in a request body (``data`` None: the body was larger than
    :data:`MAX_COVER_BYTES` and not read whole) with its declared ``content_type``; raises
    the refusal a person can act on: empty 400, too large 413, a type that is not JPEG, PNG
    or WebP 415, bytes that are not the declared type 400."""
    if data is None or len(data) > MAX_COVER_BYTES:
        raise too_large()
    if not data:
        raise CoverEmpty(
            Sentence("上传的封面是空的，请选择一张图片。", "The cover is empty: choose a picture.")
        )
    declared = declared_type(content_type)
    if declared not in COVER_TYPES:
        zh, en = (declared, declared) if declared else ("未声明的类型", "an undeclared type")
        raise CoverTypeUnsupported(
            Sentence(
                f"封面只支持 JPEG、PNG 或 WebP 图片，不支持 {zh}。",
                f"A cover must be a JPEG, PNG or WebP image, not {en}.",
            )
        )
    actual = sniff(data)
    if actual is None:
        raise CoverNotAnImage(
            Sentence(
                "这个文件不是 JPEG、PNG 或 WebP 图片，请换一张图片。",
                "This file is not a JPEG, PNG or WebP image; choose another picture.",
            )
        )
    if actual != declared:
        name = COVER_TYPES[actual].upper()
        raise CoverTypeMismatch(
            Sentence(
                f"图片的实际格式是 {name}，与声明的 {declared} 不符。",
                f"The picture is a {name} image, not {declared} as declared.",
            )
        )
    return CoverImage(data, actual, hashlib.sha256(data).hexdigest())


def cover_key(prefix: str, image: CoverImage) -> str:
    """The object key of ``image`` as the cover of the item whose objects live under
    ``prefix`` (``vod/<id>/``, ``series/<id>/``, ``live/<id>/``): built from server ids and
    the content hash only."""
    if not prefix.endswith("/"):
        raise ValueError(f"an item prefix ends with '/': {prefix!r}")
    return f"{prefix}{COVER_NAME}{image.digest[:20]}.{image.extension}"


def is_cover_key(prefix: str, key: str | None) -> bool:
    """Whether ``key`` is a cover kept under ``prefix``."""
    return bool(key) and str(key).startswith(prefix + COVER_NAME)


def media_url(key: str) -> str:
    """The served URL of an object key (``/media/<key>``)."""
    return f"/media/{key}"
