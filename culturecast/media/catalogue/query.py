"""List queries over the catalogue, pure: parse the query string, decide what a caller may
see, build the database filter and sort, and match free-text search.

Visibility (DESIGN.md § Media resources, § Accounts), the same rule as a live event's
(``live/visibility.py``; the two packages may not import each other): a resource is *public*
when it is published *and* ready, and anyone sees it; everything else is seen only by the
staff of its subtree (org admins and editors whose organization is on its ``org_path``) and
platform admins, and is unknown (404) to everyone else — anonymous users, viewers, staff of
other organizations. Staff-only fields are for the same staff. A replay (``live_event_id``)
is published exactly while its live event is public: the composition root keeps it in step.
Free text is matched here rather than in the database because the shared query language has
no substring operator, and titles are Chinese (no word boundaries to index).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from culturecast.core.categories import parse_category
from culturecast.core.numbers import MAX_OFFSET, query_int
from culturecast.media.kit import PLATFORM_ADMIN, Caller, in_subtree, is_staff

STATUSES = ("uploaded", "processing", "ready", "failed")
KINDS = ("video", "audio")
SORTS: dict[str, tuple[tuple[str, int], ...]] = {
    "newest": (("created_at", -1),),
    "oldest": (("created_at", 1),),
    "title": (("title", 1),),
    "episode": (("episode", 1), ("created_at", 1)),
}
MAX_LIMIT = 100
PUBLIC: dict[str, Any] = {"published": True, "status": "ready"}
"""What anyone may see."""


@dataclass(frozen=True, slots=True)
class ResourceQuery:
    """A parsed ``GET /api/v1/resources`` query."""

    q: str = ""
    category: str | None = None
    kind: str | None = None
    org_id: str | None = None
    series_id: str | None = None
    tag: str | None = None
    performer: str | None = None
    status: str | None = None
    published: bool | None = None
    sort: str = "newest"
    limit: int = 20
    offset: int = 0


def parse_query(params: Mapping[str, str], *, staff: bool) -> ResourceQuery:
    """Parse list parameters; ``ValueError`` naming the bad one (``core.errors.InvalidQuery``
    for a number out of its range). ``status`` and
    ``published`` filter drafts, so only staff may use them."""
    kind = params.get("kind") or None
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be video or audio, got {kind!r}")
    category = params.get("category") or None
    if category is not None:
        category = parse_category(category).value
    status = params.get("status") or None
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    published_raw = params.get("published") or None
    published: bool | None = None
    if published_raw is not None:
        if published_raw not in ("true", "false"):
            raise ValueError(f"published must be true or false, got {published_raw!r}")
        published = published_raw == "true"
    if not staff and (status is not None or published is not None):
        raise ValueError("the status and published filters are for organization staff")
    sort = params.get("sort") or "newest"
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, got {sort!r}")
    q = (params.get("q") or "").strip()
    if len(q) > 100:
        raise ValueError("q must be at most 100 characters")
    return ResourceQuery(
        q=q,
        category=category,
        kind=kind,
        org_id=params.get("org_id") or None,
        series_id=params.get("series_id") or None,
        tag=params.get("tag") or None,
        performer=params.get("performer") or None,
        status=status,
        published=published,
        sort=sort,
        limit=query_int(params, "limit", 20, 1, MAX_LIMIT),
        offset=query_int(params, "offset", 0, 0, MAX_OFFSET),
    )


def visibility(caller: Caller | None) -> dict[str, Any]:
    """The filter of what ``caller`` may see."""
    if caller is None or not is_staff(caller):
        return dict(PUBLIC)
    if str(caller.role) == PLATFORM_ADMIN:
        return {}
    return {"$or": [{"org_path": caller.org_id}, dict(PUBLIC)]}


def is_public(doc: Mapping[str, Any]) -> bool:
    """Whether anyone may see the resource: published and ready (:data:`PUBLIC`)."""
    return bool(doc.get("published")) and doc.get("status") == "ready"


def sees_staff_fields(caller: Caller | None, doc: Mapping[str, Any]) -> bool:
    """Whether ``caller`` is staff of the resource's subtree: its drafts and staff-only
    fields (who made it, failures, checksums, the job) are theirs."""
    return in_subtree(caller, list(doc.get("org_path", [])))


def may_see(caller: Caller | None, doc: Mapping[str, Any]) -> bool:
    """Whether one document passes :func:`visibility` (for single-item reads)."""
    return is_public(doc) or sees_staff_fields(caller, doc)


def build_filter(query: ResourceQuery, caller: Caller | None) -> dict[str, Any]:
    """The database filter for ``query`` as ``caller`` (free text excepted)."""
    flt = visibility(caller)
    for field, value in (
        ("category", query.category),
        ("kind", query.kind),
        ("org_path", query.org_id),
        ("series_id", query.series_id),
        ("tags", query.tag),
        ("performer", query.performer),
        ("status", query.status),
        ("published", query.published),
    ):
        if value is not None:
            flt[field] = value
    return flt


def sort_spec(query: ResourceQuery) -> Sequence[tuple[str, int]]:
    return SORTS[query.sort]


def matches_text(doc: Mapping[str, Any], q: str) -> bool:
    """Case-insensitive substring search over title, performer, series title and tags."""
    if not q:
        return True
    needle = q.casefold()
    fields = [doc.get("title"), doc.get("performer"), doc.get("series_title")]
    fields += list(doc.get("tags") or [])
    return any(isinstance(f, str) and needle in f.casefold() for f in fields)
