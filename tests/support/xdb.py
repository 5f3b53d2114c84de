"""A small ip2region ``.xdb`` (IPv4, structure 3.0) written by the test itself: py-ip2region
ships only the searcher, so this is the maker's layout in a few lines. A 256-byte header, the
vector index (for each first two address bytes, the first and last segment index entry of that
/16), the region texts, then the segment index: start and end address (little endian), text
length and offset."""

from __future__ import annotations

import ipaddress
import struct
from pathlib import Path

_HEADER = 256
_VECTOR = 256 * 256 * 8
_ENTRY = 14


def write_xdb(path: Path, networks: dict[str, tuple[str, str]]) -> Path:
    """``networks``: CIDR → (province, city) in Chinese, all in China; each network is split
    at /16 boundaries as the format requires."""
    segments: list[tuple[int, int, bytes]] = []
    for cidr, (province, city) in sorted(
        networks.items(), key=lambda kv: int(ipaddress.ip_network(kv[0]).network_address)
    ):
        net = ipaddress.ip_network(cidr)
        text = f"中国|{province}|{city or '0'}|电信|CN".encode()
        start, end = int(net.network_address), int(net.broadcast_address)
        while start <= end:
            stop = min(end, start | 0xFFFF)
            segments.append((start, stop, text))
            start = stop + 1
    data = bytearray()
    offsets: dict[bytes, int] = {}
    base = _HEADER + _VECTOR
    for _, _, text in segments:
        if text not in offsets:
            offsets[text] = base + len(data)
            data += text
    index_start = base + len(data)
    vector = bytearray(_VECTOR)
    index = bytearray()
    for number, (start, stop, text) in enumerate(segments):
        ptr = index_start + number * _ENTRY
        slot = (start >> 16) * 8
        first = struct.unpack_from("<I", vector, slot)[0]
        struct.pack_into("<II", vector, slot, first or ptr, ptr)
        index += struct.pack("<IIHI", start, stop, len(text), offsets[text])
    index_end = index_start + len(index) - _ENTRY
    header = bytearray(_HEADER)
    struct.pack_into("<HHIIIHH", header, 0, 3, 1, 0, index_start, index_end, 4, 4)
    path.write_bytes(bytes(header + vector + data + index))
    return path
