"""The one decoder of request bodies: bytes and their content type in, a typed struct out.

Every failure a client can cause becomes a :class:`~culturecast.core.errors.ClientError`
with a sentence in zh-CN and English, never a traceback:

- a content type the endpoint does not read, or a charset other than UTF-8 → 415
  ``unsupported_media_type``;
- bytes that are not UTF-8 → 400 ``invalid_encoding``;
- an empty body, or one that is not JSON → 400 ``malformed_json``;
- JSON that does not fit the struct (an unknown or missing field, a wrong type, a number or
  a text out of its range, NUL in a text) → 400 ``invalid_body`` naming the field and, for
  numbers and texts, the allowed range (taken from the struct's own ``msgspec.Meta``).

A struct may name other codes for the last two in ``ClassVar`` s ``invalid_code`` and
``malformed_code``, so endpoints keep the codes they documented (a live event's fields are
``invalid_live_event``; playback bodies say ``invalid_body`` for both).

``server/jsonapi.py`` reads the bytes off the request and calls :func:`decode_body`.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Final, cast

import msgspec
import msgspec.inspect as mi

from culturecast.core.errors import (
    InvalidBody,
    InvalidEncoding,
    MalformedBody,
    Sentence,
    UnsupportedMediaType,
)

JSON: Final = "application/json"
TEXT: Final = "text/plain"
"""What ``navigator.sendBeacon`` sends for a string body."""

_AT: Final = re.compile(r" - at `(\$[^`]*)`$")
_UNKNOWN: Final = re.compile(r"^Object contains unknown field `(.*)`$")
_MISSING: Final = re.compile(r"^Object missing required field `(.*)`$")
_BYTE: Final = re.compile(r"\(byte (\d+)\)")
_SEGMENT: Final = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


@functools.cache
def _decoder(model: type) -> msgspec.json.Decoder[Any]:
    # Built once per struct: a decoder made per call costs about as much as a small decode.
    return msgspec.json.Decoder(model)


@functools.cache
def _type_info(model: type) -> mi.Type:
    return mi.type_info(model)


def decode_body[T](
    raw: bytes,
    model: type[T],
    content_type: str,
    charset: str | None = None,
    *,
    text_ok: bool = False,
) -> T:
    """``raw`` decoded into ``model`` (a ``msgspec.Struct`` forbidding unknown fields).

    ``content_type`` and ``charset`` are the request's; ``text_ok`` also takes JSON sent as
    ``text/plain``."""
    allowed = (JSON, TEXT) if text_ok else (JSON,)
    if content_type not in allowed:
        names = " 或 ".join(allowed)
        raise UnsupportedMediaType(
            Sentence(
                f"请以 {names} 格式发送请求体。",
                f"Send the body as {' or '.join(allowed)} "
                f"(got {_ascii(content_type) or 'no content type'}).",
            )
        )
    if charset is not None and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(
            Sentence("请求体须使用 UTF-8 编码。", "Send the body in UTF-8 (charset=utf-8).")
        )
    if not raw.strip():
        raise MalformedBody(
            Sentence("请求体为空，请发送 JSON 对象。", "The body is empty; send a JSON object."),
            code=_code(model, "malformed_code", MalformedBody.code),
        )
    try:
        # Checked first (ASCII needs no check): msgspec decodes texts only as it reaches them,
        # so a broken byte after an unknown field would be reported as that field.
        if not raw.isascii():
            raw.decode("utf-8")
        value: T = _decoder(cast(type, model)).decode(raw)
    except UnicodeDecodeError:
        raise InvalidEncoding(
            Sentence("请求体不是有效的 UTF-8 文本。", "The body is not valid UTF-8 text.")
        ) from None
    except msgspec.ValidationError as exc:
        raise InvalidBody(
            describe(model, str(exc)), code=_code(model, "invalid_code", InvalidBody.code)
        ) from None
    except msgspec.DecodeError as exc:
        found = _BYTE.search(str(exc))
        where = f"（第 {found[1]} 字节附近）" if found else ""
        raise MalformedBody(
            Sentence(f"请求体不是有效的 JSON{where}。", f"The body is not valid JSON: {exc}"),
            code=_code(model, "malformed_code", MalformedBody.code),
        ) from None
    # JSON can only carry NUL escaped, so bodies without the escape need no walk.
    if b"\\u0000" in raw and (path := _nul_path(value, "$")) is not None:
        field = _field_name(path)
        raise InvalidBody(
            Sentence(
                f"{field} 中不能含有空字符（U+0000）。",
                f"{field} must not contain the NUL character (U+0000).",
            ),
            code=_code(model, "invalid_code", InvalidBody.code),
        )
    return value


def _code(model: type, attribute: str, default: str) -> str:
    code = getattr(model, attribute, None)
    return code if isinstance(code, str) else default


def describe(model: type, error: str) -> Sentence:
    """The sentence for msgspec's validation ``error`` while decoding ``model``."""
    at = _AT.search(error)
    path = at[1] if at else "$"
    what = error[: at.start()] if at else error
    field = _field_name(path)
    if found := _UNKNOWN.match(what):
        return Sentence(f"请求体含有未知字段 {found[1]}。", f"invalid body: {error}")
    if found := _MISSING.match(what):
        return Sentence(f"请求体缺少字段 {found[1]}。", f"invalid body: {error}")
    if path == "$":
        return Sentence("请求体应为 JSON 对象。", f"invalid body: {error}")
    bounded = _bounds(_type_info(model), path)
    if isinstance(bounded, mi.IntType | mi.FloatType) and (
        "<" in what or ">" in what or "out of range" in what
    ):
        low = bounded.ge if bounded.ge is not None else bounded.gt
        high = bounded.le if bounded.le is not None else bounded.lt
        whole = isinstance(bounded, mi.IntType)
        kind_zh, kind_en = ("整数", "a whole number") if whole else ("数", "a number")
        return Sentence(
            f"{field} 应为 {_num(low)}–{_num(high)} 之间的{kind_zh}。",
            f"invalid body: {field} must be {kind_en} from {_num(low)} to {_num(high)} "
            f"(at `{path}`).",
        )
    if isinstance(bounded, mi.StrType) and "length" in what:
        low_len = bounded.min_length or 0
        high_len = bounded.max_length
        return Sentence(
            f"{field} 应为 {low_len}–{_num(high_len)} 个字符。",
            f"invalid body: {field} must be {low_len} to {_num(high_len)} characters long "
            f"(at `{path}`).",
        )
    return Sentence(f"请求体中 {path} 的类型或取值不对。", f"invalid body: {error}")


def _num(value: float | None) -> str:
    if value is None:
        return "∞"
    return str(int(value)) if float(value).is_integer() else str(value)


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii")[:64]


def _field_name(path: str) -> str:
    """``$.beats[0].seq`` → ``beats[0].seq``."""
    return path[2:] if path.startswith("$.") else path


def _unwrap(info: mi.Type) -> list[mi.Type]:
    """The alternatives of a (possibly annotated, possibly optional) type."""
    while isinstance(info, mi.Metadata):
        info = info.type
    if isinstance(info, mi.UnionType):
        return [t for alt in info.types for t in _unwrap(alt)]
    return [info]


def _bounds(info: mi.Type, path: str) -> mi.Type | None:
    """The number or text type at ``path`` (``$.a[0].b``) of a struct type, if any."""
    current = [info]
    for name, index in _SEGMENT.findall(path[1:]):
        following: list[mi.Type] = []
        for alt in (t for c in current for t in _unwrap(c)):
            if name and isinstance(alt, mi.StructType):
                following += [f.type for f in alt.fields if f.encode_name == name]
            elif index and isinstance(alt, mi.ListType | mi.VarTupleType):
                following.append(alt.item_type)
        current = following
    for alt in (t for c in current for t in _unwrap(c)):
        if isinstance(alt, mi.IntType | mi.FloatType | mi.StrType):
            return alt
    return None


def _nul_path(value: Any, path: str) -> str | None:
    """The path of the first text in ``value`` holding NUL, if any."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            if (found := _nul_path(getattr(value, name), f"{path}.{name}")) is not None:
                return found
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            if (found := _nul_path(item, f"{path}[{i}]")) is not None:
                return found
    elif isinstance(value, dict):
        for key, item in value.items():
            if (found := _nul_path(key, path)) is not None:
                return found
            if (found := _nul_path(item, f"{path}.{key}")) is not None:
                return found
    return None
