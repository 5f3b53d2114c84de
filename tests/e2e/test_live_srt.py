"""SRT ingest end to end (issue 12): ffmpeg publishes ``srt://…?streamid=<stream key>``.

A valid key goes live with the ladder; a wrong key is refused during the SRT handshake by
name (``unknown_stream_key``, before any media) and ffmpeg cannot connect; after the show is
stopped its key is refused as ``event_ended``, listed in the event's refusals.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from culturecast.live import srt_ingest
from tests.e2e.test_live import Show, eventually
from tests.support.api import Api
from tests.support.engines import free_port
from tests.support.live import Publisher, StoreReader, ffmpeg_publish_command
from tests.support.product import ADMIN_PASSWORD, Standalone

pytestmark = pytest.mark.skipif(
    not srt_ingest.available(), reason="PyGObject with GStreamer's srtsrc (scripts/bootstrap)"
)


@pytest.fixture
def srt_product(tmp_path: Path) -> Iterator[Standalone]:
    (tmp_path / "srt").mkdir()
    product = Standalone(tmp_path / "srt", env={"CULTURECAST_SRT_PORT": str(free_port())})
    product.start()
    try:
        yield product
    finally:
        if product.process and product.process.popen and product.process.popen.poll() is None:
            product.stop()


def srt_publish(port: int, key: str, seconds: float | None = None) -> list[str]:
    command = ffmpeg_publish_command("unused", seconds=seconds)
    return [*command[:-3], "-f", "mpegts", f"srt://127.0.0.1:{port}?streamid={key}"]


async def test_ffmpeg_publishing_srt_with_its_key_goes_live_and_a_wrong_key_is_refused(
    srt_product: Standalone, http: aiohttp.ClientSession
) -> None:
    port = int(srt_product.env["CULTURECAST_SRT_PORT"])
    log = srt_product.workdir / "serve.log"
    publisher: Publisher | None = None
    try:
        admin = await Api(http, srt_product.url).login("admin", ADMIN_PASSWORD)
        org = await admin.ok("POST", "/api/v1/orgs", {"name": "安吉县文化馆"}, expect=201)
        body = {"org_id": org["id"], "title": "SRT 直播", "published": True}
        event = await admin.ok("POST", "/api/v1/live", body, expect=201)
        store = StoreReader(objects_dir=srt_product.workdir / "data" / "objects")
        show = Show(admin, admin, store, srt_product.rtmp_port)
        show.event = event

        # A wrong key: refused in the handshake, by name.
        wrong = Publisher(srt_publish(port, "not-a-key-" + "x" * 20, seconds=3)).start()
        assert await asyncio.to_thread(wrong.wait, 30) != 0
        assert "unknown_stream_key" in log.read_text()
        assert (await show.get())["status"] == "scheduled"

        publisher = Publisher(srt_publish(port, event["stream_key"])).start()

        async def all_listed() -> list[str] | None:
            names = show.variants()
            ok = names and all(show.segments(n, "index.m3u8") for n in names)
            return names if ok else None

        names = await eventually(all_listed, 90, "the SRT show's ladder")
        assert names == ["360p", "240p", "audio"]
        assert (await show.get())["status"] == "live"

        publisher.stop()
        await admin.ok("POST", f"/api/v1/live/{event['id']}/stop")
        again = Publisher(srt_publish(port, event["stream_key"], seconds=3)).start()
        assert await asyncio.to_thread(again.wait, 30) != 0
        assert "event_ended" in await show.refusal_codes()
    except BaseException:
        print(log.read_text()[-6000:])
        raise
    finally:
        if publisher is not None:
            publisher.kill()
