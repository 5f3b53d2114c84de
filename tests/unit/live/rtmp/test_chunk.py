"""Chunk streams (RTMP 1.0 §5.3): header types, extended timestamps, chunk sizes."""

from __future__ import annotations

import random

import pytest

from culturecast.live.rtmp import chunk
from culturecast.live.rtmp.chunk import ChunkDemuxer, ChunkMuxer, Message
from culturecast.live.rtmp.errors import MalformedChunk, MessageTooLarge


def _parse(data: bytes, demuxer: ChunkDemuxer | None = None) -> list[Message]:
    demuxer = demuxer or ChunkDemuxer()
    demuxer.feed(data)
    out = []
    while (message := demuxer.next_message()) is not None:
        out.append(message)
    return out


def _header(
    fmt: int, csid: int, ts: int = 0, length: int = 0, type_id: int = 9, stream_id: int = 1
) -> bytes:
    """A hand-written chunk header (basic + message header + extended timestamp)."""
    out = bytearray(chunk.basic_header(fmt, csid))
    field = min(ts, 0xFFFFFF)
    if fmt <= 2:
        out += field.to_bytes(3, "big")
    if fmt <= 1:
        out += length.to_bytes(3, "big") + bytes((type_id,))
    if fmt == 0:
        out += stream_id.to_bytes(4, "little")
    if ts >= 0xFFFFFF:
        out += ts.to_bytes(4, "big")
    return bytes(out)


@pytest.mark.parametrize(
    ("csid", "header_len"), [(2, 1), (63, 1), (64, 2), (319, 2), (320, 3), (65599, 3)]
)
def test_basic_header_forms_round_trip(csid: int, header_len: int) -> None:
    assert len(chunk.basic_header(0, csid)) == header_len
    data = ChunkMuxer().encode(csid, 9, 1, 40, b"abc")
    assert _parse(data) == [Message(csid, 9, 1, 40, b"abc")]


def test_every_message_header_type_by_hand() -> None:
    data = (
        _header(0, 6, ts=1000, length=3, type_id=9)
        + b"AAA"
        # type 1: new length and type, delta 33
        + _header(1, 6, ts=33, length=2, type_id=8)
        + b"BB"
        # type 2: only a new delta
        + _header(2, 6, ts=20)
        + b"CC"
        # type 3 starting a new message: repeats the last delta (20)
        + _header(3, 6)
        + b"DD"
    )
    assert _parse(data) == [
        Message(6, 9, 1, 1000, b"AAA"),
        Message(6, 8, 1, 1033, b"BB"),
        Message(6, 8, 1, 1053, b"CC"),
        Message(6, 8, 1, 1073, b"DD"),
    ]


def test_muxer_compresses_headers_like_an_encoder() -> None:
    muxer = ChunkMuxer()
    first = muxer.encode(6, 9, 1, 0, b"x" * 10)
    second = muxer.encode(6, 9, 1, 33, b"y" * 10)  # same length/type, new delta -> type 2
    third = muxer.encode(6, 9, 1, 66, b"z" * 10)  # same delta -> type 3
    fourth = muxer.encode(6, 9, 1, 99, b"w" * 11)  # new length -> type 1
    assert [part[0] >> 6 for part in (first, second, third, fourth)] == [0, 2, 3, 1]
    assert [m.timestamp for m in _parse(first + second + third + fourth)] == [0, 33, 66, 99]


def test_type_3_after_type_0_reuses_the_type_0_field_as_delta() -> None:
    # FFmpeg's and librtmp's reading: the field in effect is the delta for a new message.
    data = _header(0, 4, ts=10, length=1, type_id=8) + b"a" + _header(3, 4) + b"b"
    assert [m.timestamp for m in _parse(data)] == [10, 20]


def test_extended_timestamp_on_type_0_and_its_type_3_continuations() -> None:
    ts = 0x01020304
    payload = b"\xaa" * 512  # four chunks at 128
    data = ChunkMuxer().encode(6, 9, 1, ts, payload)
    # Each continuation chunk carries the 4-byte extended timestamp again (§5.3.1.3).
    assert data.count(ts.to_bytes(4, "big")) == 4
    assert _parse(data) == [Message(6, 9, 1, ts, payload)]


def test_continuation_without_the_repeated_extended_timestamp_is_tolerated() -> None:
    ts = 0x01000000
    payload = b"\x17" * 200
    data = _header(0, 6, ts=ts, length=200) + payload[:128] + _header(3, 6)[:1] + payload[128:]
    assert _parse(data) == [Message(6, 9, 1, ts, payload)]


def test_type_3_starting_a_new_message_with_extended_delta() -> None:
    delta = 0x01000000
    data = (
        _header(0, 6, ts=5, length=1)
        + b"a"
        + _header(2, 6, ts=delta)
        + b"b"  # extended delta
        + _header(3, 6, ts=delta)
        + b"c"  # type 3 carries the extended delta again
    )
    assert [m.timestamp for m in _parse(data)] == [5, 5 + delta, 5 + 2 * delta]


def test_timestamps_wrap_modulo_2_32() -> None:
    muxer = ChunkMuxer(compress=False)
    data = muxer.encode(6, 9, 1, 0xFFFFFFF0, b"a")
    data += _header(2, 6, ts=0x20) + b"b"
    assert [m.timestamp for m in _parse(data)] == [0xFFFFFFF0, 0x10]


def test_interleaved_chunk_streams_reassemble_independently() -> None:
    video = bytes(random.Random(1).randbytes(300))
    audio = bytes(random.Random(2).randbytes(200))
    v = ChunkMuxer().encode(6, 9, 1, 100, video)
    a = ChunkMuxer().encode(4, 8, 1, 90, audio)
    # Split each into its chunks (128-byte payloads, 1-byte type-3 headers) and interleave.
    v_chunks = [v[: 12 + 128], v[140 : 140 + 129], v[269:]]
    a_chunks = [a[: 12 + 128], a[140:]]
    data = v_chunks[0] + a_chunks[0] + v_chunks[1] + a_chunks[1] + v_chunks[2]
    messages = _parse(data)
    assert messages == [Message(4, 8, 1, 90, audio), Message(6, 9, 1, 100, video)]


def test_set_chunk_size_applies_to_the_very_next_chunk() -> None:
    muxer = ChunkMuxer()
    payload = b"v" * 5000
    data = muxer.encode(6, 9, 1, 0, payload)
    data += muxer.encode(2, chunk.MSG_SET_CHUNK_SIZE, 0, 0, (4096).to_bytes(4, "big"))
    muxer.set_chunk_size(4096)
    data += muxer.encode(6, 9, 1, 33, payload)
    demuxer = ChunkDemuxer()
    messages = _parse(data, demuxer)
    assert [m.payload for m in messages if m.type_id == 9] == [payload, payload]
    assert demuxer.chunk_size == 4096


def test_chunk_size_changes_back_down_mid_stream() -> None:
    muxer = ChunkMuxer(chunk_size=128)
    data = b""
    for index, size in enumerate([4096, 1, 60000, 128]):
        data += muxer.encode(2, chunk.MSG_SET_CHUNK_SIZE, 0, 0, size.to_bytes(4, "big"))
        muxer.set_chunk_size(size)
        data += muxer.encode(6, 9, 1, index * 40, bytes([index]) * 700)
    media = [m for m in _parse(data) if m.type_id == 9]
    assert [m.payload for m in media] == [bytes([i]) * 700 for i in range(4)]


@pytest.mark.parametrize("size", [0, 0x80000000])
def test_invalid_chunk_size_is_a_protocol_error(size: int) -> None:
    data = _header(0, 2, length=4, type_id=1, stream_id=0) + size.to_bytes(4, "big")
    with pytest.raises(MalformedChunk):
        _parse(data)


def test_abort_discards_the_partial_message() -> None:
    data = _header(0, 6, ts=0, length=300) + b"x" * 128
    data += _header(0, 2, length=4, type_id=2, stream_id=0) + (6).to_bytes(4, "big")
    data += _header(0, 6, ts=40, length=2) + b"ok"
    assert [m.payload for m in _parse(data) if m.type_id == 9] == [b"ok"]


def test_message_above_the_size_limit_is_refused_before_buffering() -> None:
    demuxer = ChunkDemuxer(max_message_size=1000)
    with pytest.raises(MessageTooLarge):
        _parse(_header(0, 6, length=1001), demuxer)


def test_first_chunk_of_a_stream_must_be_type_0() -> None:
    with pytest.raises(MalformedChunk):
        _parse(_header(1, 6, ts=0, length=1) + b"x")


def test_new_header_inside_an_incomplete_message_is_refused() -> None:
    data = _header(0, 6, length=300) + b"x" * 128 + _header(1, 6, ts=1, length=3) + b"abc"
    with pytest.raises(MalformedChunk):
        _parse(data)


def test_zero_length_message_completes_immediately() -> None:
    assert _parse(_header(0, 6, ts=7, length=0)) == [Message(6, 9, 1, 7, b"")]


def test_byte_by_byte_feeding_gives_the_same_messages() -> None:
    muxer = ChunkMuxer()
    data = b"".join(
        muxer.encode(
            4 + (i % 3), 8 + (i % 2), 1, i * 21 + (0xFFFFFF if i > 5 else 0), bytes([i]) * (i * 50)
        )
        for i in range(10)
    )
    whole = _parse(data)
    demuxer = ChunkDemuxer()
    pieces = []
    for byte in data:
        demuxer.feed(bytes((byte,)))
        while (message := demuxer.next_message()) is not None:
            pieces.append(message)
    assert pieces == whole
    assert len(whole) == 10
    assert demuxer.buffered == 0
