"""Live events: the API's rules, and the notices other features listen to.

An event document (collection ``live_events``, read and written only through
``live/store.py``)::

    {_id, org_id, org_path, title, category, cover, scheduled_at, published, disabled,
     status, key_hash, old_key_hashes, created_by, created_at, started_at, ended_at,
     duration, stop_reason, reconnect_grace_s, reconnect_deadline, health, health_at,
     replay: {master_key, duration_s, ready_at}, cover_key}

``cover`` is the URL pages show before the show: any image URL staff typed, or the one they
uploaded (``core/covers.py``): then ``cover_key`` is its object, ``live/<id>/cover-<hash>.<ext>``,
served, signed and deleted with the event's other media.

The ingest process changes ``status``; any process may ask it to stop an event through the
``live:control`` channel, and every process hears status changes on ``live:status`` (the
counters port's pub/sub: Redis in distributed mode, memory in standalone), which is how
chat in an api process learns that a show went live on an ingest node, and how the API's
stop learns that the ingest ended the show. How an event ends is decided in
``live/sessions.py``, whichever process performs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from culturecast.core.access import (
    Action,
    Caller,
    Role,
    in_subtree,
    is_platform_admin,
    is_staff,
    require_role,
)
from culturecast.core.categories import parse_category, unknown_category
from culturecast.core.covers import COVER_CACHE, CoverImage, cover_key, media_url
from culturecast.core.errors import Sentence
from culturecast.core.kit import OrgPaths
from culturecast.core.text import clean_text
from culturecast.jobs.port import JobQueue
from culturecast.live import admission, visibility
from culturecast.live.errors import (
    EventEnded,
    EventNotFound,
    EventOnAir,
    InvalidCategory,
    InvalidEvent,
)
from culturecast.live.keys import hash_key, issue_key, key_matches, looks_like_key
from culturecast.live.latency import MODES, LatencyMode, mode_of
from culturecast.live.sessions import (
    DEFAULT_GRACE_S,
    ON_AIR,
    Decision,
    Notify,
    Persist,
    QueueReplay,
    Session,
    Status,
    StopReason,
)
from culturecast.live.sources import pull
from culturecast.live.sources import status as source_status
from culturecast.live.sources.spec import checked_source
from culturecast.live.store import INDEXES as EVENT_INDEXES
from culturecast.live.store import EventStore, EventSummary
from culturecast.storage.counters.port import Counters, Subscription
from culturecast.storage.database.port import Database, Document, IndexSpec
from culturecast.storage.objects.port import ObjectStore

log = logging.getLogger("culturecast.live")

REFUSALS = "live_refusals"
INDEXES = [*EVENT_INDEXES, IndexSpec(REFUSALS, (("event_id", 1), ("at", -1)))]
STATUS_CHANNEL = "live:status"
CONTROL_CHANNEL = "live:control"
REPLAY_JOB = "live.package_replay"
HEALTH_STALE_S = 10.0
MAX_REFUSALS = 50
"""How many refusals the API returns per event."""

type StatusListener = Callable[[str, str], Awaitable[None]]
type VisibilityListener = Callable[[Document], Awaitable[None]]
type DeleteListener = Callable[[str], Awaitable[None]]
type AsyncResolver = Callable[[str], Awaitable[list[str]]]
"""A host name → every address it resolves to (``loop.getaddrinfo`` in production)."""


@dataclass(frozen=True, slots=True)
class LivePlayable:
    """What the play API needs to start a session on a live event or its replay."""

    event_id: str
    org_path: list[str]
    title: str
    category: str
    status: str
    is_live: bool
    """Live or reconnecting."""
    master_key: str
    """Object key of the master playlist: the replay's once ended and ready."""
    duration_s: float | None
    started_at: float | None
    ended_at: float | None = None
    """When the show went off air; None until it ends."""
    public: bool = False
    """Published and not disabled: anyone may see it; otherwise only the staff of its
    subtree (``live/visibility.py``)."""


def master_key(event_id: str) -> str:
    """Object key of an event's live master playlist."""
    return f"live/{event_id}/master.m3u8"


def replay_master_key(event_id: str) -> str:
    """Object key of an event's replay master playlist."""
    return f"live/{event_id}/replay/master.m3u8"


class LiveService:
    """Live events for the API, the ingest and the replay job."""

    def __init__(
        self,
        database: Database,
        objects: ObjectStore,
        counters: Counters,
        jobs: JobQueue | None,
        *,
        authz: OrgPaths | None = None,
        rtmp_url: str = "rtmp://127.0.0.1:1935/live",
        clock: Callable[[], float] = time.time,
        default_grace_s: float = DEFAULT_GRACE_S,
        stop_wait_s: float = 8.0,
        default_latency_mode: str = LatencyMode.STANDARD,
        pull_allow: Sequence[pull.Network] = (),
        resolve: AsyncResolver | None = None,
        sign: Callable[[str], str | None] = lambda key: None,
    ) -> None:
        self.database = database
        self._sign = sign
        """A signed, expiring URL of an object key (None without a signing secret): the
        uploaded cover of a draft is shown to its staff through it."""
        self.events = EventStore(database)
        self.refusals = database.collection(REFUSALS)
        self.objects = objects
        self.counters = counters
        self.jobs = jobs
        self._authz = authz
        self.rtmp_url = rtmp_url.rstrip("/")
        self.clock = clock
        self.default_grace_s = default_grace_s
        self.default_latency_mode = LatencyMode(default_latency_mode)
        self.stop_wait_s = stop_wait_s
        self.pull_allow = tuple(pull_allow)
        self.resolve: AsyncResolver = resolve or _getaddrinfo
        self._listeners: list[StatusListener] = []
        self._visibility_listeners: list[VisibilityListener] = []
        self._delete_listeners: list[DeleteListener] = []
        self._control: list[Callable[[str, str], Awaitable[None]]] = []
        self._tasks: list[asyncio.Task[None]] = []

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Subscribe to status notices (and control requests, for the ingest's runtime)."""
        status_sub = await self.counters.subscribe(STATUS_CHANNEL)
        control_sub = await self.counters.subscribe(CONTROL_CHANNEL)
        self._tasks = [
            asyncio.create_task(self._pump(status_sub, self._on_status)),
            asyncio.create_task(self._pump(control_sub, self._on_control)),
        ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _pump(self, sub: Any, handle: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        try:
            async for raw in sub:
                try:
                    message = json.loads(raw)
                    if isinstance(message, dict):
                        await handle(message)
                except Exception:
                    log.exception("live: a notice handler failed")
        finally:
            await sub.close()

    # ------------------------------------------------------------ notices

    def add_listener(self, callback: StatusListener) -> None:
        """Call ``callback(event_id, status)`` on every status change, in every process."""
        self._listeners.append(callback)

    def add_visibility_listener(self, callback: VisibilityListener) -> None:
        """Call ``callback(event_doc)`` after an API change of ``published`` or ``disabled``
        (in this process: the replay's catalogue entry follows the event)."""
        self._visibility_listeners.append(callback)

    def add_delete_listener(self, callback: DeleteListener) -> None:
        """Call ``callback(event_id)`` after the API deleted an event (its push targets go
        with it)."""
        self._delete_listeners.append(callback)

    def add_control_handler(self, callback: Callable[[str, str], Awaitable[None]]) -> None:
        """The ingest runtime hears ``(event_id, action)`` requests (``stop``, ``disable``)."""
        self._control.append(callback)

    async def publish_status(self, event_id: str, status: str) -> None:
        """Announce a status change to every process."""
        message = json.dumps({"event_id": event_id, "status": status}).encode()
        await self.counters.publish(STATUS_CHANNEL, message)

    async def summary(self, event_id: str) -> EventSummary | None:
        """What another feature (chat) needs of an event, or None if there is none."""
        return await self.events.summary(event_id)

    async def media_timeline(self, event_id: str) -> list[tuple[float, float]] | None:
        """How far the show's media had got by each moment (for its replay's comments)."""
        return await self.events.media_timeline(event_id)

    async def _on_status(self, message: dict[str, Any]) -> None:
        event_id, status = message.get("event_id"), message.get("status")
        if not isinstance(event_id, str) or not isinstance(status, str):
            return
        for listener in list(self._listeners):
            try:
                await listener(event_id, status)
            except Exception:
                log.exception("live: a status listener failed for %s", event_id)

    async def _on_control(self, message: dict[str, Any]) -> None:
        event_id, action = message.get("event_id"), message.get("action")
        if isinstance(event_id, str) and isinstance(action, str):
            for handler in list(self._control):
                await handler(event_id, action)

    # ------------------------------------------------------------ views

    def public_view(self, doc: Document) -> dict[str, Any]:
        """What anyone who may see the event is told."""
        status = doc["status"]
        replay = doc.get("replay")
        master_url: str | None = None
        if status in ON_AIR:
            master_url = f"/media/{master_key(doc['_id'])}"
        elif status == Status.ENDED and replay:
            master_url = f"/media/{replay['master_key']}"
        return {
            "id": doc["_id"],
            "org_id": doc["org_id"],
            "title": doc["title"],
            "category": doc["category"],
            "cover": doc.get("cover"),
            "scheduled_at": doc.get("scheduled_at"),
            "status": status,
            "is_live": status in ON_AIR,
            "started_at": doc.get("started_at"),
            "ended_at": doc.get("ended_at"),
            "duration": doc.get("duration"),
            "master_url": master_url,
            "replay": replay,
            "latency_mode": mode_of(doc, self.default_latency_mode).value,
        }

    def staff_view(self, doc: Document) -> dict[str, Any]:
        """Everything but the key hash, for the event's staff."""
        view = self.public_view(doc)
        view.update(
            {
                "published": bool(doc.get("published")),
                "disabled": bool(doc.get("disabled")),
                "created_by": doc.get("created_by"),
                "created_at": doc.get("created_at"),
                "stop_reason": doc.get("stop_reason"),
                "reconnect_grace_s": doc.get("reconnect_grace_s", self.default_grace_s),
                "reconnect_deadline": doc.get("reconnect_deadline"),
                "rtmp_server": self.rtmp_url,
                "health": doc.get("health"),
                "source": doc.get("source") or {"type": "push"},
                "source_status": source_status.view(doc.get("source_status")),
                "cover_preview_url": self._cover_preview(doc),
            }
        )
        return view

    def _cover_preview(self, doc: Document) -> str | None:
        """Where staff see the cover: an uploaded one of a draft only signed (its plain URL
        is 404 as the draft's other media), anything else as it is."""
        key = doc.get("cover_key")
        if key and doc.get("cover") == media_url(key) and not visibility.is_public(doc):
            return self._sign(key)
        cover = doc.get("cover")
        return cover if isinstance(cover, str) else None

    def key_view(self, plain: str) -> dict[str, Any]:
        """The key as shown once, with what OBS needs."""
        return {
            "stream_key": plain,
            "rtmp_url": f"{self.rtmp_url}/{plain}",
            "obs": {"server": self.rtmp_url, "key": plain},
        }

    # ------------------------------------------------------------ API

    async def _doc(self, event_id: str) -> Document:
        doc = await self.events.get(event_id)
        if doc is None:
            raise EventNotFound()
        return doc

    async def _staff_doc(self, caller: Caller, event_id: str, action: Action) -> Document:
        """The event for ``action`` (``core/access.py``): 404 to whoever may not see it (a
        draft, to all but the staff of its subtree; any event of another organization), 403
        when the caller sees it but its role may not do ``action``."""
        doc = await self._doc(event_id)
        org_path = doc["org_path"]
        seen = visibility.may_see(caller, org_path, public=visibility.is_public(doc))
        if not (seen and in_subtree(caller, org_path)):
            raise EventNotFound()
        require_role(caller, action)
        return doc

    async def staff_event(self, caller: Caller, event_id: str, action: Action) -> Document:
        """The event for its staff allowed ``action`` (what hangs off an event, such as its
        push targets, is checked here): 404 outside their subtree, 403 for a role that may
        not."""
        return await self._staff_doc(caller, event_id, action)

    async def create(self, caller: Caller, body: Mapping[str, Any]) -> dict[str, Any]:
        """A new event and its key (returned once)."""
        assert self._authz is not None
        fields = _validated(body, creating=True)
        org_path = await self._authz.org_path(caller, body["org_id"], Action.MANAGE_CONTENT)
        fields["source"] = await self._checked_source(caller, body.get("source"))
        key = issue_key()
        now = self.clock()
        doc: Document = {
            "_id": secrets.token_hex(12),
            "org_id": org_path[0],
            "org_path": org_path,
            "status": Status.SCHEDULED.value,
            "key_hash": key.digest,
            "old_key_hashes": [],
            "created_by": caller.user_id,
            "created_at": now,
            "disabled": False,
            "published": False,
            "cover": None,
            "scheduled_at": now,
            "reconnect_grace_s": self.default_grace_s,
            "latency_mode": self.default_latency_mode.value,
            **fields,
        }
        await self.events.insert(doc)
        log.info(
            "live: event %s created by %s in org %s", doc["_id"], caller.user_id, doc["org_id"]
        )
        return {**self.staff_view(doc), **self.key_view(key.plain)}

    async def _checked_source(
        self, caller: Caller, source: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """The event's ``source`` (``live/sources/spec.py``); a pull URL's host is resolved
        here, before anything connects to it."""
        addresses: list[str] = []
        may_pull = caller.role in (Role.ORG_ADMIN, Role.PLATFORM_ADMIN)
        if may_pull and isinstance(source, Mapping) and source.get("type") == "pull":
            with contextlib.suppress(pull.PullRefused):  # checked_source says why
                addresses = await self.resolve(pull.check_url(source.get("url", "")).host)
        return checked_source(caller, source, resolve=lambda _: addresses, allow=self.pull_allow)

    async def list_events(
        self,
        caller: Caller | None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
        org_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Staff: every event of their subtree, drafts included. Everyone else: published
        events that are on air, upcoming, or ended with a replay. ``org_id``: only those of
        that organization and its sub-organizations (an organization page)."""
        if status is not None and status not in {s.value for s in Status}:
            raise InvalidEvent(
                f"status 必须是 scheduled/live/reconnecting/ended 之一。"
                f"status must be scheduled, live, reconnecting or ended, not {status!r}."
            )
        staff = is_staff(caller)
        subtree: str | None = None
        if staff:
            assert caller is not None
            if not is_platform_admin(caller):
                subtree = caller.org_id
        docs = await self.events.listing(
            status=status,
            subtree=subtree,
            public_only=not staff,
            skip=max(0, offset),
            limit=max(1, min(limit, 200)),
            org=org_id or None,
        )
        if staff:
            return [self.staff_view(d) for d in docs]
        return [self.public_view(d) for d in docs if d["status"] != Status.ENDED or d.get("replay")]

    async def get(self, caller: Caller | None, event_id: str) -> dict[str, Any]:
        """Staff of the event's subtree see everything; others see a public event, and are
        told a draft does not exist (``live/visibility.py``)."""
        doc = await self._doc(event_id)
        if visibility.sees_drafts(caller, doc["org_path"]):
            return self.staff_view(doc)
        if not visibility.is_public(doc):
            raise EventNotFound()
        return self.public_view(doc)

    async def update(
        self, caller: Caller, event_id: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Change fields; disabling an event on air ends it."""
        doc = await self._staff_doc(caller, event_id, Action.MANAGE_CONTENT)
        fields = _validated(body, creating=False)
        disable = fields.get("disabled") is True and not doc.get("disabled")
        uploaded: str = doc.get("cover_key") or ""
        replaced = bool(uploaded) and "cover" in fields and fields["cover"] != media_url(uploaded)
        if replaced:
            fields["cover_key"] = None
        if fields:
            updated = await self.events.change(event_id, fields)
            if updated is None:
                raise EventNotFound()
            doc = updated
        if replaced:
            # Another cover was named: the uploaded picture is no one's any more.
            await self.objects.delete(uploaded)
        if disable and doc["status"] in ON_AIR:
            doc = await self._end(doc, StopReason.DISABLED)
        if "published" in fields or "disabled" in fields:
            for listener in list(self._visibility_listeners):
                await listener(doc)
        return self.staff_view(doc)

    async def set_cover(self, caller: Caller, event_id: str, image: CoverImage) -> dict[str, Any]:
        """Keep ``image`` as the event's cover (who may PATCH the event may): ``cover``
        becomes its URL; the previously uploaded cover's object is deleted."""
        doc = await self._staff_doc(caller, event_id, Action.MANAGE_CONTENT)
        key = cover_key(f"live/{event_id}/", image)
        await self.objects.put(key, image.data, image.content_type, COVER_CACHE)
        updated = await self.events.change(event_id, {"cover": media_url(key), "cover_key": key})
        if updated is None:
            await self.objects.delete(key)
            raise EventNotFound()
        old = doc.get("cover_key")
        if old and old != key:
            await self.objects.delete(old)
        return self.staff_view(updated)

    async def remove_cover(self, caller: Caller, event_id: str) -> dict[str, Any]:
        """Drop the cover (uploaded or typed): the pages show the generated one again."""
        doc = await self._staff_doc(caller, event_id, Action.MANAGE_CONTENT)
        updated = await self.events.change(event_id, {"cover": None, "cover_key": None})
        if updated is None:
            raise EventNotFound()
        if doc.get("cover_key"):
            await self.objects.delete(doc["cover_key"])
        return self.staff_view(updated)

    async def delete(self, caller: Caller, event_id: str) -> None:
        """Remove an event that is not on air, with its media and refusals."""
        doc = await self._staff_doc(caller, event_id, Action.MANAGE_CONTENT)
        if doc["status"] in ON_AIR:
            raise EventOnAir(
                Sentence(
                    "直播进行中，请先结束直播再删除。",
                    "The event is on air: stop it before deleting it.",
                )
            )
        if not await self.events.delete_off_air(event_id):
            raise EventOnAir(
                Sentence(
                    "直播刚刚开始，请先结束直播再删除。", "The event just went live: stop it first."
                )
            )
        await self.refusals.delete_many({"event_id": event_id})
        for listener in list(self._delete_listeners):
            await listener(event_id)
        await self.objects.delete_prefix(f"live/{event_id}/")
        log.info("live: event %s deleted by %s", event_id, caller.user_id)

    async def count_for_org(self, org_id: str) -> dict[str, int]:
        """The organization's own live events, whatever their status (it may not be deleted
        while it has any)."""
        return {"live_events": await self.events.count_of_org(org_id)}

    async def rotate_key(self, caller: Caller, event_id: str) -> dict[str, Any]:
        """A new key; the old one stops working for new publishes (a running one goes on)."""
        doc = await self._staff_doc(caller, event_id, Action.MANAGE_CONTENT)
        if doc["status"] == Status.ENDED:
            raise EventEnded(
                Sentence("直播已结束，无需更换推流码。", "The event has ended; its key is unused.")
            )
        key = issue_key()
        old = [doc["key_hash"], *doc.get("old_key_hashes", [])][:5]
        await self.events.set_key(event_id, key.digest, old)
        log.info("live: key of event %s rotated by %s", event_id, caller.user_id)
        return self.key_view(key.plain)

    async def stop(self, caller: Caller, event_id: str) -> dict[str, Any]:
        """End the event now (idempotent)."""
        doc = await self._staff_doc(caller, event_id, Action.MANAGE_CONTENT)
        if doc["status"] != Status.ENDED:
            doc = await self._end(doc, StopReason.STOPPED)
        return self.staff_view(doc)

    async def health(self, caller: Caller, event_id: str) -> dict[str, Any]:
        """The latest health figures the ingest stored."""
        doc = await self._staff_doc(caller, event_id, Action.READ_CONTENT)
        health_at = doc.get("health_at")
        stale = health_at is None or self.clock() - health_at > HEALTH_STALE_S
        return {
            "status": doc["status"],
            "health": doc.get("health"),
            "stale": stale or doc["status"] not in ON_AIR,
        }

    async def list_refusals(self, caller: Caller, event_id: str | None) -> list[dict[str, Any]]:
        """The latest admission refusals of an event (or, for platform admins and
        ``event_id=None``, those no event could be named for, such as unknown keys). Those
        are the platform's, in no organization's subtree: to every other caller they do not
        exist (404, as for the job queue), whatever its role."""
        if event_id is None:
            if not is_platform_admin(caller):
                raise EventNotFound()
        else:
            await self._staff_doc(caller, event_id, Action.READ_CONTENT)
        docs = await self.refusals.find(
            {"event_id": event_id}, sort=[("at", -1)], limit=MAX_REFUSALS
        )
        return [
            {"code": d["code"], "message": d["message"], "at": d["at"], "remote": d.get("remote")}
            for d in docs
        ]

    # ------------------------------------------------------------ ending

    async def _end(self, doc: Document, reason: StopReason) -> Document:
        """Ask the ingest holding the event to end it; end it here if none answers within
        ``stop_wait_s``."""
        event_id = doc["_id"]
        if doc["status"] == Status.SCHEDULED:
            session = Session.resume(event_id, Status.SCHEDULED)
            decisions = session.stop(self.clock(), reason)
            ended = await self._perform_end(event_id, decisions, self.events.end_scheduled)
            if ended is not None:
                return ended
            doc = await self._doc(event_id)
            if doc["status"] == Status.ENDED:
                return doc
        # Listen before asking, so that the ingest's notice cannot come in between.
        notices = await self.counters.subscribe(STATUS_CHANNEL)
        try:
            action = "disable" if reason is StopReason.DISABLED else "stop"
            await self.counters.publish(
                CONTROL_CHANNEL, json.dumps({"event_id": event_id, "action": action}).encode()
            )
            current = await self._doc(event_id)
            if current["status"] == Status.ENDED:
                return current
            if await self._hear_ended(notices, event_id):
                return await self._doc(event_id)
        finally:
            await notices.close()
        # No ingest process holds the event (it crashed, or the publisher left and that
        # process is gone): end it from here; the replay job also closes the playlists.
        log.warning("live: no ingest ended event %s; ending it from this process", event_id)
        return await self.end_orphan(event_id, reason)

    async def _hear_ended(self, notices: Subscription, event_id: str) -> bool:
        """Whether the status channel says, within ``stop_wait_s``, that the event ended."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.stop_wait_s):
                async for raw in notices:
                    if _status_notice(raw) == (event_id, Status.ENDED.value):
                        return True
        return False

    async def end_unaired(self, event_id: str) -> Document | None:
        """End an event that never went on air (a pull source that gave up); None when it
        went on air meanwhile."""
        decisions = Session.resume(event_id, Status.SCHEDULED).stop(
            self.clock(), StopReason.STOPPED
        )
        return await self._perform_end(event_id, decisions, self.events.end_scheduled)

    async def end_orphan(self, event_id: str, reason: StopReason) -> Document:
        """End an on-air event that no ingest holds, and queue its replay."""
        current = await self._doc(event_id)
        session = Session.resume(
            event_id,
            Status(current["status"]),
            started_at=current.get("started_at"),
            left_at=current.get("left_at"),
        )
        decisions = session.abandoned(self.clock(), reason)
        ended = await self._perform_end(event_id, decisions, self.events.end_on_air)
        return ended if ended is not None else await self._doc(event_id)

    async def _perform_end(
        self,
        event_id: str,
        decisions: list[Decision],
        write: Callable[[str, Mapping[str, Any]], Awaitable[Document | None]],
    ) -> Document | None:
        """Perform the decisions of an end no ingest performs: the compare-and-set ``write``
        first (if it does not apply, the event moved on meanwhile: None, nothing else done),
        then the replay and the notice."""
        ended: Document | None = None
        for decision in decisions:
            if isinstance(decision, Persist):
                ended = await write(event_id, decision.fields)
                if ended is None:
                    return None
            elif isinstance(decision, QueueReplay):
                await self.queue_replay(event_id)
            elif isinstance(decision, Notify):
                await self.publish_status(event_id, decision.status.value)
        return ended

    async def queue_replay(self, event_id: str) -> None:
        """Queue the replay packaging job (idempotent by job id)."""
        if self.jobs is None:
            log.error("live: no job queue; the replay of %s is not packaged", event_id)
            return
        await self.jobs.enqueue(
            REPLAY_JOB, {"event_id": event_id}, job_id=f"live.replay:{event_id}"
        )

    # ------------------------------------------------------------ ingest side

    async def find_by_key(self, plain: str) -> tuple[Document | None, bool]:
        """The event a key opens, and whether the key is a rotated-out one."""
        if not looks_like_key(plain):
            return None, False
        digest = hash_key(plain)
        doc = await self.events.with_key(digest)
        if doc is not None and key_matches(plain, doc["key_hash"]):
            return doc, False
        old = await self.events.with_old_key(digest)
        return old, old is not None

    async def record_refusal(
        self,
        event_id: str | None,
        refusal: admission.Refusal,
        remote: str | None,
    ) -> None:
        """Log a refusal and keep it for the refusals API."""
        log.warning(
            "live: publish refused (%s) for event %s from %s: %s",
            refusal.code,
            event_id or "-",
            remote or "?",
            refusal.message,
        )
        try:
            await self.refusals.insert(
                {
                    "_id": secrets.token_hex(12),
                    "event_id": event_id,
                    "code": refusal.code,
                    "message": refusal.message,
                    "at": self.clock(),
                    "remote": remote,
                }
            )
        except Exception:
            log.exception("live: could not record a refusal")

    async def playable(self, event_id: str) -> LivePlayable | None:
        """What the play API and ``/media`` need, or None for an unknown event; ``public``
        says whether anyone may see it, or only its staff."""
        doc = await self.events.get(event_id)
        if doc is None:
            return None
        replay = doc.get("replay")
        status = doc["status"]
        key = replay["master_key"] if status == Status.ENDED and replay else master_key(event_id)
        duration = replay.get("duration_s") if replay else doc.get("duration")
        return LivePlayable(
            event_id=event_id,
            org_path=list(doc["org_path"]),
            title=doc["title"],
            category=doc["category"],
            status=status,
            is_live=status in ON_AIR,
            master_key=key,
            duration_s=duration,
            started_at=doc.get("started_at"),
            ended_at=doc.get("ended_at") if status == Status.ENDED else None,
            public=visibility.is_public(doc),
        )


def _status_notice(raw: bytes) -> tuple[str, str] | None:
    """``(event_id, status)`` of a message on the status channel, or None if it is not one."""
    try:
        message = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(message, dict):
        return None
    event_id, status = message.get("event_id"), message.get("status")
    if isinstance(event_id, str) and isinstance(status, str):
        return event_id, status
    return None


async def _getaddrinfo(host: str) -> list[str]:
    """Every address ``host`` resolves to (none when it does not)."""
    literal = pull.literal(host)
    if literal is not None:
        return [str(literal)]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None)
    except OSError:
        return []
    return sorted({str(info[4][0]) for info in infos})


def _validated(body: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """The stored fields of a create/update body. Numbers (``scheduled_at``,
    ``reconnect_grace_s``) were bounded by the body's schema; texts and the category are
    checked here."""
    fields: dict[str, Any] = {}
    title = body.get("title")
    if title is not None:
        fields["title"] = clean_text("title", title, max_len=200, code=InvalidEvent.code)
    elif creating:
        raise InvalidEvent(Sentence("请填写标题。", "The title must not be empty."))
    category = body.get("category")
    if category is not None:
        try:
            fields["category"] = parse_category(category).value
        except ValueError:
            raise InvalidCategory(unknown_category(category)) from None
    cover = body.get("cover")
    if cover is not None:
        fields["cover"] = (
            clean_text("cover", cover, max_len=1000, required=False, code=InvalidEvent.code) or None
        )
    for name in ("scheduled_at", "published", "disabled", "reconnect_grace_s"):
        if body.get(name) is not None:
            fields[name] = body[name]
    mode = body.get("latency_mode")
    if mode is not None:
        if mode not in MODES:
            raise InvalidEvent(
                Sentence(
                    "延迟模式必须是 standard 或 low。",
                    f"latency_mode must be standard or low, not {mode!r}.",
                )
            )
        fields["latency_mode"] = mode
    return fields
