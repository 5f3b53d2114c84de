"""Which mutes and bans of a room are in force: the list a moderator sees (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from culturecast.storage.database.port import Document


def in_force(docs: Iterable[Document], now: float) -> list[dict[str, Any]]:
    """``{user_id, nickname, kind, until}`` for every sanction still running at ``now``:
    ``until`` is ISO 8601 (UTC) or None for ever; expired and lifted ones are left out.
    Soonest to end first, those for ever last, then by nickname."""
    rows: list[tuple[float, str, dict[str, Any]]] = []
    for doc in docs:
        until = doc.get("until")
        if until is not None and float(until) <= now:
            continue
        nickname = str(doc.get("nickname") or doc["user_id"])
        rows.append(
            (
                float("inf") if until is None else float(until),
                nickname,
                {
                    "user_id": doc["user_id"],
                    "nickname": nickname,
                    "kind": doc["kind"],
                    "until": None
                    if until is None
                    else datetime.fromtimestamp(float(until), UTC).isoformat(),
                },
            )
        )
    rows.sort(key=lambda r: (r[0], r[1]))
    return [r[2] for r in rows]
