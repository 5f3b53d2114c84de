from __future__ import annotations

from dataclasses import replace

import pytest

from culturecast.transcode.ladder import DEFAULT_VOD_LADDER, plan_audio, plan_ladder
from culturecast.transcode.master import (
    avc_codec,
    build_master,
    codecs_for,
    parse_attributes,
    verify_master,
)
from culturecast.transcode.probe import parse_probe
from tests.unit.transcode.conftest import probe_json

S1080 = parse_probe(probe_json("src1080_mp4"))
M4A = parse_probe(probe_json("audio_m4a"))


def test_master_for_1080p_plan() -> None:
    planned = plan_ladder(DEFAULT_VOD_LADDER, S1080)
    assert build_master(planned) == (
        "#EXTM3U\n"
        "#EXT-X-VERSION:3\n"
        "#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=5437300,AVERAGE-BANDWIDTH=4540000,"
        'CODECS="avc1.42E028,mp4a.40.2",RESOLUTION=1920x1080,FRAME-RATE=30.000\n'
        "1080p/index.m3u8\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=3083300,AVERAGE-BANDWIDTH=2628000,"
        'CODECS="avc1.64001F,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=30.000\n'
        "720p/index.m3u8\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=1518000,AVERAGE-BANDWIDTH=1296000,"
        'CODECS="avc1.4D401F,mp4a.40.2",RESOLUTION=854x480,FRAME-RATE=30.000\n'
        "480p/index.m3u8\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=929500,AVERAGE-BANDWIDTH=796000,"
        'CODECS="avc1.4D401E,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=30.000\n'
        "360p/index.m3u8\n"
        '#EXT-X-STREAM-INF:BANDWIDTH=70400,AVERAGE-BANDWIDTH=64000,CODECS="mp4a.40.2"\n'
        "audio/index.m3u8\n"
    )


def test_master_for_audio_resource_has_one_aac_variant() -> None:
    text = build_master([plan_audio(M4A)])
    assert 'CODECS="mp4a.40.2"' in text
    assert "RESOLUTION" not in text
    assert text.endswith("audio/index.m3u8\n")


@pytest.mark.parametrize(
    ("profile", "level", "expected"),
    [
        ("high", "4.1", "avc1.640029"),
        ("high", "3.1", "avc1.64001F"),
        ("main", "3.0", "avc1.4D401E"),
        ("baseline", "3.0", "avc1.42E01E"),
        ("high", "5.2", "avc1.640034"),
        ("high", "4", "avc1.640028"),
    ],
)
def test_avc_codec_strings(profile: str, level: str, expected: str) -> None:
    assert avc_codec(profile, level) == expected


def test_avc_codec_rejects_unknowns() -> None:
    with pytest.raises(ValueError, match="profile"):
        avc_codec("high10", "4.1")
    with pytest.raises(ValueError, match="level"):
        avc_codec("high", "x")


def test_silent_video_lists_only_video_codec() -> None:
    planned = plan_ladder(DEFAULT_VOD_LADDER, replace(S1080, has_audio=False, audio_codec=None))
    assert codecs_for(planned[1]) == "avc1.64001F"


def test_verify_accepts_our_master_and_flags_ffmpegs() -> None:
    planned = plan_ladder(DEFAULT_VOD_LADDER, S1080)
    assert verify_master(build_master(planned), planned) == []
    # What ffmpeg 5.1 wrote for the same plan: no CODECS on the copied rendition.
    ffmpeg_master = (
        "#EXTM3U\n#EXT-X-VERSION:6\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=4993337,RESOLUTION=1920x1080\n1080p/index.m3u8\n\n"
        '#EXT-X-STREAM-INF:BANDWIDTH=2890800,RESOLUTION=1280x720,CODECS="avc1.42c01f,mp4a.40.2"\n'
        "720p/index.m3u8\n"
    )
    problems = verify_master(ffmpeg_master, planned)
    assert "2 variants listed, 5 planned" in problems
    assert any("1080p: CODECS None" in p for p in problems)


def test_verify_flags_missing_uri_and_bad_header() -> None:
    planned = plan_ladder(DEFAULT_VOD_LADDER, S1080)[-1:]
    assert verify_master("hello", planned) == ["the playlist does not start with #EXTM3U"]
    text = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS="mp4a.40.2"\n'
    assert "EXT-X-STREAM-INF on line 2 has no URI" in verify_master(text, planned)


def test_parse_attributes_keeps_quoted_commas() -> None:
    assert parse_attributes('BANDWIDTH=1,CODECS="avc1.64001F,mp4a.40.2",RESOLUTION=2x2') == {
        "BANDWIDTH": "1",
        "CODECS": "avc1.64001F,mp4a.40.2",
        "RESOLUTION": "2x2",
    }


def test_master_declares_independent_segments_only_when_every_rung_has_them() -> None:
    planned = plan_ladder(DEFAULT_VOD_LADDER, S1080)
    assert "#EXT-X-INDEPENDENT-SEGMENTS" in build_master(planned)
    cut = [replace(planned[0], independent=False), *planned[1:]]
    text = build_master(cut)
    assert "#EXT-X-INDEPENDENT-SEGMENTS" not in text
    assert verify_master(text, cut) == []
