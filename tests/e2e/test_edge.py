"""The media edge: Debian's nginx with the project's ``deploy/nginx`` configuration in front of
two ``culturecast api`` processes (both in its upstream) on Redis, the S3 server and the
MongoDB wire server.

Viewers (HTTP clients doing what the player does: ``POST /api/v1/play``, the master playlist
by its token URL, the variant playlist and a segment every round, a heartbeat every round)
watch resource E through the edge and resource D straight from the api processes, the same
way; a TV box (token URLs only, no heartbeats) watches each too. Watch time is wall time, so
each viewer's figure is bounded by the test's own measurements (as in
``test_views_distributed.py``):

* a web viewer: [last beat sent − play answered, last request answered + REPORT_SLACK_S −
  play sent]; its token media requests are reported fire-and-forget, one loop turn after the
  answer, hence the slack.
* a TV box straight on the api: a token request counts at most every 5 s, so the last counted
  one is within 5 s of its last request: [last sent − 5 s − play answered, read − play sent].
* a TV box through the edge: nginx keeps the api's yes to its token for EDGE_TOKEN_WINDOW_S
  (whole seconds: up to 1 s more), so the last counted request is within that of its last
  one: [last sent − window − 1 s − play answered, read − play sent].

Both resources must show the same plays, viewers and effective views, and watch times within
those bounds; a figure counted once per hop (nginx and api) would exceed the upper bounds by
the whole session, a viewer the edge hid would fall short of the lower ones.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from minio import Minio

from culturecast.core.calendar import cst_day, cst_day_start
from culturecast.media.signing import signature
from culturecast.server.features.media import EDGE_TOKEN_WINDOW_S
from tests.e2e.conftest import running_distributed
from tests.e2e.test_views_distributed import (
    ROUNDING_S,
    Bounds,
    Viewer,
    beat,
    one_day,
    play,
    settled,
)
from tests.support.api import Api
from tests.support.engines import S3Endpoint
from tests.support.metrics import scrape
from tests.support.nginx_edge import NginxEdge
from tests.support.product import ADMIN_PASSWORD, Distributed

SECRET = "e2e-edge-signing-secret-2026"
ROUNDS = 13
ROUND_S = 1.0
REPORT_SLACK_S = 1.0
TOUCH_INTERVAL_S = 5.0
"""``ViewsConfig.token_touch_interval_s``."""
DURATION_S = 20.0
SEGMENTS = 4
MASTER = b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=64000\n360p/index.m3u8\n"
SETTLE_S = 30.0


def variant() -> bytes:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:5", "#EXT-X-MEDIA-SEQUENCE:0"]
    for n in range(SEGMENTS):
        lines += ["#EXTINF:5.000,", f"{n:08d}.ts"]
    return ("\n".join([*lines, "#EXT-X-ENDLIST"]) + "\n").encode()


def segment(rid: str, n: int) -> bytes:
    return f"{rid}:{n}:".encode() * 1000


@dataclass
class Edged:
    product: Distributed
    edge: NginxEdge


def allow_anonymous_reads(endpoint: S3Endpoint, bucket: str) -> None:
    """The bucket policy README.md gives an operator: GetObject without credentials."""
    client = Minio(
        endpoint.url.removeprefix("http://"),
        endpoint.access_key,
        endpoint.secret_key,
        secure=False,
        region=endpoint.region,
    )
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": ["*"]},
        "Action": ["s3:GetObject"],
        "Resource": [f"arn:aws:s3:::{bucket}/*"],
    }
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    client.set_bucket_policy(bucket, json.dumps(policy))


@contextmanager
def running_edge(
    tmp_path: Path, redis_url: str, mongo_url: str, s3_endpoint: S3Endpoint, *, objects: bool
) -> Iterator[Edged]:
    """Two api processes behind the edge; ``objects``: the edge reads public objects from the
    S3 server itself (CULTURECAST_EDGE_OBJECTS_URL)."""
    env = {"CULTURECAST_VIEWS_FLUSH_INTERVAL": "1", "CULTURECAST_SIGNING_SECRET": SECRET}
    with running_distributed(tmp_path, redis_url, mongo_url, s3_endpoint, env) as product:
        upstreams = [f"127.0.0.1:{port}" for port in product.api_ports]
        bucket = product.env["CULTURECAST_S3_BUCKET"]
        if objects:
            allow_anonymous_reads(s3_endpoint, bucket)
        objects_url = f"{s3_endpoint.url}/{bucket}/" if objects else ""
        edge = NginxEdge(tmp_path / "edge", upstreams, SECRET, objects_url=objects_url).start()
        try:
            yield Edged(product, edge)
        except BaseException:
            print(edge.log)
            raise
        finally:
            edge.stop()


@pytest.fixture
def edged(
    tmp_path: Path, redis_url: str, mongo_url: str, s3_endpoint: S3Endpoint
) -> Iterator[Edged]:
    with running_edge(tmp_path, redis_url, mongo_url, s3_endpoint, objects=True) as edged:
        yield edged


@pytest.fixture
async def viewers_http() -> AsyncIterator[aiohttp.ClientSession]:
    # Each viewer names its device in its own Cookie header; a shared jar must not mix them.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        yield session


async def seed(product: Distributed, org_path: list[str], resources: dict[str, bool]) -> None:
    """Resources as the media package leaves them once processed (``{id: published}``)."""
    store = product.object_store()
    db = await product.database()
    try:
        for rid, published in resources.items():
            playlist = "application/vnd.apple.mpegurl"
            await store.put(f"vod/{rid}/master.m3u8", MASTER, playlist, "public, max-age=5")
            await store.put(f"vod/{rid}/360p/index.m3u8", variant(), playlist)
            for n in range(SEGMENTS):
                await store.put(f"vod/{rid}/360p/{n:08d}.ts", segment(rid, n), "video/mp2t")
            await db.collection("resources").insert(
                {
                    "_id": rid,
                    "org_id": org_path[0],
                    "org_path": org_path,
                    "title": f"评书《岳飞传》{rid}",
                    "category": "评书",
                    "kind": "audio",
                    "published": published,
                    "status": "ready",
                    "hls_master_key": f"vod/{rid}/master.m3u8",
                    "duration_s": DURATION_S,
                    "series_id": None,
                    "created_at": time.time(),
                    "updated_at": time.time(),
                }
            )
    finally:
        await db.close()
        await store.close()


@dataclass
class Player:
    """A viewer's player: its requests and when the last one was answered."""

    viewer: Viewer
    base: str
    last_media_answered: float = 0.0
    hits: int = 0

    def media_url(self, path: str) -> str:
        token_prefix = self.viewer.master_url.rsplit("/", 1)[0]
        return f"{self.base}{token_prefix}/{path}"

    def web_bounds(self) -> Bounds:
        v = self.viewer
        high = max(v.last_answered, self.last_media_answered) + REPORT_SLACK_S
        return Bounds(v.last_sent - v.play_answered, high - v.play_sent)


async def fetch(http: aiohttp.ClientSession, player: Player, r: int) -> None:
    """One round of a player: the master first, then the variant playlist and a segment."""
    paths = (["master.m3u8"] if r == 0 else []) + ["360p/index.m3u8", f"360p/{r % SEGMENTS:08d}.ts"]
    player.viewer.last_sent = time.time()
    for path in paths:
        async with http.get(player.media_url(path)) as resp:
            body = await resp.read()
            assert resp.status == 200, (path, resp.status, body[:300])
            if resp.headers.get("X-Cache") == "HIT":
                player.hits += 1
    player.last_media_answered = time.time()


async def media_total(apis: list[Api]) -> float:
    total = 0.0
    for api in apis:
        samples = await scrape(api)
        total += sum(
            v for (name, _), v in samples.items() if name == "culturecast_media_requests_total"
        )
    return total


async def test_viewers_through_the_edge_are_counted_as_without_it(
    edged: Edged, http: aiohttp.ClientSession, viewers_http: aiohttp.ClientSession
) -> None:
    product, edge = edged.product, edged.edge
    now = time.time()
    if cst_day_start(cst_day(now)) + 86_400 - now < 120:
        pytest.skip("China Standard Time midnight is near: the figures would span two days")
    admin = await Api(http, product.urls[0]).login("admin", ADMIN_PASSWORD)
    admins = [admin, Api(http, product.urls[1], admin.token)]
    org = await admin.ok("POST", "/api/v1/orgs", {"name": "河南省"}, expect=201)
    tag = uuid.uuid4().hex[:8]
    via_edge, direct = f"edge-{tag}", f"direct-{tag}"
    await seed(product, [org["id"]], {via_edge: True, direct: True})
    at_edge = Api(viewers_http, edge.url)
    apis = [Api(viewers_http, url) for url in product.urls]

    edge_web = [Player(Viewer(f"E{n}"), edge.url) for n in range(3)]
    edge_tv = Player(Viewer("ET"), edge.url)
    direct_web = [Player(Viewer(f"D{n}"), product.urls[n % 2]) for n in range(3)]
    direct_tv = Player(Viewer("DT"), product.urls[1])
    for player in [*edge_web, edge_tv]:
        terminal = "tv" if player is edge_tv else "web"
        await play(at_edge, player.viewer, "resource", via_edge, terminal)
    for player in [*direct_web, direct_tv]:
        terminal = "tv" if player is direct_tv else "web"
        await play(apis[0], player.viewer, "resource", direct, terminal)
    before = await media_total(admins)

    async def web_round(player: Player, api: Api, r: int) -> None:
        await fetch(viewers_http, player, r)
        await beat(api, player.viewer, float(r + 1))

    loop_start = time.monotonic()
    for r in range(ROUNDS):
        await asyncio.sleep(max(0.0, loop_start + r * ROUND_S - time.monotonic()))
        steps = [web_round(p, at_edge, r) for p in edge_web]
        steps += [web_round(p, apis[(r + i) % 2], r) for i, p in enumerate(direct_web)]
        steps += [fetch(viewers_http, p, r) for p in (edge_tv, direct_tv)]
        await asyncio.gather(*steps)
    activity_over = time.time()
    # Each rendition's object reached the api about once, however many viewers asked: the
    # edge served the rest from its cache.
    through_edge = sum(1 + 2 * ROUNDS for _ in [*edge_web, edge_tv])
    direct_requests = sum(1 + 2 * ROUNDS for _ in [*direct_web, direct_tv])
    at_api = await media_total(admins) - before - direct_requests
    assert at_api <= 2 + SEGMENTS + 2, (at_api, through_edge)
    assert sum(p.hits for p in [*edge_web, edge_tv]) >= through_edge - (2 + SEGMENTS + 2)

    paths = [f"/api/v1/stats/items/resource/{rid}" for rid in (via_edge, direct)]
    figures, _ = await settled(admin, admins, paths, activity_over + 1.5)
    read_at = time.time()
    seen_edge, seen_direct = figures

    def tv_bounds(player: Player, window: float) -> Bounds:
        v = player.viewer
        return Bounds(v.last_sent - window - v.play_answered, read_at - v.play_sent)

    for figure, web, tv in (
        (seen_edge, edge_web, tv_bounds(edge_tv, EDGE_TOKEN_WINDOW_S + 1.0)),
        (seen_direct, direct_web, tv_bounds(direct_tv, TOUCH_INTERVAL_S)),
    ):
        totals = figure["totals"]
        assert (totals["plays"], totals["effective"]) == (4, 4), figure
        assert one_day(figure)["unique_viewers"] == 4
        web_bounds = sum((p.web_bounds() for p in web), Bounds())
        assert figure["by_terminal"]["web"]["plays"] == 3
        assert web_bounds.holds(figure["by_terminal"]["web"]["watch_seconds"]), (web_bounds, figure)
        assert figure["by_terminal"]["tv"]["plays"] == 1
        assert tv.holds(figure["by_terminal"]["tv"]["watch_seconds"]), (tv, figure)
        assert (web_bounds + tv).holds(totals["watch_seconds"]), figure
        # The TV box was counted through its media requests alone, past the first window.
        assert figure["by_terminal"]["tv"]["watch_seconds"] > 2 * TOUCH_INTERVAL_S - ROUNDING_S
    assert seen_edge["totals"]["plays"] == seen_direct["totals"]["plays"]


async def wait_status(
    http: aiohttp.ClientSession,
    url: str,
    status: int,
    within: float,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Poll ``url`` until it answers ``status`` (at most ``within`` s); the body."""
    started = time.monotonic()
    while True:
        async with http.get(url, headers=headers) as resp:
            if resp.status == status:
                body = await resp.json(content_type=None)
                assert isinstance(body, dict), body
                return body
        assert time.monotonic() - started < within, (url, resp.status)
        await asyncio.sleep(0.2)


@dataclass
class Staged:
    """A province with a published resource and a draft, and a viewer playing the published
    one through the edge."""

    admin: Api
    org: dict[str, Any]
    public: str
    draft: str
    player: Player


async def staged(
    edged: Edged, http: aiohttp.ClientSession, viewers_http: aiohttp.ClientSession, name: str
) -> Staged:
    product, edge = edged.product, edged.edge
    admin = await Api(http, product.urls[0]).login("admin", ADMIN_PASSWORD)
    org = await admin.ok("POST", "/api/v1/orgs", {"name": name}, expect=201)
    tag = uuid.uuid4().hex[:8]
    public, draft = f"pub-{tag}", f"draft-{tag}"
    await seed(product, [org["id"]], {public: True, draft: False})
    viewer = Viewer(name)
    await play(Api(viewers_http, edge.url), viewer, "resource", public, "web")
    return Staged(admin, org, public, draft, Player(viewer, edge.url))


async def test_the_edge_refuses_unknown_and_revoked_tokens_and_unsigned_drafts(
    edged: Edged, http: aiohttp.ClientSession, viewers_http: aiohttp.ClientSession
) -> None:
    edge = edged.edge
    stage = await staged(edged, http, viewers_http, "湖北省")
    admin, org, player = stage.admin, stage.org, stage.player
    public, draft = stage.public, stage.draft
    at_edge = Api(http, edge.url, admin.token)
    await fetch(viewers_http, player, 0)

    # An unknown token is refused at the edge, with the documented error shape.
    unknown = f"{edge.url}/media/t/{'x' * 32}/vod/{public}/360p/00000000.ts"
    async with viewers_http.get(unknown) as resp:
        assert resp.status == 403
        body = await resp.json(content_type=None)
    assert body["error"]["code"] == "playback_refused", body

    # A draft's media: refused without a signature, served with one, refused once expired.
    plain = f"{edge.url}/media/vod/{draft}/master.m3u8"
    async with viewers_http.get(plain) as resp:
        assert resp.status == 403
        assert (await resp.json(content_type=None))["error"]["code"] == "playback_refused"
    signed = await at_edge.ok(
        "POST",
        "/api/v1/media/signed-urls",
        {"item_type": "resource", "item_id": draft, "ttl_s": 4},
    )
    base = edge.url + signed["url"].rsplit("/", 1)[0]
    for path, expected in (
        ("master.m3u8", MASTER),
        ("360p/index.m3u8", variant()),
        ("360p/00000001.ts", segment(draft, 1)),
    ):
        async with viewers_http.get(f"{base}/{path}") as resp:
            assert resp.status == 200, (path, await resp.text())
            assert await resp.read() == expected
            assert "private" in resp.headers["Cache-Control"]
            assert resp.headers.get("X-Cache") != "HIT"
    forged = signature(SECRET, f"vod/{public}/", signed["expires_at"])
    async with viewers_http.get(
        f"{edge.url}/media/s/{forged}/{signed['expires_at']}/vod/{draft}/master.m3u8"
    ) as resp:
        assert resp.status == 403
        assert (await resp.json(content_type=None))["error"]["code"] == "bad_signature"
    body = await wait_status(viewers_http, f"{base}/360p/index.m3u8", 410, within=10)
    assert body["error"]["code"] == "link_expired"
    assert time.time() >= signed["expires_at"] - 1

    # 防盗链: once the organization lists the sites that may embed its media, a page elsewhere
    # is refused at the edge (with its own code); a listed site and no Referer still play.
    await admin.ok("PATCH", f"/api/v1/orgs/{org['id']}", {"referer_allow": ["culture.example.cn"]})
    listed = {"Referer": "https://www.culture.example.cn/live"}
    hotlink = f"{edge.url}/media/vod/{public}/360p/00000002.ts"
    async with viewers_http.get(hotlink, headers=listed) as resp:
        assert resp.status == 200
    body = await wait_status(
        viewers_http, hotlink, 403, within=5, headers={"Referer": "https://elsewhere.example.com/"}
    )
    assert body["error"]["code"] == "referer_refused"
    async with viewers_http.get(hotlink, headers=listed) as resp:
        assert resp.status == 200

    # Revoked: the resource is unpublished. Its objects stay in the edge's cache, yet the edge
    # refuses them — by plain URL within the gate's second, by token once the window it kept
    # the api's yes for has passed.
    segment_url = player.media_url("360p/00000000.ts")
    async with viewers_http.get(segment_url) as resp:
        assert resp.status == 200
        assert resp.headers.get("X-Cache") == "HIT"
    await admin.ok("POST", f"/api/v1/resources/{public}/unpublish")
    unpublished = time.monotonic()
    await wait_status(
        viewers_http, f"{edge.url}/media/vod/{public}/360p/00000000.ts", 403, within=5
    )
    body = await wait_status(viewers_http, segment_url, 403, within=EDGE_TOKEN_WINDOW_S + 5)
    assert body["error"]["code"] == "playback_refused"
    assert time.monotonic() - unpublished <= EDGE_TOKEN_WINDOW_S + 5


async def test_with_the_object_store_configured_public_misses_skip_the_api(
    tmp_path: Path,
    redis_url: str,
    mongo_url: str,
    s3_endpoint: S3Endpoint,
    http: aiohttp.ClientSession,
    viewers_http: aiohttp.ClientSession,
) -> None:
    """CULTURECAST_EDGE_OBJECTS_URL set: a public item's objects the cache misses come from the
    S3 server itself — the api answers only the check —, by token and by plain URL alike; a
    draft's staff preview still comes from the api, privately, and a draft stays refused."""
    with running_edge(tmp_path, redis_url, mongo_url, s3_endpoint, objects=True) as edged:
        product, edge = edged.product, edged.edge
        stage = await staged(edged, http, viewers_http, "四川省")
        admin, public, draft, player = stage.admin, stage.public, stage.draft, stage.player
        admins = [admin, Api(http, product.urls[1], admin.token)]

        before = await media_total(admins)
        paths = ["master.m3u8", "360p/index.m3u8"] + [f"360p/{n:08d}.ts" for n in range(SEGMENTS)]
        for path in paths:
            async with viewers_http.get(player.media_url(path)) as resp:
                assert resp.status == 200, (path, await resp.text())
                assert resp.headers["X-Cache"] == "MISS", path
                assert resp.headers["Access-Control-Allow-Origin"] == "*"
                assert "x-amz-request-id" not in resp.headers
                body = await resp.read()
            if path.endswith(".ts"):
                assert body == segment(public, int(path[5:13]))
                assert resp.headers["Content-Type"] == "video/mp2t"
        plain = f"{edge.url}/media/vod/{public}/360p/00000001.ts"
        async with viewers_http.get(plain, headers={"Range": "bytes=0-9"}) as resp:
            assert resp.status == 206
            assert await resp.read() == segment(public, 1)[:10]
            assert resp.headers["X-Cache"] == "HIT"
        # Every object came from the store: no media request reached either api process.
        assert await media_total(admins) == before

        # A draft: refused without a token or signature; its staff's preview is served by the
        # api (private, never cached).
        async with viewers_http.get(f"{edge.url}/media/vod/{draft}/360p/00000001.ts") as resp:
            assert resp.status == 403
            assert (await resp.json(content_type=None))["error"]["code"] == "playback_refused"
        status, started = await Api(http, edge.url, admin.token).call(
            "POST", "/api/v1/play", {"item_type": "resource", "item_id": draft, "terminal": "web"}
        )
        assert status == 201, started
        preview = edge.url + started["master_url"].rsplit("/", 1)[0] + "/360p/00000001.ts"
        for _ in range(2):
            async with viewers_http.get(preview) as resp:
                assert resp.status == 200, await resp.text()
                assert await resp.read() == segment(draft, 1)
                assert "private" in resp.headers["Cache-Control"]
                assert resp.headers.get("X-Cache") != "HIT"
        assert await media_total(admins) == before + 2
