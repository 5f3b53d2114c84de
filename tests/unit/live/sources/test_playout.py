"""The playout plan: order, loop, and skipped items with their reasons."""

from __future__ import annotations

from typing import Any

from culturecast.live.sources.playout import Done, Next, next_item

ORG = ["county", "city", "province"]


def ready(org: str = "county") -> dict[str, Any]:
    return {
        "status": "ready",
        "hls_master_key": "x/master.m3u8",
        "kind": "video",
        "org_path": [org, "city", "province"],
    }


DOCS: dict[str, dict[str, Any] | None] = {
    "a": ready(),
    "b": ready(),
    "gone": None,
    "busy": {**ready(), "status": "processing"},
    "other": {**ready(), "org_path": ["elsewhere", "province"]},
}


def test_back_to_back_then_done() -> None:
    first = next_item(["a", "b"], None, 0, DOCS, ORG, loop=False)
    assert isinstance(first, Next)
    assert (first.position, first.resource_id) == (0, "a")
    second = next_item(["a", "b"], 0, 0, DOCS, ORG, loop=False)
    assert isinstance(second, Next)
    assert second.resource_id == "b"
    assert isinstance(next_item(["a", "b"], 1, 0, DOCS, ORG, loop=False), Done)


def test_loop_wraps_and_counts_rounds() -> None:
    wrapped = next_item(["a", "b"], 1, 0, DOCS, ORG, loop=True)
    assert isinstance(wrapped, Next)
    assert (wrapped.position, wrapped.round) == (0, 1)


def test_unplayable_items_are_skipped_with_reasons() -> None:
    got = next_item(["gone", "busy", "other", "b"], None, 0, DOCS, ORG, loop=False)
    assert isinstance(got, Next)
    assert got.resource_id == "b"
    assert [s.code for s in got.skipped] == [
        "playout_item_missing",
        "playout_item_not_ready",
        "playout_item_missing",
    ]
    assert "deleted" in got.skipped[0].sentence.en
    assert "已删除" in got.skipped[0].sentence.zh


def test_a_loop_of_nothing_playable_ends() -> None:
    got = next_item(["gone", "busy"], None, 0, DOCS, ORG, loop=True)
    assert isinstance(got, Done)
    assert len(got.skipped) == 2
    assert isinstance(next_item([], None, 0, DOCS, ORG, loop=True), Done)
