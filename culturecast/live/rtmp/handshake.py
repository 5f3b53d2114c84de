"""Server side of the RTMP handshake (RTMP 1.0 §5.2), simple and digest ("complex", FP9).

The simple handshake echoes C1 as S2. Flash Player 9+ and the librtmp family (OBS,
GStreamer's rtmpsink, FFmpeg) instead put an HMAC-SHA256 digest inside C1, keyed with
the "Genuine Adobe Flash Player 001" key, at an offset derived from four bytes of C1
(two layouts, "schema 0" and "schema 1"). A server that wants to look genuine answers
with a digest of its own in S1 (keyed with "Genuine Adobe Flash Media Server 001") and
an S2 whose last 32 bytes are an HMAC over the rest of S2, keyed with an HMAC of the
client's digest. Clients that send no valid digest get the simple echo.

Pure code: randomness comes from the ``random_bytes`` callable and time is an argument.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from culturecast.live.rtmp.errors import HandshakeFailed

RTMP_VERSION = 3
HANDSHAKE_SIZE = 1536
DIGEST_SIZE = 32

_KEY_TAIL = bytes.fromhex("f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae")
#: The 62-byte Flash Player key; C1 digests use its first 30 bytes (the readable part).
GENUINE_FP_KEY = b"Genuine Adobe Flash Player 001" + _KEY_TAIL
#: The 68-byte Flash Media Server key; S1 digests use its first 36 bytes.
GENUINE_FMS_KEY = b"Genuine Adobe Flash Media Server 001" + _KEY_TAIL
FP_KEY_PUBLIC = GENUINE_FP_KEY[:30]
FMS_KEY_PUBLIC = GENUINE_FMS_KEY[:36]

#: Version we claim in S1 when answering a digest handshake (what FMS 4.5 / nginx-rtmp send).
SERVER_VERSION = bytes((0x04, 0x05, 0x00, 0x01))


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def digest_offset(block: bytes | bytearray, schema: int) -> int:
    """Offset of the 32-byte digest in a C1/S1 ``block`` for ``schema`` 0 or 1.

    Schema 0 (librtmp's ``GetDigestOffset1``, FFmpeg's ``ff_rtmp_calc_digest_pos(buf, 8,
    728, 12)``): the digest follows the time/version words; its offset is 12 plus the
    byte sum of bytes 8..11 modulo 728. Schema 1 puts the key block first: 776 plus the
    byte sum of bytes 772..775 modulo 728.
    """
    base = 8 if schema == 0 else 772
    return (sum(block[base : base + 4]) % 728) + base + 4


def compute_digest(block: bytes, offset: int, key: bytes) -> bytes:
    """HMAC-SHA256 of ``block`` without the 32 bytes at ``offset``."""
    return _hmac(key, block[:offset] + block[offset + DIGEST_SIZE :])


def imprint_digest(block: bytearray, schema: int, key: bytes) -> int:
    """Write the digest for ``schema`` into ``block`` in place; return its offset."""
    offset = digest_offset(block, schema)
    block[offset : offset + DIGEST_SIZE] = compute_digest(bytes(block), offset, key)
    return offset


def find_client_digest(c1: bytes) -> tuple[int, bytes] | None:
    """Return ``(schema, digest)`` if C1 carries a valid Flash Player digest."""
    for schema in (0, 1):
        offset = digest_offset(c1, schema)
        expected = compute_digest(c1, offset, FP_KEY_PUBLIC)
        if hmac.compare_digest(expected, c1[offset : offset + DIGEST_SIZE]):
            return schema, c1[offset : offset + DIGEST_SIZE]
    return None


@dataclass(frozen=True, slots=True)
class HandshakeReply:
    """What the server answers to C0+C1."""

    data: bytes
    """S0 + S1 + S2, ready to send."""
    digest: bool
    """True when the client's C1 digest validated and we answered with the FP9 scheme."""
    schema: int | None
    """The digest schema (0 or 1) the client used, or None for the simple handshake."""


def server_reply(
    c0c1: bytes, *, now: float, random_bytes: Callable[[int], bytes]
) -> HandshakeReply:
    """Build S0+S1+S2 for a complete C0+C1 (1537 bytes)."""
    if len(c0c1) != 1 + HANDSHAKE_SIZE:
        raise HandshakeFailed(f"C0+C1 must be {1 + HANDSHAKE_SIZE} bytes, got {len(c0c1)}")
    version = c0c1[0]
    if version != RTMP_VERSION:
        # 6 and 8 are RTMPE (encrypted), which we do not offer.
        raise HandshakeFailed(f"unsupported RTMP version {version} in C0 (expected 3)")
    c1 = bytes(c0c1[1:])
    time_field = (int(now * 1000) & 0xFFFFFFFF).to_bytes(4, "big")

    found = find_client_digest(c1) if c1[4:8] != b"\x00\x00\x00\x00" else None
    if found is None:
        # RTMP 1.0 §5.2.3: S1 = time, zero, random; S2 echoes C1's time and random.
        s1 = time_field + b"\x00\x00\x00\x00" + _random(random_bytes, HANDSHAKE_SIZE - 8)
        s2 = c1
        return HandshakeReply(bytes((RTMP_VERSION,)) + s1 + s2, digest=False, schema=None)

    schema, client_digest = found
    s1_block = bytearray(time_field + SERVER_VERSION)
    s1_block += _random(random_bytes, HANDSHAKE_SIZE - 8)
    imprint_digest(s1_block, schema, FMS_KEY_PUBLIC)

    s2_block = bytearray(_random(random_bytes, HANDSHAKE_SIZE - DIGEST_SIZE))
    s2_key = _hmac(GENUINE_FMS_KEY, client_digest)
    s2_block += _hmac(s2_key, bytes(s2_block))
    return HandshakeReply(
        bytes((RTMP_VERSION,)) + bytes(s1_block) + bytes(s2_block), digest=True, schema=schema
    )


def _random(random_bytes: Callable[[int], bytes], size: int) -> bytes:
    data = random_bytes(size)
    if len(data) != size:
        raise ValueError(f"random_bytes({size}) returned {len(data)} bytes")
    return data
