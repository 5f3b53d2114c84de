from __future__ import annotations

import pytest

from culturecast.transcode.probe import (
    MediaRejected,
    ProbeLimits,
    SourceInfo,
    check_input_path,
    find_problems,
    parse_probe,
    probe_command,
    probe_failure,
    validate_source,
)
from tests.unit.transcode.conftest import probe_json

LIMITS = ProbeLimits()


def codes(info: SourceInfo, limits: ProbeLimits = LIMITS, size: int | None = None) -> list[str]:
    return [p.code for p in find_problems(info, limits, size)]


def test_parses_1080p_h264_aac_mp4() -> None:
    info = parse_probe(probe_json("src1080_mp4"))
    assert info.container == "mov,mp4,m4a,3gp,3g2,mj2"
    assert (info.has_video, info.has_audio) == (True, True)
    assert (info.video_codec, info.width, info.height, info.fps) == ("h264", 1920, 1080, 30.0)
    assert info.video_bit_rate == 4411424
    assert info.pix_fmt == "yuv420p"
    assert (info.video_profile, info.video_level) == ("Constrained Baseline", 40)
    assert info.audio_codec == "aac"
    assert (info.audio_profile, info.audio_channels, info.audio_sample_rate) == ("LC", 2, 48000)
    assert info.duration_s == 2.0
    assert info.size_bytes == 1138333
    assert codes(info) == []


def test_parses_flv_with_fractional_duration() -> None:
    info = parse_probe(probe_json("src720_flv"))
    assert info.container == "flv"
    assert (info.width, info.height, info.fps) == (1280, 720, 25.0)
    assert info.duration_s == pytest.approx(2.023)
    assert info.audio_sample_rate == 44100
    assert codes(info) == []


def test_parses_vp8_vorbis_webm() -> None:
    info = parse_probe(probe_json("src480_webm"))
    assert info.container == "matroska,webm"
    assert (info.video_codec, info.audio_codec) == ("vp8", "vorbis")
    assert (info.width, info.height, info.fps) == (854, 480, 24.0)
    assert codes(info) == []


def test_audio_only_files_have_no_video() -> None:
    mp3 = parse_probe(probe_json("audio_mp3"))
    m4a = parse_probe(probe_json("audio_m4a"))
    assert (mp3.has_video, mp3.has_audio, mp3.audio_codec) == (False, True, "mp3")
    assert (m4a.has_video, m4a.has_audio, m4a.audio_codec) == (False, True, "aac")
    assert codes(mp3) == []
    assert codes(m4a) == []


def test_cover_art_in_mp3_is_not_video() -> None:
    info = parse_probe(probe_json("audio_cover_mp3"))
    assert info.has_video is False
    assert info.has_audio is True
    assert codes(info) == []


def test_rotation_swaps_display_size() -> None:
    info = parse_probe(probe_json("rotated_mp4"))
    assert info.rotation == 90
    assert (info.width, info.height) == (640, 360)
    assert (info.display_width, info.display_height) == (360, 640)


def test_rotation_from_legacy_tag() -> None:
    data = probe_json("src1080_mp4")
    data["streams"][0]["tags"]["rotate"] = "-90"
    assert parse_probe(data).rotation == 270


@pytest.mark.parametrize("name", ["image_png", "image_jpg"])
def test_pictures_are_not_media(name: str) -> None:
    info = parse_probe(probe_json(name))
    assert codes(info) == ["not_media"]
    with pytest.raises(MediaRejected) as caught:
        validate_source(info, LIMITS)
    assert caught.value.code == "not_media"
    assert "picture" in caught.value.message
    assert caught.value.message_zh


@pytest.mark.parametrize("name", ["hostile_hls_playlist", "hostile_concat"])
def test_playlists_and_concat_are_unsafe(name: str) -> None:
    # Real ffprobe answers for an HLS playlist and an ffconcat list that point at other files.
    info = parse_probe(probe_json(name))
    assert info.has_video  # they look like media ...
    assert codes(info) == ["unsafe_format"]  # ... but are refused by demuxer


def test_unknown_container_is_refused() -> None:
    info = SourceInfo(container="lavfi", duration_s=1.0, has_video=True, width=2, height=2)
    assert codes(info) == ["unsafe_format"]
    info = SourceInfo(container="nut", duration_s=1.0, has_audio=True, audio_codec="pcm_s16le")
    assert codes(info) == ["unsafe_format"]


def test_no_streams_is_not_media() -> None:
    info = parse_probe({"streams": [], "format": {"format_name": "mp3", "duration": "3.0"}})
    assert codes(info) == ["not_media"]
    only_data = {"streams": [{"codec_type": "data"}], "format": {"format_name": "mpegts"}}
    assert codes(parse_probe(only_data)) == ["not_media"]


def test_huge_resolution_is_refused() -> None:
    data = probe_json("src1080_mp4")
    data["streams"][0]["width"] = 100_000
    data["streams"][0]["height"] = 100_000
    info = parse_probe(data)
    assert codes(info) == ["resolution_too_large"]
    with pytest.raises(MediaRejected, match="resolution_too_large"):
        validate_source(info, LIMITS)


def test_pixel_count_cap_separate_from_side_caps() -> None:
    limits = ProbeLimits(max_width=4096, max_height=4096, max_pixels=4096 * 2160)
    ok = SourceInfo("matroska,webm", 10.0, has_video=True, width=4096, height=2160)
    too_many = SourceInfo("matroska,webm", 10.0, has_video=True, width=4096, height=4096)
    assert codes(ok, limits) == []
    assert codes(too_many, limits) == ["too_many_pixels"]


def test_zero_size_video_is_not_media() -> None:
    info = SourceInfo("mov,mp4,m4a,3gp,3g2,mj2", 10.0, has_video=True, width=0, height=0)
    assert codes(info) == ["not_media"]


def test_zero_length_file_and_zero_duration() -> None:
    info = parse_probe(probe_json("audio_m4a"))
    assert codes(info, size=0) == ["empty"]
    no_duration = parse_probe(probe_json("audio_m4a") | {"format": {"format_name": "mp3"}})
    data = probe_json("audio_mp3")
    data["format"]["duration"] = "0.000000"
    data["streams"][0]["duration"] = "0.000000"
    assert codes(parse_probe(data)) == ["empty"]
    assert no_duration.duration_s == 3.0  # falls back to the stream's duration


def test_size_and_duration_caps() -> None:
    info = parse_probe(probe_json("src1080_mp4"))
    limits = ProbeLimits(max_size_bytes=1_000_000, max_duration_s=1.5)
    assert codes(info, limits) == ["too_large", "too_long"]
    assert codes(info, limits, size=999_999) == ["too_long"]


def test_probe_failure_maps_whitelist_refusal_to_unsafe_format() -> None:
    stderr = "[hls @ 0x5629ab8ac280] Format not on whitelist 'mov,mp4'\nInvalid argument\n"
    assert probe_failure(1, stderr).code == "unsafe_format"
    assert probe_failure(1, "moov atom not found\n").code == "not_media"
    png = "[png_pipe @ 0x55d0c8e0f2c0] Format not on whitelist 'mov,mp4'\n"
    assert probe_failure(1, png).code == "not_media"


def test_probe_command_is_pinned() -> None:
    limits = ProbeLimits(probesize=5_000_000, analyzeduration_us=3_000_000)
    assert probe_command("/srv/up/a.mp4", limits) == [
        "ffprobe",
        "-hide_banner",
        "-v",
        "error",
        "-protocol_whitelist",
        "file",
        "-format_whitelist",
        "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,flv,avi,mpegts,mpeg,asf,mp3,aac,wav,w64,flac,"
        "ogg,amr,ape",
        "-probesize",
        "5000000",
        "-analyzeduration",
        "3000000",
        "-of",
        "json",
        "-show_streams",
        "-show_format",
        "/srv/up/a.mp4",
    ]


def test_input_path_accepts_regular_file_inside_allowed_dir() -> None:
    assert check_input_path("/srv/up/x/a.mp4", ["/srv/up"], True) == "/srv/up/x/a.mp4"
    assert check_input_path("/srv/up/a.mp4", ["/other", "/srv/up/"], True) == "/srv/up/a.mp4"


@pytest.mark.parametrize(
    ("path", "regular", "reason"),
    [
        ("a.mp4", True, "absolute"),
        ("http://evil/a.m3u8", True, "absolute"),
        ("concat:/srv/up/a.mp4|/etc/passwd", True, "absolute"),
        ("/srv/up/../../etc/passwd", True, "normalised"),
        ("/srv/up//a.mp4", True, "normalised"),
        ("/srv/upload-other/a.mp4", True, "outside"),
        ("/etc/passwd", True, "outside"),
        ("/srv/up", True, "outside"),
        ("/srv/up/a\n.mp4", True, "control"),
        ("/srv/up/dir", False, "regular"),
    ],
)
def test_input_path_refusals(path: str, regular: bool, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_input_path(path, ["/srv/up"], regular)
