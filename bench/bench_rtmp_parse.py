"""Throughput of the RTMP ingest parser on a synthetic 1080p-like publish stream.

The stream is 20 s of 6 Mbit/s video at 30 fps (a 2 s GOP whose keyframes are ~8x a
P-frame) plus 128 kbit/s AAC, chunked as an encoder would at chunk size 4096 (OBS,
FFmpeg) and at the protocol default of 128. Figures are compared with a reference
measured in the same run: copying the same bytes in the same 64 KiB reads through a
bytearray and memoryview slices, i.e. the floor any parser pays for touching the data.

    .venv/bin/python bench/bench_rtmp_parse.py
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from culturecast.live.rtmp import amf0, chunk
from culturecast.live.rtmp.chunk import ChunkDemuxer, ChunkMuxer
from culturecast.live.rtmp.connection import RtmpServerConnection
from culturecast.live.rtmp.events import FlvTag, PublishRequested

SECONDS = 20
VIDEO_BITRATE = 6_000_000
AUDIO_BITRATE = 128_000
FPS = 30
GOP = 60
READ_SIZE = 65536


def media_messages(rng: random.Random) -> list[tuple[int, int, int, bytes]]:
    """(csid, type, timestamp, payload) for the whole stream, interleaved by time."""
    per_gop = VIDEO_BITRATE / 8 * GOP / FPS
    p_frame = int(per_gop / (GOP - 1 + 8))
    key_frame = 8 * p_frame
    noise = rng.randbytes(key_frame + 1024)
    out: list[tuple[int, int, int, bytes]] = []
    for frame in range(SECONDS * FPS):
        size = key_frame if frame % GOP == 0 else p_frame + rng.randrange(-500, 500)
        head = b"\x17\x01" if frame % GOP == 0 else b"\x27\x01"
        out.append((6, chunk.MSG_VIDEO, frame * 1000 // FPS, head + noise[:size]))
    aac_frames_per_s = 44100 / 1024
    aac_size = int(AUDIO_BITRATE / 8 / aac_frames_per_s)
    for index in range(int(SECONDS * aac_frames_per_s)):
        timestamp = int(index * 1000 / aac_frames_per_s)
        out.append((4, chunk.MSG_AUDIO, timestamp, b"\xaf\x01" + noise[:aac_size]))
    out.sort(key=lambda message: message[2])
    return out


def session_prefix(muxer: ChunkMuxer, chunk_size: int) -> bytes:
    out = bytearray(b"\x03" + bytes(1536) + bytes(1536))
    out += muxer.encode(2, chunk.MSG_SET_CHUNK_SIZE, 0, 0, chunk_size.to_bytes(4, "big"))
    muxer.set_chunk_size(chunk_size)
    for payload, stream_id in (
        (amf0.encode("connect", 1.0, {"app": "live", "tcUrl": "rtmp://h/live"}), 0),
        (amf0.encode("createStream", 2.0, None), 0),
        (amf0.encode("publish", 3.0, None, "key", "live"), 1),
    ):
        out += muxer.encode(3, chunk.MSG_COMMAND_AMF0, stream_id, 0, payload)
    return bytes(out)


def best_of(runs: int, func: Callable[[], int]) -> tuple[float, int]:
    best = float("inf")
    result = 0
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    messages = media_messages(random.Random(42))
    media_bytes = sum(len(m[3]) for m in messages)
    print(f"stream: {SECONDS} s, {len(messages)} messages, {media_bytes / 1e6:.1f} MB of media")
    print(f"{'case':<34}{'MB/s':>10}{'x realtime':>12}{'vs copy':>10}")
    realtime = (VIDEO_BITRATE + AUDIO_BITRATE) / 8 / 1e6
    for chunk_size in (4096, 128):
        muxer = ChunkMuxer()
        prefix = session_prefix(muxer, chunk_size)
        stream = prefix + b"".join(
            muxer.encode(csid, type_id, 1, ts, payload) for csid, type_id, ts, payload in messages
        )
        body = stream[len(prefix) :]
        reads = [body[i : i + READ_SIZE] for i in range(0, len(body), READ_SIZE)]
        size_mb = len(body) / 1e6

        def reference(reads: list[bytes] = reads, chunk_size: int = chunk_size) -> int:
            # The floor: append each read to a buffer, slice it chunk by chunk into a
            # message buffer through a memoryview, and copy messages out.
            buf = bytearray()
            total = 0
            for data in reads:
                buf += data
                message = bytearray()
                with memoryview(buf) as view:
                    for start in range(0, len(buf), chunk_size):
                        message += view[start : start + chunk_size]
                total += len(bytes(message))
                buf.clear()
            return total

        def demux_only(reads: list[bytes] = reads, chunk_size: int = chunk_size) -> int:
            demuxer = ChunkDemuxer()
            demuxer.chunk_size = chunk_size
            count = 0
            for data in reads:
                demuxer.feed(data)
                while demuxer.next_message() is not None:
                    count += 1
            return count

        def full_connection(prefix: bytes = prefix, reads: list[bytes] = reads) -> int:
            conn = RtmpServerConnection(random_bytes=random.Random(0).randbytes)
            conn.receive_data(prefix, 0.0)
            while (event := conn.next_event()) is not None:
                if isinstance(event, PublishRequested):
                    conn.accept_publish()
            written = 0
            for index, data in enumerate(reads):
                conn.receive_data(data, index * 0.01)
                while (event := conn.next_event()) is not None:
                    if isinstance(event, FlvTag):
                        written += len(event.to_bytes())
                conn.data_to_send()
            return written

        copy_time, _ = best_of(3, reference)
        copy_rate = size_mb / copy_time
        label = f"reference copy @ chunk {chunk_size}"
        print(f"{label:<34}{copy_rate:>10.0f}{copy_rate / realtime:>12.0f}{1.0:>10.2f}")
        for name, func in (("demuxer", demux_only), ("connection + FLV tags", full_connection)):
            elapsed, _ = best_of(3, func)
            rate = size_mb / elapsed
            label = f"{name} @ chunk {chunk_size}"
            print(f"{label:<34}{rate:>10.0f}{rate / realtime:>12.0f}{rate / copy_rate:>10.2f}")


if __name__ == "__main__":
    main()
