"""AMF0 round-trips, known encodings and hostile input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from culturecast.live.rtmp import amf0
from culturecast.live.rtmp.amf0 import UNDEFINED, AmfDate, AmfValue, EcmaArray
from culturecast.live.rtmp.errors import AmfDecodeError

_keys = st.text(max_size=20)
_scalars = (
    st.floats(allow_nan=False)
    | st.booleans()
    | st.text(max_size=50)
    | st.none()
    | st.just(UNDEFINED)
    | st.builds(AmfDate, st.floats(allow_nan=False), st.integers(-32768, 32767))
)
values: st.SearchStrategy[AmfValue] = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(_keys, children, max_size=5)
        | st.dictionaries(_keys, children, max_size=5).map(EcmaArray)
    ),
    max_leaves=30,
)


@settings(deadline=None)  # the CPU is shared; correctness, not speed, is tested here
@given(st.lists(values, max_size=4))
def test_any_value_sequence_round_trips(items: list[AmfValue]) -> None:
    decoded = amf0.decode_all(amf0.encode(*items))
    assert decoded == items
    # ECMA arrays stay ECMA arrays, so onMetaData is re-encoded the way it came.
    assert amf0.encode(*decoded) == amf0.encode(*items)


@settings(deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_decode_or_raise_the_typed_error(data: bytes) -> None:
    error: AmfDecodeError | None = None
    try:
        decoded = amf0.decode_all(data)
    except AmfDecodeError as exc:
        error = exc
    if error is None:
        # Whatever decoded is valid AMF0: encoding it again decodes to the same values.
        assert amf0.decode_all(amf0.encode(*decoded)) == decoded
    else:
        assert error.code == "amf_decode_error"
        assert error.message


def test_connect_command_encoding_matches_the_wire_format() -> None:
    data = amf0.encode("connect", 1.0, {"app": "live"})
    assert data == (
        b"\x02\x00\x07connect"
        + b"\x00\x3f\xf0\x00\x00\x00\x00\x00\x00"
        + b"\x03\x00\x03app\x02\x00\x04live\x00\x00\x09"
    )


def test_long_strings_use_the_long_string_marker() -> None:
    text = "戏" * 30000  # 90000 UTF-8 bytes
    data = amf0.encode(text)
    assert data[0] == amf0.LONG_STRING
    assert amf0.decode(data) == (text, len(data))


def test_ecma_array_count_is_only_a_hint() -> None:
    # FFmpeg writes onMetaData with the real count; others write 0. Both must decode.
    data = b"\x08\x00\x00\x00\x00" + b"\x00\x01w\x00" + bytes(8) + b"\x00\x00\x09"
    assert amf0.decode_all(data) == [EcmaArray({"w": 0.0})]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"\x02\x00\x05ab", "truncated"),
        (b"\x00\x01", "truncated"),
        (b"\x11\x00", "unsupported AMF0 marker 0x11"),
        (b"\x09", "object-end"),
        (b"\x0a\xff\xff\xff\xff\x05", "strict array count"),
        (b"\x02\x00\x02\xff\xfe", "not UTF-8"),
        (b"\x03\x00\x01a\x05", "truncated"),
    ],
)
def test_malformed_input_raises_a_readable_typed_error(data: bytes, fragment: str) -> None:
    with pytest.raises(AmfDecodeError, match=fragment):
        amf0.decode_all(data)


def test_nesting_beyond_the_depth_limit_is_refused() -> None:
    hostile = b"\x0a\x00\x00\x00\x01" * (amf0.MAX_DEPTH + 5) + b"\x05"
    with pytest.raises(AmfDecodeError, match="nested"):
        amf0.decode_all(hostile)
    fine = b"\x0a\x00\x00\x00\x01" * 10 + b"\x05"
    assert amf0.decode_all(fine) != []
