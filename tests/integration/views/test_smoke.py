from __future__ import annotations

from tests.integration.views.conftest import (
    ADMIN_PASSWORD,
    Stack,
    add_resource,
    make_tree,
    org_path,
)


async def test_play_beat_flush_read(stack: Stack) -> None:
    admin = await stack.api.login("admin", ADMIN_PASSWORD)
    ids = await make_tree(admin, ["浙江省", "杭州市"])
    await add_resource(stack, "r1", org_path(ids))
    status, body = await stack.api.call(
        "POST", "/api/v1/play", {"item_type": "resource", "item_id": "r1"}
    )
    assert status == 201, body
    for i in range(1, 20):
        stack.clock.advance(15)
        status, _ = await stack.api.call(
            "POST",
            "/api/v1/views/heartbeat",
            {"session_id": body["session_id"], "position_s": 15 * i, "seq": i},
        )
        assert status == 204
    await stack.flush()
    item = await admin.ok("GET", "/api/v1/stats/items/resource/r1")
    print(item)
    org = await admin.ok("GET", f"/api/v1/stats/orgs/{ids[0]}")
    print(org)
    assert item["totals"]["plays"] == 1
