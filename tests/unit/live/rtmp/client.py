"""A scripted RTMP client for tests: builds what OBS/FFmpeg send, with our own muxer."""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Callable

from culturecast.live.rtmp import amf0, chunk
from culturecast.live.rtmp.amf0 import AmfValue
from culturecast.live.rtmp.connection import RtmpServerConnection
from culturecast.live.rtmp.events import Event

FP_KEY_30 = b"Genuine Adobe Flash Player 001"


def seeded_random(seed: int = 1) -> Callable[[int], bytes]:
    """Deterministic stand-in for os.urandom."""
    return random.Random(seed).randbytes


def simple_c1(seed: int = 7) -> bytes:
    """C1 of the simple handshake: time, four zero bytes, random."""
    return b"\x00\x00\x10\x00" + b"\x00\x00\x00\x00" + random.Random(seed).randbytes(1528)


def librtmp_c1(seed: int = 7, *, schema: int = 0) -> tuple[bytes, bytes]:
    """C1 as librtmp builds it for FP9 (version 0x80000702), and the digest it carries."""
    block = bytearray(b"\x00\x00\x00\x00" + bytes((0x80, 0x00, 0x07, 0x02)))
    block += random.Random(seed).randbytes(1528)
    base = 8 if schema == 0 else 772
    offset = sum(block[base : base + 4]) % 728 + base + 4
    digest = hmac.new(
        FP_KEY_30, bytes(block[:offset] + block[offset + 32 :]), hashlib.sha256
    ).digest()
    block[offset : offset + 32] = digest
    return bytes(block), digest


class Client:
    """Builds client bytes; chunk size and header compression as a real encoder would."""

    def __init__(self, *, chunk_size: int = 128) -> None:
        self.muxer = chunk.ChunkMuxer(chunk_size=128)
        self.pending_chunk_size = chunk_size

    def handshake(self, c1: bytes | None = None) -> bytes:
        return b"\x03" + (c1 or simple_c1()) + bytes(1536)

    def message(
        self, csid: int, type_id: int, stream_id: int, timestamp: int, payload: bytes
    ) -> bytes:
        return self.muxer.encode(csid, type_id, stream_id, timestamp, payload)

    def command(self, name: str, txid: float, *args: AmfValue, stream_id: int = 0) -> bytes:
        csid = 3 if stream_id == 0 else 8
        return self.message(
            csid, chunk.MSG_COMMAND_AMF0, stream_id, 0, amf0.encode(name, txid, *args)
        )

    def set_chunk_size(self) -> bytes:
        size = self.pending_chunk_size
        data = self.message(2, chunk.MSG_SET_CHUNK_SIZE, 0, 0, size.to_bytes(4, "big"))
        self.muxer.set_chunk_size(size)
        return data

    def connect(self, app: str = "live") -> bytes:
        return self.command(
            "connect",
            1.0,
            {
                "app": app,
                "type": "nonprivate",
                "flashVer": "FMLE/3.0 (compatible; FMSc/1.0)",
                "tcUrl": f"rtmp://127.0.0.1:1935/{app}",
            },
        )

    def publish_preamble(self, key: str) -> bytes:
        """releaseStream, FCPublish, createStream, publish as OBS sends them."""
        return (
            self.command("releaseStream", 2.0, None, key)
            + self.command("FCPublish", 3.0, None, key)
            + self.command("createStream", 4.0, None)
            + self.command("publish", 5.0, None, key, "live", stream_id=1)
        )

    def metadata(self, values: dict[str, AmfValue]) -> bytes:
        payload = amf0.encode("@setDataFrame", "onMetaData", amf0.EcmaArray(values))
        return self.message(4, chunk.MSG_DATA_AMF0, 1, 0, payload)

    def video(self, timestamp: int, body: bytes) -> bytes:
        return self.message(6, chunk.MSG_VIDEO, 1, timestamp, body)

    def audio(self, timestamp: int, body: bytes) -> bytes:
        return self.message(4, chunk.MSG_AUDIO, 1, timestamp, body)


def drain(conn: RtmpServerConnection) -> list[Event]:
    events: list[Event] = []
    while (event := conn.next_event()) is not None:
        events.append(event)
    return events


def read_messages(data: bytes, chunk_size: int = 4096) -> list[chunk.Message]:
    """Parse the server's replies; after connect the server writes 4096-byte chunks."""
    demuxer = chunk.ChunkDemuxer()
    demuxer.chunk_size = chunk_size
    demuxer.feed(data)
    messages = []
    while (message := demuxer.next_message()) is not None:
        messages.append(message)
    return messages


def commands(data: bytes) -> list[list[AmfValue]]:
    return [
        amf0.decode_all(m.payload)
        for m in read_messages(data)
        if m.type_id == chunk.MSG_COMMAND_AMF0
    ]
