import pytest

from culturecast.live.rtmp import flv
from culturecast.live.sources.flv_reader import FlvError, FlvReader


def test_tags_come_out_whatever_the_chunking() -> None:
    stream = (
        flv.encode_header()
        + flv.encode_tag(flv.TAG_SCRIPT, 0, b"meta")
        + flv.encode_tag(flv.TAG_VIDEO, 0x01020304, b"\x17\x00" + b"v" * 300)
        + flv.encode_tag(flv.TAG_AUDIO, 40, b"\xaf\x01aa")
    )
    reader = FlvReader()
    tags = [t for i in range(0, len(stream), 7) for t in reader.feed(stream[i : i + 7])]
    assert [(t.tag_type, t.timestamp) for t in tags] == [
        (flv.TAG_SCRIPT, 0),
        (flv.TAG_VIDEO, 0x01020304),
        (flv.TAG_AUDIO, 40),
    ]
    assert tags[1].data == b"\x17\x00" + b"v" * 300


def test_not_flv_is_refused() -> None:
    with pytest.raises(FlvError):
        FlvReader().feed(b"GIF89a" + b"\x00" * 20)
