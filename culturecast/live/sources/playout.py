"""The playout plan (no I/O): which item of a playout list airs next, and which are skipped.

A playout event airs an ordered list of resources from ``scheduled_at``; with ``loop`` the
list starts over after its last item (24/7 channels). An item that cannot be played (deleted,
not ready, another organization's, neither video nor audio) is skipped with a reason staff
can read; a list where nothing can be played ends the event rather than spin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from culturecast.core.errors import Sentence

MAX_ITEMS = 200


@dataclass(frozen=True, slots=True)
class Skip:
    """One item that was not aired, and why."""

    position: int
    resource_id: str
    code: str
    sentence: Sentence


@dataclass(frozen=True, slots=True)
class Next:
    """What to air now: the item at ``position`` (the loop's ``round`` counts from 0)."""

    position: int
    resource_id: str
    round: int
    skipped: tuple[Skip, ...]


@dataclass(frozen=True, slots=True)
class Done:
    """Nothing more to air: the event ends (``skipped`` says what was passed over)."""

    skipped: tuple[Skip, ...]


def why_unplayable(
    resource_id: str, doc: Mapping[str, Any] | None, org_path: Sequence[str]
) -> tuple[str, Sentence] | None:
    """None when the resource can air in an event of ``org_path``; else a code and a reason."""
    if doc is None:
        return "playout_item_missing", Sentence(
            f"节目 {resource_id} 已删除，已跳过。", f"Item {resource_id} was deleted; skipped."
        )
    # org paths list the organization first, then its ancestors.
    if not org_path or org_path[0] not in (doc.get("org_path") or []):
        return "playout_item_missing", Sentence(
            f"节目 {resource_id} 不属于本机构，已跳过。",
            f"Item {resource_id} is not this organization's; skipped.",
        )
    if doc.get("status") != "ready" or not doc.get("hls_master_key"):
        return "playout_item_not_ready", Sentence(
            f"节目 {resource_id} 尚未处理完成，已跳过。",
            f"Item {resource_id} is not ready (still processing or failed); skipped.",
        )
    if doc.get("kind") not in (None, "video", "audio"):
        return "playout_item_not_media", Sentence(
            f"节目 {resource_id} 不是音视频，已跳过。",
            f"Item {resource_id} is neither video nor audio; skipped.",
        )
    return None


def next_item(
    items: Sequence[str],
    after: int | None,
    round_: int,
    docs: Mapping[str, Mapping[str, Any] | None],
    org_path: Sequence[str],
    *,
    loop: bool,
) -> Next | Done:
    """The first playable item after position ``after`` (None: from the start), wrapping
    when ``loop``; items in ``docs`` map to None when deleted."""
    skipped: list[Skip] = []
    position = -1 if after is None else after
    passes = 0
    while True:
        position += 1
        if position >= len(items):
            if not loop or not items:
                return Done(tuple(skipped))
            position, round_ = 0, round_ + 1
            passes += 1
        if passes > 1 or len(skipped) >= len(items):
            return Done(tuple(skipped))  # a whole round without a playable item
        resource_id = items[position]
        reason = why_unplayable(resource_id, docs.get(resource_id), org_path)
        if reason is None:
            return Next(position, resource_id, round_, tuple(skipped))
        skipped.append(Skip(position, resource_id, *reason))
