"""RTMP chunk streams (RTMP 1.0 §5.3): demultiplexing chunks into messages and back.

The demuxer keeps one input ``bytearray`` and a read position, so a feed never copies
more than the unparsed tail; a chunk is only consumed once all of it has arrived, and the
consumed bytes are given back as soon as the parser waits for more. Bytes are counted as
they arrive: a header's declared length is checked against ``max_message_size`` but never
allocated, and what a peer holds (unfinished messages plus the unparsed tail) is capped by
``max_held_bytes``; the connection tightens both until a publish is admitted.
Set Chunk Size (type 1) and Abort (type 2) are applied by the demuxer itself, because
they change how the very next chunk is read; they are still returned as messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from culturecast.live.rtmp.errors import MalformedChunk, MessageTooLarge, TooMuchBuffered

# RTMP 1.0 §5.4 protocol control messages and §7.1 message types.
MSG_SET_CHUNK_SIZE = 1
MSG_ABORT = 2
MSG_ACKNOWLEDGEMENT = 3
MSG_USER_CONTROL = 4
MSG_WINDOW_ACK_SIZE = 5
MSG_SET_PEER_BANDWIDTH = 6
MSG_AUDIO = 8
MSG_VIDEO = 9
MSG_DATA_AMF3 = 15
MSG_SHARED_OBJECT_AMF3 = 16
MSG_COMMAND_AMF3 = 17
MSG_DATA_AMF0 = 18
MSG_SHARED_OBJECT_AMF0 = 19
MSG_COMMAND_AMF0 = 20
MSG_AGGREGATE = 22

DEFAULT_CHUNK_SIZE = 128
MAX_CHUNK_SIZE = 0x7FFFFFFF
#: Default cap on one message; a 1080p keyframe is well under 1 MiB.
DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024
#: Chunk streams one peer may open. Encoders use a handful (FFmpeg 2-8, OBS 2-7); the
#: 65,598 the basic header can name would each cost us header state.
MAX_CHUNK_STREAMS = 64

_EXTENDED = 0xFFFFFF
_HEADER_SIZES = (11, 7, 3, 0)


@dataclass(slots=True)
class Message:
    """One reassembled RTMP message."""

    csid: int
    """Chunk stream it arrived on."""
    type_id: int
    """Message type (``MSG_*``)."""
    stream_id: int
    """Message stream id (0 for control and NetConnection commands)."""
    timestamp: int
    """Absolute timestamp in milliseconds, modulo 2**32."""
    payload: bytes
    """Message body."""


class _InStream:
    """Header state of one incoming chunk stream (RTMP 1.0 §5.3.1.2)."""

    __slots__ = (
        "delta",
        "extended",
        "length",
        "parts",
        "received",
        "stream_id",
        "timestamp",
        "type_id",
    )

    def __init__(self) -> None:
        self.timestamp = 0
        # Timestamp delta a type-3 chunk starting a new message adds. After a type-0 header
        # this is the type-0 timestamp field itself, as FFmpeg's rtmppkt.c and librtmp do.
        self.delta = 0
        self.length = 0
        self.type_id = 0
        self.stream_id = 0
        # Whether the header in effect used an extended timestamp, so type-3 chunks of this
        # chunk stream carry one too (RTMP 1.0 §5.3.1.3).
        self.extended = False
        self.received = 0
        self.parts: bytearray | None = None


def chunk_size_valid(size: int) -> bool:
    """RTMP 1.0 §5.4.1: 31 bits, and a chunk size of zero would never make progress."""
    return 1 <= size <= MAX_CHUNK_SIZE


class ChunkDemuxer:
    """Incoming chunk streams to messages. Raises :class:`RtmpError` subclasses."""

    def __init__(
        self,
        *,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        max_held_bytes: int | None = None,
    ) -> None:
        self.chunk_size = DEFAULT_CHUNK_SIZE
        self.max_message_size = max_message_size
        """Largest length a message header may declare."""
        self.max_held_bytes = 4 * max_message_size if max_held_bytes is None else max_held_bytes
        """Cap on :attr:`held`: interleaving many half-sent messages on many chunk streams
        must not let a peer hold more than this."""
        self._buf = bytearray()
        self._pos = 0
        self._streams: dict[int, _InStream] = {}
        # Bytes received into incomplete messages over all chunk streams.
        self._partial_bytes = 0

    @property
    def buffered(self) -> int:
        """Bytes received but not yet consumed as whole chunks."""
        return len(self._buf) - self._pos

    @property
    def held(self) -> int:
        """Bytes this peer makes us hold: unfinished messages plus the unparsed tail."""
        return self._partial_bytes + len(self._buf) - self._pos

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Append received bytes."""
        if self._pos:
            # Drop consumed bytes once per feed, not per chunk: the tail is at most a chunk.
            del self._buf[: self._pos]
            self._pos = 0
        self._buf += data

    def next_message(self) -> Message | None:
        """Parse chunks until a message completes; None when more data is needed."""
        buf = self._buf
        end = len(buf)
        while True:
            pos = self._pos
            if pos >= end:
                return self._wait()
            b0 = buf[pos]
            fmt = b0 >> 6
            csid = b0 & 0x3F
            pos += 1
            # RTMP 1.0 §5.3.1.1 basic header: 1, 2 or 3 bytes.
            if csid == 0:
                if pos + 1 > end:
                    return self._wait()
                csid = buf[pos] + 64
                pos += 1
            elif csid == 1:
                if pos + 2 > end:
                    return self._wait()
                csid = buf[pos] + (buf[pos + 1] << 8) + 64
                pos += 2
            if pos + _HEADER_SIZES[fmt] > end:
                return self._wait()

            st = self._streams.get(csid)
            if st is None:
                if fmt != 0:
                    raise MalformedChunk(
                        f"chunk stream {csid} starts with a type-{fmt} header; "
                        "the first chunk of a stream must be type 0"
                    )
                if len(self._streams) >= MAX_CHUNK_STREAMS:
                    raise TooMuchBuffered(
                        f"chunk stream {csid} would be the peer's {MAX_CHUNK_STREAMS + 1}th "
                        f"(limit {MAX_CHUNK_STREAMS})"
                    )
                st = _InStream()
                new_stream = True
            else:
                new_stream = False
            in_progress = st.parts is not None

            if fmt < 3:
                if in_progress:
                    raise MalformedChunk(
                        f"type-{fmt} header on chunk stream {csid} while a message is "
                        "still incomplete"
                    )
                ts_field = (buf[pos] << 16) | (buf[pos + 1] << 8) | buf[pos + 2]
                pos += 3
                if fmt < 2:
                    length = (buf[pos] << 16) | (buf[pos + 1] << 8) | buf[pos + 2]
                    type_id = buf[pos + 3]
                    pos += 4
                    if fmt == 0:
                        stream_id = int.from_bytes(buf[pos : pos + 4], "little")
                        pos += 4
                    else:
                        stream_id = st.stream_id
                else:
                    length, type_id, stream_id = st.length, st.type_id, st.stream_id
                extended = ts_field == _EXTENDED
                if extended:
                    if pos + 4 > end:
                        return self._wait()
                    ts_field = int.from_bytes(buf[pos : pos + 4], "big")
                    pos += 4
                if length > self.max_message_size:
                    raise MessageTooLarge(
                        f"message of {length} bytes on chunk stream {csid} exceeds the "
                        f"{self.max_message_size}-byte limit"
                    )
                timestamp = ts_field if fmt == 0 else (st.timestamp + ts_field) & 0xFFFFFFFF
                delta = ts_field
                received = 0
            else:
                length, type_id, stream_id = st.length, st.type_id, st.stream_id
                extended = st.extended
                if in_progress:
                    timestamp, delta, received = st.timestamp, st.delta, st.received
                    if extended:
                        # Continuation chunks repeat the extended timestamp (§5.3.1.3, FFmpeg,
                        # librtmp >= 2.4). Some encoders omit it, so only skip 4 bytes that
                        # actually match the value in effect.
                        if pos + 4 > end:
                            return self._wait()
                        if int.from_bytes(buf[pos : pos + 4], "big") == st.delta:
                            pos += 4
                else:
                    delta = st.delta
                    if extended:
                        if pos + 4 > end:
                            return self._wait()
                        delta = int.from_bytes(buf[pos : pos + 4], "big")
                        pos += 4
                    timestamp = (st.timestamp + delta) & 0xFFFFFFFF
                    received = 0

            take = length - received
            if take > self.chunk_size:
                take = self.chunk_size
            if pos + take > end:
                return self._wait()

            # The whole chunk is here: commit the header state and consume it.
            if new_stream:
                self._streams[csid] = st
            st.timestamp = timestamp
            st.delta = delta
            st.length = length
            st.type_id = type_id
            st.stream_id = stream_id
            st.extended = extended
            self._pos = pos + take

            if received == 0 and take == length:
                with memoryview(buf) as view:
                    payload = bytes(view[pos : pos + take])
            else:
                parts = st.parts
                if parts is None:
                    parts = st.parts = bytearray()
                held = received
                with memoryview(buf) as view:
                    parts += view[pos : pos + take]
                    received += take
                    pos += take
                    # Fast path for the common case of a message's continuation chunks
                    # following each other: consume them without re-entering the general
                    # header parser (4x faster at the default chunk size of 128).
                    if received < length and not extended and csid < 64:
                        marker = 0xC0 | csid
                        size = self.chunk_size
                        while received < length and pos < end and buf[pos] == marker:
                            take = length - received
                            if take > size:
                                take = size
                            if pos + 1 + take > end:
                                break
                            parts += view[pos + 1 : pos + 1 + take]
                            received += take
                            pos += 1 + take
                self._pos = pos
                if received < length:
                    st.received = received
                    self._partial_bytes += received - held
                    if self._partial_bytes > self.max_held_bytes:
                        raise TooMuchBuffered(
                            f"{self._partial_bytes} bytes of incomplete messages are buffered "
                            f"(limit {self.max_held_bytes})"
                        )
                    continue
                self._partial_bytes -= held
                payload = bytes(parts)
                st.parts = None
                st.received = 0
            message = Message(csid, type_id, stream_id, timestamp, payload)
            # §5.4 says csid 2; honour these wherever they come so the next chunk parses.
            if stream_id == 0 and type_id in (MSG_SET_CHUNK_SIZE, MSG_ABORT):
                self._control(message)
            return message

    def _wait(self) -> Message | None:
        """The next chunk is incomplete: give back the consumed input now (an idle peer then
        holds only its unparsed tail, not its last read) and check what it holds. Returns
        None, for ``next_message`` to return."""
        if self._pos:
            del self._buf[: self._pos]
            self._pos = 0
        held = self._partial_bytes + len(self._buf)
        if held > self.max_held_bytes:
            raise TooMuchBuffered(
                f"{held} bytes of unfinished messages and unparsed input are buffered "
                f"(limit {self.max_held_bytes})"
            )
        return None

    def _control(self, message: Message) -> None:
        if len(message.payload) < 4:
            raise MalformedChunk(f"protocol control message type {message.type_id} is short")
        value = int.from_bytes(message.payload[:4], "big")
        if message.type_id == MSG_SET_CHUNK_SIZE:
            if not chunk_size_valid(value):
                raise MalformedChunk(f"invalid chunk size {value} (must be 1..2147483647)")
            self.chunk_size = value
        else:
            # RTMP 1.0 §5.4.2 Abort: discard the partial message on that chunk stream.
            st = self._streams.get(value)
            if st is not None:
                self._partial_bytes -= st.received
                st.parts = None
                st.received = 0


@dataclass(slots=True)
class _OutStream:
    """Header state of one outgoing chunk stream: what the last message's header said, so
    the next header can leave out what is unchanged (RTMP 1.0 §5.3.1.2)."""

    timestamp: int
    delta: int
    length: int
    type_id: int
    stream_id: int


def basic_header(fmt: int, csid: int) -> bytes:
    """RTMP 1.0 §5.3.1.1: the 1-, 2- or 3-byte basic header."""
    if not 2 <= csid <= 65599:
        raise ValueError(f"chunk stream id {csid} out of range 2..65599")
    if csid < 64:
        return bytes(((fmt << 6) | csid,))
    if csid < 320:
        return bytes((fmt << 6, csid - 64))
    rest = csid - 64
    return bytes(((fmt << 6) | 1, rest & 0xFF, rest >> 8))


class ChunkMuxer:
    """Messages to chunks, compressing headers the way encoders do.

    For each chunk stream the header type is the smallest that describes the message
    relative to the previous one: type 0 for the first message, a new message stream or a
    timestamp going backwards; type 1 when length or type change; type 2 when only the
    delta changes; type 3 when everything repeats. ``compress=False`` always uses type 0.
    """

    def __init__(self, *, chunk_size: int = DEFAULT_CHUNK_SIZE, compress: bool = True) -> None:
        if not chunk_size_valid(chunk_size):
            raise ValueError(f"invalid chunk size {chunk_size}")
        self.chunk_size = chunk_size
        self.compress = compress
        self._streams: dict[int, _OutStream] = {}

    def set_chunk_size(self, size: int) -> None:
        """Use ``size`` for chunks written from now on (after sending Set Chunk Size)."""
        if not chunk_size_valid(size):
            raise ValueError(f"invalid chunk size {size}")
        self.chunk_size = size

    def encode(
        self, csid: int, type_id: int, stream_id: int, timestamp: int, payload: bytes
    ) -> bytes:
        """Return the chunks carrying one message."""
        timestamp &= 0xFFFFFFFF
        length = len(payload)
        if length > 0xFFFFFF:
            raise ValueError("RTMP messages are limited to 16 MiB - 1 bytes")
        prev = self._streams.get(csid)
        if (
            prev is None
            or not self.compress
            or prev.stream_id != stream_id
            or timestamp < prev.timestamp
        ):
            fmt, ts_field = 0, timestamp
        else:
            delta = timestamp - prev.timestamp
            if prev.length != length or prev.type_id != type_id:
                fmt, ts_field = 1, delta
            elif prev.delta != delta:
                fmt, ts_field = 2, delta
            else:
                fmt, ts_field = 3, delta
        # The receiver's type-3 rule: the delta in effect is the last timestamp field.
        self._streams[csid] = _OutStream(timestamp, ts_field, length, type_id, stream_id)

        extended = ts_field >= _EXTENDED
        ext_bytes = ts_field.to_bytes(4, "big") if extended else b""
        field24 = (_EXTENDED if extended else ts_field).to_bytes(3, "big")
        out = bytearray(basic_header(fmt, csid))
        if fmt == 0:
            out += field24 + length.to_bytes(3, "big") + bytes((type_id,))
            out += stream_id.to_bytes(4, "little")
        elif fmt == 1:
            out += field24 + length.to_bytes(3, "big") + bytes((type_id,))
        elif fmt == 2:
            out += field24
        out += ext_bytes
        size = self.chunk_size
        out += payload[:size]
        if length > size:
            continuation = basic_header(3, csid) + ext_bytes
            view = memoryview(payload)
            for start in range(size, length, size):
                out += continuation
                out += view[start : start + size]
        return bytes(out)
