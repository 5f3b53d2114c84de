"""``GET /api/v1/resources?q=`` through the running app: a title edited by its staff is found
by pinyin and initials at once, ranked, and drafts stay hidden from viewers."""

from __future__ import annotations

import pytest

from tests.integration.server.conftest import ADMIN_PASSWORD
from tests.integration.views.conftest import Stack, add_resource, make_tree, org_path
from tests.support.api import Api

pytestmark = pytest.mark.integration


async def test_sgyy_finds_the_romance_of_the_three_kingdoms(stack: Stack) -> None:
    admin = await stack.api.login("admin", ADMIN_PASSWORD)
    path = org_path(await make_tree(admin, ["浙江省"]))
    now = stack.clock()
    fields = {"title": "草稿", "category": "storytelling", "created_at": now, "updated_at": now}
    await add_resource(stack, "r1", path, **fields)
    await add_resource(stack, "r2", path, **fields)
    await add_resource(stack, "r3", path, **fields, published=False)
    await admin.ok("PATCH", "/api/v1/resources/r1", {"title": "评书《三国演义》第一回"})
    await admin.ok("PATCH", "/api/v1/resources/r2", {"title": "三国演义"})
    await admin.ok("PATCH", "/api/v1/resources/r3", {"title": "三国演义（未发布）"})
    guest = Api(stack.api.session, stack.api.base)
    for q in ("sgyy", "sanguo", "三国"):
        found = await guest.ok("GET", f"/api/v1/resources?q={q}")
        assert [r["id"] for r in found["items"]] == ["r2", "r1"], q
        assert found["total"] == 2
    staff = await admin.ok("GET", "/api/v1/resources?q=sgyy")
    assert {r["id"] for r in staff["items"]} == {"r1", "r2", "r3"}
