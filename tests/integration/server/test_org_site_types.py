"""Organizations carry a site type (农村 / 社区 / 机关事业单位 / 其他) and an expected-learner
count: set on create, changed on update, refused with a clear error when wrong."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import Api

pytestmark = pytest.mark.integration


async def test_site_type_and_expected_learners(admin: Api) -> None:
    province = await admin.ok("POST", "/api/v1/orgs", {"name": "北京市"}, expect=201)
    # Organizations that say nothing are "other" with no expected learners.
    assert (province["site_type"], province["expected_learners"]) == ("other", 0)
    town = await admin.ok(
        "POST",
        "/api/v1/orgs",
        {
            "name": "长沟镇",
            "parent_id": province["id"],
            "site_type": "rural",
            "expected_learners": 120,
        },
        expect=201,
    )
    assert (town["site_type"], town["expected_learners"]) == ("rural", 120)
    changed = await admin.ok(
        "PATCH", f"/api/v1/orgs/{town['id']}", {"site_type": "community", "expected_learners": 0}
    )
    assert (changed["site_type"], changed["expected_learners"]) == ("community", 0)
    got = await admin.ok("GET", f"/api/v1/orgs/{town['id']}")
    assert (got["site_type"], got["expected_learners"], got["name"]) == ("community", 0, "长沟镇")


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"site_type": "city"}, "invalid_site_type"),
        ({"site_type": "农村"}, "invalid_site_type"),
        ({"expected_learners": -1}, "invalid_body"),
        ({"expected_learners": 1_000_000_000}, "invalid_body"),
        ({"expected_learners": 1.5}, "invalid_body"),
        ({"expected_learners": True}, "invalid_body"),
    ],
)
async def test_wrong_site_fields_are_refused(admin: Api, fields: dict[str, Any], code: str) -> None:
    status, body = await admin.call("POST", "/api/v1/orgs", {"name": "北京市", **fields})
    assert (status, body["error"]["code"]) == (400, code)
    assert (await admin.ok("GET", "/api/v1/orgs"))["items"] == []
    org = await admin.ok("POST", "/api/v1/orgs", {"name": "天津市"}, expect=201)
    status, body = await admin.call("PATCH", f"/api/v1/orgs/{org['id']}", fields)
    assert (status, body["error"]["code"]) == (400, code)
    assert (await admin.ok("GET", f"/api/v1/orgs/{org['id']}"))["site_type"] == "other"
    # The sentence names the field.
    assert ("site_type" if "site_type" in fields else "expected_learners") in body["error"][
        "message"
    ]
