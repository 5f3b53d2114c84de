"""An event's latency mode: set on create or update, refused when unknown, shown to all."""

from __future__ import annotations

from tests.integration.live.conftest import LiveApp


async def test_latency_mode_is_set_changed_and_validated(live: LiveApp) -> None:
    status, body = await live.admin.call(
        "POST", "/api/v1/live", {"org_id": live.org_id, "title": "LL", "latency_mode": "low"}
    )
    assert status == 201, body
    assert body["latency_mode"] == "low"
    event = await live.create_event()
    assert event["latency_mode"] == "standard"
    status, body = await live.admin.call(
        "PATCH", f"/api/v1/live/{event['id']}", {"latency_mode": "low"}
    )
    assert (status, body["latency_mode"]) == (200, "low")
    status, body = await live.admin.call(
        "PATCH", f"/api/v1/live/{event['id']}", {"latency_mode": "fast"}
    )
    assert (status, body["error"]["code"]) == (400, "invalid_live_event")
    assert "latency_mode" in body["error"]["message"]
