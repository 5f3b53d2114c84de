"""Chat persistence on the database port: messages, room settings, sanctions, audit log.

Collections:

- ``chat_messages`` ``{_id, event_id, user {id, name, guest}, text, at, offset_s,
  deleted}``: every accepted comment, with its offset in seconds from the show's start
  so the replay can scroll it over the recording (DESIGN.md § Live, Replay). Deleted
  comments stay (soft delete, for the audit) but are never shown again.
- ``chat_rooms`` ``{_id: event_id, closed, slow_mode, pinned}``: what moderators set.
  Every api process reads it, so a setting made on one holds on all.
- ``chat_sanctions`` ``{_id: "event:kind:user", event_id, user_id, nickname, kind, until}``:
  mutes and bans, one document each so two moderators acting at once never overwrite each other.
  ``until`` null means for ever.
- ``chat_audit`` ``{_id, event_id, action, by {id, name}, target, detail, at}``: every
  moderator action.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field
from typing import Any, Final

from culturecast.storage.database.port import Database, Document, IndexSpec

MESSAGES: Final = "chat_messages"
ROOMS: Final = "chat_rooms"
SANCTIONS: Final = "chat_sanctions"
AUDIT: Final = "chat_audit"

INDEXES: Final = (
    IndexSpec(MESSAGES, (("event_id", 1), ("at", 1))),
    IndexSpec(MESSAGES, (("event_id", 1), ("offset_s", 1))),
    IndexSpec(SANCTIONS, (("event_id", 1),)),
    IndexSpec(AUDIT, (("event_id", 1), ("at", 1))),
)

HISTORY_SIZE: Final = 50


def new_id(at: float) -> str:
    """A message id that sorts by time (milliseconds) and cannot be guessed."""
    return f"{int(at * 1000):013x}{secrets.token_hex(6)}"


def wire_message(doc: Document) -> dict[str, Any]:
    """The ``message`` event's body: ``{id, user, text, at}``."""
    return {"id": doc["_id"], "user": doc["user"], "text": doc["text"], "at": doc["at"]}


@dataclass(slots=True)
class RoomSettings:
    """What moderators set on a room, plus its sanctions (user id → until, inf = for ever)."""

    closed: bool = False
    slow_mode: int = 0
    pinned: str = ""
    muted: dict[str, float] = field(default_factory=dict)
    banned: dict[str, float] = field(default_factory=dict)


class ChatStore:
    """Reads and writes the chat's collections."""

    def __init__(self, database: Database) -> None:
        self._messages = database.collection(MESSAGES)
        self._rooms = database.collection(ROOMS)
        self._sanctions = database.collection(SANCTIONS)
        self._audit = database.collection(AUDIT)

    async def add_message(self, doc: Document) -> None:
        await self._messages.insert(doc)

    async def comment_count(self, event_id: str) -> int:
        """The room's visible messages (a live show's report counts its comments)."""
        return await self._messages.count({"event_id": event_id, "deleted": False})

    async def history(self, event_id: str, limit: int = HISTORY_SIZE) -> list[dict[str, Any]]:
        """The last ``limit`` visible messages of a room, oldest first, in wire form."""
        docs = await self._messages.find(
            {"event_id": event_id, "deleted": False}, sort=[("at", -1)], limit=limit
        )
        return [wire_message(d) for d in reversed(docs)]

    async def soft_delete(self, event_id: str, message_id: str, by: str, at: float) -> bool:
        """Hide a message of this room; False when there is no such visible message."""
        doc = await self._messages.update_one(
            {"_id": message_id, "event_id": event_id, "deleted": False},
            set={"deleted": True, "deleted_by": by, "deleted_at": at},
        )
        return doc is not None

    async def window(
        self, event_id: str, start: float, end: float, limit: int
    ) -> list[dict[str, Any]]:
        """Visible messages with ``start <= offset_s < end``, in show order."""
        docs = await self._messages.find(
            {"event_id": event_id, "deleted": False, "offset_s": {"$gte": start, "$lt": end}},
            sort=[("offset_s", 1), ("at", 1)],
            limit=limit,
        )
        return [{**wire_message(d), "offset_s": d["offset_s"]} for d in docs]

    async def load_room(self, event_id: str, now: float) -> RoomSettings:
        """The room's settings and its sanctions still in force at ``now``."""
        doc = await self._rooms.get(event_id) or {}
        settings = RoomSettings(
            closed=bool(doc.get("closed", False)),
            slow_mode=int(doc.get("slow_mode", 0)),
            pinned=str(doc.get("pinned", "")),
        )
        for s in await self._sanctions.find({"event_id": event_id}):
            until = math.inf if s.get("until") is None else float(s["until"])
            if until > now:
                table = settings.banned if s["kind"] == "ban" else settings.muted
                table[s["user_id"]] = until
        return settings

    async def update_room(self, event_id: str, **changes: Any) -> None:
        await self._rooms.update_one({"_id": event_id}, set=changes, upsert=True)

    async def set_sanction(
        self, event_id: str, user_id: str, kind: str, until: float | None
    ) -> None:
        """Mute or ban ``user_id`` until ``until`` (None: for ever); a later one replaces it.
        The nickname is the one of the user's last comment in the room, as typed."""
        nickname = await self.nickname(event_id, user_id)
        await self._sanctions.update_one(
            {"_id": f"{event_id}:{kind}:{user_id}"},
            set={
                "event_id": event_id,
                "user_id": user_id,
                "nickname": nickname,
                "kind": kind,
                "until": until,
            },
            upsert=True,
        )

    async def nickname(self, event_id: str, user_id: str) -> str | None:
        """The name shown on ``user_id``'s last comment in the room (None: never commented)."""
        docs = await self._messages.find(
            {"event_id": event_id, "user.id": user_id}, sort=[("at", -1)], limit=1
        )
        return str(docs[0]["user"]["name"]) if docs else None

    async def sanctions(self, event_id: str) -> list[Document]:
        """Every stored mute and ban of the room, lifted and expired ones too."""
        return await self._sanctions.find({"event_id": event_id})

    async def audit(
        self,
        event_id: str,
        action: str,
        by: dict[str, str],
        at: float,
        target: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        await self._audit.insert(
            {
                "_id": new_id(at),
                "event_id": event_id,
                "action": action,
                "by": by,
                "target": target,
                "detail": detail or {},
                "at": at,
            }
        )

    async def audit_log(self, event_id: str) -> list[Document]:
        return await self._audit.find({"event_id": event_id}, sort=[("at", 1)])
