"""The built commands, run by the real ffmpeg on small lavfi-made sources, checked by ffprobe.

Sources: 4 s of 640×360@30 H.264 (keyframe every 1 s) + AAC stereo, as MP4 and as FLV (the
live path reads the FLV from a pipe), an AAC M4A and an MP3. Encoding uses the ultrafast
preset and a three-rung ladder so the whole module stays well under 40 s on two cores.
"""

from __future__ import annotations

import itertools
import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import m3u8
import pytest

from culturecast.transcode.command import (
    EncoderSettings,
    audio_hls_command,
    live_hls_command,
    poster_command,
    thumbnail_size,
    thumbnails_command,
    vod_hls_command,
)
from culturecast.transcode.ladder import PlannedRung, parse_ladder, plan_ladder
from culturecast.transcode.master import build_master, verify_master
from culturecast.transcode.probe import (
    ProbeLimits,
    SourceInfo,
    check_input_path,
    parse_probe,
    probe_command,
    probe_failure,
    validate_source,
)
from culturecast.transcode.progress import ProgressParser

pytestmark = pytest.mark.integration

FAST = EncoderSettings(preset="ultrafast")
LADDER = parse_ladder("360p:640x360:800,240p:426x240:400,144p:256x144:150,audio:64")
LIMITS = ProbeLimits()


def run(cmd: Sequence[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    result = subprocess.run(list(cmd), input=stdin, capture_output=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result


def ffprobe_json(*args: str) -> dict[str, Any]:
    out = run(["ffprobe", "-v", "error", "-of", "json", *args]).stdout
    data: dict[str, Any] = json.loads(out)
    return data


@dataclass(frozen=True)
class Media:
    dir: Path
    mp4: Path
    flv: Path
    m4a: Path
    mp3: Path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    d = tmp_path_factory.mktemp("media")
    lavfi = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"]
    run(
        [
            *lavfi,
            "-i",
            "testsrc2=size=640x360:rate=30",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000",
            "-t",
            "4",
            "-ac",
            "2",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "30",
            "-b:v",
            "500k",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            str(d / "src.mp4"),
        ]
    )
    run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(d / "src.mp4"), "-c", "copy",
         str(d / "src.flv")])  # fmt: skip
    run([*lavfi, "-i", "sine=sample_rate=44100", "-t", "4", "-c:a", "aac", "-b:a", "96k",
         str(d / "audio.m4a")])  # fmt: skip
    run([*lavfi, "-i", "sine=sample_rate=44100", "-t", "4", "-c:a", "libmp3lame",
         str(d / "audio.mp3")])  # fmt: skip
    return Media(d, d / "src.mp4", d / "src.flv", d / "audio.m4a", d / "audio.mp3")


def probe(media: Media, path: Path) -> SourceInfo:
    checked = check_input_path(str(path), [str(media.dir)], path.is_file())
    info = parse_probe(json.loads(run(probe_command(checked, LIMITS)).stdout))
    return validate_source(info, LIMITS, path.stat().st_size)


def stream(path: Path, kind: str) -> list[dict[str, Any]]:
    streams: list[dict[str, Any]] = ffprobe_json("-show_streams", str(path))["streams"]
    return [s for s in streams if s["codec_type"] == kind]


def first_video_packet(segment: Path) -> tuple[float, str]:
    packets = ffprobe_json(
        "-select_streams", "v:0", "-read_intervals", "%+#1",
        "-show_entries", "packet=pts_time,flags", str(segment),
    )["packets"]  # fmt: skip
    return float(packets[0]["pts_time"]), packets[0]["flags"]


def packet_sizes(path: Path, selector: str, count: int = 20) -> list[int]:
    packets = ffprobe_json(
        "-select_streams", selector, "-read_intervals", f"%+#{count}",
        "-show_entries", "packet=size", str(path),
    )["packets"]  # fmt: skip
    return [int(p["size"]) for p in packets]


def segments(out: Path, name: str) -> list[Path]:
    playlist = m3u8.load(str(out / name / "index.m3u8"))
    return [out / name / seg.uri for seg in playlist.segments]


def check_ladder_output(out: Path, planned: list[PlannedRung], segment_s: float) -> None:
    videos = [r for r in planned if r.kind == "video"]
    starts: dict[str, list[float]] = {}
    for rung in videos:
        # Decodes at its declared size: count every frame through the media playlist.
        (video,) = ffprobe_json(
            "-count_frames", "-select_streams", "v:0",
            "-show_entries", "stream=codec_name,width,height,nb_read_frames",
            str(out / rung.name / "index.m3u8"),
        )["streams"]  # fmt: skip
        assert (video["codec_name"], video["width"], video["height"]) == (
            "h264", rung.width, rung.height
        )  # fmt: skip
        assert int(video["nb_read_frames"]) >= 115  # 4 s × 30 fps, give or take the edges
        firsts = [first_video_packet(seg) for seg in segments(out, rung.name)]
        assert all(flags.startswith("K") for _, flags in firsts), (rung.name, firsts)
        starts[rung.name] = [t for t, _ in firsts]
    # Keyframes aligned: every rendition cuts its segments at the same instants (within one
    # frame: a copied and an encoded stream may differ by the encoder's timestamp offset),
    # one segment length apart.
    reference = starts[videos[0].name]
    assert len(reference) == round(4 / segment_s), starts
    for name, times in starts.items():
        assert len(times) == len(reference), (name, starts)
        assert all(abs(t - r) <= 1 / 30 for t, r in zip(times, reference, strict=True)), starts
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert all(abs(g - segment_s) < 0.01 for g in gaps), (name, starts)
    audio = [r for r in planned if r.kind == "audio"]
    for rung in audio:
        for seg in segments(out, rung.name):
            assert stream(seg, "video") == []
            assert [a["codec_name"] for a in stream(seg, "audio")] == ["aac"]
    # Our master parses and lists every variant with BANDWIDTH, RESOLUTION and CODECS.
    text = build_master(planned)
    (out / "master.m3u8").write_text(text)
    assert verify_master(text, planned) == []
    master = m3u8.load(str(out / "master.m3u8"))
    assert [p.uri for p in master.playlists] == [f"{r.name}/index.m3u8" for r in planned]
    for rung, variant in zip(planned, master.playlists, strict=True):
        info = variant.stream_info
        assert info.bandwidth == rung.bandwidth
        assert info.codecs
        if rung.kind == "video":
            assert info.resolution == (rung.width, rung.height)
        assert (out / variant.uri).is_file()


def test_vod_ladder_runs_and_is_aligned(media: Media, tmp_path: Path) -> None:
    source = probe(media, media.mp4)
    planned = plan_ladder(LADDER, source, segment_s=1.0)
    assert [(r.name, r.passthrough) for r in planned] == [
        ("360p", True),
        ("240p", False),
        ("144p", False),
        ("audio", False),
    ]
    out = tmp_path / "vod"
    cmd = vod_hls_command(planned, source, str(media.mp4), str(out), 1.0, settings=FAST)
    result = run(cmd)
    blocks = ProgressParser().feed(result.stdout)
    assert blocks[-1].ended
    assert blocks[-1].out_time_s == pytest.approx(4.0, abs=0.2)
    assert blocks[-1].percent(source.duration_s) == 100.0
    check_ladder_output(out, planned, 1.0)
    # The top rendition is the source's own video, copied: the same access units, each only
    # reframed (MP4 length prefixes → Annex B start codes plus a 6-byte access unit delimiter),
    # so every non-key packet grows by the same few bytes; a re-encode would change them all.
    ts_sizes = packet_sizes(segments(out, "360p")[0], "v:0")
    src_sizes = packet_sizes(media.mp4, "v:0")
    assert len(ts_sizes) == len(src_sizes) == 20
    assert len({t - s for t, s in zip(ts_sizes[1:], src_sizes[1:], strict=True)}) == 1


def test_live_ladder_from_pipe(media: Media, tmp_path: Path) -> None:
    source = probe(media, media.flv)
    planned = plan_ladder(LADDER, source, live=True, segment_s=2.0, keyframe_interval_s=1.0)
    assert planned[0].passthrough
    out = tmp_path / "live"
    cmd = live_hls_command(planned, source, str(out), 2.0, settings=FAST)
    run(cmd, stdin=media.flv.read_bytes())
    check_ladder_output(out, planned, 2.0)
    playlist = (out / "360p" / "index.m3u8").read_text()
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in playlist
    assert "#EXT-X-PROGRAM-DATE-TIME:" in playlist
    assert not list(out.rglob("*.tmp"))  # temp_file: nothing half-written left behind


def test_live_copy_is_cut_by_time_between_its_keyframes(media: Media, tmp_path: Path) -> None:
    # Segments shorter than the source's keyframe interval (OBS: 2 s keyframes, 1 s
    # segments; here 1 s and 0.5 s): the top rung is still copied, every second segment of
    # it starts without a keyframe, and every rung cuts at the same instants.
    source = probe(media, media.flv)
    planned = plan_ladder(LADDER, source, live=True, segment_s=0.5, keyframe_interval_s=1.0)
    assert planned[0].passthrough
    assert not planned[0].independent
    assert all(r.independent for r in planned[1:])
    out = tmp_path / "live"
    run(live_hls_command(planned, source, str(out), 0.5, settings=FAST), media.flv.read_bytes())
    starts: dict[str, list[tuple[float, str]]] = {}
    for rung in (r for r in planned if r.kind == "video"):
        starts[rung.name] = [first_video_packet(seg) for seg in segments(out, rung.name)]
    copied = starts.pop(planned[0].name)
    assert len(copied) == 8, copied
    assert [flags.startswith("K") for _, flags in copied] == [True, False] * 4
    for name, firsts in starts.items():
        assert all(flags.startswith("K") for _, flags in firsts), (name, firsts)
        assert len(firsts) == len(copied), (name, firsts)
        pairs = zip(firsts, copied, strict=True)
        assert all(abs(t - c) <= 1 / 30 for (t, _), (c, _) in pairs), starts
    assert "#EXT-X-INDEPENDENT-SEGMENTS" not in (out / "360p" / "index.m3u8").read_text()
    assert "#EXT-X-INDEPENDENT-SEGMENTS" in (out / "240p" / "index.m3u8").read_text()


def test_aac_remux_copies_audio(media: Media, tmp_path: Path) -> None:
    source = probe(media, media.m4a)
    out = tmp_path / "m4a"
    run(audio_hls_command(source, str(media.m4a), str(out), loudnorm=False, settings=FAST))
    segs = segments(out, "audio")
    assert len(segs) == 1
    (audio,) = stream(segs[0], "audio")
    assert (audio["codec_name"], audio["sample_rate"]) == ("aac", "44100")
    assert stream(segs[0], "video") == []
    # Copied, not re-encoded: the same access units, each behind a 7-byte ADTS header.
    ts_sizes, src_sizes = packet_sizes(segs[0], "a:0"), packet_sizes(media.m4a, "a:0")
    assert {t - s for t, s in zip(ts_sizes, src_sizes, strict=True)} == {7}


def test_mp3_with_loudnorm_is_encoded_to_aac(media: Media, tmp_path: Path) -> None:
    source = probe(media, media.mp3)
    out = tmp_path / "mp3"
    run(audio_hls_command(source, str(media.mp3), str(out), loudnorm=True, settings=FAST))
    (audio,) = stream(segments(out, "audio")[0], "audio")
    # loudnorm works at 192 kHz; the output comes back to the source's 44.1 kHz, not 48.
    assert (audio["codec_name"], audio["sample_rate"]) == ("aac", "44100")


def test_poster_and_thumbnail_sprite(media: Media, tmp_path: Path) -> None:
    source = probe(media, media.mp4)
    run(poster_command(source, str(media.mp4), str(tmp_path / "poster.jpg"), width=320))
    (poster,) = stream(tmp_path / "poster.jpg", "video")
    assert (poster["width"], poster["height"]) == (320, 180)
    cmd = thumbnails_command(source, str(media.mp4), str(tmp_path / "t.jpg"), count=8, columns=4)
    run(cmd)
    (sprite,) = stream(tmp_path / "t.jpg", "video")
    w, h = thumbnail_size(source)
    assert (sprite["width"], sprite["height"]) == (4 * w, 2 * h)


def test_real_ffprobe_refuses_playlists_and_pictures(media: Media) -> None:
    playlist = media.dir / "evil.m3u8"
    playlist.write_text("#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\nsrc.flv\n#EXT-X-ENDLIST\n")
    picture = media.dir / "pic.png"
    run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=64x64",
         "-frames:v", "1", str(picture)])  # fmt: skip
    for path, code in ((playlist, "unsafe_format"), (picture, "not_media")):
        cmd = probe_command(check_input_path(str(path), [str(media.dir)], True), LIMITS)
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
        assert result.returncode != 0
        assert probe_failure(result.returncode, result.stderr).code == code


def test_live_low_latency_cuts_fmp4_parts_with_keyframes_at_segments(
    media: Media, tmp_path: Path
) -> None:
    # LL-HLS: fragments of about a third of a second, each starting with a keyframe in every
    # re-encoded rung, with the init section each variant's playlist maps.
    from culturecast.live.cmaf import starts_with_keyframe, video_track_id

    source = probe(media, media.flv)
    planned = plan_ladder(LADDER, source, live=True, segment_s=1.0, keyframe_interval_s=1.0)
    out = tmp_path / "live"
    cmd = live_hls_command(planned, source, str(out), 1.0, settings=FAST, part_s=1 / 3)
    run(cmd, stdin=media.flv.read_bytes())
    for rung in planned:
        text = (out / rung.name / "index.m3u8").read_text()
        maps = [line for line in text.splitlines() if line.startswith("#EXT-X-MAP:URI=")]
        assert len(maps) == 1, text
        parts = [line for line in text.splitlines() if line.endswith(".m4s")]
        assert len(parts) >= 9, (rung.name, text)
        init = (out / rung.name / maps[0].split('"')[1]).read_bytes()
        track = video_track_id(init)
        keys = [starts_with_keyframe((out / rung.name / p).read_bytes(), track) for p in parts]
        if rung.passthrough:
            assert track is not None
            assert keys[0], (rung.name, keys)
            assert not all(keys), (rung.name, keys)
        elif rung.kind == "video":
            assert track is not None
            assert all(keys), (rung.name, keys)
        else:
            assert track is None
            assert all(keys)
