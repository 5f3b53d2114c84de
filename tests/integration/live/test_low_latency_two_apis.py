"""A blocking playlist reload held by an api process that is not the ingest's: the part's
announcement crosses Redis and the reload is answered within a part of it."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from urllib import parse

import aiohttp
from aiohttp.test_utils import TestServer

from culturecast.core.llhls import PART_CHANNEL, edge_of, parse_part_message, part_of
from culturecast.server.app import create_app
from culturecast.storage.counters.redis import RedisCounters
from tests.integration.server.conftest import ADMIN_PASSWORD, app_settings, start_api
from tests.support.engines import free_port
from tests.support.live import Publisher, ffmpeg_publish_command


async def test_blocking_reload_on_the_other_api_process(
    data_dir: Path, redis_url: str, publishers: list[Publisher]
) -> None:
    port = free_port()
    env = {"CULTURECAST_REDIS_URL": redis_url, "CULTURECAST_RTMP_PORT": str(port)}
    other = TestServer(create_app(app_settings(data_dir, **env), "api"), host="127.0.0.1")
    await other.start_server()
    listener = await RedisCounters.open(redis_url)
    announced: dict[tuple[str, int, int], float] = {}
    subscription = await listener.subscribe(PART_CHANNEL)

    async def listen() -> None:
        async for raw in subscription:
            parsed = parse_part_message(raw)
            if parsed is not None:
                announced[parsed] = time.monotonic()

    listening = asyncio.create_task(listen())
    try:
        async for api in start_api(data_dir, **env):
            admin = await api.login("admin", ADMIN_PASSWORD)
            org = await admin.ok("POST", "/api/v1/orgs", {"name": "浙江省"}, expect=201)
            body = {"org_id": org["id"], "title": "低延迟", "published": True}
            event = await admin.ok("POST", "/api/v1/live", {**body, "latency_mode": "low"}, 201)
            rtmp = f"rtmp://127.0.0.1:{port}/live/{event['stream_key']}"
            publishers.append(Publisher(ffmpeg_publish_command(rtmp)).start())
            key = f"live/{event['id']}/360p/index.m3u8"
            url = str(other.make_url(f"/media/{key}"))
            async with aiohttp.ClientSession() as session:
                deadline = time.monotonic() + 40
                text = ""
                while (edge := edge_of(text)) is None or edge.msn < 2:
                    assert time.monotonic() < deadline, text
                    await asyncio.sleep(0.2)
                    async with session.get(url) as response:
                        text = await response.text() if response.status == 200 else ""
                part_target = 0.34
                for _ in range(4):
                    async with session.get(url) as response:
                        edge = edge_of(await response.text())
                    assert edge is not None
                    asked = (edge.msn, edge.part + 1)
                    query = f"?_HLS_msn={asked[0]}&_HLS_part={asked[1]}"
                    async with session.get(url + query) as response:
                        assert response.status == 200
                        answer = edge_of(await response.text())
                        answered = time.monotonic()
                    assert answer is not None
                    got = (answer.msn, answer.part)
                    assert got >= asked or got[0] > asked[0]
                    published = announced.get((key, *got))
                    assert published is not None, (got, sorted(announced)[-5:])
                    assert answered - published <= part_target, answered - published
                # The part the preload hint names is held until it is written, then sent.
                async with session.get(url) as response:
                    text = await response.text()
                hint = re.search(r'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"', text)
                assert hint is not None, text
                hinted = parse.urljoin(url, hint.group(1))
                where = part_of(parse.urlsplit(hinted).path.removeprefix("/media/"))
                assert where is not None, hinted
                async with session.get(hinted) as response:
                    assert response.status == 200, response.status
                    assert len(await response.read()) > 0
                    answered = time.monotonic()
                published = announced.get((key, where[1], where[2]))
                assert published is not None, (where, sorted(announced)[-5:])
                assert answered - published <= part_target, answered - published
                # A part beyond the hint is not held: 404 at once.
                edge = edge_of(text)
                assert edge is not None
                beyond = url.replace("index.m3u8", f"part_{edge.msn + 2:06d}_0.m4s")
                started = time.monotonic()
                async with session.get(beyond) as response:
                    assert response.status == 404
                assert time.monotonic() - started < part_target
    finally:
        listening.cancel()
        await subscription.close()
        await listener.close()
        await other.close()
