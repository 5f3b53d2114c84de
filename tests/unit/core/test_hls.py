"""The HLS content types and cache rules every package writes and serves media with."""

from __future__ import annotations

import pytest

from culturecast.core import hls


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("live/ev1/720p/index.m3u8", "application/vnd.apple.mpegurl"),
        ("vod/r1/720p/seg_00001.ts", "video/mp2t"),
        ("vod/r1/audio/seg_00001.aac", "audio/aac"),
        ("vod/r1/poster.jpg", "image/jpeg"),
        ("live/ev1/720p/part_1.m4s", "video/iso.segment"),
        ("vod/r1/init.mp4", "video/mp4"),
        ("vod/r1/notes.txt", "application/octet-stream"),
        # Only the last path component's suffix counts.
        ("vod/r1.m3u8/README", "application/octet-stream"),
        ("master.m3u8", "application/vnd.apple.mpegurl"),
    ],
)
def test_content_type_by_suffix(name: str, expected: str) -> None:
    assert hls.content_type(name) == expected


def test_an_unknown_suffix_takes_the_given_default() -> None:
    assert hls.content_type("vod/r1/file.bin", "video/webm") == "video/webm"
    assert hls.content_type("vod/r1/index.m3u8", "video/webm") == hls.PLAYLIST_TYPE


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("720p/index.m3u8", "public, max-age=3600"),
        ("master.m3u8", "public, max-age=3600"),
        ("thumbs/0001.jpg", "public, max-age=86400"),
        ("720p/seg_00001.ts", "public, max-age=31536000, immutable"),
        ("audio/seg_00001.aac", "public, max-age=31536000, immutable"),
    ],
)
def test_vod_files_playlists_an_hour_images_a_day_segments_for_good(
    name: str, expected: str
) -> None:
    assert hls.vod_cache_control(name) == expected


def test_live_playlists_are_revalidated_by_browsers_and_kept_a_second_by_shared_caches() -> None:
    assert hls.LIVE_PLAYLIST_CACHE == "public, max-age=0, s-maxage=1"
    assert hls.PRIVATE_CACHE == "private, no-store"
