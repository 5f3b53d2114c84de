"""The media fast path (``server/serving.py``) as ``culturecast serve`` runs it: hot public
objects are answered in front of the application — the same answer the route gives, counted
per status, a token's request still its session's heartbeat — and every other request reaches
the application unchanged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from culturecast.media.views.service import ViewsConfig
from culturecast.server.app import create_app
from culturecast.server.features.views import VIEWS_CONFIG, VIEWS_SERVICE
from culturecast.server.serving import install_fast_path, media_path
from tests.integration.server.conftest import ADMIN_PASSWORD, app_settings
from tests.integration.views.conftest import (
    FakeClock,
    Stack,
    add_resource,
    free_port,
    make_tree,
    org_path,
)
from tests.support.api import Api
from tests.support.metrics import sample, scrape

pytestmark = pytest.mark.integration

MASTER = "/media/vod/ready/master.m3u8"


@dataclass
class Served:
    stack: Stack
    reached: list[str]
    """The raw path of every request that reached the application (behind the fast path)."""


@pytest.fixture
async def served(data_dir: Path) -> AsyncIterator[Served]:
    clock = FakeClock()
    app = create_app(app_settings(data_dir), "standalone", clock=clock)
    app[VIEWS_CONFIG] = ViewsConfig(
        drain_interval_s=3600, flush_interval_s=3600, plays_per_minute=10_000
    )
    runner = web.AppRunner(app)
    await runner.setup()
    assert runner.server is not None
    reached: list[str] = []
    application = runner.server.request_handler

    async def spy(request: web.BaseRequest) -> web.StreamResponse:
        reached.append(request.raw_path)
        return await application(request)

    runner.server.request_handler = spy
    install_fast_path(runner)
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with aiohttp.ClientSession() as session:
            stack = Stack(Api(session, f"http://127.0.0.1:{port}"), app, clock)
            admin = await stack.api.login("admin", ADMIN_PASSWORD)
            path = org_path(await make_tree(admin, ["浙江省", "杭州市"]))
            await add_resource(stack, "ready", path)
            await add_resource(stack, "draft", path, published=False)
            reached.clear()  # the setting up above
            yield Served(stack, reached)
    finally:
        await runner.cleanup()


async def get(
    api: Api, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    url = URL(api.base + path, encoded=True)
    async with api.session.request(method, url, headers=headers) as resp:
        kept = {k.lower(): v for k, v in resp.headers.items() if k not in ("Date", "Server")}
        return resp.status, kept, await resp.read()


async def test_a_hot_public_object_is_answered_before_the_application_as_the_route_answers(
    served: Served,
) -> None:
    api = served.stack.api
    first = await get(api, MASTER)  # a miss: the route reads the store
    assert served.reached == [MASTER]
    second = await get(api, MASTER)  # a hit: the fast path
    assert served.reached == [MASTER]
    assert first == second
    status, headers, body = second
    assert status == 200
    assert body.startswith(b"#EXTM3U")
    assert headers["content-type"] == "application/vnd.apple.mpegurl"
    assert headers["access-control-allow-origin"] == "*"
    # Conditional and range requests on a hit are answered there too, as the route does.
    etag = headers["etag"]
    status, _, body = await get(api, MASTER, {"If-None-Match": etag})
    assert (status, body) == (304, b"")
    status, part_headers, body = await get(api, MASTER, {"Range": "bytes=0-6"})
    assert (status, body, part_headers["content-range"]) == (206, b"#EXTM3U", "bytes 0-6/25")
    assert served.reached == [MASTER]
    samples = await scrape(api)
    total = "culturecast_media_requests_total"
    assert sample(samples, total, status="200") == 2
    assert sample(samples, total, status="304") == 1
    assert sample(samples, total, status="206") == 1


async def test_a_token_request_on_the_fast_path_is_its_session_s_heartbeat(
    served: Served,
) -> None:
    api = served.stack.api
    status, started = await api.call(
        "POST", "/api/v1/play", {"item_type": "resource", "item_id": "ready"}
    )
    assert status == 201
    url = started["master_url"]
    await get(api, MASTER)  # warms the memory cache: the token requests below are hits
    served.stack.clock.advance(15)  # a heartbeat interval after the play
    views = served.stack.app[VIEWS_SERVICE]
    for n in (1, 2):
        status, _, _ = await get(api, url)
        assert status == 200
        await served.stack.media_reported(n)
    assert served.reached == ["/api/v1/play", MASTER]
    samples = await scrape(api)
    beats = "culturecast_views_beats_total"
    assert sample(samples, beats, source="media", outcome="accepted") == 1
    assert sample(samples, beats, source="media", outcome="ignored") == 1  # too soon
    assert views.media_requests_seen == 2


async def test_what_is_not_a_hot_public_object_reaches_the_application(served: Served) -> None:
    api = served.stack.api
    admin = await api.login("admin", ADMIN_PASSWORD)
    status, started = await admin.call(
        "POST", "/api/v1/play", {"item_type": "resource", "item_id": "draft"}
    )
    assert status == 201
    draft = started["master_url"]
    for _ in range(2):  # the staff preview is served, privately, each time by the route
        status, headers, _ = await get(api, draft)
        assert status == 200
        assert "private" in headers["cache-control"]
    # Cached now, yet a draft without its token is still unknown to everyone else.
    status, _, body = await get(api, "/media/vod/draft/master.m3u8")
    assert status == 404
    assert b"not_found" in body
    await get(api, MASTER)
    served.reached.clear()
    asked = [
        MASTER + "?v=1",  # a query
        "/media/vod/ready%2Fmaster.m3u8",  # an escape the route decodes
        "/media/s/sig/1/vod/ready/master.m3u8",  # the signed form
        "/media/vod/ready/missing.m3u8",  # not in memory
    ]
    for path in asked:
        await get(api, path)
    status, _, body = await get(api, MASTER, method="HEAD")
    assert (status, body) == (200, b"")
    assert served.reached == [*asked, MASTER]
    # The escaped path is the same object, answered by the route.
    assert (await get(api, asked[1]))[0] == 200


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/media/vod/a/master.m3u8", ("vod/a/master.m3u8", None)),
        ("/media/t/tok/live/e/360p/index.m3u8", ("live/e/360p/index.m3u8", "tok")),
        ("/media/t/tok", None),
        ("/media/t//live/e/x.ts", None),
        ("/media/t/tok/", None),
        ("/media/", None),
        ("/media/s/sig/1/vod/a/x.ts", None),
        ("/media/vod/a/x.ts?x=1", None),
        ("/media/vod/a%2Fx.ts", None),
        ("/api/v1/media/x", None),
    ],
)
def test_which_paths_the_fast_path_may_take(raw: str, expected: object) -> None:
    assert media_path(raw) == expected
