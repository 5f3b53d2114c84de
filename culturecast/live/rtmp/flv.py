"""FLV serialisation (Adobe FLV spec v10.1 §E) and codec identification of FLV tag bodies.

RTMP audio/video message bodies are FLV tag bodies, so the ingest feeds the transcoder an
FLV stream by prefixing a header and framing each message as a tag.
Enhanced RTMP (veovera enhanced-rtmp v1/v2) signals modern codecs with a FourCC.
"""

from __future__ import annotations

import enum

TAG_AUDIO = 8
TAG_VIDEO = 9
TAG_SCRIPT = 18

_TAG_HEADER_SIZE = 11


class CodecKind(enum.StrEnum):
    """Which elementary stream a codec belongs to."""

    VIDEO = "video"
    AUDIO = "audio"


def encode_header(*, has_audio: bool = True, has_video: bool = True) -> bytes:
    """FLV file header plus PreviousTagSize0 (always 0)."""
    flags = (0x04 if has_audio else 0) | (0x01 if has_video else 0)
    return b"FLV\x01" + bytes((flags,)) + (9).to_bytes(4, "big") + b"\x00\x00\x00\x00"


def encode_tag(tag_type: int, timestamp: int, data: bytes | bytearray | memoryview) -> bytes:
    """One FLV tag followed by its PreviousTagSize (11 + body length)."""
    size = len(data)
    if size > 0xFFFFFF:
        raise ValueError("FLV tag bodies are limited to 16 MiB - 1 bytes")
    timestamp &= 0xFFFFFFFF
    header = bytes(
        (
            tag_type,
            (size >> 16) & 0xFF,
            (size >> 8) & 0xFF,
            size & 0xFF,
            (timestamp >> 16) & 0xFF,
            (timestamp >> 8) & 0xFF,
            timestamp & 0xFF,
            # TimestampExtended holds bits 24..31.
            (timestamp >> 24) & 0xFF,
            0,
            0,
            0,
        )
    )
    return header + bytes(data) + (_TAG_HEADER_SIZE + size).to_bytes(4, "big")


# FLV spec §E.4.3.1 CodecID; 12 is the HEVC id Chinese CDNs (and FFmpeg >= 6.1's "flv
# extension") use, 13 likewise for AV1.
_VIDEO_CODEC_IDS = {
    2: "sorenson_h263",
    3: "screen_video",
    4: "vp6",
    5: "vp6a",
    6: "screen_video_v2",
    7: "h264",
    12: "hevc",
    13: "av1",
}
# Enhanced RTMP VideoFourCc values.
_VIDEO_FOURCCS = {b"avc1": "h264", b"hvc1": "hevc", b"av01": "av1", b"vp09": "vp9"}

# FLV spec §E.4.2.1 SoundFormat.
_AUDIO_FORMATS = {
    0: "pcm",
    1: "adpcm",
    2: "mp3",
    3: "pcm_le",
    4: "nellymoser",
    5: "nellymoser",
    6: "nellymoser",
    7: "g711_alaw",
    8: "g711_mulaw",
    10: "aac",
    11: "speex",
    14: "mp3",
    15: "device_specific",
}
# Enhanced RTMP v2 AudioFourCc values (SoundFormat 9 = ExHeader).
_AUDIO_FOURCCS = {
    b"mp4a": "aac",
    b"Opus": "opus",
    b"fLaC": "flac",
    b"ac-3": "ac3",
    b"ec-3": "eac3",
    b".mp3": "mp3",
}


def video_codec(data: bytes) -> str | None:
    """Codec name of a video tag body (``"h264"``, ``"hevc"``, ``"av1"``, …), None if empty.

    Unknown codecs are named ``"unknown:<id>"`` / ``"unknown:<fourcc>"`` so admission can
    still refuse them by name.
    """
    if not data:
        return None
    first = data[0]
    if first & 0x80:
        # Enhanced RTMP: IsExHeader bit, then FrameType(3) and PacketType(4), then FourCC.
        fourcc = bytes(data[1:5])
        return _VIDEO_FOURCCS.get(fourcc, "unknown:" + fourcc.decode("latin-1"))
    codec_id = first & 0x0F
    return _VIDEO_CODEC_IDS.get(codec_id, f"unknown:{codec_id}")


def audio_codec(data: bytes) -> str | None:
    """Codec name of an audio tag body (``"aac"``, ``"mp3"``, ``"opus"``, …), None if empty."""
    if not data:
        return None
    sound_format = data[0] >> 4
    if sound_format == 9:
        fourcc = bytes(data[1:5])
        return _AUDIO_FOURCCS.get(fourcc, "unknown:" + fourcc.decode("latin-1"))
    return _AUDIO_FORMATS.get(sound_format, f"unknown:{sound_format}")


def is_keyframe(data: bytes) -> bool:
    """Whether a video tag body is a keyframe (FrameType 1), legacy or enhanced.

    AVC/HEVC/AV1 tags also carry FrameType 1 on their sequence headers and on the
    end-of-sequence marker FFmpeg writes last (AVCPacketType 0 and 2), which hold no picture;
    only coded frames (legacy packet type 1, enhanced CodedFrames/CodedFramesX) count.
    """
    if not data or (data[0] >> 4) & 0x07 != 1:
        return False
    if data[0] & 0x80:
        return data[0] & 0x0F in (1, 3)  # enhanced PacketTypeCodedFrames(X)
    if data[0] & 0x0F in (7, 12, 13):
        return len(data) > 1 and data[1] == 1
    return True


def is_sequence_header(tag_type: int, data: bytes) -> bool:
    """Whether a tag carries decoder configuration (AVC/HEVC/AAC sequence header)."""
    if tag_type == TAG_VIDEO and len(data) >= 2:
        if data[0] & 0x80:
            return data[0] & 0x0F == 0  # PacketTypeSequenceStart
        return data[0] & 0x0F in (7, 12, 13) and data[1] == 0
    if tag_type == TAG_AUDIO and len(data) >= 2:
        return data[0] >> 4 == 10 and data[1] == 0
    return False
