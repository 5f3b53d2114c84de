"""The offline IP database the operator supplies (``CULTURECAST_GEOIP_DB``): an address's
province and city. A MaxMind-format ``.mmdb`` (GeoIP2/GeoLite2 City shape: ``subdivisions``
and ``city`` with ``names``) is read with ``maxminddb``; an ip2region ``.xdb`` with
``py-ip2region`` (region text ``中国|江苏省|苏州市|电信``). Both are loaded into memory once, so
a lookup costs no I/O. Without a database every lookup answers None and regions are absent.
"""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path
from typing import Any, Protocol

from culturecast.media.views.audience import Region

log = logging.getLogger("culturecast.views")

__all__ = ["GeoLookup", "NoGeo", "open_geoip"]

_LANGUAGES = ("zh-CN", "en")


class GeoLookup(Protocol):
    def region(self, address: str) -> Region | None:
        """The region of ``address``; None when unknown (private, not in the database)."""
        ...


class NoGeo:
    """No database: every region is unknown."""

    def region(self, address: str) -> Region | None:
        return None


def _name(record: Any) -> str:
    names = record.get("names") if isinstance(record, dict) else None
    if not isinstance(names, dict):
        return ""
    for language in _LANGUAGES:
        value = names.get(language)
        if isinstance(value, str) and value:
            return value
    return ""


class MmdbGeo:
    def __init__(self, path: Path) -> None:
        import maxminddb

        self._reader = maxminddb.open_database(str(path), maxminddb.MODE_MEMORY)

    def region(self, address: str) -> Region | None:
        try:
            record: Any = self._reader.get(address)
        except ValueError:
            return None
        if not isinstance(record, dict):
            return None
        subdivisions = record.get("subdivisions")
        province = _name(subdivisions[0]) if isinstance(subdivisions, list) and subdivisions else ""
        country = record.get("country")
        if not province and isinstance(country, dict) and country.get("iso_code") != "CN":
            province = _name(country)  # abroad: the country stands for the province
        if not province:
            return None
        return Region(province, _name(record.get("city")))


class XdbGeo:
    def __init__(self, path: Path) -> None:
        from ip2region import searcher, util

        header = util.load_header_from_file(str(path))
        version = util.version_from_header(header)
        if version is None:
            raise ValueError(f"{path} is not an ip2region xdb file")
        self._ip_version = 4 if version is util.IPv4 else 6
        self._searcher = searcher.new_with_buffer(version, util.load_content_from_file(str(path)))

    def region(self, address: str) -> Region | None:
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            return None
        if parsed.version != self._ip_version:
            return None
        try:
            text = self._searcher.search(address)
        except Exception:  # the library raises bare Exceptions on addresses it cannot search
            return None
        return xdb_region(text)


def xdb_region(text: str) -> Region | None:
    """``中国|江苏省|苏州市|电信|CN`` (v3) or ``中国|0|江苏省|苏州市|电信`` (v2) → the region."""
    parts = [p.strip() for p in text.split("|")]
    parts = [p for p in parts if p and p != "0"]
    if not parts or parts[0] in ("内网IP", "保留"):
        return None
    if parts[0] not in ("中国", "China"):
        return Region(parts[0])  # abroad: the country stands for the province
    if len(parts) < 2:
        return None
    city = parts[2] if len(parts) > 2 and parts[2][-1:] in ("市", "州", "盟", "区", "县") else ""
    return Region(parts[1], city)


def open_geoip(path: Path | None) -> GeoLookup:
    """The database at ``path`` (by its suffix), or ``NoGeo`` without one. Raises ValueError
    when the file cannot be read as what its suffix says."""
    if path is None:
        return NoGeo()
    suffix = path.suffix.lower()
    try:
        if suffix == ".mmdb":
            return MmdbGeo(path)
        if suffix == ".xdb":
            return XdbGeo(path)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc
    raise ValueError(f"{path}: expected a .mmdb or .xdb file")
