"""The websocket frame broadcasts write directly (RFC 6455 § 5.2, examples from § 5.7)."""

from __future__ import annotations

import pytest

from culturecast.chat.fanout import text_frame


def test_a_short_text_is_one_unmasked_final_frame() -> None:
    # § 5.7: "A single-frame unmasked text message".
    assert text_frame("Hello") == bytes((0x81, 0x05)) + b"Hello"


@pytest.mark.parametrize(
    ("size", "header"),
    [
        (0, bytes((0x81, 0))),
        (125, bytes((0x81, 125))),
        (126, bytes((0x81, 126, 0x00, 0x7E))),
        (256, bytes((0x81, 126, 0x01, 0x00))),  # § 5.7's 256-byte example
        (65535, bytes((0x81, 126, 0xFF, 0xFF))),
        (65536, bytes((0x81, 127)) + (65536).to_bytes(8, "big")),
    ],
)
def test_the_length_takes_the_shortest_form(size: int, header: bytes) -> None:
    frame = text_frame("x" * size)
    assert frame[: len(header)] == header
    assert len(frame) == len(header) + size


def test_the_length_counts_utf8_bytes_not_characters() -> None:
    frame = text_frame("好" * 50)  # 150 bytes: over the one-byte form
    assert frame[:4] == bytes((0x81, 126, 0x00, 150))
    assert frame[4:].decode() == "好" * 50
