"""Rewriting an HLS playlist an http(s) pull fetched (no I/O).

ffmpeg never reads another platform's playlists itself: the gate (``hls_gate.py``) fetches
each one, and every URL it names — variant playlists, segments, keys, init sections,
renditions — is replaced by an address of the gate, so that whatever ffmpeg fetches next
passes the pull policy again (a playlist may name ``http://169.254.169.254/`` or a
loopback address: that is refused by the gate, not connected to).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urljoin

MAX_PLAYLIST = 2 * 1024 * 1024
"""Bytes of one playlist the gate reads at most."""

_URI_ATTR = re.compile(r'URI="([^"]*)"')


def is_playlist(text: str) -> bool:
    """An HLS playlist starts with ``#EXTM3U`` (after an optional byte order mark)."""
    return text.lstrip("\ufeff").lstrip().startswith("#EXTM3U")


def has_ended(text: str) -> bool:
    """A media playlist that will not grow (``#EXT-X-ENDLIST``: the show is over)."""
    return any(line.strip() == "#EXT-X-ENDLIST" for line in text.splitlines())


def rewrite(text: str, base_url: str, local: Callable[[str], str]) -> str:
    """The playlist with each URL it names (resolved against ``base_url``, the URL it was
    fetched from after redirects) replaced by ``local(absolute_url)``."""
    lines: list[str] = []
    for line in text.lstrip("\ufeff").splitlines():
        stripped = line.strip()
        if not stripped:
            lines.append("")
        elif stripped.startswith("#"):
            lines.append(
                _URI_ATTR.sub(lambda m: f'URI="{local(urljoin(base_url, m.group(1)))}"', stripped)
            )
        else:
            lines.append(local(urljoin(base_url, stripped)))
    return "\n".join(lines) + "\n"
