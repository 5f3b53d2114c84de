"""Stream keys: random, shown once, stored hashed, compared in constant time, rotatable.

DESIGN.md § Live: 32 random bytes (256 bits, so guessing is hopeless and no rate limit is
needed for secrecy), URL-safe base64 so the key survives OBS's text box and an RTMP URL. Only
the SHA-256 of a key is stored: a leaked database does not let anyone publish. A slow hash
would add nothing for a 256-bit random secret, and the lookup must be by hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

KEY_BYTES = 32
"""Entropy of a stream key."""


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new key: ``plain`` goes to the broadcaster once, ``digest`` to the database."""

    plain: str
    """The key as the broadcaster types it into OBS."""
    digest: str
    """Hex SHA-256 of ``plain``."""


def hash_key(plain: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(plain.encode("utf-8", "surrogatepass")).hexdigest()


def issue_key() -> IssuedKey:
    """A fresh random key and its digest."""
    plain = secrets.token_urlsafe(KEY_BYTES)
    return IssuedKey(plain, hash_key(plain))


def key_matches(plain: str, digest: str) -> bool:
    """Whether ``plain`` is the key stored as ``digest``, in constant time."""
    return hmac.compare_digest(hash_key(plain), digest)


def looks_like_key(plain: str) -> bool:
    """Cheap shape check before any lookup: right length, URL-safe alphabet only."""
    return len(plain) == 43 and plain.isascii() and all(c.isalnum() or c in "-_" for c in plain)
