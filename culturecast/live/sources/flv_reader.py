"""An FLV byte stream read into tags (no I/O): what ffmpeg writes with ``-f flv -``.

The source runner feeds it what the pull's or playout's ffmpeg prints and hands each tag to
the event's stream, as the RTMP connection does with what an encoder publishes.
"""

from __future__ import annotations

from dataclasses import dataclass

HEADER_SIZE = 9
TAG_HEADER_SIZE = 11
MAX_TAG = 16 * 1024 * 1024


class FlvError(ValueError):
    """The bytes are not an FLV stream."""


@dataclass(frozen=True, slots=True)
class Tag:
    tag_type: int
    timestamp: int
    """Milliseconds, with the extended byte."""
    data: bytes


class FlvReader:
    """Bytes in, complete tags out."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._header_done = False

    def feed(self, data: bytes) -> list[Tag]:
        """The tags ``data`` completes (raises :class:`FlvError` on a bad header)."""
        self._buffer += data
        tags: list[Tag] = []
        buf = self._buffer
        if not self._header_done:
            if len(buf) < HEADER_SIZE + 4:
                return tags
            if bytes(buf[:3]) != b"FLV":
                raise FlvError("the stream does not start with an FLV header")
            offset = int.from_bytes(buf[5:9], "big")
            if offset < HEADER_SIZE or offset > 1024:
                raise FlvError(f"bad FLV header size {offset}")
            if len(buf) < offset + 4:
                return tags
            del buf[: offset + 4]  # the header and PreviousTagSize0
            self._header_done = True
        pos = 0
        while len(buf) - pos >= TAG_HEADER_SIZE:
            size = int.from_bytes(buf[pos + 1 : pos + 4], "big")
            end = pos + TAG_HEADER_SIZE + size + 4
            if len(buf) < end:
                break
            tag_type = buf[pos] & 0x1F
            timestamp = int.from_bytes(buf[pos + 4 : pos + 7], "big") | (buf[pos + 7] << 24)
            body = bytes(buf[pos + TAG_HEADER_SIZE : pos + TAG_HEADER_SIZE + size])
            tags.append(Tag(tag_type, timestamp, body))
            pos = end
        del buf[:pos]
        return tags
