"""The catalogue service: resources and series in the database, their objects in the store.

Resource document (collection ``resources``)::

    {_id, org_id, org_path, kind: video|audio|None (until probed), category, title,
     description, tags, performer, series_id, series_title, episode, status:
     uploaded|processing|ready|failed, progress, failure: {code, message, message_zh} | None,
     published, loudnorm, duration_s, original_key, original_sha256, hls_master_key,
     poster_key, thumbnails_key, cover_key, renditions, source, live_event_id, upload_id,
     created_by, created_at, updated_at}

Series document (collection ``series``)::

    {_id, org_id, org_path, title, description, category, performer, published, cover_key,
     created_by, created_at, updated_at}

A cover staff uploaded (``core/covers.py``) is ``cover_key``: ``vod/<id>/cover-<hash>.<ext>``
of a resource (served, signed and deleted with its other media), ``series/<id>/cover-…`` of
a series; the API shows it as ``cover_url``, which cards prefer to the generated poster.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from culturecast.core.access import (
    Action,
    Caller,
    in_subtree,
    is_staff,
    manages_subtree,
    require_role,
    subtree_filter,
)
from culturecast.core.categories import label, parse_category, unknown_category
from culturecast.core.covers import COVER_CACHE, CoverImage, cover_key, media_url
from culturecast.core.errors import BadRequest, Conflict, NotFound, Sentence
from culturecast.core.text import clean_text
from culturecast.media.catalogue import query as q
from culturecast.media.catalogue.lifecycle import ResourceLifecycle, ResourceStatus
from culturecast.media.catalogue.publication import (
    Held,
    held_from_publish,
    held_from_unpublish,
)
from culturecast.media.search.service import SearchIndex
from culturecast.media.uploads.service import UploadService
from culturecast.storage.database.port import Collection, Database, Document, IndexSpec
from culturecast.storage.objects.port import ObjectStore

RESOURCES = "resources"
SERIES = "series"
PROCESS_JOB = "media.process"

CATALOGUE_INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(RESOURCES, (("org_path", 1), ("created_at", -1))),
    IndexSpec(RESOURCES, (("published", 1), ("status", 1), ("created_at", -1))),
    IndexSpec(RESOURCES, (("series_id", 1), ("episode", 1))),
    IndexSpec(RESOURCES, (("live_event_id", 1),), unique=True),
    IndexSpec(SERIES, (("org_path", 1), ("created_at", -1))),
)

SEARCH_SCAN_LIMIT = 5000
MAX_EPISODE = 100_000
"""Highest episode number (the longest 评书 series run to a few thousand)."""
"""Most documents a free-text search looks through (a provincial library holds ~2,400)."""


def process_job_id(resource_id: str) -> str:
    """One processing job per resource, so enqueueing twice runs it once."""
    return f"{PROCESS_JOB}:{resource_id}"


class Jobs(Protocol):
    """The part of the job queue the catalogue uses."""

    async def enqueue(self, name: str, payload: Mapping[str, Any], job_id: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class ResourcePlayable:
    """What playback needs to know about a resource (the views feature's contract)."""

    resource_id: str
    org_path: list[str]
    title: str
    category: str
    kind: str
    published: bool
    ready: bool
    master_key: str | None
    duration_s: float | None
    series_id: str | None


def _described(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The checked title, description and performer among ``changes`` (those sent), shared
    by resources and series."""
    fields: dict[str, Any] = {}
    if "title" in changes:
        fields["title"] = _text("title", changes["title"], 1, 200)
    if "description" in changes:
        fields["description"] = _text("description", changes["description"], 0, 5000)
    if "performer" in changes:
        fields["performer"] = _text("performer", changes["performer"], 0, 100)
    return fields


def _text(name: str, value: str, low: int, high: int) -> str:
    # One rule for every text a person types (core.text): NUL and invisible-only refused.
    return clean_text(name, value, max_len=high, required=low > 0, min_len=max(low, 1))


def _tags(tags: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for tag in tags:
        tag = clean_text("tags", tag, max_len=30)
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > 20:
        raise BadRequest(Sentence("最多 20 个标签。", "At most 20 tags."), code="invalid_body")
    return cleaned


def _category(value: str) -> str:
    try:
        return parse_category(value).value
    except ValueError:
        raise BadRequest(unknown_category(value), code="invalid_category") from None


def _episode(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= MAX_EPISODE:
        raise BadRequest(
            Sentence(
                f"集数应为 1–{MAX_EPISODE} 之间的整数。",
                f"episode must be between 1 and {MAX_EPISODE}.",
            ),
            code="invalid_body",
        )
    return value


def resource_json(doc: Document, *, staff: bool) -> dict[str, Any]:
    """The API view of a resource; staff also see failures and who created it."""
    ready = doc.get("status") == "ready"
    out: dict[str, Any] = {
        "id": doc["_id"],
        "org_id": doc["org_id"],
        "kind": doc.get("kind"),
        "category": doc["category"],
        "category_label": label(doc["category"]),
        "title": doc["title"],
        "description": doc.get("description", ""),
        "tags": doc.get("tags", []),
        "performer": doc.get("performer", ""),
        "series_id": doc.get("series_id"),
        "series_title": doc.get("series_title"),
        "episode": doc.get("episode"),
        "status": doc["status"],
        "progress": doc.get("progress", 0),
        "published": bool(doc.get("published")),
        "duration_s": doc.get("duration_s"),
        "master_url": f"/media/{doc['hls_master_key']}"
        if ready and doc.get("hls_master_key")
        else None,
        "poster_url": f"/media/{doc['poster_key']}" if ready and doc.get("poster_key") else None,
        "thumbnails_url": f"/media/{doc['thumbnails_key']}"
        if ready and doc.get("thumbnails_key")
        else None,
        "thumbnails": doc.get("thumbnails"),
        "cover_url": media_url(doc["cover_key"]) if doc.get("cover_key") else None,
        "renditions": doc.get("renditions", []),
        "live_event_id": doc.get("live_event_id"),
        "created_at": doc["created_at"],
        "updated_at": doc["updated_at"],
    }
    if staff:
        out.update(
            failure=doc.get("failure"),
            original_sha256=doc.get("original_sha256"),
            source=doc.get("source"),
            loudnorm=bool(doc.get("loudnorm")),
            created_by=doc.get("created_by"),
            job_id=process_job_id(doc["_id"]) if not doc.get("live_event_id") else None,
        )
    return out


def series_json(doc: Document) -> dict[str, Any]:
    return {
        "id": doc["_id"],
        "org_id": doc["org_id"],
        "title": doc["title"],
        "description": doc.get("description", ""),
        "category": doc.get("category"),
        "category_label": label(doc["category"]) if doc.get("category") else None,
        "performer": doc.get("performer", ""),
        "published": bool(doc.get("published")),
        "cover_url": media_url(doc["cover_key"]) if doc.get("cover_key") else None,
        "created_at": doc["created_at"],
        "updated_at": doc["updated_at"],
    }


def resource_prefix(resource_id: str) -> str:
    """Where a resource's objects are kept (renditions, poster, cover)."""
    return f"vod/{resource_id}/"


def series_prefix(series_id: str) -> str:
    """Where a series' objects are kept (its cover)."""
    return f"series/{series_id}/"


@dataclass(frozen=True, slots=True)
class SeriesVisible:
    """What media delivery needs to know about a series (its cover's gate)."""

    series_id: str
    org_path: list[str]
    published: bool


@dataclass(frozen=True, slots=True)
class SeriesPublication:
    """What publishing or unpublishing a series with its episodes did."""

    series: Document
    followed: list[Document]
    """The episodes now published (unpublished) like the series, in episode order."""
    held: list[tuple[Document, Held]]
    """The episodes left as they were, each with why."""


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Document]
    total: int


class CatalogueService:
    """Resources and series: create, list, read, change, delete, and playback facts."""

    def __init__(
        self,
        database: Database,
        objects: ObjectStore,
        uploads: UploadService | None,
        jobs: Jobs | None,
        *,
        clock: Callable[[], float] = time.time,
        search: SearchIndex | None = None,
    ) -> None:
        self._search = search
        """Keeps the search terms of every resource (None: search scans, as before)."""
        self._resources = database.collection(RESOURCES)
        self._series = database.collection(SERIES)
        self._objects = objects
        self._uploads = uploads
        self._jobs = jobs
        self._clock = clock

    # -- resources ------------------------------------------------------------------------

    async def create_from_upload(
        self,
        caller: Caller,
        *,
        upload_id: str,
        title: str,
        category: str,
        kind: str | None,
        description: str,
        tags: Sequence[str],
        performer: str,
        series_id: str | None,
        episode: int | None,
        published: bool,
        loudnorm: bool,
    ) -> Document:
        """A resource from a finished upload, with its processing job queued."""
        if self._uploads is None or self._jobs is None:
            raise RuntimeError("this catalogue service cannot create resources from uploads")
        if kind is not None and kind not in q.KINDS:
            raise BadRequest(f"kind must be video or audio, got {kind!r}", code="invalid_kind")
        fields: dict[str, Any] = {
            "title": _text("title", title, 1, 200),
            "category": _category(category),
            "description": _text("description", description, 0, 5000),
            "tags": _tags(tags),
            "performer": _text("performer", performer, 0, 100),
            "episode": _episode(episode),
        }
        resource_id = uuid.uuid4().hex
        upload = await self._uploads.consume(caller, upload_id, resource_id)
        try:
            series_title = None
            if series_id is not None:
                series = await self._series_for_manage(caller, series_id)
                if series["org_id"] != upload["org_id"]:
                    raise BadRequest(
                        "the series belongs to another organization than the upload",
                        code="series_org_mismatch",
                    )
                series_title = series["title"]
            now = self._clock()
            doc: Document = {
                "_id": resource_id,
                "org_id": upload["org_id"],
                "org_path": upload["org_path"],
                "kind": kind,
                **fields,
                "series_id": series_id,
                "series_title": series_title,
                "status": "uploaded",
                "progress": 0,
                "failure": None,
                "published": published,
                "loudnorm": loudnorm,
                "duration_s": None,
                "original_key": upload["object_key"],
                "original_name": upload.get("filename") or "",
                "original_size": upload["length"],
                "original_sha256": None,
                "hls_master_key": None,
                "poster_key": None,
                "thumbnails_key": None,
                "renditions": [],
                "source": None,
                "live_event_id": None,
                "upload_id": upload_id,
                "created_by": caller.user_id,
                "created_at": now,
                "updated_at": now,
            }
            await self._resources.insert(doc)
            await self._reindex(doc)
        except BaseException:
            await self._uploads.release(upload_id, resource_id)
            raise
        await self._jobs.enqueue(
            PROCESS_JOB, {"resource_id": resource_id}, process_job_id(resource_id)
        )
        return doc

    async def get(self, caller: Caller | None, resource_id: str) -> Document:
        """A resource the caller may see; 404 otherwise (foreign drafts included)."""
        doc = await self._resources.get(resource_id)
        if doc is None or not q.may_see(caller, doc):
            raise NotFound("resource not found", code="resource_not_found")
        return doc

    async def _for_manage(self, caller: Caller, resource_id: str) -> Document:
        """The resource for a change (``core/access.py``): 404 when the caller may not see it
        or it is another organization's, 403 when it sees it but may not manage content."""
        doc = await self._resources.get(resource_id)
        if doc is None or not (q.may_see(caller, doc) and in_subtree(caller, doc["org_path"])):
            raise NotFound("resource not found", code="resource_not_found")
        require_role(caller, Action.MANAGE_CONTENT)
        return doc

    async def list_resources(self, caller: Caller | None, query: q.ResourceQuery) -> Page:
        flt = q.build_filter(query, caller)
        sort = q.sort_spec(query)
        if not query.q:
            items = await self._resources.find(flt, sort=sort, skip=query.offset, limit=query.limit)
            return Page(items, await self._resources.count(flt))
        if self._search is not None:
            return await self._ranked(flt, query)
        docs = await self._resources.find(flt, sort=sort, limit=SEARCH_SCAN_LIMIT)
        hits = [d for d in docs if q.matches_text(d, query.q)]
        return Page(hits[query.offset : query.offset + query.limit], len(hits))

    async def update(
        self, caller: Caller, resource_id: str, changes: Mapping[str, Any]
    ) -> Document:
        """Change descriptive fields and the published flag (``changes`` holds only the fields
        sent; ``series_id`` None takes the resource out of its series)."""
        doc = await self._for_manage(caller, resource_id)
        fields = _described(changes)
        if "tags" in changes:
            fields["tags"] = _tags(changes["tags"])
        if "category" in changes:
            fields["category"] = _category(changes["category"])
        if "episode" in changes:
            fields["episode"] = _episode(changes["episode"])
        if "published" in changes:
            fields["published"] = bool(changes["published"])
            if fields["published"] and doc.get("status") == ResourceStatus.FAILED:
                # Published while processing means "public once ready" (query.PUBLIC); a
                # failed resource never gets there, so publishing it would only mislead.
                raise Conflict(
                    Sentence(
                        "处理失败的资源不能发布，请重新处理或重新上传。",
                        "A resource whose processing failed cannot be published; "
                        "retry its processing or upload it again.",
                    ),
                    code="resource_failed",
                )
            if doc.get("live_event_id") and fields["published"] != bool(doc.get("published")):
                raise Conflict(
                    "回看随直播一起发布：请发布或撤下直播本身。The replay follows its live "
                    "event: publish or unpublish the event instead.",
                    code="replay_follows_event",
                )
        if "series_id" in changes:
            series_id = changes["series_id"]
            if series_id is None:
                fields.update(series_id=None, series_title=None)
            else:
                series = await self._series_for_manage(caller, series_id)
                if series["org_id"] != doc["org_id"]:
                    raise BadRequest(
                        "the series belongs to another organization than the resource",
                        code="series_org_mismatch",
                    )
                fields.update(series_id=series_id, series_title=series["title"])
        fields["updated_at"] = self._clock()
        updated = await self._resources.update_one({"_id": resource_id}, set=fields)
        if updated is None:
            raise NotFound("resource not found", code="resource_not_found")
        await self._reindex(updated)
        return updated

    async def set_cover(self, caller: Caller, resource_id: str, image: CoverImage) -> Document:
        """Keep ``image`` as the resource's cover (as a change of the resource: who may PATCH
        it may); the previous cover's object is deleted."""
        doc = await self._for_manage(caller, resource_id)
        return await self._put_cover(
            self._resources, doc, resource_prefix(resource_id), image, "resource_not_found"
        )

    async def remove_cover(self, caller: Caller, resource_id: str) -> Document:
        """Drop the uploaded cover: the cards show the poster (or a generated tile) again."""
        doc = await self._for_manage(caller, resource_id)
        return await self._drop_cover(self._resources, doc, "resource_not_found")

    async def _put_cover(
        self, coll: Collection, doc: Document, prefix: str, image: CoverImage, missing: str
    ) -> Document:
        key = cover_key(prefix, image)
        await self._objects.put(key, image.data, image.content_type, COVER_CACHE)
        updated = await coll.update_one(
            {"_id": doc["_id"]}, set={"cover_key": key, "updated_at": self._clock()}
        )
        if updated is None:
            # Deleted meanwhile: keep nothing of it.
            await self._objects.delete(key)
            raise NotFound(missing.replace("_", " "), code=missing)
        old = doc.get("cover_key")
        if old and old != key:
            await self._objects.delete(old)
        return dict(updated)

    async def _drop_cover(self, coll: Collection, doc: Document, missing: str) -> Document:
        updated = await coll.update_one(
            {"_id": doc["_id"]}, set={"cover_key": None, "updated_at": self._clock()}
        )
        if updated is None:
            raise NotFound(missing.replace("_", " "), code=missing)
        if doc.get("cover_key"):
            await self._objects.delete(doc["cover_key"])
        return dict(updated)

    async def _reindex(self, doc: Document) -> None:
        if self._search is not None:
            await self._search.put(doc)

    async def _reindex_series(self, series_id: str) -> None:
        if self._search is not None:
            await self._search.put_many(await self._resources.find({"series_id": series_id}))

    async def rebuild_search(self) -> int:
        """Index every resource (at start, when the index is new); returns how many."""
        if self._search is None:
            return 0
        done = 0
        while True:
            batch = await self._resources.find(sort=[("_id", 1)], skip=done, limit=500)
            await self._search.put_many(batch)
            done += len(batch)
            if len(batch) < 500:
                return done

    async def _ranked(self, flt: Mapping[str, Any], query: q.ResourceQuery) -> Page:
        """Search through the term index: ranked ids, then only those resources."""
        assert self._search is not None
        ids = await self._search.search(query.q)
        if query.sort != "newest":
            # An order asked for (?sort=episode …) wins over relevance.
            matched = {**flt, "_id": {"$in": ids}}
            items = await self._resources.find(
                matched, sort=q.sort_spec(query), skip=query.offset, limit=query.limit
            )
            return Page(items, await self._resources.count(matched))
        order = {rid: n for n, rid in enumerate(ids)}
        found: list[Document] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            found += await self._resources.find({**flt, "_id": {"$in": chunk}})
        found.sort(key=lambda doc: order[doc["_id"]])
        return Page(found[query.offset : query.offset + query.limit], len(found))

    async def delete(self, caller: Caller, resource_id: str) -> None:
        """Remove the resource, its renditions and (for uploads) its original."""
        doc = await self._for_manage(caller, resource_id)
        await self._resources.delete_one({"_id": resource_id})
        if self._search is not None:
            await self._search.remove(resource_id)
        await self._objects.delete_prefix(f"vod/{resource_id}/")
        if doc.get("original_key") and not doc.get("live_event_id"):
            await self._objects.delete(doc["original_key"])

    async def retry(self, caller: Caller, resource_id: str) -> Document:
        """Queue a failed resource's processing again."""
        if self._jobs is None:
            raise RuntimeError("this catalogue service cannot queue jobs")
        doc = await self._for_manage(caller, resource_id)
        if doc["status"] != "failed":
            raise Conflict(
                f"only failed resources can be retried; this one is {doc['status']}",
                code="not_failed",
            )
        updated = await ResourceLifecycle(self._resources, self._clock).retry(resource_id)
        if updated is None:
            raise Conflict("the resource changed meanwhile; reload it", code="not_failed")
        queued = await self._jobs.enqueue(
            PROCESS_JOB, {"resource_id": resource_id}, process_job_id(resource_id)
        )
        if not queued:
            raise Conflict("its processing job is already queued or running", code="job_busy")
        return updated

    # -- series ---------------------------------------------------------------------------

    async def create_series(
        self,
        caller: Caller,
        org_path: list[str],
        *,
        title: str,
        description: str,
        category: str | None,
        performer: str,
        published: bool,
    ) -> Document:
        now = self._clock()
        doc: Document = {
            "_id": uuid.uuid4().hex,
            "org_id": org_path[0],
            "org_path": org_path,
            "title": _text("title", title, 1, 200),
            "description": _text("description", description, 0, 5000),
            "category": _category(category) if category else None,
            "performer": _text("performer", performer, 0, 100),
            "published": published,
            "created_by": caller.user_id,
            "created_at": now,
            "updated_at": now,
        }
        await self._series.insert(doc)
        return doc

    async def get_series(self, caller: Caller | None, series_id: str) -> Document:
        doc = await self._series.get(series_id)
        if doc is None or not _sees_series(caller, doc):
            raise NotFound("series not found", code="series_not_found")
        return doc

    async def _series_for_manage(self, caller: Caller, series_id: str) -> Document:
        """The series for a change: 404 when the caller may not see it or it is another
        organization's, 403 when it sees it but may not manage content."""
        doc = await self._series.get(series_id)
        if doc is None or not (_sees_series(caller, doc) and in_subtree(caller, doc["org_path"])):
            raise NotFound("series not found", code="series_not_found")
        require_role(caller, Action.MANAGE_CONTENT)
        return doc

    async def list_series(
        self, caller: Caller | None, *, org_id: str | None, text: str, limit: int, offset: int
    ) -> Page:
        flt: dict[str, Any] = {"published": True}
        if caller is not None and is_staff(caller):
            mine = subtree_filter(caller)
            flt = {"$or": [mine, {"published": True}]} if mine else {}
        if org_id:
            flt["org_path"] = org_id
        sort = (("created_at", -1),)
        if not text:
            items = await self._series.find(flt, sort=sort, skip=offset, limit=limit)
            return Page(items, await self._series.count(flt))
        docs = await self._series.find(flt, sort=sort, limit=SEARCH_SCAN_LIMIT)
        hits = [d for d in docs if q.matches_text(d, text)]
        return Page(hits[offset : offset + limit], len(hits))

    async def update_series(
        self, caller: Caller, series_id: str, changes: Mapping[str, Any]
    ) -> Document:
        await self._series_for_manage(caller, series_id)
        fields = _described(changes)
        if "category" in changes:
            fields["category"] = _category(changes["category"]) if changes["category"] else None
        if "published" in changes:
            fields["published"] = bool(changes["published"])
        fields["updated_at"] = self._clock()
        updated = await self._series.update_one({"_id": series_id}, set=fields)
        if updated is None:
            raise NotFound("series not found", code="series_not_found")
        if "title" in fields:
            # Search matches the series title on its episodes.
            await self._resources.update_many(
                {"series_id": series_id}, set={"series_title": fields["title"]}
            )
            await self._reindex_series(series_id)
        return updated

    async def publish_series(
        self, caller: Caller, series_id: str, published: bool
    ) -> SeriesPublication:
        """Publish (or unpublish) the series and, with it, every episode that may follow
        (``publication.py``: ready ones; failed, processing and replays are held, each with
        its reason). The same callers as a change of the series (404/403)."""
        await self._series_for_manage(caller, series_id)
        held_by = held_from_publish if published else held_from_unpublish
        episodes = await self._resources.find(
            {"series_id": series_id}, sort=q.SORTS["episode"], limit=10_000
        )
        followed: list[Document] = []
        held: list[tuple[Document, Held]] = []
        for doc in episodes:
            reason = held_by(doc)
            if reason is not None:
                held.append((doc, reason))
                continue
            if bool(doc.get("published")) != published:
                # Only a ready one is published: if it changed meanwhile, it stays as it was.
                flt: dict[str, Any] = {"_id": doc["_id"]}
                if published:
                    flt["status"] = ResourceStatus.READY.value
                changed = await self._resources.update_one(
                    flt, set={"published": published, "updated_at": self._clock()}
                )
                if changed is None:
                    continue
                await self._reindex(changed)
                doc = changed
            followed.append(doc)
        series = await self._series.update_one(
            {"_id": series_id}, set={"published": published, "updated_at": self._clock()}
        )
        if series is None:
            raise NotFound("series not found", code="series_not_found")
        return SeriesPublication(series, followed, held)

    async def set_series_cover(self, caller: Caller, series_id: str, image: CoverImage) -> Document:
        """Keep ``image`` as the series' cover (who may PATCH the series may)."""
        doc = await self._series_for_manage(caller, series_id)
        return await self._put_cover(
            self._series, doc, series_prefix(series_id), image, "series_not_found"
        )

    async def remove_series_cover(self, caller: Caller, series_id: str) -> Document:
        doc = await self._series_for_manage(caller, series_id)
        return await self._drop_cover(self._series, doc, "series_not_found")

    async def series_visible(self, series_id: str) -> SeriesVisible | None:
        """Who may see a series (the gate of its cover), or None for an unknown id."""
        doc = await self._series.get(series_id)
        if doc is None:
            return None
        return SeriesVisible(series_id, list(doc["org_path"]), bool(doc.get("published")))

    async def delete_series(self, caller: Caller, series_id: str) -> None:
        """Remove the series (and its cover); its episodes stay, outside any series."""
        await self._series_for_manage(caller, series_id)
        await self._series.delete_one({"_id": series_id})
        await self._objects.delete_prefix(series_prefix(series_id))
        await self._resources.update_many(
            {"series_id": series_id}, set={"series_id": None, "series_title": None}
        )

    async def count_for_org(self, org_id: str) -> dict[str, int]:
        """The organization's own resources and series (it may not be deleted while it has
        any)."""
        return {
            "resources": await self._resources.count({"org_id": org_id}),
            "series": await self._series.count({"org_id": org_id}),
        }

    async def episodes(self, caller: Caller | None, series_id: str) -> list[Document]:
        """The series' episodes the caller may see, in order (episode number, then age)."""
        flt = q.visibility(caller)
        flt["series_id"] = series_id
        return await self._resources.find(flt, sort=q.SORTS["episode"], limit=10_000)

    async def episode_ids(
        self, caller: Caller | None, series_ids: Sequence[str]
    ) -> dict[str, list[str]]:
        """The ids of the episodes the caller may see of each series, in one query (a series
        card's 观看人次 is its episodes' plays)."""
        found: dict[str, list[str]] = {series_id: [] for series_id in series_ids}
        if not found:
            return found
        flt = q.visibility(caller)
        flt["series_id"] = {"$in": list(found)}
        for doc in await self._resources.find(flt):
            found[doc["series_id"]].append(doc["_id"])
        return found

    async def next_episode(
        self, caller: Caller | None, series_id: str, after: str
    ) -> Document | None:
        """The episode that follows ``after`` ("continue listening"); None after the last."""
        episodes = await self.episodes(caller, series_id)
        ids = [e["_id"] for e in episodes]
        if after not in ids:
            raise NotFound("that resource is not an episode of this series", code="not_an_episode")
        index = ids.index(after)
        return episodes[index + 1] if index + 1 < len(episodes) else None

    # -- the contract with playback and live ----------------------------------------------

    async def docs_of(self, resource_ids: Sequence[str]) -> dict[str, Document | None]:
        """The stored resources by id (None for a deleted one), for a live playout."""
        return {rid: await self._resources.get(rid) for rid in dict.fromkeys(resource_ids)}

    async def playable(self, resource_id: str) -> ResourcePlayable | None:
        """Playback facts of a resource, or None when there is no such resource. The caller
        (the views feature) decides who may play it."""
        doc = await self._resources.get(resource_id)
        if doc is None:
            return None
        return ResourcePlayable(
            resource_id=doc["_id"],
            org_path=list(doc["org_path"]),
            title=doc["title"],
            category=doc["category"],
            kind=doc.get("kind") or "video",
            published=bool(doc.get("published")),
            ready=doc.get("status") == "ready",
            master_key=doc.get("hls_master_key"),
            duration_s=doc.get("duration_s"),
            series_id=doc.get("series_id"),
        )

    async def create_replay(
        self,
        *,
        org_id: str,
        org_path: list[str],
        title: str,
        category: str,
        live_event_id: str,
        master_key: str,
        duration_s: float | None,
        created_by: str,
        published: bool,
    ) -> dict[str, Any]:
        """A ready video resource over HLS objects that already exist (a live show's
        recording, 直播回看); no processing. ``published`` is whether its event is public: the
        replay follows the event. One replay per live event: calling again returns the
        existing one, brought in step with ``published``."""
        existing = await self._resources.find_one({"live_event_id": live_event_id})
        if existing is not None:
            if bool(existing.get("published")) != published:
                existing = await self.follow_event(live_event_id, published) or existing
            return resource_json(existing, staff=True)
        try:
            code = parse_category(category).value
        except ValueError:
            code = "other"
        now = self._clock()
        doc: Document = {
            "_id": uuid.uuid4().hex,
            "org_id": org_id,
            "org_path": org_path,
            "kind": "video",
            "category": code,
            "title": title.strip()[:200] or "直播回看",
            "description": "",
            "tags": [],
            "performer": "",
            "episode": None,
            "series_id": None,
            "series_title": None,
            "status": "ready",
            "progress": 100,
            "failure": None,
            "published": published,
            "loudnorm": False,
            "duration_s": duration_s,
            "original_key": None,
            "original_sha256": None,
            "hls_master_key": master_key,
            "poster_key": None,
            "thumbnails_key": None,
            "renditions": [],
            "source": None,
            "live_event_id": live_event_id,
            "upload_id": None,
            "created_by": created_by,
            "created_at": now,
            "updated_at": now,
        }
        await self._resources.insert(doc)
        await self._reindex(doc)
        return resource_json(doc, staff=True)

    async def follow_event(self, live_event_id: str, published: bool) -> Document | None:
        """Publish or unpublish the replay of a live event as the event is or is not public;
        the replay, or None when the event has none (yet)."""
        return await self._resources.update_one(
            {"live_event_id": live_event_id},
            set={"published": published, "updated_at": self._clock()},
        )


def _sees_series(caller: Caller | None, doc: Document) -> bool:
    """Anyone sees a published series; a draft only the staff of its subtree."""
    return bool(doc.get("published")) or manages_subtree(caller, doc["org_path"])
