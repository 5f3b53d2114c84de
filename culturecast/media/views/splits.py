"""Figures per device family and per region, summed from the daily item documents'
``devices.<device>`` and ``regions.<province|city>`` maps (written by the flush, ``flush.py``),
the same way terminals are summed from ``terminals.<terminal>``. Pure: documents in, sums out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from culturecast.media.views.audience import Device, split_region_key
from culturecast.media.views.rollup import ZERO, Figures

__all__ = ["by_device", "by_region", "devices_json", "regions_json"]


def _sums(docs: Iterable[Mapping[str, Any]], group: str) -> dict[str, Figures]:
    sums: dict[str, Figures] = {}
    for doc in docs:
        for key, figures in (doc.get(group) or {}).items():
            if isinstance(figures, Mapping):
                sums[key] = sums.get(key, ZERO) + figures_of(figures)
    return sums


def figures_of(doc: Mapping[str, Any]) -> Figures:
    """The figures of one stored day document (or one of its splits)."""
    return Figures(
        plays=int(doc.get("plays", 0)),
        watch_seconds=float(doc.get("watch_s", 0.0)),
        effective=int(doc.get("effective", 0)),
        completions=int(doc.get("completions", 0)),
        effective_watch_seconds=float(doc.get("effective_watch_s", 0.0)),
    )


def by_device(docs: Iterable[Mapping[str, Any]]) -> dict[Device, Figures]:
    """Per device family; every family appears, in the order of ``Device``."""
    sums = _sums(docs, "devices")
    known = {str(d) for d in Device}
    other = ZERO
    for key, figures in sums.items():
        if key not in known:
            other = other + figures
    result = {device: sums.get(str(device), ZERO) for device in Device}
    result[Device.OTHER] = result[Device.OTHER] + other
    return result


def by_region(docs: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Figures]]:
    """Per province, then per city within it ("" for an address known only to its province);
    only regions that have figures. Without an IP database this is empty."""
    result: dict[str, dict[str, Figures]] = {}
    for key, figures in _sums(docs, "regions").items():
        region = split_region_key(key)
        if region is None:
            continue
        cities = result.setdefault(region.province, {})
        cities[region.city] = cities.get(region.city, ZERO) + figures
    return result


def _most_plays(item: tuple[str, Figures]) -> tuple[int, str]:
    return (-item[1].plays, item[0])


def devices_json(
    docs: Iterable[Mapping[str, Any]], shape: Callable[[Figures], dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    return {str(d): shape(f) for d, f in by_device(docs).items()}


def regions_json(
    docs: Iterable[Mapping[str, Any]], shape: Callable[[Figures], dict[str, Any]]
) -> list[dict[str, Any]]:
    """Provinces by plays (most first), each with its total and its cities by plays."""
    provinces = []
    for province, cities in by_region(docs).items():
        total = ZERO
        for figures in cities.values():
            total = total + figures
        provinces.append(
            {
                "province": province,
                **shape(total),
                "cities": [
                    {"city": city, **shape(figures)}
                    for city, figures in sorted(
                        cities.items(), key=lambda kv: (-kv[1].plays, kv[0])
                    )
                ],
            }
        )
    provinces.sort(key=lambda p: (-int(p["plays"]), str(p["province"])))
    return provinces
