"""The LL-HLS playlist writer and the blocking-reload rule (pure)."""

from __future__ import annotations

import m3u8
import pytest

from culturecast.core.llhls import (
    Reload,
    blocking_query,
    edge_of,
    part_decision,
    part_of,
    reload_decision,
)
from culturecast.live.ll_playlist import OpenSegment, Part, ll_live_playlist
from culturecast.live.playlist import Segment, parse_media_playlist, segments_from, vod_playlist


def _parts(msn: int, n: int = 3) -> list[Part]:
    return [Part(msn, i, 1 / 3, i == 0) for i in range(n)]


def _show() -> str:
    segments = [Segment(s, 1.0, 1_000.0 + s, False, "init_1.mp4") for s in range(3)]
    recent = [p for s in range(3) for p in _parts(s)]
    open_seg = OpenSegment(3, "init_1.mp4", False, 1_003.0, _parts(3, 2))
    return ll_live_playlist(
        segments, recent, open_seg, window=20, nominal_s=1.0, part_s=1 / 3, ended=False
    )


def test_ll_playlist_has_the_ll_tags_and_parses() -> None:
    text = _show()
    parsed = m3u8.loads(text)
    assert parsed.server_control.can_block_reload == "YES"
    assert parsed.part_inf.part_target == pytest.approx(0.334)
    assert parsed.server_control.part_hold_back >= 2 * parsed.part_inf.part_target
    assert parsed.preload_hint.uri == "part_000003_2.m4s"
    assert parsed.segment_map[0].uri == "init_1.mp4"
    whole = [s for s in parsed.segments if s.uri]
    assert [s.uri for s in whole] == ["seg_000000.m4s", "seg_000001.m4s", "seg_000002.m4s"]
    assert [p.uri for p in whole[1].parts] == [f"part_000001_{i}.m4s" for i in range(3)]
    assert [p.independent for p in whole[1].parts] == ["YES", None, None]
    assert [p.uri for p in parsed.segments[-1].parts] == ["part_000003_0.m4s", "part_000003_1.m4s"]
    # A player without LL support sees a plain live playlist of whole segments.
    plain = parse_media_playlist(text)
    assert [e.uri for e in plain.entries] == [s.uri for s in whole]
    assert plain.entries[0].map_uri == "init_1.mp4"


def test_ended_ll_playlist_drops_the_open_parts_and_server_control() -> None:
    segments = [Segment(0, 1.0, None, False, "init_1.mp4")]
    text = ll_live_playlist(
        segments, _parts(0), None, window=20, nominal_s=1.0, part_s=1 / 3, ended=True
    )
    assert "#EXT-X-ENDLIST" in text
    assert "PRELOAD-HINT" not in text
    assert "CAN-BLOCK-RELOAD" not in text


def test_cmaf_recording_round_trips_into_a_replay_with_its_map() -> None:
    segments = [
        Segment(0, 1.0, None, False, "init_1.mp4"),
        Segment(1, 1.0, None, True, "init_2.mp4"),
    ]
    vod = vod_playlist(segments, nominal_s=1.0, prefix="../../360p/")
    assert vod.count("#EXT-X-MAP:") == 2
    assert "#EXT-X-VERSION:6" in vod
    again = segments_from(parse_media_playlist(vod))
    assert again == segments


def test_edge_of_our_playlist() -> None:
    edge = edge_of(_show())
    assert edge is not None
    assert (edge.msn, edge.part, edge.ended) == (3, 1, False)


@pytest.mark.parametrize(
    ("msn", "part", "waited", "expected"),
    [
        (3, 1, 0.0, Reload.ANSWER),  # already there
        (3, 2, 0.0, Reload.WAIT),  # the next part
        (3, 2, 2.9, Reload.WAIT),
        (3, 2, 3.0, Reload.TIMEOUT),  # three target durations
        (2, None, 0.0, Reload.ANSWER),  # segment 2 is complete
        (3, None, 0.0, Reload.WAIT),  # segment 3 is still open
        (5, 0, 0.0, Reload.WAIT),  # two ahead: allowed
        (6, 0, 0.0, Reload.TOO_FAR),
    ],
)
def test_reload_decision(msn: int, part: int | None, waited: float, expected: Reload) -> None:
    assert reload_decision(edge_of(_show()), msn, part, waited_s=waited) is expected


@pytest.mark.parametrize(
    ("msn", "part", "waited", "expected"),
    [
        (3, 0, 0.0, Reload.ANSWER),  # listed: stored, read it again
        (3, 2, 0.0, Reload.WAIT),  # the preload hint
        (3, 2, 2.9, Reload.WAIT),
        (3, 2, 3.0, Reload.TIMEOUT),  # held three target durations: 404
        (4, 0, 0.0, Reload.WAIT),  # the next segment's first part
        (3, 3, 0.0, Reload.TIMEOUT),  # beyond the hint: 404 at once
        (4, 1, 0.0, Reload.TIMEOUT),
    ],
)
def test_part_decision(msn: int, part: int, waited: float, expected: Reload) -> None:
    assert part_decision(edge_of(_show()), msn, part, waited_s=waited) is expected


def test_a_missing_part_of_an_ended_or_empty_playlist_is_not_held() -> None:
    ended = _show().replace("#EXT-X-PRELOAD", "#EXT-X-ENDLIST\n#X")
    assert part_decision(edge_of(ended), 3, 2, waited_s=0.0) is Reload.TIMEOUT
    assert part_decision(None, 0, 0, waited_s=0.0) is Reload.TIMEOUT


def test_part_of_a_key() -> None:
    assert part_of("live/7/360p/part_000012_2.m4s") == ("live/7/360p/", 12, 2)
    assert part_of("live/7/360p/seg_000012.m4s") is None
    assert part_of("live/7/360p/part_000012_2.m4s.tmp") is None


def test_reload_of_an_ended_playlist_is_answered_at_once() -> None:
    text = _show().replace("#EXT-X-PRELOAD", "#EXT-X-ENDLIST\n#X")
    assert reload_decision(edge_of(text), 4, 0, waited_s=0.0) is Reload.ANSWER


def test_blocking_query() -> None:
    assert blocking_query({}) is None
    assert blocking_query({"_HLS_msn": "7"}) == (7, None)
    assert blocking_query({"_HLS_msn": "7", "_HLS_part": "2"}) == (7, 2)
    for bad in ({"_HLS_part": "1"}, {"_HLS_msn": "-1"}, {"_HLS_msn": "７"}):
        with pytest.raises(ValueError, match="_HLS_"):
            blocking_query(bad)
