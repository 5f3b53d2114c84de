"""The live ladder: ``transcode``'s default plus a 240p rung.

Many viewers watch on phones over village mobile networks (DESIGN.md § Who uses it); a
400 kbit/s 240p rendition keeps pictures moving where 360p stalls, before the player falls
back to audio only. It also gives a 360p source (a phone or a cheap camera) one encoded
rung beside the passed-through original.
"""

from __future__ import annotations

from culturecast.transcode.ladder import DEFAULT_LIVE_LADDER, Ladder, Rung

LIVE_LADDER = Ladder(
    rungs=(
        *DEFAULT_LIVE_LADDER.rungs,
        Rung("240p", 426, 240, 400, 428, 600, 64, "main"),
    ),
    audio_only_kbps=DEFAULT_LIVE_LADDER.audio_only_kbps,
)
"""1080p/720p/480p/360p/240p and 64 kbit/s audio-only."""
