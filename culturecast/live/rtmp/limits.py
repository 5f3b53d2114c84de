"""What one RTMP connection may cost before and after it publishes, and the budget the
connections that have not published yet share.

A connection that has not been admitted is anyone on the internet: it gets small messages
(``connect``, ``createStream`` and ``publish`` are a few hundred bytes), a small share of
memory and short deadlines. An admitted publisher has a valid stream key and gets room for
video frames. Bytes are counted as they arrive, never from the length a header declares.
"""

from __future__ import annotations

from dataclasses import dataclass

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """Byte caps and deadlines of one connection."""

    message_bytes_before_publish: int = 64 * KIB
    """Largest message a header may declare before the publish is admitted."""
    held_bytes_before_publish: int = 256 * KIB
    """Bytes of unfinished messages plus unparsed input one connection may hold before its
    publish is admitted."""
    message_bytes: int = 8 * MIB
    """Largest message of an admitted publisher (a 4K keyframe fits)."""
    held_bytes: int = 32 * MIB
    """Bytes of unfinished messages plus unparsed input of an admitted publisher."""
    shared_allowance_bytes: int = 16 * KIB
    """Bytes each connection holds before publishing without drawing on the shared
    :class:`UnpublishedBudget`; more than any real client ever holds."""
    handshake_timeout_s: float = 5.0
    """From accept to a complete handshake (C2); a real client needs one round trip."""
    publish_timeout_s: float = 30.0
    """From accept to a publish request (the time spent in admission does not count)."""
    idle_timeout_s: float = 15.0
    """No bytes for this long while publishing: the encoder is gone."""

    def __post_init__(self) -> None:
        if not 0 < self.message_bytes_before_publish <= self.message_bytes <= 0xFFFFFF:
            raise ValueError("message limits must satisfy 0 < before publish <= after <= 16 MiB")
        if self.held_bytes_before_publish > self.held_bytes:
            raise ValueError("held_bytes_before_publish must not exceed held_bytes")


class UnpublishedBudget:
    """Bytes that all connections which have not published yet may hold between them.

    Each connection draws only what it holds above its
    :attr:`ConnectionLimits.shared_allowance_bytes`, so real clients never touch it, while a
    crowd of hostile ones cannot together hold more than ``limit`` bytes.
    """

    def __init__(self, limit: int = 8 * MIB) -> None:
        if limit < 0:
            raise ValueError("the budget must not be negative")
        self.limit = limit
        self.used = 0

    def resize(self, held: int, wanted: int) -> bool:
        """Change one connection's share from ``held`` to ``wanted`` bytes; False (and no
        change) when the budget cannot grant the growth."""
        delta = wanted - held
        if delta > 0 and self.used + delta > self.limit:
            return False
        self.used += delta
        return True
