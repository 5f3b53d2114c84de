"""A resource's status, owned by the catalogue: the one place its transitions are checked.

::

    uploaded ──▶ processing (progress 0‥99) ──▶ ready
        ▲            │   ▲ (another attempt)
        └─ retry ── failed

A replay is created ``ready``. ``media/processing.py`` reports progress and the outcome
through :class:`ResourceLifecycle`; nothing else writes ``status``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any

from culturecast.storage.database.port import Collection, Document


class ResourceStatus(enum.StrEnum):
    """Where a resource is in its life (DESIGN.md § Media)."""

    UPLOADED = "uploaded"
    """The original is stored; processing is queued."""
    PROCESSING = "processing"
    """The ``media.process`` job runs (``progress`` says how far)."""
    READY = "ready"
    """Renditions, poster and thumbnails are published."""
    FAILED = "failed"
    """Processing refused the file (``failure`` says why); staff may retry."""


FROM: Mapping[ResourceStatus, frozenset[ResourceStatus]] = {
    ResourceStatus.PROCESSING: frozenset(
        {ResourceStatus.UPLOADED, ResourceStatus.PROCESSING, ResourceStatus.FAILED}
    ),
    ResourceStatus.READY: frozenset({ResourceStatus.PROCESSING}),
    ResourceStatus.FAILED: frozenset({ResourceStatus.PROCESSING}),
    ResourceStatus.UPLOADED: frozenset({ResourceStatus.FAILED}),
}
"""Target status → the statuses it may be reached from."""


def may_move(current: str, target: ResourceStatus) -> bool:
    """Whether a resource in ``current`` may move to ``target``."""
    return current in FROM[target]


class ResourceLifecycle:
    """Writes a resource's status (compare-and-set on the statuses it may come from)."""

    def __init__(self, resources: Collection, clock: Callable[[], float]) -> None:
        self._resources = resources
        self._clock = clock

    async def get(self, resource_id: str) -> Document | None:
        return await self._resources.get(resource_id)

    async def _move(
        self, resource_id: str, target: ResourceStatus, fields: Mapping[str, Any]
    ) -> Document | None:
        sources = sorted(s.value for s in FROM[target])
        return await self._resources.update_one(
            {"_id": resource_id, "status": {"$in": sources}},
            set={"status": target.value, **fields, "updated_at": self._clock()},
        )

    async def start(self, resource_id: str) -> Document | None:
        """Processing begins (again): progress 0, no failure."""
        return await self._move(
            resource_id, ResourceStatus.PROCESSING, {"progress": 0, "failure": None}
        )

    async def progress(self, resource_id: str, percent: float) -> None:
        """How far processing is (only while processing)."""
        await self._resources.update_one(
            {"_id": resource_id, "status": ResourceStatus.PROCESSING.value},
            set={"progress": percent, "updated_at": self._clock()},
        )

    async def note(self, resource_id: str, **fields: Any) -> None:
        """Facts processing learned on the way (the original's checksum), status unchanged."""
        if "status" in fields:
            raise ValueError("the status changes only through a transition")
        await self._resources.update_one(
            {"_id": resource_id}, set={**fields, "updated_at": self._clock()}
        )

    async def ready(self, resource_id: str, fields: Mapping[str, Any]) -> Document | None:
        """Processing published everything; None if the resource was deleted or changed."""
        return await self._move(
            resource_id, ResourceStatus.READY, {"progress": 100, "failure": None, **fields}
        )

    async def fail(
        self, resource_id: str, code: str, message: str, message_zh: str
    ) -> Document | None:
        """Processing refused the file, with the reason shown to its staff."""
        failure = {"code": code, "message": message, "message_zh": message_zh}
        return await self._move(resource_id, ResourceStatus.FAILED, {"failure": failure})

    async def retry(self, resource_id: str) -> Document | None:
        """A failed resource goes back to ``uploaded`` for another processing job."""
        return await self._move(
            resource_id, ResourceStatus.UPLOADED, {"progress": 0, "failure": None}
        )
