"""The server side of one RTMP connection as a sans-I/O state machine.

The host (``live/server.py``) owns the socket: it passes received bytes and the current
time to :meth:`RtmpServerConnection.receive_data`, writes whatever
:meth:`~RtmpServerConnection.data_to_send` returns, and drains
:meth:`~RtmpServerConnection.next_event` after each call. Admission is the host's:
a :class:`~culturecast.live.rtmp.events.PublishRequested` event waits for
:meth:`~RtmpServerConnection.accept_publish` or
:meth:`~RtmpServerConnection.reject_publish`. Every protocol error becomes a
:class:`~culturecast.live.rtmp.events.ConnectionClosed` event; nothing raises out of
``receive_data``.

Limits are the connection's own (:class:`~culturecast.live.rtmp.limits.ConnectionLimits`):
until a publish is admitted, messages and held bytes are capped small and every connection
shares one :class:`~culturecast.live.rtmp.limits.UnpublishedBudget`; deadlines (handshake,
publish, idle) are timers in aioquic's shape — the host asks :meth:`next_timer` when to
call :meth:`handle_timer` with the current time.

The command flow follows what OBS (librtmp), FFmpeg and GStreamer send when publishing::

    connect -> releaseStream -> FCPublish -> createStream -> publish
    ... @setDataFrame(onMetaData), audio, video ...
    FCUnpublish -> deleteStream
"""

from __future__ import annotations

import enum
import os
from collections import deque
from collections.abc import Callable

from culturecast.live.rtmp import amf0, chunk, flv, handshake
from culturecast.live.rtmp.amf0 import UNDEFINED, AmfValue
from culturecast.live.rtmp.errors import (
    HandshakeFailed,
    MalformedMessage,
    RtmpError,
    TooMuchBuffered,
    UnexpectedCommand,
)
from culturecast.live.rtmp.events import (
    CodecIdentified,
    ConnectionClosed,
    ConnectRequested,
    Event,
    FlvTag,
    HandshakeComplete,
    MetaData,
    PublishEnded,
    PublishRequested,
)
from culturecast.live.rtmp.limits import ConnectionLimits, UnpublishedBudget

# Chunk streams we send on: the ones FMS and nginx-rtmp use, which clients expect.
CSID_CONTROL = 2
CSID_COMMAND = 3
CSID_STATUS = 5

# RTMP 1.0 §7.1.7 User Control event types.
UC_STREAM_BEGIN = 0
UC_STREAM_EOF = 1
UC_SET_BUFFER_LENGTH = 3
UC_PING_REQUEST = 6
UC_PING_RESPONSE = 7

FMS_VERSION = "FMS/3,0,1,123"
#: Capabilities bits FMS 3 reports; clients only log them.
FMS_CAPABILITIES = 31.0

_PLAYBACK_COMMANDS = frozenset({"play", "play2", "seek", "pause", "receiveAudio", "receiveVideo"})


class ConnectionState(enum.Enum):
    """Where the connection is in its life."""

    AWAIT_C0C1 = "await_c0c1"
    AWAIT_C2 = "await_c2"
    AWAIT_CONNECT = "await_connect"
    CONNECTED = "connected"
    PUBLISH_PENDING = "publish_pending"
    PUBLISHING = "publishing"
    CLOSED = "closed"


class RtmpServerConnection:
    """One RTMP client connection, publishing side only."""

    def __init__(
        self,
        *,
        now: float = 0.0,
        limits: ConnectionLimits | None = None,
        budget: UnpublishedBudget | None = None,
        random_bytes: Callable[[int], bytes] = os.urandom,
        chunk_size: int = 4096,
        window_ack_size: int = 2_500_000,
    ) -> None:
        """``now`` is when the host accepted the socket (deadlines count from it);
        ``budget`` is shared by every connection of the host (None: this one alone)."""
        if not chunk.chunk_size_valid(chunk_size):
            raise ValueError(f"invalid chunk size {chunk_size}")
        self.limits = limits or ConnectionLimits()
        self._budget = budget if budget is not None else UnpublishedBudget()
        self._budget_share = 0
        self.opened_at = now
        """When the host accepted the connection."""
        self._random_bytes = random_bytes
        self._out_chunk_size = chunk_size
        self._window_ack_size = window_ack_size
        self._state = ConnectionState.AWAIT_C0C1
        self._handshake_buf = bytearray()
        self._digest = False
        self._demuxer = chunk.ChunkDemuxer(
            max_message_size=self.limits.message_bytes_before_publish,
            max_held_bytes=self.limits.held_bytes_before_publish,
        )
        # Replies always use type-0 headers: cheap for a handful of control messages and
        # immune to differences in how clients read compressed headers.
        self._muxer = chunk.ChunkMuxer(compress=False)
        self._out = bytearray()
        self._events: deque[Event] = deque()

        self._bytes_received = 0
        self._acked_bytes = 0
        self._peer_window = 0
        self.last_received_at: float | None = None
        """``now`` of the last ``receive_data`` call, for the host's idle timeout."""

        self.app = ""
        self._next_stream_id = 1
        self._streams: set[int] = set()
        self.stream_key: str | None = None
        """Stream key of the pending or active publish."""
        self._publish_stream_id = 0
        self.video_codec: str | None = None
        """Codec of the first video tag, once seen (``flv.video_codec`` names)."""
        self.audio_codec: str | None = None
        """Codec of the first audio tag, once seen (``flv.audio_codec`` names)."""

    # ------------------------------------------------------------ host API

    @property
    def state(self) -> ConnectionState:
        """Current state."""
        return self._state

    @property
    def is_closed(self) -> bool:
        """True once a ConnectionClosed event has been queued."""
        return self._state is ConnectionState.CLOSED

    @property
    def bytes_received(self) -> int:
        """Every byte passed to ``receive_data`` so far (for bitrate statistics)."""
        return self._bytes_received

    @property
    def held_bytes(self) -> int:
        """Bytes the peer makes us hold: an unfinished handshake, unfinished messages and
        unparsed input."""
        return len(self._handshake_buf) + self._demuxer.held

    def next_timer(self) -> float | None:
        """When :meth:`handle_timer` must next be called, or None (no deadline runs while
        the host decides on a publish, nor once closed)."""
        state = self._state
        limits = self.limits
        if state in (ConnectionState.AWAIT_C0C1, ConnectionState.AWAIT_C2):
            return self.opened_at + limits.handshake_timeout_s
        if state in (ConnectionState.AWAIT_CONNECT, ConnectionState.CONNECTED):
            return self.opened_at + limits.publish_timeout_s
        if state is ConnectionState.PUBLISHING:
            last = self.last_received_at if self.last_received_at is not None else self.opened_at
            return last + limits.idle_timeout_s
        return None

    def handle_timer(self, now: float) -> None:
        """Close the connection whose deadline has passed at ``now``; early calls do nothing."""
        timer = self.next_timer()
        if timer is None or now < timer:
            return
        limits = self.limits
        if self._state in (ConnectionState.AWAIT_C0C1, ConnectionState.AWAIT_C2):
            self._close(
                f"no handshake within {limits.handshake_timeout_s:g} s", "handshake_timeout"
            )
        elif self._state is ConnectionState.PUBLISHING:
            self._close(f"no data for {limits.idle_timeout_s:g} s", "idle_timeout")
        else:
            self._close(f"no publish within {limits.publish_timeout_s:g} s", "publish_timeout")

    def receive_data(self, data: bytes | bytearray | memoryview, now: float) -> None:
        """Process bytes from the peer received at time ``now`` (seconds)."""
        if self._state is ConnectionState.CLOSED:
            return
        self.last_received_at = now
        self._bytes_received += len(data)
        try:
            if self._state in (ConnectionState.AWAIT_C0C1, ConnectionState.AWAIT_C2):
                data = self._receive_handshake(data, now)
                if not data:
                    return
            self._demuxer.feed(data)
            demuxer = self._demuxer
            while not self.is_closed:
                message = demuxer.next_message()
                if message is None:
                    break
                self._on_message(message)
            self._acknowledge()
            self._claim_budget()
        except RtmpError as exc:
            self._close(exc.message, exc.code)
        except Exception as exc:  # a bug must not take the server down with it
            self._close(f"internal error: {exc!r}", "internal_error")

    def data_to_send(self) -> bytes:
        """Bytes to write to the socket now (empty when there is nothing)."""
        if not self._out:
            return b""
        data = bytes(self._out)
        self._out.clear()
        return data

    def next_event(self) -> Event | None:
        """The oldest unread event, or None."""
        return self._events.popleft() if self._events else None

    def accept_publish(self) -> None:
        """Admit the pending publish: send StreamBegin and NetStream.Publish.Start."""
        if self._state is ConnectionState.CLOSED:
            return  # the peer went away while the host was deciding
        if self._state is not ConnectionState.PUBLISH_PENDING or self.stream_key is None:
            raise RuntimeError(f"no publish is pending (state {self._state.value})")
        stream_id = self._publish_stream_id
        self._send_user_control(UC_STREAM_BEGIN, stream_id.to_bytes(4, "big"))
        self._send_status(
            stream_id,
            "status",
            "NetStream.Publish.Start",
            f"{self.stream_key} is now published.",
            details=self.stream_key,
        )
        self._state = ConnectionState.PUBLISHING
        self._apply_limits()

    def reject_publish(
        self,
        code: str,
        description: str,
        *,
        status_code: str = "NetStream.Publish.BadName",
    ) -> None:
        """Refuse the pending (or running) publish and close.

        ``code`` is our stable reason (``unknown_stream_key``, ``unsupported_codec``, …) and
        goes into the ConnectionClosed event; ``description`` is sent to the encoder in an
        ``onStatus`` error with ``status_code`` (OBS shows it) and used as the reason.
        """
        if self._state is ConnectionState.CLOSED:
            return
        if self._state not in (ConnectionState.PUBLISH_PENDING, ConnectionState.PUBLISHING):
            raise RuntimeError(f"no publish to reject (state {self._state.value})")
        self._send_status(self._publish_stream_id, "error", status_code, description)
        self._close(description, code)

    def close(self, reason: str, code: str = "closed") -> None:
        """Close from the host's side (idle timeout, shutdown, socket lost)."""
        self._close(reason, code)

    # ------------------------------------------------------------ handshake

    def _receive_handshake(
        self, data: bytes | bytearray | memoryview, now: float
    ) -> bytes | bytearray | memoryview:
        buf = self._handshake_buf
        buf += data
        if self._state is ConnectionState.AWAIT_C0C1:
            if buf and buf[0] != handshake.RTMP_VERSION:
                # Fail on the first byte: an HTTP request or TLS hello should not wait.
                raise HandshakeFailed(
                    f"unsupported RTMP version {buf[0]} in C0 (expected 3; 6 is RTMPE)"
                )
            size = 1 + handshake.HANDSHAKE_SIZE
            if len(buf) < size:
                return b""
            reply = handshake.server_reply(
                bytes(buf[:size]), now=now, random_bytes=self._random_bytes
            )
            self._digest = reply.digest
            self._out += reply.data
            del buf[:size]
            self._state = ConnectionState.AWAIT_C2
        if len(buf) < handshake.HANDSHAKE_SIZE:
            return b""
        # C2 is not checked: librtmp and FFmpeg clients answer the digest scheme in ways that
        # differ, and nothing is gained by refusing a client that got this far.
        rest = bytes(buf[handshake.HANDSHAKE_SIZE :])
        self._handshake_buf = bytearray()
        self._state = ConnectionState.AWAIT_CONNECT
        self._events.append(HandshakeComplete(digest=self._digest))
        return rest

    # ------------------------------------------------------------ messages

    def _on_message(self, message: chunk.Message) -> None:
        type_id = message.type_id
        if type_id in (chunk.MSG_VIDEO, chunk.MSG_AUDIO):
            self._on_media(message.stream_id, type_id, message.timestamp, message.payload)
        elif type_id == chunk.MSG_COMMAND_AMF0:
            self._on_command(message, message.payload)
        elif type_id == chunk.MSG_COMMAND_AMF3:
            # AMF3 command messages start with a format byte, then AMF0 values.
            self._on_command(message, message.payload[1:])
        elif type_id == chunk.MSG_DATA_AMF0:
            self._on_data(message.stream_id, message.timestamp, message.payload)
        elif type_id == chunk.MSG_DATA_AMF3:
            self._on_data(message.stream_id, message.timestamp, message.payload[1:])
        elif type_id == chunk.MSG_AGGREGATE:
            self._on_aggregate(message)
        elif type_id == chunk.MSG_USER_CONTROL:
            self._on_user_control(message.payload)
        elif type_id == chunk.MSG_WINDOW_ACK_SIZE:
            self._peer_window = _u32(message.payload, "Window Acknowledgement Size")
        # Set Chunk Size and Abort were applied by the demuxer; Acknowledgement, Set Peer
        # Bandwidth and shared objects need nothing from an ingest server.

    def _on_user_control(self, payload: bytes) -> None:
        if len(payload) < 2:
            raise MalformedMessage("User Control message shorter than its event type")
        event_type = int.from_bytes(payload[:2], "big")
        if event_type == UC_PING_REQUEST:
            # RTMP 1.0 §7.1.7: answer with the same timestamp.
            self._send_user_control(UC_PING_RESPONSE, payload[2:6])

    def _acknowledge(self) -> None:
        # RTMP 1.0 §5.4.3: acknowledge after each window's worth of received bytes.
        window = self._peer_window
        if window and self._bytes_received - self._acked_bytes >= window:
            self._acked_bytes = self._bytes_received
            self._send_control(
                chunk.MSG_ACKNOWLEDGEMENT, (self._bytes_received & 0xFFFFFFFF).to_bytes(4, "big")
            )

    # ------------------------------------------------------------ media

    def _on_media(self, stream_id: int, type_id: int, timestamp: int, data: bytes) -> None:
        if self._state is not ConnectionState.PUBLISHING or stream_id != self._publish_stream_id:
            return  # media before admission or on another stream is dropped
        if data:
            if type_id == chunk.MSG_VIDEO:
                if self.video_codec is None:
                    self.video_codec = flv.video_codec(data)
                    if self.video_codec is not None:
                        self._events.append(CodecIdentified(flv.CodecKind.VIDEO, self.video_codec))
            elif self.audio_codec is None:
                self.audio_codec = flv.audio_codec(data)
                if self.audio_codec is not None:
                    self._events.append(CodecIdentified(flv.CodecKind.AUDIO, self.audio_codec))
        self._events.append(FlvTag(type_id, timestamp, data))

    def _on_data(self, stream_id: int, timestamp: int, payload: bytes) -> None:
        if self._state is not ConnectionState.PUBLISHING or stream_id != self._publish_stream_id:
            return
        values = amf0.decode_all(payload)
        # FMLE and OBS wrap metadata as @setDataFrame("onMetaData", {...}); the FLV stream
        # must carry it as a plain onMetaData script tag (what ffmpeg's flv demuxer reads).
        if values and values[0] == "@setDataFrame":
            values = values[1:]
        if not values:
            return
        if values[0] == "onMetaData" and len(values) > 1 and isinstance(values[1], dict):
            self._events.append(MetaData(dict(values[1]), timestamp))
        self._events.append(FlvTag(flv.TAG_SCRIPT, timestamp, amf0.encode(*values)))

    def _on_aggregate(self, message: chunk.Message) -> None:
        # RTMP 1.0 §7.1.6: the body is FLV tags back to back, each followed by its back
        # pointer; sub-tag timestamps are rebased so the first one equals the message's.
        body = message.payload
        pos = 0
        end = len(body)
        first_ts: int | None = None
        while pos < end:
            if end - pos < 11:
                raise MalformedMessage("aggregate message ends inside a sub-tag header")
            tag_type = body[pos]
            size = int.from_bytes(body[pos + 1 : pos + 4], "big")
            sub_ts = int.from_bytes(body[pos + 4 : pos + 7], "big") | (body[pos + 7] << 24)
            data_start = pos + 11
            data_end = data_start + size
            if data_end + 4 > end:
                raise MalformedMessage("aggregate sub-tag runs past the end of the message")
            if first_ts is None:
                first_ts = sub_ts
            timestamp = (message.timestamp + sub_ts - first_ts) & 0xFFFFFFFF
            data = body[data_start:data_end]
            if tag_type in (flv.TAG_AUDIO, flv.TAG_VIDEO):
                self._on_media(message.stream_id, tag_type, timestamp, data)
            elif tag_type == flv.TAG_SCRIPT:
                self._on_data(message.stream_id, timestamp, data)
            pos = data_end + 4

    # ------------------------------------------------------------ commands

    def _on_command(self, message: chunk.Message, payload: bytes) -> None:
        values = amf0.decode_all(payload)
        if not values or not isinstance(values[0], str):
            raise MalformedMessage("command message does not start with a command name")
        name = values[0]
        txid = values[1] if len(values) > 1 and isinstance(values[1], float) else 0.0
        args = values[2:]
        if self._state is ConnectionState.AWAIT_CONNECT:
            if name != "connect":
                raise UnexpectedCommand(f"{name!r} before connect")
            self._on_connect(txid, args)
            return
        if name == "connect":
            raise UnexpectedCommand("a second connect on the same connection")
        if name == "createStream":
            stream_id = self._next_stream_id
            self._next_stream_id += 1
            self._streams.add(stream_id)
            self._send_command("_result", txid, None, float(stream_id))
        elif name == "releaseStream":
            self._reply_result(txid)
        elif name == "FCPublish":
            key = _string_arg(args, 1)
            self._send_command(
                "onFCPublish",
                0.0,
                None,
                {"code": "NetStream.Publish.Start", "description": key},
            )
            self._reply_result(txid)
        elif name == "publish":
            self._on_publish(message.stream_id, args)
        elif name == "FCUnpublish":
            self._end_publish("FCUnpublish")
            self._reply_result(txid)
        elif name in ("deleteStream", "closeStream"):
            stream_id = message.stream_id
            if name == "deleteStream" and len(args) > 1:
                # deleteStream names the stream in its argument, sent on stream 0.
                stream_id = _stream_id_arg(args[1], default=stream_id)
            if stream_id == self._publish_stream_id:
                self._end_publish(name)
            self._streams.discard(stream_id)
        elif name == "_checkbw":
            self._reply_result(txid)
        elif name in _PLAYBACK_COMMANDS:
            raise UnexpectedCommand(f"{name!r}: this server only accepts publishing")
        elif name in ("_result", "_error", "onStatus", "onBWDone"):
            pass  # answers to calls we never made, or courtesy calls
        elif txid:
            self._send_command(
                "_error",
                txid,
                None,
                {
                    "level": "error",
                    "code": "NetConnection.Call.Failed",
                    "description": f"Method not found ({name}).",
                },
            )

    def _on_connect(self, txid: float, args: list[AmfValue]) -> None:
        command = args[0] if args and isinstance(args[0], dict) else None
        if command is None:
            raise MalformedMessage("connect without a command object")
        app = command.get("app")
        tc_url = command.get("tcUrl")
        flash_ver = command.get("flashVer")
        encoding = command.get("objectEncoding")
        self.app = app.strip("/") if isinstance(app, str) else ""
        object_encoding = int(encoding) if isinstance(encoding, float) else 0
        # RTMP 1.0 §7.2.1.1 connect response sequence.
        self._send_control(chunk.MSG_WINDOW_ACK_SIZE, self._window_ack_size.to_bytes(4, "big"))
        self._send_control(
            chunk.MSG_SET_PEER_BANDWIDTH, self._window_ack_size.to_bytes(4, "big") + b"\x02"
        )
        self._send_control(chunk.MSG_SET_CHUNK_SIZE, self._out_chunk_size.to_bytes(4, "big"))
        self._muxer.set_chunk_size(self._out_chunk_size)
        self._send_command(
            "_result",
            txid,
            {"fmsVer": FMS_VERSION, "capabilities": FMS_CAPABILITIES},
            {
                "level": "status",
                "code": "NetConnection.Connect.Success",
                "description": "Connection succeeded.",
                "objectEncoding": float(object_encoding),
            },
        )
        self._state = ConnectionState.CONNECTED
        self._events.append(
            ConnectRequested(
                app=self.app,
                tc_url=tc_url if isinstance(tc_url, str) else "",
                flash_ver=flash_ver if isinstance(flash_ver, str) else "",
                object_encoding=object_encoding,
                properties=dict(command),
            )
        )

    def _on_publish(self, stream_id: int, args: list[AmfValue]) -> None:
        if self._state is not ConnectionState.CONNECTED:
            raise UnexpectedCommand(f"publish while {self._state.value}")
        if stream_id not in self._streams:
            raise UnexpectedCommand(f"publish on stream {stream_id}, which was not created")
        name = _string_arg(args, 1)
        if not name:
            raise UnexpectedCommand("publish without a stream name")
        publish_type = _string_arg(args, 2) or "live"
        key, _, query = name.partition("?")
        self.stream_key = key
        self._publish_stream_id = stream_id
        self._state = ConnectionState.PUBLISH_PENDING
        self._events.append(
            PublishRequested(
                stream_key=key,
                publish_type=publish_type,
                query=query,
                stream_id=stream_id,
                app=self.app,
            )
        )

    def _end_publish(self, reason: str) -> None:
        if self._state is ConnectionState.PUBLISHING and self.stream_key is not None:
            self._events.append(PublishEnded(self.stream_key, reason))
        if self._state in (ConnectionState.PUBLISHING, ConnectionState.PUBLISH_PENDING):
            self._state = ConnectionState.CONNECTED
            self._publish_stream_id = 0
            self.video_codec = self.audio_codec = None
            self._apply_limits()

    def _close(self, reason: str, code: str) -> None:
        if self._state is ConnectionState.CLOSED:
            return
        self._end_publish("connection closed")
        self._state = ConnectionState.CLOSED
        self._release_budget()
        # Nothing is parsed any more: let go of what the peer made us hold.
        self._handshake_buf = bytearray()
        self._demuxer = chunk.ChunkDemuxer()
        self._events.append(ConnectionClosed(reason, code))

    # ------------------------------------------------------------ limits

    def _apply_limits(self) -> None:
        demuxer = self._demuxer
        limits = self.limits
        if self._state is ConnectionState.PUBLISHING:
            demuxer.max_message_size = limits.message_bytes
            demuxer.max_held_bytes = limits.held_bytes
            self._release_budget()
        else:
            demuxer.max_message_size = limits.message_bytes_before_publish
            demuxer.max_held_bytes = limits.held_bytes_before_publish

    def _claim_budget(self) -> None:
        if self._state in (ConnectionState.PUBLISHING, ConnectionState.CLOSED):
            return  # an admitted publisher is not anyone on the internet any more
        wanted = max(0, self.held_bytes - self.limits.shared_allowance_bytes)
        if wanted == self._budget_share:
            return
        if not self._budget.resize(self._budget_share, wanted):
            raise TooMuchBuffered(
                f"holding {self.held_bytes} bytes would exceed the {self._budget.limit}-byte "
                "budget of connections that have not published"
            )
        self._budget_share = wanted

    def _release_budget(self) -> None:
        if self._budget_share:
            self._budget.resize(self._budget_share, 0)
            self._budget_share = 0

    # ------------------------------------------------------------ output

    def _send_control(self, type_id: int, payload: bytes) -> None:
        self._out += self._muxer.encode(CSID_CONTROL, type_id, 0, 0, payload)

    def _send_user_control(self, event_type: int, data: bytes) -> None:
        self._send_control(chunk.MSG_USER_CONTROL, event_type.to_bytes(2, "big") + data)

    def _send_command(self, name: str, txid: float, *args: AmfValue) -> None:
        payload = amf0.encode(name, txid, *args)
        self._out += self._muxer.encode(CSID_COMMAND, chunk.MSG_COMMAND_AMF0, 0, 0, payload)

    def _reply_result(self, txid: float) -> None:
        if txid:
            self._send_command("_result", txid, None, UNDEFINED)

    def _send_status(
        self, stream_id: int, level: str, code: str, description: str, *, details: str = ""
    ) -> None:
        info: dict[str, AmfValue] = {"level": level, "code": code, "description": description}
        if details:
            info["details"] = details
        payload = amf0.encode("onStatus", 0.0, None, info)
        self._out += self._muxer.encode(CSID_STATUS, chunk.MSG_COMMAND_AMF0, stream_id, 0, payload)


def _u32(payload: bytes, what: str) -> int:
    if len(payload) < 4:
        raise MalformedMessage(f"{what} message shorter than 4 bytes")
    return int.from_bytes(payload[:4], "big")


def _string_arg(args: list[AmfValue], index: int) -> str:
    value = args[index] if len(args) > index else None
    return value if isinstance(value, str) else ""


def _stream_id_arg(value: AmfValue, *, default: int) -> int:
    if isinstance(value, float) and value.is_integer() and 0 <= value <= 0xFFFFFFFF:
        return int(value)
    return default
