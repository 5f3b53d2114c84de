"""Fuzz target for the RTMP connection state machine.

Run with atheris (``pip install atheris``)::

    .venv/bin/python -m tests.fuzz.fuzz_rtmp [corpus_dir] [-max_total_time=600]

The test suite calls :func:`fuzz_one` over a seeded random corpus
(``tests/unit/live/rtmp/test_robustness.py``), so atheris is not needed to run it.

The first input byte chooses a valid prefix (nothing, handshake, handshake + connect,
or a session already publishing) so random bytes reach the chunk and command layers
instead of dying in the handshake; the second seeds how the rest is split into reads.
"""

from __future__ import annotations

import random
import sys

from culturecast.live.rtmp import amf0, chunk
from culturecast.live.rtmp.connection import RtmpServerConnection
from culturecast.live.rtmp.events import ConnectionClosed, PublishRequested

#: Codes a ConnectionClosed may carry; anything else (``internal_error``) is a bug.
EXPECTED_CODES = frozenset(
    {
        "handshake_failed",
        "malformed_chunk",
        "malformed_message",
        "message_too_large",
        "buffer_limit",
        "amf_decode_error",
        "unexpected_command",
        "rejected",
    }
)


def valid_prefix(level: int) -> bytes:
    """Client bytes reaching: 0 nothing, 1 handshake, 2 connected, 3 publish requested."""
    if level == 0:
        return b""
    out = bytearray(b"\x03" + bytes(8) + random.Random(level).randbytes(1528) + bytes(1536))
    if level == 1:
        return bytes(out)
    muxer = chunk.ChunkMuxer()
    out += muxer.encode(2, chunk.MSG_SET_CHUNK_SIZE, 0, 0, (4096).to_bytes(4, "big"))
    muxer.set_chunk_size(4096)
    connect = amf0.encode("connect", 1.0, {"app": "live", "tcUrl": "rtmp://h/live"})
    out += muxer.encode(3, chunk.MSG_COMMAND_AMF0, 0, 0, connect)
    if level >= 3:
        out += muxer.encode(3, chunk.MSG_COMMAND_AMF0, 0, 0, amf0.encode("createStream", 2.0))
        publish = amf0.encode("publish", 3.0, None, "key", "live")
        out += muxer.encode(8, chunk.MSG_COMMAND_AMF0, 1, 0, publish)
    return bytes(out)


_PREFIXES = tuple(valid_prefix(level) for level in range(4))


def fuzz_one(data: bytes) -> str | None:
    """Feed ``data`` to a fresh connection; return the close code, or None if it waits.

    Raises AssertionError when the connection misbehaves (an internal error, output after
    close), which is what atheris reports as a finding.
    """
    if len(data) < 2:
        return None
    level = data[0] & 0x03
    reject = bool(data[0] & 0x04)
    splitter = random.Random(data[1])
    stream = _PREFIXES[level] + data[2:]
    conn = RtmpServerConnection(random_bytes=random.Random(0).randbytes)
    pos = 0
    now = 0.0
    code: str | None = None
    while pos < len(stream) and code is None:
        step = splitter.choice((1, 7, 128, 1500, 4096, 65536))
        conn.receive_data(stream[pos : pos + step], now)
        pos += step
        now += 0.01
        while (event := conn.next_event()) is not None:
            if isinstance(event, PublishRequested):
                if reject:
                    conn.reject_publish("rejected", "Refused by the fuzzer.")
                else:
                    conn.accept_publish()
            elif isinstance(event, ConnectionClosed):
                if event.code not in EXPECTED_CODES:
                    raise AssertionError(f"unexpected close: {event.code}: {event.reason}")
                code = event.code
        conn.data_to_send()
    if code is not None:
        conn.receive_data(b"\x00" * 10, now)
        if conn.data_to_send() or conn.next_event() is not None:
            raise AssertionError("a closed connection still produced output")
    return code


def main() -> None:  # pragma: no cover - needs atheris
    import atheris  # type: ignore[import-not-found, import-untyped, unused-ignore]

    atheris.Setup(sys.argv, fuzz_one)
    atheris.Fuzz()


if __name__ == "__main__":  # pragma: no cover
    main()
