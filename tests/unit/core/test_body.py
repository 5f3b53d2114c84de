"""The one body decoder: every failure a client can cause is a clear client error."""

from __future__ import annotations

from typing import Annotated, ClassVar

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from culturecast.core.body import decode_body
from culturecast.core.errors import ClientError
from culturecast.core.numbers import EpochSeconds


class Item(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(max_length=5)]
    at: EpochSeconds | None = None
    count: Annotated[int, msgspec.Meta(ge=1, le=10)] | None = None
    tags: list[str] = []


class Beat(msgspec.Struct, forbid_unknown_fields=True):
    seq: Annotated[int, msgspec.Meta(ge=0, le=9)] | None = None


class Batch(msgspec.Struct, forbid_unknown_fields=True):
    malformed_code: ClassVar[str] = "invalid_body"
    invalid_code: ClassVar[str] = "invalid_batch"
    beats: list[Beat] = []


def refused(
    raw: bytes, model: type = Item, ctype: str = "application/json", **kw: object
) -> ClientError:
    with pytest.raises(ClientError) as info:
        decode_body(raw, model, ctype, **kw)  # type: ignore[arg-type]
    return info.value


@pytest.mark.parametrize(
    ("raw", "ctype", "charset", "status", "code"),
    [
        (b'{"title": "\xff"}', "application/json", None, 400, "invalid_encoding"),
        (b'{"colour": 1, "title": "\xe6\x96"}', "application/json", None, 400, "invalid_encoding"),
        (b"", "application/json", None, 400, "malformed_json"),
        (b"  \n", "application/json", None, 400, "malformed_json"),
        (b"{not json", "application/json", None, 400, "malformed_json"),
        (b'\xef\xbb\xbf{"title": "x"}', "application/json", None, 400, "malformed_json"),
        (b'{"title": "x"}', "text/plain", None, 415, "unsupported_media_type"),
        (b'{"title": "x"}', "", None, 415, "unsupported_media_type"),
        (b'{"title": "x"}', "application/json", "gbk", 415, "unsupported_media_type"),
        (b'{"title": "x", "colour": 1}', "application/json", None, 400, "invalid_body"),
        (b'{"title": "x", "at": 1e308}', "application/json", None, 400, "invalid_body"),
        (b'{"title": "x", "at": 1e400}', "application/json", None, 400, "invalid_body"),
        (
            b'{"title": "x", "count": 99999999999999999999999}',
            "application/json",
            None,
            400,
            "invalid_body",
        ),
        (b'{"title": "x\\u0000"}', "application/json", None, 400, "invalid_body"),
        (
            b'{"title": "x", "tags": ["a", "\\u0000"]}',
            "application/json",
            None,
            400,
            "invalid_body",
        ),
        (b"[1]", "application/json", None, 400, "invalid_body"),
    ],
)
def test_each_failure_has_its_status_and_code(
    raw: bytes, ctype: str, charset: str | None, status: int, code: str
) -> None:
    error = refused(raw, Item, ctype, charset=charset)
    assert (error.status, error.code) == (status, code)
    assert error.sentence is not None


def test_a_number_out_of_range_names_the_field_and_the_range() -> None:
    error = refused(b'{"title": "x", "count": 11}')
    assert (
        error.message_in("en")
        == "invalid body: count must be a whole number from 1 to 10 (at `$.count`)."
    )
    assert error.message_in("zh-CN") == "count 应为 1–10 之间的整数。"
    error = refused(b'{"title": "x", "at": -1}')
    assert "at must be a number from 946684800 to 4102444800" in error.message_in("en")
    error = refused(b'{"title": "abcdef"}')
    assert error.message_in("zh-CN") == "title 应为 0–5 个字符。"
    error = refused(b'{"beats": [{"seq": 1}, {"seq": 10}]}', Batch)
    assert error.code == "invalid_batch"
    assert "beats[1].seq must be a whole number from 0 to 9" in error.message_in("en")


def test_a_struct_names_its_own_codes() -> None:
    assert refused(b"{oops", Batch).code == "invalid_body"
    assert refused(b'{"beats": 1}', Batch).code == "invalid_batch"


def test_nul_is_refused_by_its_path_and_escaped_backslashes_are_not_nul() -> None:
    error = refused(b'{"title": "ok", "tags": ["a", "b\\u0000"]}')
    assert error.message_in("en") == "tags[1] must not contain the NUL character (U+0000)."
    body = decode_body(b'{"title": "x", "tags": ["\\\\u0000"]}', Item, "application/json")
    assert body.tags == ["\\u0000"]


def test_text_plain_is_read_where_allowed() -> None:
    body = decode_body(b'{"title": "x"}', Item, "text/plain", "UTF-8", text_ok=True)
    assert body.title == "x"


@given(st.binary(max_size=64))
def test_no_bytes_make_anything_but_a_client_error(raw: bytes) -> None:
    error: ClientError | None = None
    try:
        decode_body(raw, Item, "application/json")
    except ClientError as exc:
        error = exc
    if error is not None:
        assert 400 <= error.status < 500
        assert error.message_in("en")
        assert error.message_in("zh-CN")
