"""Argument validation shared by every object-store adapter (keys, prefixes, multipart part
lists), so both accept exactly the same arguments and a key can never name a path outside the
store.

A key is one or more segments of ``[A-Za-z0-9._-]`` joined by ``/``: no leading or trailing
``/``, no empty segment, no ``..`` anywhere, no segment starting with ``.`` and at most
``MAX_KEY_LENGTH`` characters. The leading-dot rule keeps ``.``/``..`` out and leaves names
such as ``.meta`` and ``.tmp-…`` free for the local adapter's own bookkeeping, so they can never
collide with an object.
"""

from __future__ import annotations

import itertools
import re

from culturecast.storage.objects.port import UploadedPart

MAX_KEY_LENGTH = 512
"""Longest key accepted (S3 allows 1024 bytes; ours are built from ids and stay far shorter)."""

MAX_SEGMENT_LENGTH = 200
"""Longest segment: a file-name component is at most 255 bytes on common file systems, and the
local adapter appends suffixes such as ``.json`` to it."""

_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


def check_key(key: str) -> str:
    """Return ``key`` unchanged when it is a valid object key; raise ``ValueError`` otherwise."""
    if not key:
        raise ValueError("object key is empty")
    if len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"object key is longer than {MAX_KEY_LENGTH} characters")
    if ".." in key:
        raise ValueError(f"object key contains '..': {key!r}")
    for segment in key.split("/"):
        if not segment:
            raise ValueError(f"object key has an empty segment: {key!r}")
        if len(segment) > MAX_SEGMENT_LENGTH:
            raise ValueError(f"object key segment longer than {MAX_SEGMENT_LENGTH}: {key!r}")
        if _SEGMENT.fullmatch(segment) is None:
            raise ValueError(
                f"object key segment is not [A-Za-z0-9._-] (or starts with '.'): {key!r}"
            )
    return key


def check_prefix(prefix: str) -> str:
    """Return ``prefix`` unchanged when some valid key could start with it: empty, or a key
    optionally followed by one ``/`` (``live/``, ``live/ev1/seg_0``); ``ValueError`` otherwise."""
    if prefix:
        check_key(prefix.removesuffix("/"))
    return prefix


def check_parts(parts: list[UploadedPart]) -> None:
    """S3's rules for the part list of a completion, checked before any I/O."""
    if not parts:
        raise ValueError("a multipart upload needs at least one part")
    numbers = [part.number for part in parts]
    if any(b <= a for a, b in itertools.pairwise(numbers)):
        raise ValueError(f"part numbers must be strictly ascending, got {numbers}")
