"""Decoder configuration read from real encoder output (ffmpeg's x264 via FLV)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from culturecast.live.gop import FirstGop, GopBuffer
from culturecast.live.rtmp import flv
from culturecast.live.source import (
    parse_aac_sequence_header,
    parse_avc_sequence_header,
    source_info,
)


def flv_tags(data: bytes) -> list[tuple[int, int, bytes]]:
    pos = 9 + 4
    tags = []
    while pos + 11 <= len(data):
        tag_type = data[pos]
        size = int.from_bytes(data[pos + 1 : pos + 4], "big")
        ts = int.from_bytes(data[pos + 4 : pos + 7], "big") | (data[pos + 7] << 24)
        tags.append((tag_type, ts, data[pos + 11 : pos + 11 + size]))
        pos += 11 + size + 4
    return tags


@pytest.fixture(scope="module")
def tags(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[int, int, bytes]]:
    out = tmp_path_factory.mktemp("flv") / "a.flv"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=854x480:rate=25",
         "-f", "lavfi", "-i", "sine=sample_rate=44100", "-t", "3", "-c:v", "libx264",
         "-preset", "veryfast", "-profile:v", "main", "-g", "25", "-sc_threshold", "0",
         "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-ac", "1", "-f", "flv", str(out)],
        check=True,
    )  # fmt: skip
    return flv_tags(Path(out).read_bytes())


def test_sps_gives_size_profile_and_level(tags: list[tuple[int, int, bytes]]) -> None:
    header = next(d for t, _, d in tags if t == 9 and flv.is_sequence_header(t, d))
    avc = parse_avc_sequence_header(header)
    assert (avc.width, avc.height) == (854, 480)  # 480 = 30 macroblocks, 854 is cropped
    assert avc.profile_name == "Main"
    assert avc.pix_fmt == "yuv420p"


def test_aac_config(tags: list[tuple[int, int, bytes]]) -> None:
    header = next(d for t, _, d in tags if t == 8 and flv.is_sequence_header(t, d))
    aac = parse_aac_sequence_header(header)
    assert (aac.profile_name, aac.sample_rate, aac.channels) == ("LC", 44100, 1)


def test_first_gop_measures_the_keyframe_interval(tags: list[tuple[int, int, bytes]]) -> None:
    first = FirstGop(segment_s=2.0)
    done_at = None
    for t, ts, d in tags:
        if first.add(t, ts, d):
            done_at = ts
            break
    assert first.keyframe_interval_s == 1.0
    assert done_at == 1000
    assert first.fps == pytest.approx(25, abs=1)


def test_no_second_keyframe_within_a_segment_ends_the_probe() -> None:
    first = FirstGop(segment_s=2.0)
    assert not first.add(9, 0, b"\x17\x01\x00\x00\x00")
    assert not first.add(9, 2000, b"\x27\x01\x00\x00\x00")
    assert first.add(9, 2200, b"\x27\x01\x00\x00\x00")
    assert first.keyframe_interval_s is None


def test_gop_replay_starts_with_headers_then_the_latest_keyframe(
    tags: list[tuple[int, int, bytes]],
) -> None:
    gop = GopBuffer()
    for t, ts, d in tags:
        gop.add(t, ts, d)
    replay = flv_tags(gop.replay())
    assert replay[0][0] == 18  # metadata
    assert flv.is_sequence_header(replay[1][0], replay[1][2])
    assert flv.is_sequence_header(replay[2][0], replay[2][2])
    first_media = replay[3]
    assert first_media[0] == 9
    assert flv.is_keyframe(first_media[2])
    assert first_media[1] == 2000  # the last keyframe of 3 s at one per second


def test_source_info_prefers_sps_over_metadata(tags: list[tuple[int, int, bytes]]) -> None:
    header = next(d for t, _, d in tags if t == 9 and flv.is_sequence_header(t, d))
    info = source_info(
        metadata={"width": 1920.0, "height": 1080.0, "framerate": 25.0, "videodatarate": 700.0},
        video_codec="h264",
        audio_codec="aac",
        avc=parse_avc_sequence_header(header),
        aac=None,
        measured_fps=None,
        measured_video_kbps=None,
    )
    assert (info.width, info.height, info.fps, info.video_bit_rate) == (854, 480, 25.0, 700_000)
    assert info.video_profile == "Main"
    assert info.has_audio
    assert info.audio_channels == 2
