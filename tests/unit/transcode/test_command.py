"""Golden tests: whole ffmpeg command lines for typical sources (owncast's habit).

A change to any argument must show up here and be reviewed; the integration test
tests/integration/transcode/test_commands_run.py shows that such commands really run. Each
command is one string as ``shlex.join`` writes it (an argument with spaces, brackets or
parentheses in single quotes), split over lines where an option starts.
"""

from __future__ import annotations

import shlex
from dataclasses import replace

import pytest

from culturecast.transcode.command import (
    EncoderSettings,
    audio_hls_command,
    live_hls_command,
    poster_command,
    poster_position,
    thumbnails_command,
    vod_hls_command,
)
from culturecast.transcode.ladder import DEFAULT_LIVE_LADDER, DEFAULT_VOD_LADDER, plan_ladder
from culturecast.transcode.probe import parse_probe
from tests.unit.transcode.conftest import probe_json

S1080 = parse_probe(probe_json("src1080_mp4"))
S720 = parse_probe(probe_json("src720_flv"))
VP8 = parse_probe(probe_json("src480_webm"))
MP3 = parse_probe(probe_json("audio_mp3"))
M4A = parse_probe(probe_json("audio_m4a"))

LIVE_1080P30 = (
    "ffmpeg -hide_banner -nostats -loglevel warning -progress pipe:1 -y "
    "-f flv -protocol_whitelist pipe -probesize 5000000 -analyzeduration 2000000 -i pipe:0 "
    "-filter_complex '[0:v:0]scale=1280:720,format=yuv420p,split=2[v1][c1];"
    "[c1]scale=854:480,split=2[v2][c2];[c2]scale=640:360[v3]' "
    "-map 0:v:0 -map 0:a:0 -map 0:a:0 "
    "-fps_mode passthrough "
    "-c:v:0 copy "
    "-c:a:0 copy "
    "-c:a:1 aac -aac_coder:a:1 twoloop -b:a:1 64k -ac:a:1 2 -ar:a:1 48000 "
    "-max_muxing_queue_size 1024 -f hls -hls_time 2 -hls_list_size 0 -hls_playlist_type event "
    "-hls_segment_type mpegts -hls_flags independent_segments+program_date_time+temp_file "
    "-hls_segment_filename /spool/ev1/%v/seg_%05d.ts -master_pl_name ffmpeg-master.m3u8 "
    "-var_stream_map 'v:0,a:0,name:1080p a:1,name:audio' "
    "/spool/ev1/%v/index.m3u8 "
    "-map '[v1]' -map '[v2]' -map '[v3]' -map 0:a:0 -map 0:a:0 -map 0:a:0 "
    "-fps_mode passthrough "
    "-c:v:0 libx264 -preset:v:0 veryfast -profile:v:0 high -level:v:0 3.1 -b:v:0 2800k "
    "-maxrate:v:0 2996k -bufsize:v:0 4200k -g:v:0 60 -sc_threshold:v:0 0 "
    "-force_key_frames:v:0 'expr:gte(t,n_forced*2)' "
    "-c:v:1 libx264 -preset:v:1 veryfast -profile:v:1 main -level:v:1 3.1 -b:v:1 1400k "
    "-maxrate:v:1 1498k -bufsize:v:1 2100k -g:v:1 60 -sc_threshold:v:1 0 "
    "-force_key_frames:v:1 'expr:gte(t,n_forced*2)' "
    "-c:v:2 libx264 -preset:v:2 veryfast -profile:v:2 main -level:v:2 3.0 -b:v:2 800k "
    "-maxrate:v:2 856k -bufsize:v:2 1200k -g:v:2 60 -sc_threshold:v:2 0 "
    "-force_key_frames:v:2 'expr:gte(t,n_forced*2)' "
    "-c:a:0 copy "
    "-c:a:1 aac -aac_coder:a:1 twoloop -b:a:1 96k -ac:a:1 2 -ar:a:1 48000 "
    "-c:a:2 aac -aac_coder:a:2 twoloop -b:a:2 96k -ac:a:2 2 -ar:a:2 48000 "
    "-max_muxing_queue_size 1024 -f hls -hls_time 2 -hls_list_size 0 -hls_playlist_type event "
    "-hls_segment_type mpegts -hls_flags independent_segments+program_date_time+temp_file "
    "-hls_segment_filename /spool/ev1/%v/seg_%05d.ts -master_pl_name ffmpeg-master-2.m3u8 "
    "-var_stream_map 'v:0,a:0,name:720p v:1,a:1,name:480p v:2,a:2,name:360p' "
    "/spool/ev1/%v/index.m3u8"
)


LIVE_720P_RESUME = (
    "ffmpeg -hide_banner -nostats -loglevel warning -progress pipe:1 -y "
    "-f flv -protocol_whitelist pipe -probesize 5000000 -analyzeduration 2000000 -i pipe:0 "
    "-filter_complex '[0:v:0]scale=854:480,format=yuv420p,split=2[v1][c1];[c1]scale=640:360[v2]' "
    "-map 0:v:0 -map 0:a:0 -map 0:a:0 "
    "-fps_mode passthrough "
    "-c:v:0 copy "
    "-c:a:0 copy "
    "-c:a:1 aac -aac_coder:a:1 fast -b:a:1 64k -ac:a:1 1 -ar:a:1 44100 "
    "-max_muxing_queue_size 1024 -f hls -hls_time 2 -hls_list_size 0 -hls_playlist_type event "
    "-hls_segment_type mpegts "
    "-hls_flags independent_segments+program_date_time+temp_file+append_list+discont_start "
    "-hls_segment_filename /spool/ev1/%v/seg_%05d.ts -master_pl_name ffmpeg-master.m3u8 "
    "-var_stream_map 'v:0,a:0,name:720p a:1,name:audio' "
    "/spool/ev1/%v/index.m3u8 "
    "-map '[v1]' -map '[v2]' -map 0:a:0 -map 0:a:0 "
    "-fps_mode passthrough "
    "-c:v:0 libx264 -preset:v:0 veryfast -profile:v:0 main -level:v:0 3.0 -b:v:0 1400k "
    "-maxrate:v:0 1498k -bufsize:v:0 2100k -g:v:0 50 -sc_threshold:v:0 0 "
    "-force_key_frames:v:0 'expr:gte(t,n_forced*2)' "
    "-c:v:1 libx264 -preset:v:1 veryfast -profile:v:1 main -level:v:1 3.0 -b:v:1 800k "
    "-maxrate:v:1 856k -bufsize:v:1 1200k -g:v:1 50 -sc_threshold:v:1 0 "
    "-force_key_frames:v:1 'expr:gte(t,n_forced*2)' "
    "-c:a:0 copy "
    "-c:a:1 copy "
    "-max_muxing_queue_size 1024 -f hls -hls_time 2 -hls_list_size 0 -hls_playlist_type event "
    "-hls_segment_type mpegts "
    "-hls_flags independent_segments+program_date_time+temp_file+append_list+discont_start "
    "-hls_segment_filename /spool/ev1/%v/seg_%05d.ts -master_pl_name ffmpeg-master-2.m3u8 "
    "-var_stream_map 'v:0,a:0,name:480p v:1,a:1,name:360p' "
    "/spool/ev1/%v/index.m3u8"
)


LIVE_720P_1S_SEGMENTS_2S_KEYFRAMES = (
    "ffmpeg -hide_banner -nostats -loglevel warning -progress pipe:1 -y "
    "-f flv -protocol_whitelist pipe -probesize 5000000 -analyzeduration 2000000 -i pipe:0 "
    "-filter_complex '[0:v:0]scale=854:480,format=yuv420p,split=2[v1][c1];[c1]scale=640:360[v2]' "
    "-map 0:v:0 -map 0:a:0 -map 0:a:0 "
    "-fps_mode passthrough "
    "-c:v:0 copy "
    "-c:a:0 copy "
    "-c:a:1 aac -aac_coder:a:1 fast -b:a:1 64k -ac:a:1 1 -ar:a:1 44100 "
    "-max_muxing_queue_size 1024 -f hls -hls_time 1 -hls_list_size 0 -hls_playlist_type event "
    "-hls_segment_type mpegts -hls_flags program_date_time+temp_file+split_by_time "
    "-hls_segment_filename /spool/ev1/%v/seg_%05d.ts -master_pl_name ffmpeg-master.m3u8 "
    "-var_stream_map 'v:0,a:0,name:720p a:1,name:audio' "
    "/spool/ev1/%v/index.m3u8 "
    "-map '[v1]' -map '[v2]' -map 0:a:0 -map 0:a:0 "
    "-fps_mode passthrough "
    "-c:v:0 libx264 -preset:v:0 veryfast -profile:v:0 main -level:v:0 3.0 -b:v:0 1400k "
    "-maxrate:v:0 1498k -bufsize:v:0 2100k -g:v:0 25 -sc_threshold:v:0 0 "
    "-force_key_frames:v:0 'expr:gte(t,n_forced*1)' "
    "-c:v:1 libx264 -preset:v:1 veryfast -profile:v:1 main -level:v:1 3.0 -b:v:1 800k "
    "-maxrate:v:1 856k -bufsize:v:1 1200k -g:v:1 25 -sc_threshold:v:1 0 "
    "-force_key_frames:v:1 'expr:gte(t,n_forced*1)' "
    "-c:a:0 copy "
    "-c:a:1 copy "
    "-max_muxing_queue_size 1024 -f hls -hls_time 1 -hls_list_size 0 -hls_playlist_type event "
    "-hls_segment_type mpegts -hls_flags independent_segments+program_date_time+temp_file "
    "-hls_segment_filename /spool/ev1/%v/seg_%05d.ts -master_pl_name ffmpeg-master-2.m3u8 "
    "-var_stream_map 'v:0,a:0,name:480p v:1,a:1,name:360p' "
    "/spool/ev1/%v/index.m3u8"
)


VOD_1080P30 = (
    "ffmpeg -hide_banner -nostats -loglevel warning -progress pipe:1 -y "
    "-nostdin -protocol_whitelist file "
    "-format_whitelist mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,flv,avi,mpegts,mpeg,asf,mp3,aac,wav,"
    "w64,flac,ogg,amr,ape "
    "-probesize 10000000 -analyzeduration 10000000 -f mov -i /data/originals/r1.mp4 "
    "-filter_complex '[0:v:0]scale=1280:720,format=yuv420p,split=2[v1][c1];"
    "[c1]scale=854:480,split=2[v2][c2];[c2]scale=640:360[v3]' "
    "-map 0:v:0 -map '[v1]' -map '[v2]' -map '[v3]' -map 0:a:0 -map 0:a:0 -map 0:a:0 -map 0:a:0 "
    "-map 0:a:0 "
    "-fps_mode passthrough "
    "-c:v:0 copy "
    "-c:v:1 libx264 -preset:v:1 veryfast -profile:v:1 high -level:v:1 3.1 -b:v:1 2500k "
    "-maxrate:v:1 2675k -bufsize:v:1 3750k -g:v:1 180 -sc_threshold:v:1 0 "
    "-force_key_frames:v:1 'expr:gte(t,n_forced*6)' "
    "-c:v:2 libx264 -preset:v:2 veryfast -profile:v:2 main -level:v:2 3.1 -b:v:2 1200k "
    "-maxrate:v:2 1284k -bufsize:v:2 1800k -g:v:2 180 -sc_threshold:v:2 0 "
    "-force_key_frames:v:2 'expr:gte(t,n_forced*6)' "
    "-c:v:3 libx264 -preset:v:3 veryfast -profile:v:3 main -level:v:3 3.0 -b:v:3 700k "
    "-maxrate:v:3 749k -bufsize:v:3 1050k -g:v:3 180 -sc_threshold:v:3 0 "
    "-force_key_frames:v:3 'expr:gte(t,n_forced*6)' "
    "-c:a:0 copy "
    "-c:a:1 copy "
    "-c:a:2 aac -aac_coder:a:2 twoloop -b:a:2 96k -ac:a:2 2 -ar:a:2 48000 "
    "-c:a:3 aac -aac_coder:a:3 twoloop -b:a:3 96k -ac:a:3 2 -ar:a:3 48000 "
    "-c:a:4 aac -aac_coder:a:4 twoloop -b:a:4 64k -ac:a:4 2 -ar:a:4 48000 "
    "-max_muxing_queue_size 1024 -f hls -hls_time 6 -hls_list_size 0 -hls_playlist_type vod "
    "-hls_segment_type mpegts -hls_flags independent_segments "
    "-hls_segment_filename /data/work/r1/%v/seg_%05d.ts -master_pl_name ffmpeg-master.m3u8 "
    "-var_stream_map 'v:0,a:0,name:1080p v:1,a:1,name:720p v:2,a:2,name:480p v:3,a:3,name:360p "
    "a:4,name:audio' "
    "/data/work/r1/%v/index.m3u8"
)


VOD_480P_VP8 = (
    "ffmpeg -hide_banner -nostats -loglevel warning -progress pipe:1 -y "
    "-nostdin -protocol_whitelist file "
    "-format_whitelist mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,flv,avi,mpegts,mpeg,asf,mp3,aac,wav,"
    "w64,flac,ogg,amr,ape "
    "-probesize 10000000 -analyzeduration 10000000 -f matroska -i /data/originals/r2.webm "
    "-filter_complex '[0:v:0]scale=854:480,format=yuv420p,split=2[v0][c0];[c0]scale=640:360[v1]' "
    "-map '[v0]' -map '[v1]' -map 0:a:0 -map 0:a:0 -map 0:a:0 "
    "-fps_mode passthrough "
    "-c:v:0 libx264 -preset:v:0 veryfast -profile:v:0 main -level:v:0 3.0 -b:v:0 1200k "
    "-maxrate:v:0 1284k -bufsize:v:0 1800k -g:v:0 144 -sc_threshold:v:0 0 "
    "-force_key_frames:v:0 'expr:gte(t,n_forced*6)' "
    "-c:v:1 libx264 -preset:v:1 veryfast -profile:v:1 main -level:v:1 3.0 -b:v:1 700k "
    "-maxrate:v:1 749k -bufsize:v:1 1050k -g:v:1 144 -sc_threshold:v:1 0 "
    "-force_key_frames:v:1 'expr:gte(t,n_forced*6)' "
    "-c:a:0 aac -aac_coder:a:0 fast -b:a:0 96k -ac:a:0 1 -ar:a:0 48000 "
    "-c:a:1 aac -aac_coder:a:1 fast -b:a:1 96k -ac:a:1 1 -ar:a:1 48000 "
    "-c:a:2 aac -aac_coder:a:2 fast -b:a:2 64k -ac:a:2 1 -ar:a:2 48000 "
    "-max_muxing_queue_size 1024 -f hls -hls_time 6 -hls_list_size 0 -hls_playlist_type vod "
    "-hls_segment_type mpegts -hls_flags independent_segments "
    "-hls_segment_filename /data/work/r2/%v/seg_%05d.ts -master_pl_name ffmpeg-master.m3u8 "
    "-var_stream_map 'v:0,a:0,name:480p v:1,a:1,name:360p a:2,name:audio' "
    "/data/work/r2/%v/index.m3u8"
)


AUDIO_MP3_LOUDNORM = (
    "ffmpeg -hide_banner -nostats -loglevel warning -progress pipe:1 -y "
    "-nostdin -protocol_whitelist file "
    "-format_whitelist mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,flv,avi,mpegts,mpeg,asf,mp3,aac,wav,"
    "w64,flac,ogg,amr,ape "
    "-probesize 10000000 -analyzeduration 10000000 -f mp3 -i /data/originals/r3.mp3 "
    "-map 0:a:0 -vn -sn -dn "
    "-af loudnorm=I=-16:TP=-1.5:LRA=11 "
    "-c:a aac -aac_coder fast -b:a 64k -ac 1 -ar 44100 "
    "-max_muxing_queue_size 1024 -f hls -hls_time 6 -hls_list_size 0 -hls_playlist_type vod "
    "-hls_segment_type mpegts -hls_flags independent_segments "
    "-hls_segment_filename /data/work/r3/%v/seg_%05d.ts -master_pl_name ffmpeg-master.m3u8 "
    "-var_stream_map a:0,name:audio /data/work/r3/%v/index.m3u8"
)


AUDIO_M4A_REMUX = (
    "ffmpeg -hide_banner -nostats -loglevel warning -progress pipe:1 -y "
    "-nostdin -protocol_whitelist file "
    "-format_whitelist mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,flv,avi,mpegts,mpeg,asf,mp3,aac,wav,"
    "w64,flac,ogg,amr,ape "
    "-probesize 10000000 -analyzeduration 10000000 -f mov -i /data/originals/r4.m4a "
    "-map 0:a:0 -vn -sn -dn "
    "-c:a copy "
    "-max_muxing_queue_size 1024 -f hls -hls_time 6 -hls_list_size 0 -hls_playlist_type vod "
    "-hls_segment_type mpegts -hls_flags independent_segments "
    "-hls_segment_filename /data/work/r4/%v/seg_%05d.ts -master_pl_name ffmpeg-master.m3u8 "
    "-var_stream_map a:0,name:audio /data/work/r4/%v/index.m3u8"
)


POSTER_1080P = (
    "ffmpeg -hide_banner -nostats -loglevel warning -progress pipe:1 -y "
    "-nostdin -protocol_whitelist file "
    "-format_whitelist mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,flv,avi,mpegts,mpeg,asf,mp3,aac,wav,"
    "w64,flac,ogg,amr,ape "
    "-probesize 10000000 -analyzeduration 10000000 -f mov -ss 0.2 -i /data/originals/r1.mp4 "
    "-map 0:v:0 -an -frames:v 1 -vf scale=1280:720 -q:v 3 -update 1 -f image2 "
    "/data/work/r1/poster.jpg"
)


THUMBS_1080P = (
    "ffmpeg -hide_banner -nostats -loglevel warning -progress pipe:1 -y "
    "-nostdin -protocol_whitelist file "
    "-format_whitelist mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,flv,avi,mpegts,mpeg,asf,mp3,aac,wav,"
    "w64,flac,ogg,amr,ape "
    "-probesize 10000000 -analyzeduration 10000000 -f mov -i /data/originals/r1.mp4 "
    "-map 0:v:0 -an -vf fps=10/2.000,scale=160:90,tile=5x2 -frames:v 1 -q:v 5 -update 1 -f image2 "
    "/data/work/r1/thumbs.jpg"
)


def live_plan(source=S1080, kf: float | None = 2.0):  # type: ignore[no-untyped-def]
    return plan_ladder(DEFAULT_LIVE_LADDER, source, live=True, segment_s=2, keyframe_interval_s=kf)


def test_live_1080p30_h264_source_golden() -> None:
    assert shlex.join(live_hls_command(live_plan(), S1080, "/spool/ev1")) == LIVE_1080P30


def test_live_720p_source_resumed_golden() -> None:
    planned = live_plan(S720)
    cmd = live_hls_command(planned, S720, "/spool/ev1/", resume=True)
    assert shlex.join(cmd) == LIVE_720P_RESUME


def test_live_1s_segments_of_a_2s_keyframe_source_golden() -> None:
    # OBS's default 2 s keyframes with 1 s segments: the copied 720p is cut by time between
    # its keyframes (split_by_time, so its segments are not all independent), the encoded
    # rungs get a keyframe every second in their own output.
    planned = plan_ladder(DEFAULT_LIVE_LADDER, S720, live=True, segment_s=1, keyframe_interval_s=2)
    assert planned[0].passthrough
    assert not planned[0].independent
    cmd = live_hls_command(planned, S720, "/spool/ev1", 1.0)
    assert shlex.join(cmd) == LIVE_720P_1S_SEGMENTS_2S_KEYFRAMES


def test_vod_1080p30_golden() -> None:
    planned = plan_ladder(DEFAULT_VOD_LADDER, S1080)
    cmd = vod_hls_command(planned, S1080, "/data/originals/r1.mp4", "/data/work/r1")
    assert shlex.join(cmd) == VOD_1080P30


def test_vod_480p_vp8_golden_has_no_copy() -> None:
    planned = plan_ladder(DEFAULT_VOD_LADDER, VP8)
    cmd = vod_hls_command(planned, VP8, "/data/originals/r2.webm", "/data/work/r2")
    assert shlex.join(cmd) == VOD_480P_VP8
    assert "copy" not in cmd


def test_audio_mp3_loudnorm_golden() -> None:
    cmd = audio_hls_command(MP3, "/data/originals/r3.mp3", "/data/work/r3", loudnorm=True)
    assert shlex.join(cmd) == AUDIO_MP3_LOUDNORM


def test_audio_m4a_remux_golden() -> None:
    cmd = audio_hls_command(M4A, "/data/originals/r4.m4a", "/data/work/r4", loudnorm=False)
    assert shlex.join(cmd) == AUDIO_M4A_REMUX


def test_aac_with_loudnorm_is_reencoded() -> None:
    cmd = audio_hls_command(M4A, "/data/originals/r4.m4a", "/data/work/r4", loudnorm=True)
    assert cmd[cmd.index("-c:a") + 1] == "aac"
    assert "loudnorm=I=-16:TP=-1.5:LRA=11" in cmd


def test_poster_and_thumbnails_golden() -> None:
    cmd = poster_command(S1080, "/data/originals/r1.mp4", "/data/work/r1/poster.jpg")
    assert shlex.join(cmd) == POSTER_1080P
    cmd = thumbnails_command(
        S1080, "/data/originals/r1.mp4", "/data/work/r1/thumbs.jpg", count=10, columns=5
    )
    assert shlex.join(cmd) == THUMBS_1080P


def test_poster_at_ten_percent() -> None:
    assert poster_position(replace(S1080, duration_s=3600.0)) == 360.0
    assert poster_position(replace(S1080, duration_s=None)) == 0.0


def test_live_without_known_keyframes_encodes_every_rung() -> None:
    cmd = live_hls_command(live_plan(kf=None), S1080, "/spool/ev1")
    assert [cmd[cmd.index(f"-c:v:{i}") + 1] for i in range(4)] == ["libx264"] * 4
    assert cmd[cmd.index("-filter_complex") + 1] == (
        "[0:v:0]scale=1920:1080,format=yuv420p,split=2[v0][c0];"
        "[c0]scale=1280:720,split=2[v1][c1];[c1]scale=854:480,split=2[v2][c2];"
        "[c2]scale=640:360[v3]"
    )


def var_maps(cmd: list[str]) -> list[str]:
    return [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "-var_stream_map"]


def test_single_encoded_rung_needs_no_split() -> None:
    planned = live_plan(replace(S720, width=640, height=360, video_bit_rate=5_000_000))
    cmd = live_hls_command(planned, S720, "/spool/x")
    assert cmd[cmd.index("-filter_complex") + 1] == "[0:v:0]scale=640:360,format=yuv420p[v0]"
    # Two outputs (the unencoded renditions apart from the encoded ones), one map each.
    assert var_maps(cmd) == ["a:0,name:audio", "v:0,a:0,name:360p"]


def test_silent_source_maps_no_audio() -> None:
    silent = replace(S720, has_audio=False, audio_codec=None)
    cmd = live_hls_command(live_plan(silent), silent, "/spool/x")
    assert "0:a:0" not in cmd
    assert var_maps(cmd) == ["v:0,name:720p", "v:0,name:480p v:1,name:360p"]


def test_custom_segment_and_preset() -> None:
    planned = plan_ladder(DEFAULT_VOD_LADDER, VP8)
    cmd = vod_hls_command(
        planned, VP8, "/in/a.webm", "/out", 4, settings=EncoderSettings(preset="ultrafast")
    )
    assert cmd[cmd.index("-hls_time") + 1] == "4"
    assert cmd[cmd.index("-preset:v:0") + 1] == "ultrafast"
    assert cmd[cmd.index("-g:v:0") + 1] == "96"  # 24 fps × 4 s
    assert cmd[cmd.index("-force_key_frames:v:0") + 1] == "expr:gte(t,n_forced*4)"


def test_audio_keeps_44k1_and_48k_and_resamples_other_rates() -> None:
    planned = plan_ladder(DEFAULT_VOD_LADDER, VP8)
    cmd = vod_hls_command(planned, VP8, "/in/a.webm", "/out")
    assert cmd[cmd.index("-ar:a:0") + 1] == "48000"  # the source's own rate
    odd = replace(VP8, audio_sample_rate=22_050)
    cmd = vod_hls_command(plan_ladder(DEFAULT_VOD_LADDER, odd), odd, "/in/a.webm", "/out")
    assert cmd[cmd.index("-ar:a:0") + 1] == "48000"


def test_aac_coder_is_fast_from_64k_per_channel() -> None:
    mono = audio_hls_command(MP3, "/in/a.mp3", "/out")  # 64 kbit/s mono
    assert (mono[mono.index("-aac_coder") + 1], mono[mono.index("-b:a") + 1]) == ("fast", "64k")
    assert mono[mono.index("-ar") + 1] == "44100"
    stereo = replace(MP3, audio_channels=2)
    low = audio_hls_command(stereo, "/in/a.mp3", "/out", kbps=96)  # 48 kbit/s per channel
    assert low[low.index("-aac_coder") + 1] == "twoloop"


@pytest.mark.parametrize("out_dir", ["relative/dir", "/out/%d", "/out\n"])
def test_refuses_unsafe_output_dirs(out_dir: str) -> None:
    with pytest.raises(ValueError, match="absolute path"):
        live_hls_command(live_plan(), S1080, out_dir)


def test_refuses_relative_input_and_unvalidated_container() -> None:
    planned = plan_ladder(DEFAULT_VOD_LADDER, S1080)
    with pytest.raises(ValueError, match="absolute local path"):
        vod_hls_command(planned, S1080, "http://x/a.m3u8", "/out")
    hls = replace(S1080, container="hls")
    with pytest.raises(ValueError, match="not accepted"):
        vod_hls_command(planned, hls, "/in/a.m3u8", "/out")


def test_poster_needs_video() -> None:
    with pytest.raises(ValueError, match="video"):
        poster_command(MP3, "/in/a.mp3", "/out/p.jpg")
    with pytest.raises(ValueError, match="video"):
        thumbnails_command(MP3, "/in/a.mp3", "/out/t.jpg")


def test_video_plan_on_audio_source_is_refused() -> None:
    with pytest.raises(ValueError, match="no video"):
        vod_hls_command(plan_ladder(DEFAULT_VOD_LADDER, S1080), MP3, "/in/a.mp3", "/out")
