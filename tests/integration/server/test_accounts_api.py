"""Accounts through the HTTP API: sign-in, the five-level tree, users, tokens."""

from __future__ import annotations

from pathlib import Path

from tests.integration.server.conftest import ADMIN_PASSWORD, start_api
from tests.support.api import Api

LEVELS = ["province", "city", "county", "township", "village"]


async def make_tree(admin: Api) -> list[dict[str, object]]:
    parent = None
    orgs = []
    for name in ["浙江省", "杭州市", "淳安县", "千岛湖镇", "下姜村"]:
        body = {"name": name} if parent is None else {"name": name, "parent_id": parent}
        org = await admin.ok("POST", "/api/v1/orgs", body, expect=201)
        orgs.append(org)
        parent = org["id"]
    return orgs


async def test_admin_builds_five_level_tree_and_a_user(admin: Api) -> None:
    orgs = await make_tree(admin)
    assert [o["level_name"] for o in orgs] == LEVELS
    assert [o["level"] for o in orgs] == [1, 2, 3, 4, 5]
    village = orgs[-1]
    assert village["ancestors"] == [o["id"] for o in orgs[:-1]]

    status, body = await admin.call(
        "POST", "/api/v1/orgs", {"name": "第六级", "parent_id": village["id"]}
    )
    assert status == 400
    assert body["error"]["code"] == "too_deep"

    user = await admin.ok(
        "POST",
        "/api/v1/users",
        {
            "username": "Xiajiang",
            "password": "village-pass-1",
            "role": "editor",
            "org_id": village["id"],
            "display_name": "下姜村文化站",
        },
        expect=201,
    )
    assert user["username"] == "xiajiang"
    assert user["org_id"] == village["id"]
    editor = await admin.login("xiajiang", "village-pass-1")
    me = await editor.ok("GET", "/api/v1/auth/me")
    assert me["display_name"] == "下姜村文化站"
    assert me["role"] == "editor"


async def test_tree_and_users_survive_restart(data_dir: Path) -> None:
    async for api in start_api(data_dir):
        admin = await api.login("admin", ADMIN_PASSWORD)
        orgs = await make_tree(admin)
        await admin.ok(
            "POST",
            "/api/v1/users",
            {
                "username": "keeper",
                "password": "keeper-pass-1",
                "role": "org_admin",
                "org_id": orgs[2]["id"],
            },
            expect=201,
        )
    async for api in start_api(data_dir):
        admin = await api.login("admin", ADMIN_PASSWORD)
        listed = await admin.ok("GET", "/api/v1/orgs")
        assert [o["name"] for o in listed["items"]] == [
            "浙江省",
            "杭州市",
            "淳安县",
            "千岛湖镇",
            "下姜村",
        ]
        keeper = await api.login("keeper", "keeper-pass-1")
        mine = await keeper.ok("GET", "/api/v1/orgs")
        assert [o["level_name"] for o in mine["items"]] == ["county", "township", "village"]


async def test_wrong_password_is_401_and_repeated_failures_are_throttled(api: Api) -> None:
    for _ in range(10):
        status, body = await api.call(
            "POST", "/api/v1/auth/login", {"username": "admin", "password": "wrong-password"}
        )
        assert status == 401
        assert body["error"]["code"] == "bad_credentials"
    status, body = await api.call(
        "POST", "/api/v1/auth/login", {"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert status == 429
    assert body["error"]["code"] == "rate_limited"


async def test_unknown_user_and_wrong_password_look_the_same(api: Api) -> None:
    s1, b1 = await api.call(
        "POST", "/api/v1/auth/login", {"username": "nobody", "password": "x" * 8}
    )
    s2, b2 = await api.call(
        "POST", "/api/v1/auth/login", {"username": "admin", "password": "x" * 8}
    )
    assert (s1, b1) == (s2, b2)


async def test_logout_revokes_the_token(admin: Api) -> None:
    await admin.ok("GET", "/api/v1/auth/me")
    await admin.ok("POST", "/api/v1/auth/logout", expect=204)
    status, body = await admin.call("GET", "/api/v1/auth/me")
    assert status == 401
    assert body["error"]["code"] == "bad_token"


async def test_disabling_a_user_ends_their_sessions(admin: Api) -> None:
    province = await admin.ok("POST", "/api/v1/orgs", {"name": "省"}, expect=201)
    user = await admin.ok(
        "POST",
        "/api/v1/users",
        {
            "username": "temp",
            "password": "temp-pass-1",
            "role": "org_admin",
            "org_id": province["id"],
        },
        expect=201,
    )
    temp = await admin.login("temp", "temp-pass-1")
    await temp.ok("GET", "/api/v1/orgs")
    await admin.ok("PATCH", f"/api/v1/users/{user['id']}", {"disabled": True})
    status, _ = await temp.call("GET", "/api/v1/orgs")
    assert status == 401
    status, _ = await admin.call(
        "POST", "/api/v1/auth/login", {"username": "temp", "password": "temp-pass-1"}
    )
    assert status == 401


async def test_duplicate_username_is_409(admin: Api) -> None:
    province = await admin.ok("POST", "/api/v1/orgs", {"name": "省"}, expect=201)
    body = {
        "username": "dup",
        "password": "dup-pass-12",
        "role": "viewer",
        "org_id": province["id"],
    }
    await admin.ok("POST", "/api/v1/users", body, expect=201)
    status, err = await admin.call("POST", "/api/v1/users", {**body, "username": "DUP"})
    assert status == 409
    assert err["error"]["code"] == "username_taken"


async def test_org_with_children_cannot_be_deleted(admin: Api) -> None:
    orgs = await make_tree(admin)
    status, body = await admin.call("DELETE", f"/api/v1/orgs/{orgs[3]['id']}")
    assert status == 409
    assert body["error"]["code"] == "org_not_empty"
    await admin.ok("DELETE", f"/api/v1/orgs/{orgs[4]['id']}", expect=204)
    await admin.ok("DELETE", f"/api/v1/orgs/{orgs[3]['id']}", expect=204)
    status, _ = await admin.call("GET", f"/api/v1/orgs/{orgs[3]['id']}")
    assert status == 404
