"""Hostile and broken input never escapes receive_data: it closes or waits for more."""

from __future__ import annotations

import random

import pytest

from culturecast.live.rtmp import chunk, flv
from culturecast.live.rtmp.connection import RtmpServerConnection
from culturecast.live.rtmp.events import ConnectionClosed, Event, PublishRequested
from tests.fuzz.fuzz_rtmp import EXPECTED_CODES, fuzz_one
from tests.unit.live.rtmp.client import Client, librtmp_c1


def _session_bytes(rng: random.Random) -> bytes:
    """A plausible publish session: handshake, connect, publish, metadata, media."""
    client = Client(chunk_size=rng.choice((128, 1000, 4096)))
    out = bytearray(client.handshake(librtmp_c1(rng.randrange(1000))[0]))
    out += client.set_chunk_size() + client.connect() + client.publish_preamble("key")
    out += client.metadata({"width": 1280.0, "height": 720.0})
    for frame in range(rng.randrange(1, 12)):
        out += client.video(frame * 33, b"\x27\x01" + rng.randbytes(rng.randrange(0, 9000)))
        out += client.audio(frame * 23, b"\xaf\x01" + rng.randbytes(rng.randrange(0, 400)))
    aggregate = flv.encode_tag(9, 7, b"\x17\x01abc") + flv.encode_tag(8, 9, b"\xaf\x01d")
    out += client.message(6, chunk.MSG_AGGREGATE, 1, 400, aggregate)
    return bytes(out)


def _corrupt(rng: random.Random, data: bytes) -> bytes:
    kind = rng.randrange(5)
    if kind == 0:  # pure noise
        return rng.randbytes(rng.randrange(1, 5000))
    if kind == 1:  # a valid session cut short
        return data[: rng.randrange(len(data))]
    mutable = bytearray(data)
    if kind == 2:  # bit flips after the handshake, where the parsers live
        for _ in range(rng.randrange(1, 20)):
            index = rng.randrange(3073, len(mutable))
            mutable[index] ^= 1 << rng.randrange(8)
    elif kind == 3:  # random bytes spliced in
        for _ in range(rng.randrange(1, 5)):
            index = rng.randrange(3073, len(mutable))
            mutable[index:index] = rng.randbytes(rng.randrange(1, 50))
    else:  # valid prefix, then noise
        cut = rng.randrange(3073, len(mutable))
        mutable[cut:] = rng.randbytes(rng.randrange(1, 3000))
    return bytes(mutable)


def _feed(conn: RtmpServerConnection, data: bytes, rng: random.Random) -> list[Event]:
    events: list[Event] = []
    pos = 0
    while pos < len(data):
        step = rng.randrange(1, 6000)
        conn.receive_data(data[pos : pos + step], now=pos / 1e6)
        pos += step
        while (event := conn.next_event()) is not None:
            events.append(event)
            if isinstance(event, PublishRequested):
                conn.accept_publish()
        conn.data_to_send()
    return events


def test_two_hundred_broken_streams_close_cleanly_or_wait() -> None:
    rng = random.Random(20261123)
    outcomes = {"closed": 0, "waiting": 0}
    for _ in range(200):
        data = _corrupt(rng, _session_bytes(rng))
        conn = RtmpServerConnection(random_bytes=random.Random(1).randbytes)
        events = _feed(conn, data, rng)
        closed = [e for e in events if isinstance(e, ConnectionClosed)]
        if closed:
            assert len(closed) == 1
            assert events[-1] is closed[0]
            assert closed[0].code in EXPECTED_CODES, closed[0]
            assert conn.is_closed
            outcomes["closed"] += 1
        else:
            assert not conn.is_closed
            outcomes["waiting"] += 1
    # The corpus exercises both outcomes, so the assertions above were reached.
    assert outcomes["closed"] > 20
    assert outcomes["waiting"] > 20


def test_an_uncorrupted_session_split_anywhere_closes_nothing() -> None:
    rng = random.Random(5)
    for _ in range(20):
        conn = RtmpServerConnection(random_bytes=random.Random(1).randbytes)
        events = _feed(conn, _session_bytes(rng), rng)
        assert not any(isinstance(e, ConnectionClosed) for e in events)
        assert conn.video_codec == "h264"


@pytest.mark.parametrize("seed", range(8))
def test_fuzz_entry_over_a_seeded_corpus(seed: int) -> None:
    rng = random.Random(seed)
    codes: set[str | None] = set()
    for _ in range(150):
        data = bytes((rng.randrange(256), rng.randrange(256))) + rng.randbytes(
            rng.randrange(0, 3000)
        )
        codes.add(fuzz_one(data))
    assert codes <= EXPECTED_CODES | {None}
    assert codes & EXPECTED_CODES
