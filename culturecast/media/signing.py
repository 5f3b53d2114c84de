"""Signed, expiring media URLs (DESIGN.md § Delivery): how staff preview an item that is not
public, checked alike by the api and by the nginx edge (``deploy/nginx/``).

A signed URL is ``/media/s/<signature>/<expires>/<key>``: the signature sits in the path, so a
playlist's relative URIs carry it down to every rendition and segment, and it covers the
item's whole prefix (``vod/<resource_id>/``, ``live/<event_id>/`` or ``series/<id>/``), not
one object.
The signature is what nginx's ``secure_link_md5 "$secure_link_expires$item $secret"``
computes: MD5 over ``<expires><item prefix> <secret>``, base64url without padding;
``<expires>`` is a Unix time in seconds. No I/O here; the clock is a parameter.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac

from culturecast.core.errors import Forbidden, Gone, Sentence

SIGNED_PATH = "/media/s/"


class Verdict(enum.Enum):
    VALID = "valid"
    BAD = "bad"
    EXPIRED = "expired"


class BadSignature(Forbidden):
    code = "bad_signature"


class LinkExpired(Gone):
    code = "link_expired"


def item_prefix(key: str) -> str | None:
    """``vod/<id>/``, ``live/<id>/`` or ``series/<id>/`` of an object key, or None for any
    other key."""
    kind, _, rest = key.partition("/")
    item_id, slash, _ = rest.partition("/")
    if kind not in ("live", "vod", "series") or not slash or not item_id:
        return None
    return f"{kind}/{item_id}/"


def signature(secret: str, prefix: str, expires: int) -> str:
    """nginx's ``secure_link_md5 "$secure_link_expires<prefix> <secret>"``, base64url."""
    digest = hashlib.md5(f"{expires}{prefix} {secret}".encode(), usedforsecurity=True).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def signed_path(secret: str, key: str, expires: int) -> str:
    """The signed URL path of object ``key`` (any object of its item), valid until
    ``expires`` (Unix seconds)."""
    prefix = item_prefix(key)
    if prefix is None:
        raise ValueError(f"not a media item key: {key!r}")
    return f"{SIGNED_PATH}{signature(secret, prefix, expires)}/{expires}/{key}"


def verify(secret: str, key: str, sig: str, expires_raw: str, now: float) -> Verdict:
    """Whether ``sig``/``expires_raw`` of a signed URL allow object ``key`` at ``now``."""
    prefix = item_prefix(key)
    if prefix is None or not expires_raw.isascii() or not expires_raw.isdigit():
        return Verdict.BAD
    expires = int(expires_raw)
    if not hmac.compare_digest(signature(secret, prefix, expires).encode(), sig.encode()):
        return Verdict.BAD
    if expires <= now:
        return Verdict.EXPIRED
    return Verdict.VALID


def refusal(verdict: Verdict) -> BadSignature | LinkExpired:
    """The error a refused signed URL answers with (403 or 410, in both languages)."""
    if verdict is Verdict.EXPIRED:
        return LinkExpired(
            Sentence(
                "预览链接已过期，请重新获取。", "This preview link has expired; get a new one."
            )
        )
    return BadSignature(
        Sentence(
            "链接签名无效：此内容尚未公开，只能通过有效的预览链接观看。",
            "The link's signature is not valid: this media is not public and is served only "
            "through a valid preview link.",
        )
    )
