"""RTMP ingest protocol core: a sans-I/O state machine (handshake, chunk streams, AMF0,
publish commands, FLV tags). Bytes and the current time go in; bytes and events come out.
The asyncio server that owns the sockets lives in ``live/server.py``."""

from culturecast.live.rtmp.connection import ConnectionState, RtmpServerConnection

__all__ = ["ConnectionState", "RtmpServerConnection"]
