"""tus 1.0 resumable-upload protocol: header parsing and formatting, no I/O.

Spec: https://tus.io/protocols/resumable-upload (version 1.0.0). Implemented extensions:
``creation``, ``termination``, ``expiration``. Every request but OPTIONS carries
``Tus-Resumable: 1.0.0`` (§ Headers / Tus-Resumable); a server that does not support the
client's version answers 412 with ``Tus-Version``.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import posixpath
import re
import unicodedata
from collections.abc import Mapping

TUS_VERSION = "1.0.0"
EXTENSIONS = ("creation", "termination", "expiration")
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
"""§ PATCH: the only Content-Type a PATCH body may have."""

_KEY = re.compile(r"[^\s,]+")
_INT = re.compile(r"[0-9]{1,19}")


class TusError(ValueError):
    """A malformed tus header; the message names it."""


def check_version(headers: Mapping[str, str]) -> None:
    """§ Tus-Resumable: every request but OPTIONS names the version; ``TusError`` otherwise."""
    value = headers.get("Tus-Resumable")
    if value != TUS_VERSION:
        raise TusError(
            f"send Tus-Resumable: {TUS_VERSION} (got {value or 'nothing'}); "
            f"this server speaks tus {TUS_VERSION}"
        )


def parse_non_negative(name: str, value: str | None) -> int:
    """``Upload-Length`` / ``Upload-Offset``: a non-negative decimal integer (§ Headers)."""
    if value is None:
        raise TusError(f"the {name} header is required")
    value = value.strip()
    if _INT.fullmatch(value) is None:
        raise TusError(f"{name} must be a non-negative whole number, got {value!r}")
    return int(value)


def parse_metadata(value: str | None) -> dict[str, str]:
    """§ Upload-Metadata: comma-separated ``key base64(value)`` pairs, value optional, keys
    unique and free of spaces and commas. Values are decoded as UTF-8 text."""
    result: dict[str, str] = {}
    if value is None or not value.strip():
        return result
    for pair in value.split(","):
        parts = pair.strip().split(" ")
        if not parts[0] or len(parts) > 2 or _KEY.fullmatch(parts[0]) is None:
            raise TusError(f"Upload-Metadata entry {pair.strip()!r} is not 'key base64value'")
        key = parts[0]
        if key in result:
            raise TusError(f"Upload-Metadata names {key!r} twice")
        raw = parts[1] if len(parts) == 2 else ""
        try:
            decoded = base64.b64decode(raw, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise TusError(
                f"Upload-Metadata value of {key!r} is not base64-encoded UTF-8 text"
            ) from None
        if "\x00" in decoded:
            # NUL cuts C strings, ffmpeg metadata and log lines: refused in every text field.
            raise TusError(f"Upload-Metadata value of {key!r} holds the NUL character")
        result[key] = decoded
    return result


def format_metadata(metadata: Mapping[str, str]) -> str:
    """The ``Upload-Metadata`` header for ``metadata`` (inverse of :func:`parse_metadata`)."""
    return ",".join(
        f"{key} {base64.b64encode(value.encode('utf-8')).decode('ascii')}".rstrip()
        for key, value in metadata.items()
    )


def format_expires(epoch_s: float) -> str:
    """§ Expiration: ``Upload-Expires`` is an RFC 9110 HTTP-date."""
    return email.utils.formatdate(epoch_s, usegmt=True)


def options_headers(max_size: int) -> dict[str, str]:
    """§ OPTIONS: what this server supports."""
    return {
        "Tus-Resumable": TUS_VERSION,
        "Tus-Version": TUS_VERSION,
        "Tus-Extension": ",".join(EXTENSIONS),
        "Tus-Max-Size": str(max_size),
    }


_SAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(filename: str | None, default: str = "original") -> str:
    """An object-key segment for an uploaded file's name: the base name reduced to
    ``[A-Za-z0-9._-]`` (accents folded, other characters dropped), never starting with ``.``,
    keeping the extension; ``default`` plus the extension when nothing is left."""
    base = posixpath.basename((filename or "").replace("\\", "/"))
    folded = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    stem, dot, ext = folded.rpartition(".")
    if not dot:
        stem, ext = folded, ""
    ext = _SAFE_CHARS.sub("", ext).lower()[:10]
    stem = _SAFE_CHARS.sub("_", stem).strip("._-")[:80]
    name = (stem or default) + (f".{ext}" if ext else "")
    return name.lstrip(".") or default
