"""Every route of the OpenAPI document × caller × own/foreign organization: the status each
cell gets, as one table a reader can check against DESIGN.md § Accounts.

The world, built once for the module: a province with one city and two counties, 甲县 (the
callers' own) and 乙县 (foreign). In each county: a viewer (the user the user routes act on),
a published live event, a series, a ready published resource that is its first episode,
and an upload (in 甲县 sent by the editor, in 乙县 by the platform admin). The callers:
``platform_admin`` (no organization), and an ``org_admin``, an ``editor`` and a ``viewer`` of
甲县; ``anonymous`` sends no token. Routes that use an object up (delete, stop, log out,
append) get a fresh one per cell, made by the platform admin (uploads as above).

The rules the table follows (DESIGN.md § Accounts, ``core/access.py``):

- **401** without a token where one is required (before anything else is looked at);
- **404** for another organization's objects: nobody learns what another organization has;
  the same for what the caller may not see at all (a draft, someone else's upload, the
  platform's job queue);
- **403** for an object the caller can see but whose role may not act on it (a viewer
  changing its county's published event, an editor managing people);
- **2xx** where allowed: org admins manage people and content of their subtree, editors
  content and its statistics, viewers nothing; platform admins everything, everywhere.
  Uploads are their uploader's and its organization admins' (``media/uploads``).

Each cell is one test (so a known bug can be one strict xfail), and
:func:`test_the_table_names_every_route_of_the_openapi_document` fails when a route is added
without a row here.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer

from culturecast.server.app import create_app
from tests.integration.server.conftest import ADMIN_PASSWORD, app_settings
from tests.support.api import Api
from tests.support.media import TUS, make_mp3, metadata

pytestmark = pytest.mark.asyncio(loop_scope="module")

PASSWORD = "matrix-pass-1"
ROLES = ("anonymous", "viewer", "editor", "org_admin", "platform_admin")
SIDES = ("own", "foreign")

# Expected status per cell: one column per caller, each "own/foreign" (the object, or the
# organization named in the request, is in the callers' county, or in the other one). A
# trailing "x" marks a known bug: the cell holds the correct status and is a strict xfail
# whose reason is in BUGS.
TABLE = """
method  path                                       anon      viewer    editor    org_admin platform
GET     /healthz                                   200/200   200/200   200/200   200/200   200/200
GET     /readyz                                    200/200   200/200   200/200   200/200   200/200
GET     /metrics                                   200/200   200/200   200/200   200/200   200/200
GET     /api/v1/openapi.json                       200/200   200/200   200/200   200/200   200/200
POST    /api/v1/auth/login                         200/200   200/200   200/200   200/200   200/200
POST    /api/v1/auth/logout                        401/401   204/204   204/204   204/204   204/204
GET     /api/v1/auth/me                            401/401   200/200   200/200   200/200   200/200
GET     /api/v1/orgs                               401/401   403/404   200/404   200/404   200/200
POST    /api/v1/orgs                               401/401   403/404   403/404   201/404   201/201
GET     /api/v1/orgs/{org_id}                      401/401   403/404   200/404   200/404   200/200
PATCH   /api/v1/orgs/{org_id}                      401/401   403/404   403/404   200/404   200/200
DELETE  /api/v1/orgs/{org_id}                      401/401   403/404   403/404   204/404   204/204
GET     /api/v1/users                              401/401   403/404   403/404   200/404   200/200
POST    /api/v1/users                              401/401   403/404   403/404   201/404   201/201
GET     /api/v1/users/{user_id}                    401/401   403/404   403/404   200/404   200/200
PATCH   /api/v1/users/{user_id}                    401/401   403/404   403/404   200/404   200/200
DELETE  /api/v1/users/{user_id}                    401/401   403/404   403/404   204/404   204/204
GET     /api/v1/jobs/{job_id}                      401/401   404/404   404/404   404/404   200/200
POST    /api/v1/live                               401/401   403/404   201/404   201/404   201/201
GET     /api/v1/live                               200/200   200/200   200/200   200/200   200/200
GET     /api/v1/live/refusals                      401/401   404/404   404/404   404/404   200/200
GET     /api/v1/live/{event_id}                    200/200   200/200   200/200   200/200   200/200
PATCH   /api/v1/live/{event_id}                    401/401   403/404   200/404   200/404   200/200
DELETE  /api/v1/live/{event_id}                    401/401   403/404   204/404   204/404   204/204
PUT     /api/v1/live/{event_id}/cover              401/401   403/404   200/404   200/404   200/200
DELETE  /api/v1/live/{event_id}/cover              401/401   403/404   200/404   200/404   200/200
POST    /api/v1/live/{event_id}/key                401/401   403/404   200/404   200/404   200/200
POST    /api/v1/live/{event_id}/stop               401/401   403/404   200/404   200/404   200/200
GET     /api/v1/live/{event_id}/health             401/401   403/404   200/404   200/404   200/200
GET     /api/v1/live/{event_id}/refusals           401/401   403/404   200/404   200/404   200/200
GET     /api/v1/live/{event_id}/targets            401/401   403/404   200/404   200/404   200/200
POST    /api/v1/live/{event_id}/targets            401/401   403/404   201/404   201/404   201/201
DELETE  /api/v1/live/{event_id}/targets/{target_id} 401/401  403/404   204/404   204/404   204/204
GET     /api/v1/live/{event_id}/comments           200/200   200/200   200/200   200/200   200/200
OPTIONS /api/v1/uploads                            204/204   204/204   204/204   204/204   204/204
POST    /api/v1/uploads                            401/401   403/404   201/404   201/404   201/201
HEAD    /api/v1/uploads/{upload_id}                401/401   404/404   200/404   200/404   200/200
PATCH   /api/v1/uploads/{upload_id}                401/401   404/404   204/404   204/404   204/204
DELETE  /api/v1/uploads/{upload_id}                401/401   404/404   204/404   204/404   204/204
GET     /api/v1/categories                         200/200   200/200   200/200   200/200   200/200
POST    /api/v1/resources                          401/401   404/404   201/404   201/404   201/201
GET     /api/v1/resources                          200/200   200/200   200/200   200/200   200/200
GET     /api/v1/resources/{resource_id}            200/200   200/200   200/200   200/200   200/200
PATCH   /api/v1/resources/{resource_id}            401/401   403/404   200/404   200/404   200/200
PUT     /api/v1/resources/{resource_id}/cover      401/401   403/404   200/404   200/404   200/200
DELETE  /api/v1/resources/{resource_id}/cover      401/401   403/404   200/404   200/404   200/200
DELETE  /api/v1/resources/{resource_id}            401/401   404/404   204/404   204/404   204/204
POST    /api/v1/resources/{resource_id}/retry      401/401   404/404   202/404   202/404   202/202
POST    /api/v1/resources/{resource_id}/publish    401/401   404/404   409/404   409/404   409/409
POST    /api/v1/resources/{resource_id}/unpublish  401/401   404/404   200/404   200/404   200/200
POST    /api/v1/series                             401/401   403/404   201/404   201/404   201/201
GET     /api/v1/series                             200/200   200/200   200/200   200/200   200/200
GET     /api/v1/series/{series_id}                 200/200   200/200   200/200   200/200   200/200
PATCH   /api/v1/series/{series_id}                 401/401   403/404   200/404   200/404   200/200
PUT     /api/v1/series/{series_id}/cover           401/401   403/404   200/404   200/404   200/200
DELETE  /api/v1/series/{series_id}/cover           401/401   403/404   200/404   200/404   200/200
DELETE  /api/v1/series/{series_id}                 401/401   403/404   204/404   204/404   204/204
GET     /api/v1/series/{series_id}/next            200/200   200/200   200/200   200/200   200/200
POST    /api/v1/series/{series_id}/publish         401/401   403/404   200/404   200/404   200/200
POST    /api/v1/series/{series_id}/unpublish       401/401   403/404   200/404   200/404   200/200
POST    /api/v1/play                               201/201   201/201   201/201   201/201   201/201
POST    /api/v1/views/heartbeat                    204/204   204/204   204/204   204/204   204/204
GET     /api/v1/stats/items/{item_type}/{item_id}  401/401   403/404   200/404   200/404   200/200
GET     /api/v1/stats/live/{event_id}              401/401   403/404   200/404   200/404   200/200
GET     /api/v1/stats/orgs/{org_id}                401/401   403/404   200/404   200/404   200/200
GET     /api/v1/stats/orgs/{org_id}/ranking        401/401   403/404   200/404   200/404   200/200
GET     /api/v1/stats/orgs/{org_id}/monthly        401/401   403/404   200/404   200/404   200/200
GET     /api/v1/stats/live/{event_id}/report       401/401   403/404   200/404   200/404   200/200
POST    /api/v1/media/signed-urls                  401/401   403/404   200/404   200/404   200/200
GET     /api/v1/stats/orgs/{org_id}/realtime       401/401   403/404   200/404   200/404   200/200
GET     /api/v1/stats/orgs/{org_id}/realtime/stream 401/401  403/404   200/404   200/404   200/200
POST    /api/v1/resources/{item_id}/like           200/200   200/200   200/200   200/200   200/200
DELETE  /api/v1/resources/{item_id}/like           200/200   200/200   200/200   200/200   200/200
POST    /api/v1/live/{item_id}/like                200/200   200/200   200/200   200/200   200/200
DELETE  /api/v1/live/{item_id}/like                200/200   200/200   200/200   200/200   200/200
POST    /api/v1/favorites/{item_type}/{item_id}    200/200   200/200   200/200   200/200   200/200
DELETE  /api/v1/favorites/{item_type}/{item_id}    200/200   200/200   200/200   200/200   200/200
GET     /api/v1/favorites                          200/200   200/200   200/200   200/200   200/200
POST    /api/v1/shares/{item_type}/{item_id}       200/200   200/200   200/200   200/200   200/200
GET     /api/v1/engagement/{item_type}/{item_id}   200/200   200/200   200/200   200/200   200/200
POST    /api/v1/campaigns                          401/401   403/404   201/404   201/404   201/201
GET     /api/v1/campaigns                          200/200   200/200   200/200   200/200   200/200
GET     /api/v1/campaigns/{campaign_id}            200/200   200/200   200/200   200/200   200/200
POST    /api/v1/campaigns/{campaign_id}/votes      200/200   200/200   200/200   200/200   200/200
"""

# Notes on cells that might surprise a reader:
# - resources' delete/retry/publish/unpublish act on a fresh resource, which is a draft (not
#   ready): a viewer cannot see it, so 404; PATCH acts on the published one, which it reads.
# - POST /resources names an upload; the viewer's 404 is the upload's (it is not theirs).
# - /live/refusals lists what no event can be named for: the platform's, in no organization's
#   subtree, so to every other caller it does not exist (404), like /jobs/{id}.
# - /jobs/{id} is the platform operators' queue; staff follow their jobs on the resources.

BUGS: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Cell:
    method: str
    path: str
    role: str
    side: str
    status: int
    known_bug: bool


def parse_table(text: str) -> list[Cell]:
    lines = [line.split() for line in text.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert tuple(header[2:]) == ("anon", "viewer", "editor", "org_admin", "platform"), header
    cells = []
    for method, path, *columns in rows:
        assert len(columns) == len(ROLES), (method, path)
        for role, column in zip(ROLES, columns, strict=True):
            for side, entry in zip(SIDES, column.split("/"), strict=True):
                bug = entry.endswith("x")
                cells.append(Cell(method, path, role, side, int(entry.rstrip("x")), bug))
    return cells


CELLS = parse_table(TABLE)
ROUTES = sorted({(c.method, c.path) for c in CELLS})

# The same routes on drafts: a live event and a series made with ``published: false`` (a fresh
# one per cell). A draft exists only for the staff of its subtree (``live/visibility.py``,
# ``core/access.py``): to everyone else — a viewer of its own county included — every route
# answers the 404 of an unknown id, never the 403 that would say it is there.
DRAFT_TABLE = """
method  path                                       anon      viewer    editor    org_admin platform
GET     /api/v1/live/{event_id}                    404/404   404/404   200/404   200/404   200/200
PATCH   /api/v1/live/{event_id}                    401/401   404/404   200/404   200/404   200/200
DELETE  /api/v1/live/{event_id}                    401/401   404/404   204/404   204/404   204/204
PUT     /api/v1/live/{event_id}/cover              401/401   404/404   200/404   200/404   200/200
DELETE  /api/v1/live/{event_id}/cover              401/401   404/404   200/404   200/404   200/200
POST    /api/v1/live/{event_id}/key                401/401   404/404   200/404   200/404   200/200
POST    /api/v1/live/{event_id}/stop               401/401   404/404   200/404   200/404   200/200
GET     /api/v1/live/{event_id}/health             401/401   404/404   200/404   200/404   200/200
GET     /api/v1/live/{event_id}/refusals           401/401   404/404   200/404   200/404   200/200
GET     /api/v1/live/{event_id}/comments           404/404   404/404   200/404   200/404   200/200
GET     /api/v1/stats/live/{event_id}              401/401   404/404   200/404   200/404   200/200
GET     /api/v1/series/{series_id}                 404/404   404/404   200/404   200/404   200/200
PATCH   /api/v1/series/{series_id}                 401/401   404/404   200/404   200/404   200/200
DELETE  /api/v1/series/{series_id}                 401/401   404/404   204/404   204/404   204/204
POST    /api/v1/series/{series_id}/publish         401/401   404/404   200/404   200/404   200/200
POST    /api/v1/series/{series_id}/unpublish       401/401   404/404   200/404   200/404   200/200
PUT     /api/v1/series/{series_id}/cover           401/401   404/404   200/404   200/404   200/200
DELETE  /api/v1/series/{series_id}/cover           401/401   404/404   200/404   200/404   200/200
"""
DRAFT_CELLS = parse_table(DRAFT_TABLE)


# -- the world ------------------------------------------------------------------------------


@dataclass
class Side:
    """The objects of one county."""

    org_id: str
    user_id: str
    event_id: str
    series_id: str
    resource_id: str
    job_id: str
    upload_id: str
    uploader: Api
    """Who sends this county's uploads (the editor in 甲县, the platform admin in 乙县)."""


@dataclass
class World:
    admin: Api
    callers: dict[str, Api]
    sides: dict[str, Side]
    category: str
    usernames: dict[str, str]
    seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def fresh(self, prefix: str) -> str:
        return f"{prefix}{next(self.seq)}"


async def wait_status(api: Api, resource_id: str, statuses: set[str]) -> dict[str, Any]:
    """Until the resource's processing reached one of ``statuses`` (it is a job)."""
    deadline = time.monotonic() + 120
    while True:
        body: dict[str, Any] = await api.ok("GET", f"/api/v1/resources/{resource_id}")
        if body["status"] in statuses:
            return body
        assert time.monotonic() < deadline, body
        await asyncio.sleep(0.2)


async def upload(who: Api, org_id: str, data: bytes) -> str:
    """A finished upload of ``data`` sent by ``who`` for ``org_id``; returns its id."""
    auth = {"Authorization": f"Bearer {who.token}", **TUS}
    headers = {**auth, "Upload-Length": str(len(data)), "Upload-Metadata": metadata(org_id=org_id)}
    async with who.session.post(who.base + "/api/v1/uploads", headers=headers) as resp:
        assert resp.status == 201, await resp.text()
        upload_id = resp.headers["Location"].rsplit("/", 1)[1]
    if data:
        patch = {**auth, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
        url = f"{who.base}/api/v1/uploads/{upload_id}"
        async with who.session.patch(url, headers=patch, data=data) as resp:
            assert resp.status == 204, await resp.text()
    return upload_id


async def new_resource(w: World, side: str, *, failed: bool = False, **fields: Any) -> str:
    """A fresh resource (a draft: an empty upload never becomes ready) of ``side``'s county."""
    s = w.sides[side]
    upload_id = await upload(w.admin, s.org_id, b"")
    body = {"upload_id": upload_id, "title": w.fresh("资源"), "category": w.category, **fields}
    created = await w.admin.ok("POST", "/api/v1/resources", body, expect=201)
    if failed:
        await wait_status(w.admin, created["id"], {"failed"})
    return str(created["id"])


async def new_event(w: World, side: str) -> str:
    body = {"org_id": w.sides[side].org_id, "title": w.fresh("村晚"), "published": True}
    return str((await w.admin.ok("POST", "/api/v1/live", body, expect=201))["id"])


async def build_world(admin: Api, media: Path) -> World:
    province = await admin.ok("POST", "/api/v1/orgs", {"name": "浙江省"}, expect=201)
    city = await admin.ok(
        "POST", "/api/v1/orgs", {"name": "金华市", "parent_id": province["id"]}, expect=201
    )
    counties = {}
    for side, name in (("own", "甲县"), ("foreign", "乙县")):
        body = {"name": name, "parent_id": city["id"]}
        counties[side] = (await admin.ok("POST", "/api/v1/orgs", body, expect=201))["id"]
    callers = {"platform_admin": admin, "anonymous": admin.as_user(None)}
    usernames = {"platform_admin": "admin"}
    for role in ("org_admin", "editor", "viewer"):
        body = {"username": role, "password": PASSWORD, "role": role, "org_id": counties["own"]}
        await admin.ok("POST", "/api/v1/users", body, expect=201)
        callers[role] = await admin.login(role, PASSWORD)
        usernames[role] = role
    category = (await admin.ok("GET", "/api/v1/categories"))["items"][0]["code"]
    mp3 = (await asyncio.to_thread(make_mp3, media / "matrix.mp3", 2)).read_bytes()
    sides = {}
    for side, org_id in counties.items():
        user = await admin.ok(
            "POST",
            "/api/v1/users",
            {
                "username": f"target-{side}",
                "password": PASSWORD,
                "role": "viewer",
                "org_id": org_id,
            },
            expect=201,
        )
        event = await admin.ok(
            "POST", "/api/v1/live", {"org_id": org_id, "title": "村晚", "published": True}, 201
        )
        series = await admin.ok(
            "POST",
            "/api/v1/series",
            {"org_id": org_id, "title": "三国演义", "published": True},
            expect=201,
        )
        resource = await admin.ok(
            "POST",
            "/api/v1/resources",
            {
                "upload_id": await upload(admin, org_id, mp3),
                "title": "评书第一回",
                "category": category,
                "series_id": series["id"],
                "episode": 1,
                "published": True,
            },
            expect=201,
        )
        uploader = callers["editor"] if side == "own" else admin
        sides[side] = Side(
            org_id=org_id,
            user_id=user["id"],
            event_id=event["id"],
            series_id=series["id"],
            resource_id=resource["id"],
            job_id=resource["job_id"],
            upload_id=await upload(uploader, org_id, b""),
            uploader=uploader,
        )
    for s in sides.values():
        assert (await wait_status(admin, s.resource_id, {"ready", "failed"}))["status"] == "ready"
    return World(admin, callers, sides, category, usernames)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    data_dir = tmp_path_factory.mktemp("matrix")
    settings = app_settings(
        data_dir,
        CULTURECAST_VOD_PRESET="ultrafast",
        CULTURECAST_SIGNING_SECRET="matrix-signing-secret-0123456789",
    )
    server = TestServer(create_app(settings, "standalone"), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            base = str(server.make_url("/"))
            admin = await Api(session, base).login("admin", ADMIN_PASSWORD)
            yield await build_world(admin, tmp_path_factory.mktemp("matrix-media"))
    finally:
        await server.close()


# -- how each route is called ---------------------------------------------------------------

type Call = Callable[[World, Api, str, str], Awaitable[int]]
"""(world, caller, role, side) → the status."""


async def send(
    who: Api,
    method: str,
    path: str,
    json: Any = None,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> int:
    if method == "HEAD":  # no body, so not through Api.call's error-shape check
        auth = {"Authorization": f"Bearer {who.token}"} if who.token else {}
        async with who.session.head(who.base + path, headers={**auth, **(headers or {})}) as r:
            return r.status
    return (await who.call(method, path, json, data=data, headers=headers))[0]


def simple(method: str, path: str, body: Callable[[World, str], Any] | None = None) -> Call:
    """Call ``path`` with the side's shared objects filled in."""

    async def call(w: World, who: Api, role: str, side: str) -> int:
        s = w.sides[side]
        filled = path.format(
            org_id=s.org_id,
            user_id=s.user_id,
            event_id=s.event_id,
            series_id=s.series_id,
            resource_id=s.resource_id,
            job_id=s.job_id,
            upload_id=s.upload_id,
        )
        return await send(who, method, filled, None if body is None else body(w, side))

    return call


async def login(w: World, who: Api, role: str, side: str) -> int:
    name = w.usernames.get(role, "viewer")
    password = ADMIN_PASSWORD if name == "admin" else PASSWORD
    return await send(who, "POST", "/api/v1/auth/login", {"username": name, "password": password})


async def logout(w: World, who: Api, role: str, side: str) -> int:
    if role != "anonymous":  # a token of its own: the caller's stays valid for other cells
        name = w.usernames[role]
        who = await who.login(name, ADMIN_PASSWORD if name == "admin" else PASSWORD)
    return await send(who, "POST", "/api/v1/auth/logout")


async def delete_org(w: World, who: Api, role: str, side: str) -> int:
    body = {"name": w.fresh("待删乡"), "parent_id": w.sides[side].org_id}
    child = await w.admin.ok("POST", "/api/v1/orgs", body, expect=201)
    return await send(who, "DELETE", f"/api/v1/orgs/{child['id']}")


async def delete_user(w: World, who: Api, role: str, side: str) -> int:
    body = {
        "username": w.fresh("victim"),
        "password": PASSWORD,
        "role": "viewer",
        "org_id": w.sides[side].org_id,
    }
    victim = await w.admin.ok("POST", "/api/v1/users", body, expect=201)
    return await send(who, "DELETE", f"/api/v1/users/{victim['id']}")


def on_fresh_event(method: str, suffix: str) -> Call:
    async def call(w: World, who: Api, role: str, side: str) -> int:
        return await send(who, method, f"/api/v1/live/{await new_event(w, side)}{suffix}")

    return call


def on_fresh_resource(method: str, suffix: str, *, failed: bool = False) -> Call:
    async def call(w: World, who: Api, role: str, side: str) -> int:
        resource_id = await new_resource(w, side, failed=failed)
        return await send(who, method, f"/api/v1/resources/{resource_id}{suffix}")

    return call


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005000201e5273de40000000049454e44ae426082"
)
"""A 1×1 PNG: a cover (``core/covers.py`` reads its type from these bytes)."""


def put_cover(path: str) -> Call:
    """Send the side's item a cover, as the console does (the raw picture as the body)."""

    async def call(w: World, who: Api, role: str, side: str) -> int:
        s = w.sides[side]
        filled = path.format(event_id=s.event_id, series_id=s.series_id, resource_id=s.resource_id)
        headers = {"Content-Type": "image/png"}
        return await send(who, "PUT", filled, data=PNG, headers=headers)

    return call


def target_body(w: World, side: str) -> dict[str, Any]:
    return {"name": w.fresh("抖音"), "url": "rtmp://push.example.com/live", "key": "k"}


async def delete_target(w: World, who: Api, role: str, side: str) -> int:
    path = f"/api/v1/live/{w.sides[side].event_id}/targets"
    target = await w.admin.ok("POST", path, target_body(w, side), expect=201)
    return await send(who, "DELETE", f"{path}/{target['id']}")


async def delete_series(w: World, who: Api, role: str, side: str) -> int:
    body = {"org_id": w.sides[side].org_id, "title": w.fresh("待删专辑"), "published": True}
    series = await w.admin.ok("POST", "/api/v1/series", body, expect=201)
    return await send(who, "DELETE", f"/api/v1/series/{series['id']}")


def on_fresh_series(suffix: str) -> Call:
    """Publish or unpublish a fresh published series of the side's county holding a fresh
    (never ready) episode."""

    async def call(w: World, who: Api, role: str, side: str) -> int:
        body = {"org_id": w.sides[side].org_id, "title": w.fresh("评书专辑"), "published": True}
        series = await w.admin.ok("POST", "/api/v1/series", body, expect=201)
        await new_resource(w, side, series_id=series["id"], episode=1)
        return await send(who, "POST", f"/api/v1/series/{series['id']}{suffix}")

    return call


async def create_upload(w: World, who: Api, role: str, side: str) -> int:
    headers = {
        **TUS,
        "Upload-Length": "4",
        "Upload-Metadata": metadata(org_id=w.sides[side].org_id),
    }
    return await send(who, "POST", "/api/v1/uploads", headers=headers)


async def fresh_upload(w: World, side: str) -> str:
    s = w.sides[side]
    auth = {"Authorization": f"Bearer {s.uploader.token}", **TUS}
    headers = {**auth, "Upload-Length": "2", "Upload-Metadata": metadata(org_id=s.org_id)}
    async with s.uploader.session.post(s.uploader.base + "/api/v1/uploads", headers=headers) as r:
        assert r.status == 201, await r.text()
        return r.headers["Location"].rsplit("/", 1)[1]


async def append_upload(w: World, who: Api, role: str, side: str) -> int:
    upload_id = await fresh_upload(w, side)
    headers = {**TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
    return await send(who, "PATCH", f"/api/v1/uploads/{upload_id}", data=b"x", headers=headers)


async def terminate_upload(w: World, who: Api, role: str, side: str) -> int:
    upload_id = await fresh_upload(w, side)
    return await send(who, "DELETE", f"/api/v1/uploads/{upload_id}", headers=dict(TUS))


async def head_upload(w: World, who: Api, role: str, side: str) -> int:
    return await send(who, "HEAD", f"/api/v1/uploads/{w.sides[side].upload_id}", headers=TUS)


async def create_resource(w: World, who: Api, role: str, side: str) -> int:
    s = w.sides[side]
    body = {
        "upload_id": await upload(s.uploader, s.org_id, b""),
        "title": w.fresh("新资源"),
        "category": w.category,
    }
    return await send(who, "POST", "/api/v1/resources", body)


async def next_episode(w: World, who: Api, role: str, side: str) -> int:
    s = w.sides[side]
    return await send(who, "GET", f"/api/v1/series/{s.series_id}/next?after={s.resource_id}")


def play_body(w: World, side: str) -> dict[str, Any]:
    return {"item_type": "resource", "item_id": w.sides[side].resource_id, "terminal": "web"}


def on_item(method: str, path: str, *, live: bool = False) -> Call:
    """Like, favorite or share the side's published resource (or live event)."""

    async def call(w: World, who: Api, role: str, side: str) -> int:
        s = w.sides[side]
        return await send(who, method, path.format(s.event_id if live else s.resource_id))

    return call


def campaign_body(w: World, side: str) -> dict[str, Any]:
    return {
        "org_id": w.sides[side].org_id,
        "title": "云上合唱展演",
        "starts_at": time.time() - 60,
        "ends_at": time.time() + 86_400,
        "entries": [{"item_type": "resource", "item_id": w.sides[side].resource_id}],
        "votes_per_day": 2,
        "guests": True,
    }


def on_campaign(method: str, suffix: str) -> Call:
    """Read or vote in a fresh campaign of the side's county."""

    async def call(w: World, who: Api, role: str, side: str) -> int:
        made = await w.admin.ok("POST", "/api/v1/campaigns", campaign_body(w, side), 201)
        body = {"entry_id": "e1"} if method == "POST" else None
        return await send(who, method, f"/api/v1/campaigns/{made['id']}{suffix}", body)

    return call


async def heartbeat(w: World, who: Api, role: str, side: str) -> int:
    started = await w.callers["anonymous"].ok("POST", "/api/v1/play", play_body(w, side), 201)
    body = {"session_id": started["session_id"], "position_s": 1, "state": "playing"}
    return await send(who, "POST", "/api/v1/views/heartbeat", body)


async def item_stats(w: World, who: Api, role: str, side: str) -> int:
    return await send(who, "GET", f"/api/v1/stats/items/live/{w.sides[side].event_id}")


async def realtime_stream(w: World, who: Api, role: str, side: str) -> int:
    """The stream's status only: a 200 stream never ends by itself."""
    url = who.base + f"/api/v1/stats/orgs/{w.sides[side].org_id}/realtime/stream"
    headers = {"Authorization": f"Bearer {who.token}"} if who.token else {}
    async with who.session.get(url, headers=headers) as resp:
        return resp.status


def org_body(w: World, side: str) -> dict[str, Any]:
    return {"name": w.fresh("新乡镇"), "parent_id": w.sides[side].org_id}


def user_body(w: World, side: str) -> dict[str, Any]:
    return {
        "username": w.fresh("new"),
        "password": PASSWORD,
        "role": "editor",
        "org_id": w.sides[side].org_id,
    }


CALLS: dict[tuple[str, str], Call] = {
    ("POST", "/api/v1/auth/login"): login,
    ("POST", "/api/v1/auth/logout"): logout,
    ("GET", "/api/v1/orgs"): simple("GET", "/api/v1/orgs?parent_id={org_id}"),
    ("GET", "/api/v1/live/{event_id}/comments"): simple(
        "GET", "/api/v1/live/{event_id}/comments?from=0&to=60"
    ),
    ("POST", "/api/v1/orgs"): simple("POST", "/api/v1/orgs", org_body),
    ("PATCH", "/api/v1/orgs/{org_id}"): simple(
        "PATCH", "/api/v1/orgs/{org_id}", lambda w, s: {"guest_chat": True}
    ),
    ("DELETE", "/api/v1/orgs/{org_id}"): delete_org,
    ("GET", "/api/v1/users"): simple("GET", "/api/v1/users?org_id={org_id}"),
    ("POST", "/api/v1/users"): simple("POST", "/api/v1/users", user_body),
    ("PATCH", "/api/v1/users/{user_id}"): simple(
        "PATCH", "/api/v1/users/{user_id}", lambda w, s: {"display_name": "新名字"}
    ),
    ("DELETE", "/api/v1/users/{user_id}"): delete_user,
    ("POST", "/api/v1/live"): simple(
        "POST", "/api/v1/live", lambda w, s: {"org_id": w.sides[s].org_id, "title": "新直播"}
    ),
    ("PATCH", "/api/v1/live/{event_id}"): simple(
        "PATCH", "/api/v1/live/{event_id}", lambda w, s: {"title": "越剧《梁祝》"}
    ),
    ("DELETE", "/api/v1/live/{event_id}"): on_fresh_event("DELETE", ""),
    ("PUT", "/api/v1/live/{event_id}/cover"): put_cover("/api/v1/live/{event_id}/cover"),
    ("POST", "/api/v1/live/{event_id}/stop"): on_fresh_event("POST", "/stop"),
    ("POST", "/api/v1/live/{event_id}/targets"): simple(
        "POST", "/api/v1/live/{event_id}/targets", target_body
    ),
    ("DELETE", "/api/v1/live/{event_id}/targets/{target_id}"): delete_target,
    ("POST", "/api/v1/uploads"): create_upload,
    ("HEAD", "/api/v1/uploads/{upload_id}"): head_upload,
    ("PATCH", "/api/v1/uploads/{upload_id}"): append_upload,
    ("DELETE", "/api/v1/uploads/{upload_id}"): terminate_upload,
    ("POST", "/api/v1/resources"): create_resource,
    ("PATCH", "/api/v1/resources/{resource_id}"): simple(
        "PATCH", "/api/v1/resources/{resource_id}", lambda w, s: {"performer": "单田芳"}
    ),
    ("DELETE", "/api/v1/resources/{resource_id}"): on_fresh_resource("DELETE", ""),
    ("PUT", "/api/v1/resources/{resource_id}/cover"): put_cover(
        "/api/v1/resources/{resource_id}/cover"
    ),
    ("POST", "/api/v1/resources/{resource_id}/retry"): on_fresh_resource(
        "POST", "/retry", failed=True
    ),
    # A fresh resource (an empty upload) fails, and a failed one is not publishable: the
    # 409 comes only after the caller was found allowed to manage it.
    ("POST", "/api/v1/resources/{resource_id}/publish"): on_fresh_resource(
        "POST", "/publish", failed=True
    ),
    ("POST", "/api/v1/resources/{resource_id}/unpublish"): on_fresh_resource("POST", "/unpublish"),
    ("POST", "/api/v1/series"): simple(
        "POST", "/api/v1/series", lambda w, s: {"org_id": w.sides[s].org_id, "title": "新专辑"}
    ),
    ("PATCH", "/api/v1/series/{series_id}"): simple(
        "PATCH", "/api/v1/series/{series_id}", lambda w, s: {"performer": "袁阔成"}
    ),
    ("DELETE", "/api/v1/series/{series_id}"): delete_series,
    ("PUT", "/api/v1/series/{series_id}/cover"): put_cover("/api/v1/series/{series_id}/cover"),
    ("GET", "/api/v1/series/{series_id}/next"): next_episode,
    # On a fresh published series with an episode: unpublishing the shared one would take
    # the shared resource off the site for the other cells.
    ("POST", "/api/v1/series/{series_id}/publish"): on_fresh_series("/publish"),
    ("POST", "/api/v1/series/{series_id}/unpublish"): on_fresh_series("/unpublish"),
    ("POST", "/api/v1/play"): simple("POST", "/api/v1/play", play_body),
    ("POST", "/api/v1/views/heartbeat"): heartbeat,
    ("GET", "/api/v1/stats/items/{item_type}/{item_id}"): item_stats,
    ("GET", "/api/v1/stats/orgs/{org_id}/realtime/stream"): realtime_stream,
    ("POST", "/api/v1/media/signed-urls"): simple(
        "POST",
        "/api/v1/media/signed-urls",
        lambda w, s: {"item_type": "resource", "item_id": w.sides[s].resource_id},
    ),
    ("POST", "/api/v1/resources/{item_id}/like"): on_item("POST", "/api/v1/resources/{}/like"),
    ("DELETE", "/api/v1/resources/{item_id}/like"): on_item("DELETE", "/api/v1/resources/{}/like"),
    ("POST", "/api/v1/live/{item_id}/like"): on_item("POST", "/api/v1/live/{}/like", live=True),
    ("DELETE", "/api/v1/live/{item_id}/like"): on_item("DELETE", "/api/v1/live/{}/like", live=True),
    ("POST", "/api/v1/favorites/{item_type}/{item_id}"): on_item(
        "POST", "/api/v1/favorites/resource/{}"
    ),
    ("DELETE", "/api/v1/favorites/{item_type}/{item_id}"): on_item(
        "DELETE", "/api/v1/favorites/resource/{}"
    ),
    ("POST", "/api/v1/shares/{item_type}/{item_id}"): on_item("POST", "/api/v1/shares/resource/{}"),
    ("GET", "/api/v1/engagement/{item_type}/{item_id}"): on_item(
        "GET", "/api/v1/engagement/resource/{}"
    ),
    ("POST", "/api/v1/campaigns"): simple("POST", "/api/v1/campaigns", campaign_body),
    ("GET", "/api/v1/campaigns/{campaign_id}"): on_campaign("GET", ""),
    ("POST", "/api/v1/campaigns/{campaign_id}/votes"): on_campaign("POST", "/votes"),
}


async def new_draft(w: World, side: str, kind: str) -> str:
    """A fresh draft (``published: false``) live event or series of ``side``'s county."""
    body = {"org_id": w.sides[side].org_id, "title": w.fresh("草稿"), "published": False}
    path = "/api/v1/live" if kind == "event_id" else "/api/v1/series"
    return str((await w.admin.ok("POST", path, body, expect=201))["id"])


DRAFT_BODIES: dict[tuple[str, str], Any] = {
    ("PATCH", "/api/v1/live/{event_id}"): {"title": "越剧《梁祝》"},
    ("PATCH", "/api/v1/series/{series_id}"): {"performer": "袁阔成"},
}


async def call_draft(w: World, who: Api, cell: Cell) -> int:
    kind = "event_id" if "{event_id}" in cell.path else "series_id"
    path = cell.path.format(**{kind: await new_draft(w, cell.side, kind)})
    if path.endswith("/comments"):
        path += "?from=0&to=60"
    if cell.method == "PUT" and path.endswith("/cover"):
        return await send(who, "PUT", path, data=PNG, headers={"Content-Type": "image/png"})
    return await send(who, cell.method, path, DRAFT_BODIES.get((cell.method, cell.path)))


def call_of(method: str, path: str) -> Call:
    return CALLS.get((method, path)) or simple(method, path)


# -- the tests ------------------------------------------------------------------------------


def _param(cell: Cell) -> Any:
    marks = []
    if cell.known_bug:
        marks.append(pytest.mark.xfail(reason=BUGS[(cell.method, cell.path)], strict=True))
    return pytest.param(cell, marks=marks, id=f"{cell.method} {cell.path} {cell.role} {cell.side}")


@pytest.mark.parametrize("cell", [_param(c) for c in CELLS])
async def test_cell(world: World, cell: Cell) -> None:
    call = call_of(cell.method, cell.path)
    status = await call(world, world.callers[cell.role], cell.role, cell.side)
    assert status == cell.status


@pytest.mark.parametrize(
    "cell",
    [pytest.param(c, id=f"draft {c.method} {c.path} {c.role} {c.side}") for c in DRAFT_CELLS],
)
async def test_draft_cell(world: World, cell: Cell) -> None:
    status = await call_draft(world, world.callers[cell.role], cell)
    assert status == cell.status


async def test_the_table_names_every_route_of_the_openapi_document(world: World) -> None:
    doc = await world.admin.ok("GET", "/api/v1/openapi.json")
    documented = {(m.upper(), path) for path, ops in doc["paths"].items() for m in ops}
    assert documented - set(ROUTES) == set(), "add these routes to TABLE"
    assert set(ROUTES) - documented == set(), "these rows name no documented route"
    assert len(CELLS) == len(documented) * len(ROLES) * len(SIDES)
    assert set(BUGS) == {(c.method, c.path) for c in CELLS if c.known_bug}
