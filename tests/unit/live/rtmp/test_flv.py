"""FLV framing and codec identification of tag bodies."""

from __future__ import annotations

import pytest

from culturecast.live.rtmp import flv


def test_header_flags_and_first_back_pointer() -> None:
    assert flv.encode_header() == b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00"
    assert flv.encode_header(has_audio=False)[4] == 0x01


def test_tag_carries_size_split_timestamp_and_previous_tag_size() -> None:
    tag = flv.encode_tag(flv.TAG_VIDEO, 0x12345678, b"abc")
    assert tag[0] == 9
    assert tag[1:4] == b"\x00\x00\x03"
    assert tag[4:7] == b"\x34\x56\x78"  # lower 24 bits
    assert tag[7] == 0x12  # TimestampExtended: the upper 8
    assert tag[8:11] == b"\x00\x00\x00"
    assert tag[11:14] == b"abc"
    assert tag[14:] == (14).to_bytes(4, "big")


@pytest.mark.parametrize(
    ("body", "codec"),
    [
        (b"\x17\x00\x00\x00\x00", "h264"),
        (b"\x27\x01", "h264"),
        (b"\x1c\x00", "hevc"),
        (b"\x12\x00", "sorenson_h263"),
        (b"\x14\x00", "vp6"),
        (b"\x90hvc1", "hevc"),  # enhanced RTMP: keyframe, SequenceStart, FourCC
        (b"\x91av01", "av1"),
        (b"\x90vp09", "vp9"),
        (b"\x90xxxx", "unknown:xxxx"),
        (b"\x1f", "unknown:15"),
    ],
)
def test_video_codec_identification(body: bytes, codec: str) -> None:
    assert flv.video_codec(body) == codec


@pytest.mark.parametrize(
    ("body", "codec"),
    [(b"\xaf\x00", "aac"), (b"\x2f", "mp3"), (b"\xb2", "speex"), (b"\x9fOpus", "opus")],
)
def test_audio_codec_identification(body: bytes, codec: str) -> None:
    assert flv.audio_codec(body) == codec


def test_empty_bodies_have_no_codec() -> None:
    assert flv.video_codec(b"") is None
    assert flv.audio_codec(b"") is None


def test_keyframe_and_sequence_header_flags() -> None:
    assert flv.is_keyframe(b"\x17\x01")
    assert not flv.is_keyframe(b"\x27\x01")
    # Sequence header and end of sequence carry FrameType 1 but no picture.
    assert not flv.is_keyframe(b"\x17\x00")
    assert not flv.is_keyframe(b"\x17\x02")
    assert flv.is_sequence_header(flv.TAG_VIDEO, b"\x17\x00")
    assert not flv.is_sequence_header(flv.TAG_VIDEO, b"\x17\x01")
    assert flv.is_sequence_header(flv.TAG_AUDIO, b"\xaf\x00")
    assert not flv.is_sequence_header(flv.TAG_AUDIO, b"\xaf\x01")
