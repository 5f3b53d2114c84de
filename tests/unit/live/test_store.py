"""The one door to ``live_events``: status writes are compare-and-set, so an ingest and an api
process never both end an event. SQLite in a temporary directory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from culturecast.live.store import INDEXES, EventStore, EventSummary, summary_of
from culturecast.storage.database.sqlite import SQLiteDatabase


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[EventStore]:
    database = await SQLiteDatabase.open(tmp_path / "db.sqlite")
    await database.ensure_indexes(INDEXES)
    try:
        yield EventStore(database)
    finally:
        await database.close()


async def event(store: EventStore, event_id: str, status: str, **fields: Any) -> None:
    doc = {
        "_id": event_id,
        "org_id": "county",
        "org_path": ["county", "province"],
        "status": status,
        "key_hash": f"hash-{event_id}",
        "old_key_hashes": [],
        "scheduled_at": 0.0,
        "published": True,
        "disabled": False,
        **fields,
    }
    await store.insert(doc)


async def status(store: EventStore, event_id: str) -> str:
    doc = await store.get(event_id)
    assert doc is not None
    return str(doc["status"])


async def test_the_ingest_writes_nothing_once_the_event_ended_elsewhere(
    store: EventStore,
) -> None:
    await event(store, "ev", "live")
    assert await store.save_session("ev", {"status": "reconnecting"}) is not None
    assert await store.end_on_air("ev", {"status": "ended"}) is not None
    assert await store.save_session("ev", {"status": "live"}) is None
    assert await status(store, "ev") == "ended"


async def test_the_api_ends_a_scheduled_event_only_while_it_is_scheduled(
    store: EventStore,
) -> None:
    await event(store, "ev", "scheduled")
    await store.save_session("ev", {"status": "live"})  # it went live meanwhile
    assert await store.end_scheduled("ev", {"status": "ended"}) is None
    assert await status(store, "ev") == "live"


async def test_the_api_ends_an_orphan_only_while_it_is_on_air(store: EventStore) -> None:
    await event(store, "ev", "reconnecting")
    assert await store.end_on_air("ev", {"status": "ended", "stop_reason": "stopped"})
    assert await store.end_on_air("ev", {"status": "ended", "stop_reason": "disabled"}) is None
    doc = await store.get("ev")
    assert doc is not None
    assert doc["stop_reason"] == "stopped"


async def test_an_event_on_air_is_not_deleted(store: EventStore) -> None:
    await event(store, "on", "live")
    await event(store, "off", "ended")
    assert not await store.delete_off_air("on")
    assert await store.delete_off_air("off")
    assert [d["_id"] for d in await store.on_air()] == ["on"]
    assert await store.count_of_org("county") == 1


async def test_keys_find_their_event_and_rotated_keys_are_told_apart(store: EventStore) -> None:
    await event(store, "ev", "scheduled")
    await store.set_key("ev", "new", ["hash-ev"])
    assert (await store.with_key("new") or {}).get("_id") == "ev"
    assert await store.with_key("hash-ev") is None
    assert (await store.with_old_key("hash-ev") or {}).get("_id") == "ev"


async def test_listing_filters_by_status_subtree_and_visibility(store: EventStore) -> None:
    await event(store, "a", "live", scheduled_at=1.0)
    await event(store, "b", "live", scheduled_at=2.0, published=False)
    await event(store, "c", "ended", scheduled_at=3.0, org_path=["town", "county"])
    await event(store, "d", "live", org_id="elsewhere", org_path=["elsewhere"])

    async def ids(**query: Any) -> list[str]:
        args: dict[str, Any] = {"status": None, "subtree": None, "public_only": False}
        docs = await store.listing(**{**args, **query}, skip=0, limit=10)
        return [d["_id"] for d in docs]

    assert await ids(subtree="county") == ["c", "b", "a"]
    assert await ids(subtree="county", status="live") == ["b", "a"]
    assert await ids(public_only=True, status="live") == ["a", "d"]


async def test_listing_by_organization_takes_its_subtree_within_the_callers(
    store: EventStore,
) -> None:
    await event(store, "county-show", "scheduled", scheduled_at=1.0)
    await event(store, "town-show", "scheduled", scheduled_at=2.0, org_path=["town", "county"])
    await event(store, "other", "scheduled", org_id="elsewhere", org_path=["elsewhere"])

    async def ids(**query: Any) -> list[str]:
        args: dict[str, Any] = {"status": None, "subtree": None, "public_only": True}
        docs = await store.listing(**{**args, **query}, skip=0, limit=10)
        return [d["_id"] for d in docs]

    assert await ids(org="county") == ["town-show", "county-show"]
    assert await ids(org="town") == ["town-show"]
    assert await ids(org="town", subtree="county") == ["town-show"]
    assert await ids(org="county", subtree="town") == ["town-show"]
    assert await ids(org="elsewhere", subtree="county") == []


async def test_the_replay_is_recorded_and_an_earlier_failure_forgotten(store: EventStore) -> None:
    await event(store, "ev", "ended")
    await store.save_replay_error("ev", "no_recording")
    doc = await store.save_replay("ev", {"master_key": "live/ev/replay/master.m3u8"})
    assert doc is not None
    assert doc["replay"] == {"master_key": "live/ev/replay/master.m3u8"}
    assert "replay_error" not in doc


async def test_chat_is_told_who_owns_an_event_and_whether_anyone_may_see_it(
    store: EventStore,
) -> None:
    await event(store, "ev", "live", started_at=12, disabled=True)
    assert await store.summary("ev") == EventSummary(
        event_id="ev",
        org_id="county",
        org_path=("county", "province"),
        status="live",
        started_at=12.0,
        public=False,
    )
    assert await store.summary("nope") is None


def test_a_summary_of_a_sparse_document_falls_back_to_its_organization() -> None:
    summary = summary_of({"_id": "ev", "org_id": "county"})
    assert (summary.org_path, summary.status, summary.started_at, summary.public) == (
        ("county",),
        "scheduled",
        None,
        False,
    )
