"""Role × own/foreign organization × endpoint: what each caller gets.

Foreign objects are 404 (nobody learns what another organization has); objects in the
caller's subtree that the role may not touch are 403; allowed calls succeed.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tests.support.api import Api

PASSWORD = "matrix-pass-1"


@dataclass
class World:
    admin: Api
    callers: dict[str, Api]
    county: dict[str, str]
    """Side ("own"/"foreign") → a county org id."""
    target_user: dict[str, str]
    """Side → a viewer's user id in that county."""
    seq: itertools.count[int] = field(default_factory=itertools.count)
    """Fresh numbers for user names."""


async def build_world(admin: Api) -> World:
    province = await admin.ok("POST", "/api/v1/orgs", {"name": "省"}, expect=201)
    cities = {}
    county = {}
    target_user = {}
    for side in ("own", "foreign"):
        city = await admin.ok(
            "POST", "/api/v1/orgs", {"name": f"{side}市", "parent_id": province["id"]}, expect=201
        )
        cities[side] = city["id"]
        c = await admin.ok(
            "POST", "/api/v1/orgs", {"name": f"{side}县", "parent_id": city["id"]}, expect=201
        )
        county[side] = c["id"]
        u = await admin.ok(
            "POST",
            "/api/v1/users",
            {
                "username": f"target-{side}",
                "password": PASSWORD,
                "role": "viewer",
                "org_id": c["id"],
            },
            expect=201,
        )
        target_user[side] = u["id"]
    callers = {"platform_admin": admin}
    for role in ("org_admin", "editor", "viewer"):
        await admin.ok(
            "POST",
            "/api/v1/users",
            {"username": role, "password": PASSWORD, "role": role, "org_id": cities["own"]},
            expect=201,
        )
        callers[role] = await admin.login(role, PASSWORD)
    return World(admin, callers, county, target_user)


type Call = Callable[[Api, World, str], Awaitable[int]]


async def get_org(api: Api, w: World, side: str) -> int:
    return (await api.call("GET", f"/api/v1/orgs/{w.county[side]}"))[0]


async def patch_org(api: Api, w: World, side: str) -> int:
    return (await api.call("PATCH", f"/api/v1/orgs/{w.county[side]}", {"name": "改名"}))[0]


async def create_child_org(api: Api, w: World, side: str) -> int:
    body = {"name": "新乡镇", "parent_id": w.county[side]}
    return (await api.call("POST", "/api/v1/orgs", body))[0]


async def delete_child_org(api: Api, w: World, side: str) -> int:
    child = await w.admin.ok(
        "POST", "/api/v1/orgs", {"name": "待删", "parent_id": w.county[side]}, expect=201
    )
    return (await api.call("DELETE", f"/api/v1/orgs/{child['id']}"))[0]


async def list_child_orgs(api: Api, w: World, side: str) -> int:
    return (await api.call("GET", f"/api/v1/orgs?parent_id={w.county[side]}"))[0]


async def get_user(api: Api, w: World, side: str) -> int:
    return (await api.call("GET", f"/api/v1/users/{w.target_user[side]}"))[0]


async def patch_user(api: Api, w: World, side: str) -> int:
    body = {"display_name": "新名字"}
    return (await api.call("PATCH", f"/api/v1/users/{w.target_user[side]}", body))[0]


async def create_user(api: Api, w: World, side: str) -> int:
    body = {
        "username": f"new{next(w.seq)}",
        "password": PASSWORD,
        "role": "editor",
        "org_id": w.county[side],
    }
    return (await api.call("POST", "/api/v1/users", body))[0]


async def delete_user(api: Api, w: World, side: str) -> int:
    victim = await w.admin.ok(
        "POST",
        "/api/v1/users",
        {
            "username": f"victim{next(w.seq)}",
            "password": PASSWORD,
            "role": "viewer",
            "org_id": w.county[side],
        },
        expect=201,
    )
    return (await api.call("DELETE", f"/api/v1/users/{victim['id']}"))[0]


async def list_users(api: Api, w: World, side: str) -> int:
    return (await api.call("GET", f"/api/v1/users?org_id={w.county[side]}"))[0]


ENDPOINTS: dict[str, tuple[Call, int]] = {
    # endpoint: (call, success status)
    "GET org": (get_org, 200),
    "GET orgs?parent_id": (list_child_orgs, 200),
    "PATCH org": (patch_org, 200),
    "POST org (child)": (create_child_org, 201),
    "DELETE org (child)": (delete_child_org, 204),
    "GET user": (get_user, 200),
    "GET users?org_id": (list_users, 200),
    "PATCH user": (patch_user, 200),
    "POST user": (create_user, 201),
    "DELETE user": (delete_user, 204),
}

READS_ORGS = {"GET org", "GET orgs?parent_id"}
ORG_ADMIN_ONLY = set(ENDPOINTS) - READS_ORGS


def expected(role: str, side: str, endpoint: str) -> int:
    ok = ENDPOINTS[endpoint][1]
    if role == "platform_admin":
        return ok
    if side == "foreign":
        return 404
    if role == "org_admin":
        return ok
    if role == "editor":
        return ok if endpoint in READS_ORGS else 403
    return 403


async def test_authorization_matrix(admin: Api) -> None:
    world = await build_world(admin)
    got: dict[tuple[str, str, str], int] = {}
    for role, side, endpoint in itertools.product(
        ("platform_admin", "org_admin", "editor", "viewer"), ("own", "foreign"), ENDPOINTS
    ):
        call = ENDPOINTS[endpoint][0]
        got[(role, side, endpoint)] = await call(world.callers[role], world, side)
    wrong = {
        cell: (status, expected(*cell)) for cell, status in got.items() if status != expected(*cell)
    }
    assert not wrong, f"(got, expected) per cell: {wrong}"
    assert len(got) == 4 * 2 * len(ENDPOINTS)


async def test_foreign_listing_shows_nothing_of_the_other_side(admin: Api) -> None:
    world = await build_world(admin)
    org_admin = world.callers["org_admin"]
    orgs = await org_admin.ok("GET", "/api/v1/orgs")
    assert world.county["foreign"] not in {o["id"] for o in orgs["items"]}
    assert world.county["own"] in {o["id"] for o in orgs["items"]}
    users = await org_admin.ok("GET", "/api/v1/users")
    names = {u["username"] for u in users["items"]}
    assert "target-own" in names
    assert "target-foreign" not in names
    assert "admin" not in names


async def test_org_admin_cannot_mint_platform_admins(admin: Api) -> None:
    world = await build_world(admin)
    status, body = await world.callers["org_admin"].call(
        "POST",
        "/api/v1/users",
        {"username": "sneaky", "password": PASSWORD, "role": "platform_admin"},
    )
    assert status == 403
    assert body["error"]["code"] == "forbidden"
