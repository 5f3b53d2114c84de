"""The bench's reference commands (bench/commands.py): what they must differ from ours in."""

from __future__ import annotations

from bench.commands import all_encode_command, per_rendition_commands
from culturecast.transcode.ladder import DEFAULT_VOD_LADDER, plan_ladder
from culturecast.transcode.probe import parse_probe
from tests.unit.transcode.conftest import probe_json

S1080 = parse_probe(probe_json("src1080_mp4"))


def test_all_encode_reference_reencodes_top_rung() -> None:
    planned = plan_ladder(DEFAULT_VOD_LADDER, S1080)
    cmd = all_encode_command(planned, S1080, "/in/a.mp4", "/out")
    assert "copy" not in cmd
    assert "split=4[s0][s1][s2][s3]" in cmd[cmd.index("-filter_complex") + 1]
    assert cmd[cmd.index("-b:v:0") + 1] == "4412k"
    assert cmd[cmd.index("-var_stream_map") + 1] == (
        "v:0,a:0,name:1080p v:1,a:1,name:720p v:2,a:2,name:480p v:3,a:3,name:360p a:4,name:audio"
    )
    # Built the straightforward way, not with our live tunings: no cascade, no thread caps,
    # every rendition's AAC encoded with ffmpeg's default coder at 48 kHz.
    assert not any(a.startswith(("-threads", "-aac_coder")) for a in cmd)
    assert [cmd[i + 1] for i, a in enumerate(cmd) if a.startswith("-ar:a:")] == ["48000"] * 5
    assert [cmd[i + 1] for i, a in enumerate(cmd) if a.startswith("-c:a:")] == ["aac"] * 5


def test_per_rendition_reference_is_one_command_per_rung() -> None:
    planned = plan_ladder(DEFAULT_VOD_LADDER, S1080)
    cmds = per_rendition_commands(planned, S1080, "/in/a.mp4", "/out")
    assert [c[c.index("-var_stream_map") + 1] for c in cmds] == [
        "v:0,a:0,name:1080p",
        "v:0,a:0,name:720p",
        "v:0,a:0,name:480p",
        "v:0,a:0,name:360p",
        "a:0,name:audio",
    ]
    assert all(c[-1] == "/out/%v/index.m3u8" for c in cmds)
    assert all(c.count("-i") == 1 for c in cmds)
    assert cmds[0][cmds[0].index("-c:v:0") + 1] == "copy"
    assert (
        cmds[1][cmds[1].index("-filter_complex") + 1] == "[0:v:0]scale=1280:720,format=yuv420p[v0]"
    )
    assert "-filter_complex" not in cmds[4]
    assert "-c:v:0" not in cmds[4]
    assert cmds[4][cmds[4].index("-b:a:0") + 1] == "64k"
