"""A small MaxMind-format IP database built by the test itself (``mmdb-writer``), in the
GeoIP2-City shape ``geoip.py`` reads."""

from __future__ import annotations

from pathlib import Path

from mmdb_writer import MMDBWriter
from netaddr import IPSet


def write_mmdb(path: Path, networks: dict[str, tuple[str, str]]) -> Path:
    """``networks``: CIDR → (province, city) in Chinese; all in China."""
    writer = MMDBWriter(ip_version=4, database_type="GeoIP2-City", languages=["zh-CN", "en"])
    for cidr, (province, city) in networks.items():
        record: dict[str, object] = {
            "country": {"iso_code": "CN", "names": {"zh-CN": "中国", "en": "China"}},
            "subdivisions": [{"names": {"zh-CN": province}}],
        }
        if city:
            record["city"] = {"names": {"zh-CN": city}}
        writer.insert_network(IPSet([cidr]), record)
    writer.to_db_file(str(path))
    return path
