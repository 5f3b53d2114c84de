"""Bad input gets a clear JSON error and the right status, and changes nothing."""

from __future__ import annotations

import pytest

from tests.support.api import Api


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "malformed_json"),
        (b"", "application/json", 400, "malformed_json"),
        (b"[1, 2]", "application/json", 400, "invalid_body"),
        (b'{"name": 5}', "application/json", 400, "invalid_body"),
        (b'{"name": "ok", "colour": "red"}', "application/json", 400, "invalid_body"),
        (b'{"parent_id": "x"}', "application/json", 400, "invalid_body"),
        (b'{"name": "ok", "guest_chat": "yes"}', "application/json", 400, "invalid_body"),
        (b"name=ok", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b'{"name": "' + b"x" * 70000 + b'"}', "application/json", 413, "payload_too_large"),
        (b'{"name": "   "}', "application/json", 400, "invalid_body"),
    ],
)
async def test_bad_org_bodies(
    admin: Api, raw: bytes, content_type: str, status: int, code: str
) -> None:
    got, body = await admin.call(
        "POST", "/api/v1/orgs", data=raw, headers={"Content-Type": content_type}
    )
    assert (got, body["error"]["code"]) == (status, code)
    listed = await admin.ok("GET", "/api/v1/orgs")
    assert listed["items"] == []


async def test_error_message_names_the_field(admin: Api) -> None:
    _, body = await admin.call(
        "POST",
        "/api/v1/orgs",
        data=b'{"name": "ok", "colour": "red"}',
        headers={"Content-Type": "application/json"},
    )
    assert "colour" in body["error"]["message"]
    _, body = await admin.call(
        "POST", "/api/v1/orgs", data=b'{"name": 5}', headers={"Content-Type": "application/json"}
    )
    assert "$.name" in body["error"]["message"]


async def test_bad_user_fields(admin: Api) -> None:
    province = await admin.ok("POST", "/api/v1/orgs", {"name": "省"}, expect=201)
    base = {
        "username": "u1",
        "password": "long-enough-1",
        "role": "editor",
        "org_id": province["id"],
    }
    cases = [
        ({**base, "role": "emperor"}, 400, "invalid_body"),
        ({**base, "password": "short"}, 400, "weak_password"),
        ({**base, "username": "has space"}, 400, "invalid_body"),
        ({k: v for k, v in base.items() if k != "password"}, 400, "invalid_body"),
        ({**base, "org_id": None}, 400, "invalid_body"),
        ({**base, "org_id": "no-such-org"}, 404, "not_found"),
    ]
    for body, status, code in cases:
        got, err = await admin.call("POST", "/api/v1/users", body)
        assert (got, err["error"]["code"]) == (status, code), body
    users = await admin.ok("GET", "/api/v1/users")
    assert [u["username"] for u in users["items"]] == ["admin"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/auth/me"),
        ("GET", "/api/v1/orgs"),
        ("POST", "/api/v1/orgs"),
        ("GET", "/api/v1/orgs/x"),
        ("GET", "/api/v1/users"),
        ("DELETE", "/api/v1/users/x"),
    ],
)
async def test_no_token_is_401(api: Api, method: str, path: str) -> None:
    status, body = await api.call(method, path, {"name": "x"} if method == "POST" else None)
    assert status == 401
    assert body["error"]["code"] == "unauthorized"


async def test_garbage_token_is_401(api: Api) -> None:
    status, body = await api.as_user("garbage").call("GET", "/api/v1/orgs")
    assert status == 401
    assert body["error"]["code"] == "bad_token"


async def test_unknown_route_and_method_are_json(api: Api) -> None:
    status, body = await api.call("GET", "/api/v1/nothing-here")
    assert status == 404
    assert body["error"]["code"] == "not_found"
    status, body = await api.call("PUT", "/api/v1/orgs")
    assert status == 405
    assert body["error"]["code"] == "method_not_allowed"
