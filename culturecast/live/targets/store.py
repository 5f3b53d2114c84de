"""The ``live_targets`` collection (owned by ``live``) and the targets API's rules.

A target document::

    {_id, event_id, name, url, key, created_by, created_at,
     state, since, error: {kind, detail} | None, bytes_sent}

``key`` is written by the API and read only by the ingest's runner: no view returns it
(``has_key`` says whether one is set). ``state``, ``since``, ``error`` and ``bytes_sent`` are
written by the ingest process that runs the target, so every api process shows them.
Adding or removing a target of an event on air asks the ingest holding it to follow
(``targets`` on the live control channel).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping
from typing import Any

from culturecast.core.access import Action, Caller
from culturecast.core.errors import Sentence
from culturecast.live.errors import EventEnded
from culturecast.live.service import CONTROL_CHANNEL, LiveService
from culturecast.live.sessions import Status
from culturecast.live.targets.errors import TargetNotFound, TooManyTargets
from culturecast.live.targets.model import (
    MAX_TARGETS,
    ErrorKind,
    TargetError,
    TargetState,
    validate,
)
from culturecast.storage.database.port import Document, IndexSpec

log = logging.getLogger("culturecast.live.targets")

TARGETS = "live_targets"
INDEXES = [IndexSpec(TARGETS, (("event_id", 1), ("created_at", 1)))]
CONTROL_ACTION = "targets"
"""The control request that makes the ingest re-read an event's targets."""


def error_of(doc: Document) -> TargetError | None:
    stored = doc.get("error")
    if not isinstance(stored, dict):
        return None
    try:
        return TargetError(ErrorKind(str(stored.get("kind"))), stored.get("detail"))
    except ValueError:
        return None


def stored_error(error: TargetError | None) -> dict[str, Any] | None:
    return None if error is None else {"kind": error.kind.value, "detail": error.detail}


def view(doc: Document, *, event_live: bool = True) -> dict[str, Any]:
    """A target as the API shows it: never the key. Off air every target is ``idle`` whatever
    was stored last (an ingest that crashed mid-show could not say so)."""
    error = error_of(doc)
    state = doc.get("state", TargetState.IDLE.value) if event_live else TargetState.IDLE.value
    return {
        "id": doc["_id"],
        "event_id": doc["event_id"],
        "name": doc["name"],
        "url": doc["url"],
        "has_key": bool(doc.get("key")),
        "state": state,
        "since": doc.get("since"),
        "error": None if error is None else error.view(),
        "bytes_sent": int(doc.get("bytes_sent") or 0),
        "created_at": doc.get("created_at"),
    }


class TargetStore:
    """Targets for the API (through the event's staff check) and for the ingest."""

    def __init__(self, live: LiveService) -> None:
        self.live = live
        self.targets = live.database.collection(TARGETS)
        live.add_delete_listener(self._event_deleted)

    # ------------------------------------------------------------ API

    async def list_for(self, caller: Caller, event_id: str) -> list[dict[str, Any]]:
        event = await self.live.staff_event(caller, event_id, Action.MANAGE_CONTENT)
        live = event["status"] == Status.LIVE
        return [view(d, event_live=live) for d in await self.for_event(event_id)]

    async def add(self, caller: Caller, event_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        event = await self.live.staff_event(caller, event_id, Action.MANAGE_CONTENT)
        target = validate(body.get("name"), body.get("url"), body.get("key", ""))
        if event["status"] == Status.ENDED:
            raise EventEnded(
                Sentence(
                    "直播已结束，不能再添加转推目标。",
                    "The event has ended: a push target would never be used.",
                )
            )
        if await self.targets.count({"event_id": event_id}) >= MAX_TARGETS:
            raise TooManyTargets(MAX_TARGETS)
        now = self.live.clock()
        doc: Document = {
            "_id": secrets.token_hex(12),
            "event_id": event_id,
            "name": target.name,
            "url": target.url,
            "key": target.key,
            "created_by": caller.user_id,
            "created_at": now,
            "state": TargetState.IDLE.value,
            "since": now,
            "error": None,
            "bytes_sent": 0,
        }
        await self.targets.insert(doc)
        log.info("live: target %s (%s) added to event %s", doc["_id"], target.name, event_id)
        await self._notify(event_id)
        return view(doc)

    async def remove(self, caller: Caller, event_id: str, target_id: str) -> None:
        await self.live.staff_event(caller, event_id, Action.MANAGE_CONTENT)
        if not await self.targets.delete_one({"_id": target_id, "event_id": event_id}):
            raise TargetNotFound()
        log.info("live: target %s removed from event %s", target_id, event_id)
        await self._notify(event_id)

    async def _notify(self, event_id: str) -> None:
        message = {"event_id": event_id, "action": CONTROL_ACTION}
        await self.live.counters.publish(CONTROL_CHANNEL, json.dumps(message).encode())

    async def _event_deleted(self, event_id: str) -> None:
        await self.targets.delete_many({"event_id": event_id})

    # ------------------------------------------------------------ ingest

    async def for_event(self, event_id: str) -> list[Document]:
        """The event's targets, oldest first, keys included (the runner's view)."""
        return await self.targets.find({"event_id": event_id}, sort=[("created_at", 1)])

    async def save(self, target_id: str, fields: Mapping[str, Any]) -> None:
        """Record what the runner knows (``state``, ``since``, ``error``, ``bytes_sent``)."""
        await self.targets.update_one({"_id": target_id}, set=dict(fields))
