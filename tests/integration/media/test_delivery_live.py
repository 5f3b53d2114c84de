"""A live playlist served by ``/media``: a new segment reaches the next viewer's reload
within a quarter second (memory cache), and browsers do not keep it (only shared caches)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from culturecast.core.hls import LIVE_PLAYLIST_CACHE, PLAYLIST_TYPE
from culturecast.media.delivery import Delivery
from culturecast.storage.objects.local import LocalObjectStore

KEY = "live/ev1/720p/index.m3u8"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[str, LocalObjectStore, Clock]]:
    store = LocalObjectStore(tmp_path / "objects")
    clock = Clock()
    delivery = Delivery(store, clock=clock)
    app = web.Application()
    app.router.add_get("/media/{key:.+}", delivery.plain)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/media/")), store, clock
    finally:
        await server.close()


async def test_a_new_live_segment_is_served_within_a_quarter_second(
    served: tuple[str, LocalObjectStore, Clock],
) -> None:
    base, store, clock = served
    await store.put(KEY, b"#EXTM3U\nseg_000001.ts\n", PLAYLIST_TYPE, LIVE_PLAYLIST_CACHE)
    async with aiohttp.ClientSession() as http:
        async with http.get(base + KEY) as resp:
            assert (await resp.read()).endswith(b"seg_000001.ts\n")
            # Browsers revalidate every reload; a CDN or the media edge keeps it a second.
            assert "max-age=0" in resp.headers["Cache-Control"]
            assert "s-maxage=1" in resp.headers["Cache-Control"]
        await store.put(
            KEY, b"#EXTM3U\nseg_000001.ts\nseg_000002.ts\n", PLAYLIST_TYPE, LIVE_PLAYLIST_CACHE
        )
        clock.now += 0.3
        async with http.get(base + KEY) as resp:
            assert (await resp.read()).endswith(b"seg_000002.ts\n")
