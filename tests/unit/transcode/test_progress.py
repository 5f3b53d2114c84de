from __future__ import annotations

import pytest

from culturecast.transcode.progress import Progress, ProgressParser

# Two blocks as ffmpeg 5.1 wrote them for a four-rendition HLS encode (-progress pipe:1).
SAMPLE = (
    "frame=55\nfps=50.73\nstream_0_0_q=-1.0\nstream_0_1_q=24.0\nbitrate=N/A\n"
    "total_size=N/A\nout_time_us=1834667\nout_time_ms=1834667\nout_time=00:00:01.834667\n"
    "dup_frames=0\ndrop_frames=0\nspeed=1.74x\nprogress=continue\n"
    "frame=60\nfps=50.73\nstream_0_0_q=-1.0\nbitrate= 812.3kbits/s\ntotal_size=203776\n"
    "out_time_us=2005333\nout_time_ms=2005333\nout_time=00:00:02.005333\ndup_frames=2\n"
    "drop_frames=7\nspeed= 1.7x\nprogress=end\n"
)


def test_parses_whole_blocks() -> None:
    first, last = ProgressParser().feed(SAMPLE)
    assert first == Progress(
        out_time_s=1.834667, frame=55, fps=50.73, speed=1.74, total_size=None, ended=False
    )
    assert last.ended
    assert last.out_time_s == pytest.approx(2.005333)
    assert (last.total_size, last.bitrate_kbps) == (203776, 812.3)
    assert (last.dup_frames, last.drop_frames, last.speed) == (2, 7, 1.7)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 16, 100])
def test_any_chunking_gives_the_same_blocks(size: int) -> None:
    whole = ProgressParser().feed(SAMPLE)
    parser = ProgressParser()
    pieces = [SAMPLE[i : i + size] for i in range(0, len(SAMPLE), size)]
    got = [block for piece in pieces for block in parser.feed(piece.encode())]
    assert got == whole


def test_incomplete_block_is_held_back() -> None:
    parser = ProgressParser()
    assert parser.feed("frame=1\nout_time_us=500000\nprogress=cont") == []
    (block,) = parser.feed("inue\n")
    assert block.out_time_s == 0.5
    assert not block.ended


def test_crlf_and_unknown_or_na_values() -> None:
    (block,) = ProgressParser().feed(
        "out_time_us=N/A\r\nout_time=-577014:32:22.775808\r\nspeed=N/A\r\nfps=0.00\r\n"
        "junk line\r\nprogress=continue\r\n"
    )
    assert block.out_time_s is None
    assert block.speed is None
    assert block.fps == 0.0


def test_falls_back_to_out_time_ms_then_clock() -> None:
    (a,) = ProgressParser().feed("out_time_ms=2500000\nprogress=continue\n")
    (b,) = ProgressParser().feed("out_time=01:02:03.500000\nprogress=continue\n")
    assert a.out_time_s == 2.5  # out_time_ms is microseconds too (ffmpeg quirk)
    assert b.out_time_s == 3723.5


def test_percent() -> None:
    assert Progress(out_time_s=30.0).percent(120.0) == 25.0
    assert Progress(out_time_s=130.0).percent(120.0) == 100.0
    assert Progress(out_time_s=30.0).percent(None) is None
    assert Progress(out_time_s=None).percent(120.0) is None
    assert Progress(out_time_s=None, ended=True).percent(None) == 100.0
