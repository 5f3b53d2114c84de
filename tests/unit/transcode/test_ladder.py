from __future__ import annotations

from dataclasses import replace

import pytest

from culturecast.transcode.ladder import (
    DEFAULT_LIVE_LADDER,
    DEFAULT_VOD_LADDER,
    Ladder,
    fit_size,
    format_ladder,
    h264_level,
    keyframes_fit_segments,
    parse_ladder,
    plan_audio,
    plan_ladder,
)
from culturecast.transcode.probe import SourceInfo, parse_probe
from tests.unit.transcode.conftest import probe_json

SRC_1080 = parse_probe(probe_json("src1080_mp4"))
SRC_720 = parse_probe(probe_json("src720_flv"))
SRC_VP8 = parse_probe(probe_json("src480_webm"))
MP3 = parse_probe(probe_json("audio_mp3"))
M4A = parse_probe(probe_json("audio_m4a"))


def sizes(planned: list) -> list[tuple[str, int, int]]:  # type: ignore[type-arg]
    return [(r.name, r.width, r.height) for r in planned]


def test_default_ladders_are_largest_first_with_audio_only() -> None:
    for ladder in (DEFAULT_LIVE_LADDER, DEFAULT_VOD_LADDER):
        assert [r.name for r in ladder.rungs] == ["1080p", "720p", "480p", "360p"]
        assert ladder.audio_only_kbps == 64
        rates = [r.video_kbps for r in ladder.rungs]
        assert rates == sorted(rates, reverse=True)


def test_1080p_source_gets_full_ladder_with_top_passed_through() -> None:
    planned = plan_ladder(DEFAULT_VOD_LADDER, SRC_1080)
    assert sizes(planned) == [
        ("1080p", 1920, 1080),
        ("720p", 1280, 720),
        ("480p", 854, 480),
        ("360p", 640, 360),
        ("audio", 0, 0),
    ]
    top = planned[0]
    assert top.passthrough
    assert top.audio_copy
    assert top.video_kbps == 4412  # the source's own rate, for AVERAGE-BANDWIDTH
    assert (top.profile, top.level) == ("baseline", "4.0")  # the source's, for CODECS
    assert not any(r.passthrough for r in planned[1:])
    assert planned[-1].kind == "audio"
    assert planned[-1].audio_kbps == 64


def test_never_upscales_and_drops_duplicates_keeping_smaller_rate() -> None:
    small = SourceInfo(
        "flv",
        10.0,
        has_video=True,
        width=640,
        height=360,
        fps=30.0,
        video_codec="h264",
        has_audio=True,
        audio_codec="aac",
    )
    planned = plan_ladder(DEFAULT_LIVE_LADDER, small, live=True, segment_s=2)
    assert sizes(planned) == [("360p", 640, 360), ("audio", 0, 0)]
    assert planned[0].video_kbps == 800  # the 360p rung's rate, not 1080p's


def test_odd_sized_source_capped_to_even_and_renamed() -> None:
    src = SourceInfo("flv", 10.0, has_video=True, width=1001, height=563, fps=25.0)
    planned = plan_ladder(DEFAULT_LIVE_LADDER, src)
    assert sizes(planned) == [("562p", 1000, 562), ("480p", 854, 480), ("360p", 640, 360)]
    assert all(r.width % 2 == 0 and r.height % 2 == 0 for r in planned)
    assert not planned[0].passthrough  # odd size cannot be copied as the even rung


def test_keeps_aspect_ratio_for_4_3_and_portrait() -> None:
    four_three = SourceInfo("flv", 1.0, has_video=True, width=1440, height=1080)
    assert sizes(plan_ladder(DEFAULT_VOD_LADDER, four_three))[:2] == [
        ("1080p", 1440, 1080),
        ("720p", 960, 720),
    ]
    portrait = SourceInfo("flv", 1.0, has_video=True, width=1080, height=1920)
    assert sizes(plan_ladder(DEFAULT_VOD_LADDER, portrait))[1] == ("720p", 720, 1280)


def test_rotated_source_planned_at_display_size_and_not_passed_through() -> None:
    rotated = parse_probe(probe_json("rotated_mp4"))
    planned = plan_ladder(DEFAULT_VOD_LADDER, rotated)
    assert sizes(planned) == [("360p", 360, 640)]  # no audio stream, so no audio rung
    assert not planned[0].passthrough


def test_vp8_source_is_never_passed_through() -> None:
    planned = plan_ladder(DEFAULT_VOD_LADDER, SRC_VP8)
    assert sizes(planned) == [("480p", 854, 480), ("360p", 640, 360), ("audio", 0, 0)]
    assert not any(r.passthrough or r.audio_copy for r in planned)


def test_no_passthrough_when_source_rate_above_top_maxrate() -> None:
    fat = replace(SRC_1080, video_bit_rate=9_000_000)
    assert not plan_ladder(DEFAULT_VOD_LADDER, fat)[0].passthrough
    unknown = replace(SRC_1080, video_bit_rate=None, bit_rate=None)
    assert not plan_ladder(DEFAULT_VOD_LADDER, unknown)[0].passthrough


def test_no_passthrough_for_10_bit_or_high_444() -> None:
    assert not plan_ladder(DEFAULT_VOD_LADDER, replace(SRC_1080, pix_fmt="yuv420p10le"))[
        0
    ].passthrough
    assert not plan_ladder(
        DEFAULT_VOD_LADDER, replace(SRC_1080, video_profile="High 4:4:4 Predictive")
    )[0].passthrough


def test_passthrough_video_with_non_aac_audio_encodes_audio() -> None:
    planned = plan_ladder(
        DEFAULT_VOD_LADDER, replace(SRC_1080, audio_codec="mp3", audio_profile=None)
    )
    assert planned[0].passthrough
    assert not planned[0].audio_copy
    assert planned[0].audio_kbps == 128


def test_live_passthrough_needs_keyframe_interval_fitting_segments() -> None:
    def top(kf: float | None, seg: float = 2.0) -> bool:
        planned = plan_ladder(
            DEFAULT_LIVE_LADDER, SRC_1080, live=True, segment_s=seg, keyframe_interval_s=kf
        )
        return planned[0].passthrough

    assert top(2.0)
    assert top(1.0)
    assert top(2.0, seg=4.0)
    assert not top(None)  # unknown keyframe interval: cannot promise segment cuts
    assert not top(4.0)  # keyframes rarer than segments
    assert not top(1.5)  # 2 s is not a multiple of 1.5 s
    assert plan_ladder(DEFAULT_VOD_LADDER, SRC_1080, keyframe_interval_s=None)[0].passthrough


def test_allow_passthrough_false_encodes_everything() -> None:
    planned = plan_ladder(DEFAULT_VOD_LADDER, SRC_1080, allow_passthrough=False)
    assert not any(r.passthrough or r.audio_copy for r in planned)
    assert planned[0].video_kbps == 4500


def test_source_without_audio_has_no_audio_rung_or_audio_rate() -> None:
    silent = replace(SRC_720, has_audio=False, audio_codec=None)
    planned = plan_ladder(DEFAULT_LIVE_LADDER, silent)
    assert [r.kind for r in planned] == ["video", "video", "video"]
    assert all(r.audio_kbps == 0 for r in planned)


def test_audio_only_source_gets_only_the_audio_rung() -> None:
    assert sizes(plan_ladder(DEFAULT_VOD_LADDER, MP3)) == [("audio", 0, 0)]
    no_audio_rung = Ladder(DEFAULT_VOD_LADDER.rungs, audio_only_kbps=0)
    assert sizes(plan_ladder(no_audio_rung, MP3)) == [("audio", 0, 0)]  # still playable
    assert plan_ladder(no_audio_rung, SRC_1080)[-1].kind == "video"


def test_plan_audio_remuxes_aac_and_encodes_others() -> None:
    m4a = plan_audio(M4A)
    assert m4a.audio_copy
    assert m4a.audio_kbps == 97
    assert not plan_audio(M4A, loudnorm=True).audio_copy
    mp3 = plan_audio(MP3, kbps=96)
    assert not mp3.audio_copy
    assert mp3.audio_kbps == 48  # mono: half the stereo rate
    with pytest.raises(ValueError, match="no audio"):
        plan_audio(replace(MP3, has_audio=False))


def test_audio_rate_is_per_channel_and_never_above_the_source() -> None:
    # A 64 kbit/s mono 评书 MP3 becomes 64 kbit/s mono AAC, the usual rate for speech.
    assert plan_audio(replace(MP3, audio_bit_rate=64_000)).audio_kbps == 64
    assert plan_audio(MP3).audio_kbps == 64  # 128 kbit/s mono MP3: mono rate
    stereo = replace(MP3, audio_channels=2)
    assert plan_audio(stereo).audio_kbps == 128
    assert plan_audio(replace(stereo, audio_bit_rate=320_000)).audio_kbps == 128
    assert plan_audio(replace(stereo, audio_bit_rate=95_000)).audio_kbps == 96  # 8k steps
    assert plan_audio(replace(stereo, audio_bit_rate=None)).audio_kbps == 128
    # Floors of 32 kbit/s per channel, where AAC-LC starts to sound poor.
    assert plan_audio(replace(MP3, audio_bit_rate=16_000)).audio_kbps == 32
    assert plan_audio(replace(stereo, audio_bit_rate=24_000)).audio_kbps == 64
    assert plan_audio(replace(MP3, audio_channels=6)).audio_kbps == 128  # downmixed to 2


def test_encoded_rungs_copy_aac_lc_that_fits_their_audio_rate() -> None:
    # The 1080p source's AAC-LC is 128 kbit/s: the 720p rung (128k) takes it as is, the
    # 96k rungs and the 64k audio-only rung encode.
    planned = plan_ladder(DEFAULT_VOD_LADDER, SRC_1080)
    assert [(r.name, r.audio_copy, r.audio_kbps) for r in planned] == [
        ("1080p", True, 128),
        ("720p", True, 128),
        ("480p", False, 96),
        ("360p", False, 96),
        ("audio", False, 64),
    ]
    low = replace(SRC_1080, audio_bit_rate=48_000)
    assert all(r.audio_copy for r in plan_ladder(DEFAULT_VOD_LADDER, low))
    unknown = replace(SRC_1080, audio_bit_rate=None)
    assert [r.audio_copy for r in plan_ladder(DEFAULT_VOD_LADDER, unknown)] == [
        True,  # the passed-through rung keeps its audio whatever its rate
        False,
        False,
        False,
        False,
    ]
    he_aac = replace(SRC_1080, audio_profile="HE-AAC")
    assert not any(r.audio_copy for r in plan_ladder(DEFAULT_VOD_LADDER, he_aac))


def test_levels_follow_annex_a() -> None:
    assert h264_level(640, 360, 30, 856, "main") == "3.0"
    assert h264_level(1280, 720, 30, 2996, "high") == "3.1"
    assert h264_level(1280, 720, 60, 2996, "high") == "3.2"
    assert h264_level(1920, 1080, 30, 5350, "high") == "4.0"
    assert h264_level(1920, 1080, 30, 30_000, "high") == "4.1"
    assert h264_level(1920, 1080, 60, 5350, "high") == "4.2"
    assert h264_level(3840, 2160, 30, 20_000, "high") == "5.1"


def test_fit_size() -> None:
    assert fit_size(1920, 1080, 854, 480) == (854, 480, False)
    assert fit_size(1280, 544, 854, 480) == (854, 362, False)
    assert fit_size(641, 361, 1280, 720) == (640, 360, True)


def test_keyframes_fit_segments() -> None:
    assert keyframes_fit_segments(2.0, 6.0)
    assert keyframes_fit_segments(1.001, 2.0)
    assert not keyframes_fit_segments(0.0, 2.0)
    assert not keyframes_fit_segments(2.5, 6.0)


def test_parse_ladder_compact_string() -> None:
    ladder = parse_ladder("720p:1280x720:2800, 1080p:1920x1080:5000:160 ,audio:48")
    assert [(r.name, r.width, r.height, r.video_kbps, r.audio_kbps) for r in ladder.rungs] == [
        ("1080p", 1920, 1080, 5000, 160),
        ("720p", 1280, 720, 2800, 128),
    ]
    assert ladder.rungs[0].maxrate_kbps == 5350
    assert ladder.rungs[0].bufsize_kbps == 7500
    assert ladder.audio_only_kbps == 48
    assert parse_ladder("360p:640x360:800").audio_only_kbps == 64
    assert parse_ladder("360p:640x360:800,audio:0").audio_only_kbps == 0


def test_format_ladder_round_trips() -> None:
    assert parse_ladder(format_ladder(DEFAULT_LIVE_LADDER)) == DEFAULT_LIVE_LADDER


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("audio:64", "no video rung"),
        ("1080p:1920*1080:5000", "entry 1 .*expected name:WIDTHxHEIGHT"),
        ("720p:1280x720:2800,480p:853x480:1400", "entry 2 .*even"),
        ("720p:1280x720:20", "entry 1 .*video bit rate"),
        ("720p:1280x720:2800:999", "audio bit rate"),
        ("720p:1280x720:2800,720p:1280x720:2000", "used twice"),
        ("720p:1280x720:2800,audio:64,audio:32", "given twice"),
        ("720p:1280x720:2800,audio:5", "16–320"),
        ("../x:1280x720:2800", "expected name"),
    ],
)
def test_parse_ladder_errors_name_the_entry(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_ladder(text)
