"""Who the viewer is, as far as statistics go: the device family from the user agent and the
region key figures are kept under. Pure rules, no I/O (the IP database is ``geoip.py``, the
client address ``core/addresses.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "Device",
    "Region",
    "device_from_user_agent",
    "region_key",
    "split_region_key",
]


class Device(StrEnum):
    """The device family / operating system figures are kept per (DESIGN.md)."""

    ANDROID = "android"
    IOS = "ios"
    HARMONYOS = "harmonyos"
    WINDOWS = "windows"
    MACOS = "macos"
    LINUX = "linux"
    TV = "tv"
    OTHER = "other"


# Order matters: HarmonyOS phones also say "Android"; TV boxes run Android; iPads running
# desktop Safari say "Macintosh" (counted as macOS, as their UA claims).
_TV = re.compile(
    r"smart-?tv|\btv\b|googletv|android ?tv|\bbox\b|mibox|mitv|aft[a-z]|bravia|hisense|"
    r"skyworth|tcl|magicbox|\bott\b|stb|itv|web0s|webos|tizen|aliyunos|dangbei|kktv",
    re.IGNORECASE,
)
_RULES: tuple[tuple[re.Pattern[str], Device], ...] = (
    (re.compile(r"harmonyos|openharmony|arkweb", re.IGNORECASE), Device.HARMONYOS),
    (re.compile(r"iphone|ipad|ipod|\bios\b|cfnetwork|darwin", re.IGNORECASE), Device.IOS),
    (re.compile(r"android", re.IGNORECASE), Device.ANDROID),
    (re.compile(r"windows", re.IGNORECASE), Device.WINDOWS),
    (re.compile(r"macintosh|mac os x", re.IGNORECASE), Device.MACOS),
    (re.compile(r"linux|x11|cros", re.IGNORECASE), Device.LINUX),
)


def device_from_user_agent(user_agent: str | None) -> Device:
    """The device family a user agent names; ``OTHER`` when it names none we know."""
    if not user_agent:
        return Device.OTHER
    if _TV.search(user_agent):
        return Device.TV
    for pattern, device in _RULES:
        if pattern.search(user_agent):
            return device
    return Device.OTHER


@dataclass(frozen=True, slots=True)
class Region:
    """Where an address is: province (省/自治区/直辖市) and city, as the IP database says."""

    province: str
    city: str = ""


_UNSAFE = re.compile(r"[.$|\x00]")


def region_key(region: Region | None) -> str:
    """The key figures are kept under (``江苏省|苏州市``); "" without a region. Dots and dollars
    are removed (they cannot be database field names)."""
    if region is None or not region.province:
        return ""
    return f"{_UNSAFE.sub('', region.province)}|{_UNSAFE.sub('', region.city)}"


def split_region_key(key: str) -> Region | None:
    province, _, city = key.partition("|")
    return Region(province, city) if province else None
