"""Server handshake: simple echo and the FP9 digest scheme librtmp clients use."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from culturecast.live.rtmp import handshake
from culturecast.live.rtmp.connection import ConnectionState, RtmpServerConnection
from culturecast.live.rtmp.errors import HandshakeFailed
from culturecast.live.rtmp.events import ConnectionClosed, HandshakeComplete
from tests.unit.live.rtmp.client import drain, librtmp_c1, seeded_random, simple_c1

FMS_KEY_36 = b"Genuine Adobe Flash Media Server 001"
FMS_KEY_68 = FMS_KEY_36 + bytes.fromhex(
    "f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae"
)


def _sha(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def test_simple_handshake_echoes_c1_as_s2_and_stamps_time() -> None:
    c1 = simple_c1()
    reply = handshake.server_reply(b"\x03" + c1, now=12.5, random_bytes=seeded_random())
    assert not reply.digest
    assert len(reply.data) == 1 + 2 * 1536
    s0, s1, s2 = reply.data[:1], reply.data[1:1537], reply.data[1537:]
    assert s0 == b"\x03"
    assert s1[:4] == (12500).to_bytes(4, "big")
    assert s1[4:8] == b"\x00\x00\x00\x00"
    assert s2 == c1


def test_handshake_is_deterministic_with_injected_randomness() -> None:
    c0c1 = b"\x03" + librtmp_c1()[0]
    first = handshake.server_reply(c0c1, now=1.0, random_bytes=seeded_random(3))
    second = handshake.server_reply(c0c1, now=1.0, random_bytes=seeded_random(3))
    assert first.data == second.data


@pytest.mark.parametrize("schema", [0, 1])
def test_digest_handshake_answers_librtmp_c1_in_the_same_schema(schema: int) -> None:
    c1, client_digest = librtmp_c1(schema=schema)
    reply = handshake.server_reply(b"\x03" + c1, now=0.0, random_bytes=seeded_random())
    assert reply.digest
    assert reply.schema == schema
    s1, s2 = reply.data[1:1537], reply.data[1537:]

    # What librtmp's HandShake() checks: S1 carries an FMS digest at the schema's offset...
    base = 8 if schema == 0 else 772
    offset = sum(s1[base : base + 4]) % 728 + base + 4
    expected = _sha(FMS_KEY_36, s1[:offset] + s1[offset + 32 :])
    assert s1[offset : offset + 32] == expected
    assert s1[4:8] != b"\x00\x00\x00\x00"
    # ...and S2 ends with HMAC(HMAC(FMS key, client digest), rest of S2).
    key = _sha(FMS_KEY_68, client_digest)
    assert s2[-32:] == _sha(key, s2[:-32])


def test_c1_with_version_but_invalid_digest_falls_back_to_echo() -> None:
    c1 = bytearray(librtmp_c1()[0])
    c1[100] ^= 0xFF  # breaks the HMAC whichever schema
    c1[900] ^= 0xFF
    reply = handshake.server_reply(b"\x03" + bytes(c1), now=0.0, random_bytes=seeded_random())
    assert not reply.digest
    assert reply.data[1537:] == bytes(c1)


def test_wrong_version_is_refused() -> None:
    with pytest.raises(HandshakeFailed):
        handshake.server_reply(b"\x06" + simple_c1(), now=0.0, random_bytes=seeded_random())


def test_connection_completes_handshake_fed_byte_by_byte() -> None:
    conn = RtmpServerConnection(random_bytes=seeded_random())
    c1, _ = librtmp_c1()
    for index, byte in enumerate(b"\x03" + c1):
        conn.receive_data(bytes((byte,)), now=float(index))
    assert len(conn.data_to_send()) == 3073
    assert conn.next_event() is None
    conn.receive_data(bytes(1535), now=2000.0)
    assert conn.state is ConnectionState.AWAIT_C2
    conn.receive_data(b"\x00", now=2001.0)
    assert drain(conn) == [HandshakeComplete(digest=True)]
    assert conn.state.value == ConnectionState.AWAIT_CONNECT.value


def test_connection_refuses_non_rtmp_bytes_on_the_first_byte() -> None:
    conn = RtmpServerConnection(random_bytes=seeded_random())
    conn.receive_data(b"GET / HTTP/1.1\r\n", now=0.0)
    events = drain(conn)
    assert len(events) == 1
    assert isinstance(events[0], ConnectionClosed)
    assert events[0].code == "handshake_failed"
    assert conn.data_to_send() == b""
