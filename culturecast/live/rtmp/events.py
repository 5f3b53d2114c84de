"""Events an :class:`~culturecast.live.rtmp.connection.RtmpServerConnection` reports.

The host drains them with ``next_event()`` after each ``receive_data()`` and acts on them:
admit or refuse a publish, feed FLV tags to the transcoder, close the socket.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from culturecast.live.rtmp import flv
from culturecast.live.rtmp.amf0 import AmfValue


@dataclass(slots=True)
class Event:
    """Base class of every RTMP event."""


@dataclass(slots=True)
class HandshakeComplete(Event):
    """C2 arrived; chunk streams start."""

    digest: bool
    """True when the client used the digest (FP9) handshake, False for the simple one."""


@dataclass(slots=True)
class ConnectRequested(Event):
    """The client sent ``connect``; the connection already answered with Connect.Success."""

    app: str
    """Application name, the path after the host in the URL (``live`` in rtmp://h/live)."""
    tc_url: str
    """The URL the client connected to, as it reports it (may be empty)."""
    flash_ver: str
    """Client identification, e.g. ``FMLE/3.0 (compatible; FMSc/1.0)`` or ``LNX 9,0,124,2``."""
    object_encoding: int
    """0 for AMF0, 3 for AMF3 (we always answer in AMF0)."""
    properties: dict[str, AmfValue] = field(default_factory=dict)
    """The whole connect command object, for logging and anything unusual."""


@dataclass(slots=True)
class PublishRequested(Event):
    """The client wants to publish; answer with ``accept_publish()`` or ``reject_publish()``."""

    stream_key: str
    """The publishing name without any ``?query`` suffix (the stream key in OBS)."""
    publish_type: str
    """``live``, ``record`` or ``append`` as the client sent it."""
    query: str
    """Anything after ``?`` in the publishing name, without the ``?`` (often empty)."""
    stream_id: int
    """Message stream the media will arrive on."""
    app: str
    """Application name from ``connect``."""


@dataclass(slots=True)
class MetaData(Event):
    """``@setDataFrame``/``onMetaData`` from the encoder (width, height, framerate, …)."""

    values: dict[str, AmfValue]
    """The metadata properties as sent."""
    timestamp: int
    """Message timestamp in milliseconds."""


@dataclass(slots=True)
class FlvTag(Event):
    """One audio, video or script tag of the published stream."""

    tag_type: int
    """8 audio, 9 video, 18 script data (``flv.TAG_*``)."""
    timestamp: int
    """Presentation timestamp of the tag in milliseconds, modulo 2**32."""
    data: bytes
    """The FLV tag body (the RTMP message payload)."""

    def to_bytes(self) -> bytes:
        """This tag framed for an FLV stream: tag header, body and PreviousTagSize."""
        return flv.encode_tag(self.tag_type, self.timestamp, self.data)


@dataclass(slots=True)
class CodecIdentified(Event):
    """The first audio or video tag revealed the codec; refuse it here if unsupported."""

    kind: flv.CodecKind
    """Video or audio."""
    codec: str
    """Codec name from :mod:`flv`, e.g. ``h264``, ``hevc``, ``av1``, ``aac``, ``mp3``."""


@dataclass(slots=True)
class PublishEnded(Event):
    """The client stopped publishing (FCUnpublish, closeStream or deleteStream)."""

    stream_key: str
    """The stream key that was being published."""
    reason: str
    """The command that ended it."""


@dataclass(slots=True)
class ConnectionClosed(Event):
    """The connection is finished; flush ``data_to_send()`` and close the socket."""

    reason: str
    """A sentence for the log saying why."""
    code: str
    """Stable code: an error's ``code`` (``malformed_chunk``, …), ``closed`` or a rejection."""
