"""The replay (直播回看): when an event ends, its recording becomes VOD playlists.

A job (``live.package_replay``), idempotent: for every rendition in the live master it reads
``event.m3u8`` (every segment since the start) and writes
``live/<event>/replay/<rendition>/index.m3u8`` (EXT-X-PLAYLIST-TYPE:VOD, EXT-X-ENDLIST) whose
URIs point at the live segments (``../../<rendition>/seg_…ts``: segments are immutable, so
nothing is copied), plus ``live/<event>/replay/master.m3u8``. It also closes the live
playlists (EXT-X-ENDLIST) when the ingest that held the event could not.

``on_replay_ready(event)`` then records the replay elsewhere (the media catalogue), visible
as the event is (``live/visibility.py``); should the event's visibility change meanwhile, it is
called again with the event as it is now, so the replay ends in step with its event.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from culturecast.core.hls import LIVE_PLAYLIST_CACHE, PLAYLIST_TYPE, VOD_PLAYLIST_CACHE
from culturecast.jobs.port import JobContext
from culturecast.live import playlist, visibility
from culturecast.live.service import master_key, replay_master_key
from culturecast.live.store import EventStore
from culturecast.storage.database.port import Database, Document
from culturecast.storage.errors import ObjectNotFound
from culturecast.storage.objects.port import ObjectStore

log = logging.getLogger("culturecast.live.replay")

type ReplayReady = Callable[[Document], Awaitable[None]]


def variant_uris(master: str) -> list[str]:
    """The variant playlist URIs a master lists, in order."""
    lines = [line.strip() for line in master.splitlines()]
    return [
        lines[i + 1]
        for i, line in enumerate(lines[:-1])
        if line.startswith("#EXT-X-STREAM-INF:")
        and lines[i + 1]
        and not lines[i + 1].startswith("#")
    ]


class ReplayPackager:
    """Builds replays; also the job handler."""

    def __init__(
        self,
        database: Database,
        objects: ObjectStore,
        *,
        segment_s: float = 2.0,
        window: int = 20,
        clock: Callable[[], float] = time.time,
        on_replay_ready: ReplayReady | None = None,
    ) -> None:
        self.events = EventStore(database)
        self.objects = objects
        self.segment_s = segment_s
        self.window = window
        self.clock = clock
        self.on_replay_ready = on_replay_ready

    async def handle(self, ctx: JobContext, payload: Mapping[str, Any]) -> None:
        """Job handler."""
        event_id = payload.get("event_id")
        if not isinstance(event_id, str):
            raise ValueError("live.package_replay needs an event_id")
        await self.package(event_id)

    async def package(self, event_id: str) -> Document | None:
        """Write the replay of an ended event and record it; None if there is nothing."""
        doc = await self.events.get(event_id)
        if doc is None:
            log.info("live: event %s is gone; no replay", event_id)
            return None
        if doc.get("replay"):
            return doc
        try:
            master = (await self.objects.get(master_key(event_id))).decode()
        except ObjectNotFound:
            log.warning("live: event %s has no recording (never produced a segment)", event_id)
            await self.events.save_replay_error(event_id, "no_recording")
            return None
        duration = 0.0
        base = f"live/{event_id}/"
        for uri in variant_uris(master):
            rendition = uri.split("/", 1)[0]
            try:
                text = (await self.objects.get(f"{base}{rendition}/event.m3u8")).decode()
            except ObjectNotFound:
                continue
            parsed = playlist.parse_media_playlist(text)
            segments = playlist.segments_from(parsed)
            if not parsed.ended:
                await self._close_live(base + rendition, segments, parsed.independent)
            vod = playlist.vod_playlist(
                segments,
                nominal_s=self.segment_s,
                prefix=f"../../{rendition}/",
                independent=parsed.independent,
            )
            await self.objects.put(
                f"{base}replay/{uri}", vod.encode(), PLAYLIST_TYPE, VOD_PLAYLIST_CACHE
            )
            duration = max(duration, sum(s.duration for s in segments))
        # The master last: a player that finds it finds every playlist it names.
        await self.objects.put(
            replay_master_key(event_id), master.encode(), PLAYLIST_TYPE, VOD_PLAYLIST_CACHE
        )
        replay = {
            "master_key": replay_master_key(event_id),
            "duration_s": round(duration, 3),
            "ready_at": self.clock(),
        }
        updated = await self.events.save_replay(event_id, replay)
        log.info("live: replay of %s ready (%.1f s)", event_id, duration)
        if updated is not None and self.on_replay_ready is not None:
            await self.on_replay_ready(updated)
            # A change of published/disabled tells the catalogue after writing the event; had
            # it come between the read above and the catalogue's entry, tell it again.
            latest = await self.events.get(event_id)
            if latest is not None and visibility.is_public(latest) != visibility.is_public(updated):
                await self.on_replay_ready(latest)
        return updated

    async def _close_live(
        self, prefix: str, segments: list[playlist.Segment], independent: bool
    ) -> None:
        recording = playlist.event_playlist(
            segments, nominal_s=self.segment_s, ended=True, independent=independent
        )
        window = playlist.live_playlist(
            segments,
            window=self.window,
            nominal_s=self.segment_s,
            ended=True,
            independent=independent,
        )
        await self.objects.put(
            f"{prefix}/event.m3u8", recording.encode(), PLAYLIST_TYPE, LIVE_PLAYLIST_CACHE
        )
        await self.objects.put(
            f"{prefix}/index.m3u8", window.encode(), PLAYLIST_TYPE, LIVE_PLAYLIST_CACHE
        )
