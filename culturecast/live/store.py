"""The one door to the ``live_events`` collection (DESIGN.md § Packages: one owner per
collection). The API (``service.py``), the ingest (``runtime.py``) and the replay job
(``replay.py``) read and write events only through :class:`EventStore`; other packages go
through the live service (chat reads :meth:`EventStore.summary`).

Status changes are compare-and-set on the stored status, so two processes never both end an
event: the ingest writes its session's decisions unless the event has ended meanwhile
(:meth:`EventStore.save_session`); the API ends an event that never went on air
(:meth:`EventStore.end_scheduled`) or one on air that no ingest holds
(:meth:`EventStore.end_on_air`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from culturecast.live import visibility
from culturecast.live.sessions import ON_AIR, Status
from culturecast.storage.database.port import Database, Document, IndexSpec

EVENTS = "live_events"
INDEXES = [
    IndexSpec(EVENTS, (("key_hash", 1),), unique=True),
    IndexSpec(EVENTS, (("old_key_hashes", 1),)),
    IndexSpec(EVENTS, (("org_path", 1), ("scheduled_at", -1))),
    IndexSpec(EVENTS, (("status", 1),)),
]


@dataclass(frozen=True, slots=True)
class EventSummary:
    """What another feature (chat) needs of an event: who owns it, whether it is on air,
    and who may see it."""

    event_id: str
    org_id: str
    org_path: tuple[str, ...]
    """The owning organization first, then its ancestors (the subtree rule's input)."""
    status: str
    started_at: float | None
    """First time the event went live; None before."""
    public: bool
    """Published and not disabled (``live/visibility.py``)."""


def summary_of(doc: Mapping[str, Any]) -> EventSummary:
    """The summary of a stored event (tolerant of documents written by hand)."""
    org_id = str(doc.get("org_id") or "")
    path = doc.get("org_path") or [org_id]
    started = doc.get("started_at")
    return EventSummary(
        event_id=str(doc["_id"]),
        org_id=org_id,
        org_path=tuple(str(p) for p in path),
        status=str(doc.get("status", Status.SCHEDULED.value)),
        started_at=float(started) if isinstance(started, int | float) else None,
        public=visibility.is_public(doc),
    )


class EventStore:
    """Named reads and writes of live events."""

    def __init__(self, database: Database) -> None:
        self._events = database.collection(EVENTS)

    # ------------------------------------------------------------ reads

    async def get(self, event_id: str) -> Document | None:
        return await self._events.get(event_id)

    async def summary(self, event_id: str) -> EventSummary | None:
        """What chat needs of an event, or None if there is none."""
        doc = await self._events.get(event_id)
        return None if doc is None else summary_of(doc)

    async def with_key(self, digest: str) -> Document | None:
        """The event whose current key hashes to ``digest``."""
        return await self._events.find_one({"key_hash": digest})

    async def with_old_key(self, digest: str) -> Document | None:
        """The event one of whose rotated-out keys hashes to ``digest``."""
        return await self._events.find_one({"old_key_hashes": digest})

    async def listing(
        self,
        *,
        status: str | None,
        subtree: str | None,
        public_only: bool,
        skip: int,
        limit: int,
        org: str | None = None,
    ) -> list[Document]:
        """Events by schedule, latest first: of one status, within one organization's
        subtree (the caller's), within another's (``org``: an organization page), and/or
        public only."""
        flt: dict[str, Any] = {}
        if status is not None:
            flt["status"] = status
        if subtree is not None:
            flt["org_path"] = subtree
        if org is not None:
            # Both subtrees at once: the second through $or, the filters' one way to AND two
            # conditions on one field.
            if subtree is None:
                flt["org_path"] = org
            else:
                flt["$or"] = [{"org_path": org}]
        if public_only:
            flt.update(visibility.PUBLIC_FILTER)
        return await self._events.find(flt, sort=[("scheduled_at", -1)], skip=skip, limit=limit)

    async def on_air(self) -> list[Document]:
        """Every event live or reconnecting, whichever process holds it."""
        return await self._events.find({"status": {"$in": list(ON_AIR)}})

    async def due_sources(self, now: float) -> list[Document]:
        """Pull and playout events whose time has come and that have not ended."""
        return await self._events.find(
            {
                "source.type": {"$in": ["pull", "playout"]},
                "status": {"$in": [Status.SCHEDULED.value, *ON_AIR]},
                "disabled": {"$ne": True},
                "scheduled_at": {"$lte": now},
            }
        )

    async def count_of_org(self, org_id: str) -> int:
        """The organization's own events, whatever their status."""
        return await self._events.count({"org_id": org_id})

    # ------------------------------------------------------------ API writes

    async def insert(self, doc: Document) -> None:
        await self._events.insert(doc)

    async def change(self, event_id: str, fields: Mapping[str, Any]) -> Document | None:
        """Set fields the API validated; None if the event is gone."""
        return await self._events.update_one({"_id": event_id}, set=dict(fields))

    async def set_key(self, event_id: str, digest: str, old_digests: list[str]) -> None:
        await self._events.update_one(
            {"_id": event_id}, set={"key_hash": digest, "old_key_hashes": old_digests}
        )

    async def delete_off_air(self, event_id: str) -> bool:
        """Delete the event unless it is on air (it may just have gone live)."""
        return bool(
            await self._events.delete_one({"_id": event_id, "status": {"$nin": list(ON_AIR)}})
        )

    async def end_scheduled(self, event_id: str, fields: Mapping[str, Any]) -> Document | None:
        """Write the end of an event that never went on air; None if it has meanwhile."""
        return await self._events.update_one(
            {"_id": event_id, "status": Status.SCHEDULED.value}, set=dict(fields)
        )

    async def end_on_air(self, event_id: str, fields: Mapping[str, Any]) -> Document | None:
        """Write the end of an event on air that no ingest holds; None if it is not on air
        (an ingest ended it meanwhile)."""
        return await self._events.update_one(
            {"_id": event_id, "status": {"$in": list(ON_AIR)}}, set=dict(fields)
        )

    # ------------------------------------------------------------ ingest writes

    async def save_session(self, event_id: str, fields: Mapping[str, Any]) -> Document | None:
        """Write what the ingest's session decided (live, reconnecting, ended) unless the
        event ended meanwhile elsewhere or is gone: None then."""
        return await self._events.update_one(
            {"_id": event_id, "status": {"$ne": Status.ENDED.value}}, set=dict(fields)
        )

    async def save_health(self, event_id: str, health: Mapping[str, Any], at: float) -> None:
        """The latest health figures of the stream (read by the health API)."""
        await self._events.update_one(
            {"_id": event_id}, set={"health": dict(health), "health_at": at}
        )

    async def save_source_status(self, event_id: str, status: Mapping[str, Any]) -> None:
        """What the event's pull or playout source did (``live/sources/status.py``)."""
        await self._events.update_one({"_id": event_id}, set={"source_status": dict(status)})

    async def save_media_duration(self, event_id: str, seconds: float) -> None:
        """How much media the recording holds once its playlists are closed."""
        await self._events.update_one({"_id": event_id}, set={"media_duration": round(seconds, 3)})

    async def save_media_timeline(
        self, event_id: str, points: Sequence[tuple[float, float]]
    ) -> None:
        """Add the ``(wall, media)`` points of this ingest's part of the show to those an
        earlier ingest process saved (``core/mediatime.py``)."""
        doc = await self._events.get(event_id)
        if doc is None:
            return
        stored = [(float(w), float(m)) for w, m in doc.get("media_timeline") or []]
        last = stored[-1][0] if stored else float("-inf")
        merged = stored + [(w, m) for w, m in points if w > last]
        await self._events.update_one(
            {"_id": event_id}, set={"media_timeline": [[w, m] for w, m in merged]}
        )

    async def media_timeline(self, event_id: str) -> list[tuple[float, float]] | None:
        """The show's saved ``(wall, media)`` points, or None."""
        doc = await self._events.get(event_id)
        points = None if doc is None else doc.get("media_timeline")
        return [(float(w), float(m)) for w, m in points] if points else None

    # ------------------------------------------------------------ replay writes

    async def save_replay(self, event_id: str, replay: Mapping[str, Any]) -> Document | None:
        """Record the packaged replay (and forget an earlier failure)."""
        return await self._events.update_one(
            {"_id": event_id}, set={"replay": dict(replay)}, unset=["replay_error"]
        )

    async def save_replay_error(self, event_id: str, code: str) -> None:
        """Why no replay could be packaged (``no_recording``)."""
        await self._events.update_one({"_id": event_id}, set={"replay_error": code})
