"""RTMP protocol errors. Each carries a stable ``code``; the connection turns every one of
them into a :class:`~culturecast.live.rtmp.events.ConnectionClosed` event."""


class RtmpError(Exception):
    """Base of every RTMP protocol error."""

    code = "rtmp_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class HandshakeFailed(RtmpError):
    """C0/C1/C2 were not an RTMP handshake we can answer (wrong version, RTMPE)."""

    code = "handshake_failed"


class MalformedChunk(RtmpError):
    """A chunk header or protocol control message breaks RTMP 1.0 §5.3 / §5.4."""

    code = "malformed_chunk"


class MalformedMessage(RtmpError):
    """A complete message has a body we cannot read (short control message, bad aggregate)."""

    code = "malformed_message"


class MessageTooLarge(RtmpError):
    """A message declares a length above the configured limit."""

    code = "message_too_large"


class TooMuchBuffered(RtmpError):
    """Unfinished messages and unparsed input hold more bytes than the connection may."""

    code = "buffer_limit"


class AmfDecodeError(RtmpError):
    """AMF0 bytes are truncated, use an unknown marker, or exceed the depth/size limits."""

    code = "amf_decode_error"


class UnexpectedCommand(RtmpError):
    """A command arrived that the current state does not allow (publish before connect, play)."""

    code = "unexpected_command"
