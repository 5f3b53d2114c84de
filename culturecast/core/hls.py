"""HLS content types and cache rules: the one place that says what a stored or served media
object is and how long a browser or a shared cache (CDN, the media edge) may keep it.

Live packaging and replays (``live/``), VOD processing and delivery (``media/``) all write or
serve the same kinds of objects under ``live/`` and ``vod/``; they take their ``Content-Type``
and ``Cache-Control`` from here (DESIGN.md § Delivery).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

PLAYLIST_TYPE: Final = "application/vnd.apple.mpegurl"
SEGMENT_TYPE: Final = "video/mp2t"
"""MPEG-TS, the live and VOD segments' container."""
DEFAULT_TYPE: Final = "application/octet-stream"

CONTENT_TYPES: Final[Mapping[str, str]] = MappingProxyType(
    {
        ".m3u8": PLAYLIST_TYPE,
        ".ts": SEGMENT_TYPE,
        ".aac": "audio/aac",
        ".jpg": "image/jpeg",
        ".png": "image/png",
        ".webp": "image/webp",
        ".m4s": "video/iso.segment",
        ".mp4": "video/mp4",
    }
)
"""By file-name suffix, lower case as the packagers name their files."""

SEGMENT_CACHE: Final = "public, max-age=31536000, immutable"
"""Segments (and any object named once and never rewritten) never change once written."""
LIVE_PLAYLIST_CACHE: Final = "public, max-age=0, s-maxage=1"
"""Shared caches (a CDN, the media edge) keep a live playlist for a second, one origin fetch
per second however many viewers; browsers revalidate it every time (a 304 from memory when
unchanged): hls.js reloads it about once a segment, so a second of browser cache would
answer most reloads with the playlist before the newest segment."""
MASTER_CACHE: Final = "public, max-age=5"
"""A live event's master playlist: written once every rendition has a segment, then kept."""
VOD_PLAYLIST_CACHE: Final = "public, max-age=3600"
"""VOD and replay playlists: an hour (a reprocessed resource gets new playlists within it)."""
IMAGE_CACHE: Final = "public, max-age=86400"
"""Posters and thumbnails: a day."""
DEFAULT_CACHE: Final = "public, max-age=60"
"""An object stored without a Cache-Control of its own."""
PRIVATE_CACHE: Final = "private, no-store"
"""Media served to its staff only: no shared cache (CDN, proxy) keeps it."""


def suffix_of(name: str) -> str:
    """The suffix of the last path component of ``name`` ("" when it has none)."""
    last = name.rsplit("/", 1)[-1]
    return last[last.rfind(".") :] if "." in last else ""


def content_type(name: str, default: str = DEFAULT_TYPE) -> str:
    """The Content-Type of a media object named ``name`` (``default`` for other suffixes)."""
    return CONTENT_TYPES.get(suffix_of(name), default)


def vod_cache_control(name: str) -> str:
    """The Cache-Control of a file of a processed VOD resource: playlists an hour, images a
    day, segments for good."""
    suffix = suffix_of(name)
    if suffix == ".m3u8":
        return VOD_PLAYLIST_CACHE
    if suffix == ".jpg":
        return IMAGE_CACHE
    return SEGMENT_CACHE
