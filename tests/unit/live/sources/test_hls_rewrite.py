"""Playlists an HLS pull fetched name only the gate once rewritten."""

from __future__ import annotations

from culturecast.live.sources import hls_rewrite


def local(url: str) -> str:
    return f"http://gate/{url}"


def test_every_uri_of_a_master_and_a_media_playlist_is_resolved_and_rewritten() -> None:
    master = (
        "#EXTM3U\n"
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="zh",URI="audio/index.m3u8"\n'
        '#EXT-X-STREAM-INF:BANDWIDTH=800000,AUDIO="a"\n'
        "360p/index.m3u8\n"
        '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI="http://169.254.169.254/i.m3u8"\n'
        "http://127.0.0.1:8080/240p/index.m3u8\n"
    )
    out = hls_rewrite.rewrite(master, "https://a.example/live/1/master.m3u8", local)
    assert out.splitlines() == [
        "#EXTM3U",
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="zh",'
        'URI="http://gate/https://a.example/live/1/audio/index.m3u8"',
        '#EXT-X-STREAM-INF:BANDWIDTH=800000,AUDIO="a"',
        "http://gate/https://a.example/live/1/360p/index.m3u8",
        '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI="http://gate/http://169.254.169.254/i.m3u8"',
        "http://gate/http://127.0.0.1:8080/240p/index.m3u8",
    ]
    media = (
        "\ufeff#EXTM3U\n#EXT-X-TARGETDURATION:2\n"
        '#EXT-X-KEY:METHOD=AES-128,URI="/keys/k1"\n'
        '#EXT-X-MAP:URI="init.mp4"\n'
        "#EXTINF:2.0,\n"
        "seg1.m4s?x=1\n"
    )
    lines = hls_rewrite.rewrite(media, "http://b.example/v/index.m3u8", local).splitlines()
    assert lines[2] == '#EXT-X-KEY:METHOD=AES-128,URI="http://gate/http://b.example/keys/k1"'
    assert lines[3] == '#EXT-X-MAP:URI="http://gate/http://b.example/v/init.mp4"'
    assert lines[5] == "http://gate/http://b.example/v/seg1.m4s?x=1"
    # Nothing the gate did not write survives: every non-tag line is the gate's.
    assert all(line.startswith(("#", "http://gate/")) for line in lines if line)


def test_only_an_extm3u_body_is_a_playlist() -> None:
    assert hls_rewrite.is_playlist("\ufeff #EXTM3U\n")
    assert not hls_rewrite.is_playlist("\x47\x40\x11")  # a TS packet


def test_a_playlist_with_endlist_has_ended() -> None:
    assert hls_rewrite.has_ended("#EXTM3U\n#EXTINF:2,\na.ts\n#EXT-X-ENDLIST\n")
    assert not hls_rewrite.has_ended("#EXTM3U\n#EXTINF:2,\na.ts\n")
