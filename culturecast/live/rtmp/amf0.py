"""AMF0 encoding and decoding (Adobe "Action Message Format -- AMF 0", 2007).

Python values map to AMF0 types as follows:

============================  ==================================================
Python                        AMF0
============================  ==================================================
``float`` / ``int``           number (0x00), always an IEEE 754 double
``bool``                      boolean (0x01)
``str``                       string (0x02), or long string (0x0C) above 65535 B
``dict[str, AmfValue]``       object (0x03)
``None``                      null (0x05)
``UNDEFINED``                 undefined (0x06)
:class:`EcmaArray`            ECMA array (0x08)
``list[AmfValue]``            strict array (0x0A)
:class:`AmfDate`              date (0x0B)
============================  ==================================================

Decoding is defensive: the input comes from the network, so nesting depth and the
number of entries are limited and every count is checked against the bytes left
before anything is allocated.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

from culturecast.live.rtmp.errors import AmfDecodeError

NUMBER = 0x00
BOOLEAN = 0x01
STRING = 0x02
OBJECT = 0x03
NULL = 0x05
UNDEFINED_MARKER = 0x06
ECMA_ARRAY = 0x08
OBJECT_END = 0x09
STRICT_ARRAY = 0x0A
DATE = 0x0B
LONG_STRING = 0x0C

#: Nesting deeper than this is refused; real RTMP commands nest two or three levels.
MAX_DEPTH = 32
#: Entries per object/array; onMetaData has a few dozen, so this only stops abuse.
MAX_ENTRIES = 65_536

_DOUBLE = struct.Struct(">d")
_DATE = struct.Struct(">dh")


class Undefined(enum.Enum):
    """The AMF0 ``undefined`` value, distinct from ``null`` (``None``)."""

    VALUE = "undefined"

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED = Undefined.VALUE


class EcmaArray(dict[str, "AmfValue"]):
    """An associative array; encoded as ECMA array (0x08) so onMetaData round-trips."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class AmfDate:
    """An AMF0 date."""

    milliseconds: float
    """Milliseconds since 1970-01-01 UTC."""
    timezone: int = 0
    """Offset in minutes; the spec says senders should write 0 and readers ignore it."""


type AmfValue = (
    float
    | int
    | bool
    | str
    | Undefined
    | AmfDate
    | EcmaArray
    | dict[str, AmfValue]
    | list[AmfValue]
    | None
)


# ---------------------------------------------------------------- encoding


def encode(*values: AmfValue) -> bytes:
    """Encode ``values`` one after the other, as in an RTMP command message body."""
    out = bytearray()
    for value in values:
        _encode_value(out, value, 0)
    return bytes(out)


def _encode_key(out: bytearray, key: str) -> None:
    raw = key.encode("utf-8")
    if len(raw) > 0xFFFF:
        raise ValueError("AMF0 property names are limited to 65535 bytes")
    out += len(raw).to_bytes(2, "big")
    out += raw


def _encode_properties(out: bytearray, items: dict[str, AmfValue], depth: int) -> None:
    for key, item in items.items():
        _encode_key(out, key)
        _encode_value(out, item, depth + 1)
    out += b"\x00\x00\x09"


def _encode_value(out: bytearray, value: AmfValue, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValueError("AMF0 value nested too deeply")
    # bool before int/float: bool is a subclass of int.
    if isinstance(value, bool):
        out += bytes((BOOLEAN, 1 if value else 0))
    elif isinstance(value, int | float):
        out.append(NUMBER)
        out += _DOUBLE.pack(float(value))
    elif isinstance(value, str):
        raw = value.encode("utf-8")
        if len(raw) <= 0xFFFF:
            out.append(STRING)
            out += len(raw).to_bytes(2, "big")
        else:
            out.append(LONG_STRING)
            out += len(raw).to_bytes(4, "big")
        out += raw
    elif value is None:
        out.append(NULL)
    elif isinstance(value, Undefined):
        out.append(UNDEFINED_MARKER)
    elif isinstance(value, AmfDate):
        out.append(DATE)
        out += _DATE.pack(value.milliseconds, value.timezone)
    elif isinstance(value, EcmaArray):
        out.append(ECMA_ARRAY)
        out += len(value).to_bytes(4, "big")
        _encode_properties(out, value, depth)
    elif isinstance(value, dict):
        out.append(OBJECT)
        _encode_properties(out, value, depth)
    elif isinstance(value, list):
        out.append(STRICT_ARRAY)
        out += len(value).to_bytes(4, "big")
        for item in value:
            _encode_value(out, item, depth + 1)
    else:  # pragma: no cover - the type alias makes this unreachable for typed callers
        raise TypeError(f"cannot encode {type(value).__name__} as AMF0")


# ---------------------------------------------------------------- decoding


def decode_all(data: bytes | bytearray | memoryview) -> list[AmfValue]:
    """Decode every value in ``data``; raise :class:`AmfDecodeError` on any defect."""
    decoder = _Decoder(data)
    values: list[AmfValue] = []
    while decoder.pos < decoder.end:
        values.append(decoder.value(0))
    return values


def decode(data: bytes | bytearray | memoryview, offset: int = 0) -> tuple[AmfValue, int]:
    """Decode one value at ``offset``; return it and the offset just after it."""
    decoder = _Decoder(data, offset)
    value = decoder.value(0)
    return value, decoder.pos


class _Decoder:
    __slots__ = ("data", "end", "pos")

    def __init__(self, data: bytes | bytearray | memoryview, offset: int = 0) -> None:
        self.data = bytes(data)
        self.end = len(self.data)
        self.pos = offset

    def _take(self, size: int) -> bytes:
        start = self.pos
        stop = start + size
        if stop > self.end:
            raise AmfDecodeError(
                f"AMF0 data truncated: need {size} bytes at offset {start}, {self.end - start} left"
            )
        self.pos = stop
        return self.data[start:stop]

    def _u8(self) -> int:
        if self.pos >= self.end:
            raise AmfDecodeError(f"AMF0 data truncated at offset {self.pos}")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def _text(self, size: int) -> str:
        raw = self._take(size)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise AmfDecodeError(f"AMF0 string is not UTF-8: {exc.reason}") from None

    def _short_string(self) -> str:
        return self._text(int.from_bytes(self._take(2), "big"))

    def _properties(self, target: dict[str, AmfValue], depth: int) -> None:
        # Objects and ECMA arrays end with an empty key followed by the object-end marker.
        while True:
            key = self._short_string()
            if not key and self.pos < self.end and self.data[self.pos] == OBJECT_END:
                self.pos += 1
                return
            if len(target) >= MAX_ENTRIES:
                raise AmfDecodeError(f"AMF0 object has more than {MAX_ENTRIES} entries")
            target[key] = self.value(depth + 1)

    def value(self, depth: int) -> AmfValue:
        if depth > MAX_DEPTH:
            raise AmfDecodeError(f"AMF0 value nested deeper than {MAX_DEPTH} levels")
        marker = self._u8()
        if marker == NUMBER:
            number: float = _DOUBLE.unpack(self._take(8))[0]
            return number
        if marker == BOOLEAN:
            return self._u8() != 0
        if marker == STRING:
            return self._short_string()
        if marker == LONG_STRING:
            return self._text(int.from_bytes(self._take(4), "big"))
        if marker == NULL:
            return None
        if marker == UNDEFINED_MARKER:
            return UNDEFINED
        if marker == OBJECT:
            obj: dict[str, AmfValue] = {}
            self._properties(obj, depth)
            return obj
        if marker == ECMA_ARRAY:
            # The count is only a hint (FFmpeg writes 0); the end marker is authoritative.
            self._take(4)
            array = EcmaArray()
            self._properties(array, depth)
            return array
        if marker == STRICT_ARRAY:
            count = int.from_bytes(self._take(4), "big")
            # Every element takes at least one byte: refuse counts the data cannot hold
            # before allocating anything.
            if count > MAX_ENTRIES or count > self.end - self.pos:
                raise AmfDecodeError(f"AMF0 strict array count {count} exceeds the data")
            return [self.value(depth + 1) for _ in range(count)]
        if marker == DATE:
            milliseconds, timezone = _DATE.unpack(self._take(10))
            return AmfDate(milliseconds, timezone)
        if marker == OBJECT_END:
            raise AmfDecodeError(f"AMF0 object-end marker outside an object at {self.pos - 1}")
        raise AmfDecodeError(f"unsupported AMF0 marker 0x{marker:02x} at offset {self.pos - 1}")
