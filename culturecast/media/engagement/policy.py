"""The engagement rules, without I/O: who a viewer is, what each action's record and counter
are named, and which actions can be undone.

A viewer is the signed-in user (``u:<user_id>``), else the device (``d:<cc_did>``). Each of a
viewer's likes, favorites and shares of one item is one record with a deterministic id, so a
second like by the same viewer (on any api process) clashes with the first and counts nothing:
the count moves only when a record is created or deleted, by exactly one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from culturecast.media.views.policy import ItemType

COLLECTION: Final = "engagements"
"""The records of likes, favorites and shares; owned by this package."""


class Kind(StrEnum):
    """What a viewer did to an item."""

    LIKE = "like"
    """点赞: one per viewer per item; can be undone."""
    FAVORITE = "favorite"
    """收藏: one per viewer per item; can be undone; listed under 我的收藏."""
    SHARE = "share"
    """分享: counted once per viewer per item (a second share of the same link adds none)."""


UNDOABLE: Final = frozenset({Kind.LIKE, Kind.FAVORITE})


def user_viewer(user_id: str) -> str:
    """The viewer id of a signed-in user."""
    return f"u:{user_id}"


def device_viewer(device_id: str) -> str:
    """The viewer id of a guest's device (``cc_did``)."""
    return f"d:{device_id}"


def record_id(kind: Kind, item_type: ItemType, item_id: str, viewer: str) -> str:
    """The one record of ``viewer``'s ``kind`` of an item (its ``_id``)."""
    return f"{kind.value}|{item_type.value}|{item_id}|{viewer}"


def count_key(kind: Kind, item_type: ItemType, item_id: str) -> str:
    """The counter holding how many viewers did ``kind`` to an item."""
    return f"engage:{kind.value}:{item_type.value}:{item_id}"
