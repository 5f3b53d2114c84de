from __future__ import annotations

import m3u8

from culturecast.live.playlist import (
    EventLines,
    Segment,
    event_playlist,
    format_pdt,
    live_playlist,
    parse_media_playlist,
    parse_pdt,
    segments_from,
    vod_playlist,
)

FFMPEG = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:EVENT
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-PROGRAM-DATE-TIME:2026-05-01T12:00:00.000+0000
#EXTINF:2.000000,
seg_00000.ts
#EXT-X-PROGRAM-DATE-TIME:2026-05-01T12:00:02.000+0000
#EXTINF:2.000000,
seg_00001.ts
"""


def segs(n: int, discont_at: tuple[int, ...] = ()) -> list[Segment]:
    return [Segment(i, 2.0, 1_777_000_000.0 + 2 * i, i in discont_at) for i in range(n)]


def test_parses_ffmpegs_event_playlist_with_its_date_format() -> None:
    parsed = parse_media_playlist(FFMPEG)
    assert [e.uri for e in parsed.entries] == ["seg_00000.ts", "seg_00001.ts"]
    assert parsed.entries[1].program_date_time == parse_pdt("2026-05-01T12:00:02Z")
    assert not parsed.ended


def test_pdt_round_trip() -> None:
    assert parse_pdt(format_pdt(1_777_000_000.25)) == 1_777_000_000.25


def test_live_window_slides_and_counts_discontinuities_that_slid_out() -> None:
    text = live_playlist(segs(15, discont_at=(3, 12)), window=10, nominal_s=2.0, ended=False)
    parsed = m3u8.loads(text)
    assert parsed.media_sequence == 5
    assert parsed.discontinuity_sequence == 1
    assert next(s.uri for s in parsed.segments) == "seg_000005.ts"
    assert len(parsed.segments) == 10
    assert [s.discontinuity for s in parsed.segments].count(True) == 1
    assert all(s.program_date_time is not None for s in parsed.segments)
    assert not parsed.is_endlist


def test_ended_live_window_and_event_playlist_carry_endlist() -> None:
    assert m3u8.loads(live_playlist(segs(3), window=10, nominal_s=2.0, ended=True)).is_endlist
    event = m3u8.loads(event_playlist(segs(30), nominal_s=2.0, ended=True))
    assert event.is_endlist
    assert len(event.segments) == 30
    assert event.playlist_type == "event"


def test_target_duration_covers_the_longest_segment() -> None:
    long = [Segment(0, 2.0), Segment(1, 4.6)]
    assert m3u8.loads(event_playlist(long, nominal_s=2.0, ended=False)).target_duration == 5


def test_vod_playlist_points_at_the_live_segments() -> None:
    text = vod_playlist(segs(4, discont_at=(2,)), nominal_s=2.0, prefix="../../360p/")
    parsed = m3u8.loads(text)
    assert parsed.playlist_type == "vod"
    assert parsed.is_endlist
    assert parsed.segments[0].uri == "../../360p/seg_000000.ts"
    assert parsed.segments[2].discontinuity


def test_our_event_playlist_reads_back_to_the_same_segments() -> None:
    original = segs(5, discont_at=(3,))
    text = event_playlist(original, nominal_s=2.0, ended=False)
    assert segments_from(parse_media_playlist(text)) == original


def test_a_rendition_cut_between_keyframes_is_not_declared_independent() -> None:
    # RFC 8216 §4.3.5.1: EXT-X-INDEPENDENT-SEGMENTS only when every segment starts on a
    # keyframe; the recording read back remembers which it was, for the replay.
    original = segs(3)
    for independent in (True, False):
        texts = [
            live_playlist(original, window=10, nominal_s=2.0, ended=False, independent=independent),
            event_playlist(original, nominal_s=2.0, ended=False, independent=independent),
            vod_playlist(original, nominal_s=2.0, prefix="", independent=independent),
        ]
        for text in texts:
            assert ("#EXT-X-INDEPENDENT-SEGMENTS" in text) is independent
            assert parse_media_playlist(text).independent is independent
            assert m3u8.loads(text).is_independent_segments is independent


def test_event_lines_write_the_same_recording_as_event_playlist_while_it_grows() -> None:
    lines = EventLines()
    grown: list[Segment] = []
    for seg in [*segs(6, discont_at=(0, 4)), Segment(6, 2.6, None, False)]:
        grown.append(seg)
        for ended, independent in ((False, True), (True, False)):
            expected = event_playlist(grown, nominal_s=2.0, ended=ended, independent=independent)
            got = lines.text(grown, nominal_s=2.0, ended=ended, independent=independent)
            assert got == expected
    assert EventLines().text([], nominal_s=1.0, ended=True, independent=True) == event_playlist(
        [], nominal_s=1.0, ended=True
    )
