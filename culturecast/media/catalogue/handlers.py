"""HTTP handlers of the catalogue (thin: parse, call the service, serialise)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import msgspec
from aiohttp import web

from culturecast.core.access import Action, Caller, is_staff
from culturecast.core.cards import CardFacts, add_card_facts
from culturecast.core.categories import categories
from culturecast.core.covers import COVER_TYPES_SENT, MAX_COVER_BYTES, CoverImage, check_cover
from culturecast.core.errors import BadRequest, ClientError
from culturecast.core.kit import Kit
from culturecast.core.routes import Route, add_routes
from culturecast.media.catalogue import query as q
from culturecast.media.catalogue.service import (
    MAX_EPISODE,
    CatalogueService,
    resource_json,
    series_json,
)

UNSET = msgspec.UNSET

Episode = Annotated[int, msgspec.Meta(ge=1, le=MAX_EPISODE, description="1 to 100000.")]
"""An episode number in a series."""


class NewResource(msgspec.Struct, forbid_unknown_fields=True):
    """A resource made from a finished upload."""

    upload_id: str
    title: str
    category: str
    kind: str | None = None
    description: str = ""
    tags: list[str] = []
    performer: str = ""
    series_id: str | None = None
    episode: Episode | None = None
    published: bool = False
    loudnorm: bool = False


class ResourceChanges(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to change; absent fields stay, ``series_id: null`` leaves the series."""

    title: str | msgspec.UnsetType = UNSET
    description: str | msgspec.UnsetType = UNSET
    tags: list[str] | msgspec.UnsetType = UNSET
    performer: str | msgspec.UnsetType = UNSET
    category: str | msgspec.UnsetType = UNSET
    series_id: str | msgspec.UnsetType | None = UNSET
    episode: Episode | msgspec.UnsetType | None = UNSET
    published: bool | msgspec.UnsetType = UNSET


class NewSeries(msgspec.Struct, forbid_unknown_fields=True):
    title: str
    org_id: str | None = None
    description: str = ""
    category: str | None = None
    performer: str = ""
    published: bool = False


class SeriesChanges(msgspec.Struct, forbid_unknown_fields=True):
    title: str | msgspec.UnsetType = UNSET
    description: str | msgspec.UnsetType = UNSET
    category: str | msgspec.UnsetType | None = UNSET
    performer: str | msgspec.UnsetType = UNSET
    published: bool | msgspec.UnsetType = UNSET


def _changes(struct: msgspec.Struct) -> dict[str, Any]:
    return {
        name: value
        for name in struct.__struct_fields__
        if (value := getattr(struct, name)) is not UNSET
    }


def _episode_view(doc: dict[str, Any]) -> dict[str, Any]:
    """An episode in a series publish's answer."""
    return {"id": doc["_id"], "title": doc["title"], "episode": doc.get("episode")}


def _parse_query(params: dict[str, str], *, staff: bool) -> q.ResourceQuery:
    try:
        return q.parse_query(params, staff=staff)
    except ClientError:
        raise  # already a sentence in both languages (a number out of its range)
    except ValueError as exc:
        raise BadRequest(str(exc), code="invalid_query") from exc


def _page_params(request: web.Request) -> tuple[int, int]:
    parsed = _parse_query(
        {k: v for k, v in request.query.items() if k in ("limit", "offset")}, staff=True
    )
    return parsed.limit, parsed.offset


class CatalogueHandlers:
    def __init__(
        self,
        kit: Kit,
        service: Callable[[], CatalogueService],
        on_search: Callable[[str | None, str], Awaitable[None]] | None = None,
        facts: Callable[[], CardFacts | None] = lambda: None,
        sign: Callable[[str], str | None] = lambda key: None,
    ) -> None:
        self._kit = kit
        self._get_service = service
        """The service is built when the app starts (cleanup context), after routes exist."""
        self._on_search = on_search
        """Told of each free-text search (org_id, term): the hot words (学习热词)."""
        self._facts = facts
        """Organization names and 观看人次 for the list cards, from their owners."""
        self._sign = sign
        """A signed, expiring URL of an object key (None: no signing secret): how the staff
        of a draft see its cover, which is not served unsigned (media/signing.py)."""

    @property
    def _service(self) -> CatalogueService:
        return self._get_service()

    def _out(self, caller: Caller | None, doc: dict[str, Any]) -> dict[str, Any]:
        # Staff-only fields are for the resource's own staff, not for any organization's.
        staff = q.sees_staff_fields(caller, doc)
        out = resource_json(doc, staff=staff)
        if staff:
            out["cover_preview_url"] = self._preview(doc, public=q.is_public(doc))
        return out

    def _series_out(self, caller: Caller | None, doc: dict[str, Any]) -> dict[str, Any]:
        out = series_json(doc)
        if q.sees_staff_fields(caller, doc):
            out["cover_preview_url"] = self._preview(doc, public=bool(doc.get("published")))
        return out

    def _preview(self, doc: dict[str, Any], *, public: bool) -> str | None:
        """The URL its staff see the cover at: the public one, or for an item that is not
        public a signed one (the plain URL of a draft's cover is 404, as its other media)."""
        key = doc.get("cover_key")
        if not key:
            return None
        return f"/media/{key}" if public else self._sign(key)

    async def _cover(self, request: web.Request) -> CoverImage:
        data = await self._kit.raw_body(request, MAX_COVER_BYTES)
        return check_cover(data, request.headers.get("Content-Type"))

    async def put_cover(self, request: web.Request) -> web.Response:
        service = self._service
        return await self._put_cover(
            request, "resource_id", service.get, service.set_cover, self._out
        )

    async def delete_cover(self, request: web.Request) -> web.Response:
        return await self._delete_cover(
            request, "resource_id", self._service.remove_cover, self._out
        )

    async def put_series_cover(self, request: web.Request) -> web.Response:
        service = self._service
        return await self._put_cover(
            request, "series_id", service.get_series, service.set_series_cover, self._series_out
        )

    async def delete_series_cover(self, request: web.Request) -> web.Response:
        return await self._delete_cover(
            request, "series_id", self._service.remove_series_cover, self._series_out
        )

    async def _put_cover(
        self,
        request: web.Request,
        id_field: str,
        get: Callable[[Caller, str], Awaitable[object]],
        put: Callable[[Caller, str, CoverImage], Awaitable[dict[str, Any]]],
        out: Callable[[Caller | None, dict[str, Any]], dict[str, Any]],
    ) -> web.Response:
        """A resource's or a series' cover: the item's 404 before its body is read (a foreign
        item's body is never read), then the checked image kept."""
        caller = await self._kit.caller(request)
        item_id = request.match_info[id_field]
        await get(caller, item_id)
        image = await self._cover(request)
        return self._kit.json(out(caller, await put(caller, item_id, image)))

    async def _delete_cover(
        self,
        request: web.Request,
        id_field: str,
        remove: Callable[[Caller, str], Awaitable[dict[str, Any]]],
        out: Callable[[Caller | None, dict[str, Any]], dict[str, Any]],
    ) -> web.Response:
        caller = await self._kit.caller(request)
        return self._kit.json(out(caller, await remove(caller, request.match_info[id_field])))

    async def list_categories(self, request: web.Request) -> web.Response:
        return self._kit.json({"items": categories()})

    async def create(self, request: web.Request) -> web.Response:
        caller = await self._kit.caller(request)
        body = await self._kit.body(request, NewResource)
        doc = await self._service.create_from_upload(
            caller,
            upload_id=body.upload_id,
            title=body.title,
            category=body.category,
            kind=body.kind,
            description=body.description,
            tags=body.tags,
            performer=body.performer,
            series_id=body.series_id,
            episode=body.episode,
            published=body.published,
            loudnorm=body.loudnorm,
        )
        return self._kit.json(self._out(caller, doc), status=201)

    async def list(self, request: web.Request) -> web.Response:
        caller = await self._kit.optional_caller(request)
        query = _parse_query(dict(request.query), staff=is_staff(caller))
        page = await self._service.list_resources(caller, query)
        if query.q and query.offset == 0 and self._on_search is not None:
            # The first page only: paging through results is one search.
            await self._on_search(query.org_id, query.q)
        items = [self._out(caller, d) for d in page.items]
        await add_card_facts(self._facts(), "resource", items)
        return self._kit.json(
            {
                "items": items,
                "total": page.total,
                "limit": query.limit,
                "offset": query.offset,
            }
        )

    async def get(self, request: web.Request) -> web.Response:
        caller = await self._kit.optional_caller(request)
        doc = await self._service.get(caller, request.match_info["resource_id"])
        item = self._out(caller, doc)
        await add_card_facts(self._facts(), "resource", [item])  # the player page shows them
        return self._kit.json(item)

    async def update(self, request: web.Request) -> web.Response:
        caller = await self._kit.caller(request)
        body = await self._kit.body(request, ResourceChanges)
        doc = await self._service.update(caller, request.match_info["resource_id"], _changes(body))
        return self._kit.json(self._out(caller, doc))

    async def _publish(self, request: web.Request, published: bool) -> web.Response:
        caller = await self._kit.caller(request)
        doc = await self._service.update(
            caller, request.match_info["resource_id"], {"published": published}
        )
        return self._kit.json(self._out(caller, doc))

    async def publish(self, request: web.Request) -> web.Response:
        return await self._publish(request, True)

    async def unpublish(self, request: web.Request) -> web.Response:
        return await self._publish(request, False)

    async def delete(self, request: web.Request) -> web.Response:
        caller = await self._kit.caller(request)
        await self._service.delete(caller, request.match_info["resource_id"])
        return web.Response(status=204)

    async def retry(self, request: web.Request) -> web.Response:
        caller = await self._kit.caller(request)
        doc = await self._service.retry(caller, request.match_info["resource_id"])
        return self._kit.json(self._out(caller, doc), status=202)

    # -- series ---------------------------------------------------------------------------

    async def create_series(self, request: web.Request) -> web.Response:
        caller = await self._kit.caller(request)
        body = await self._kit.body(request, NewSeries)
        org_id = body.org_id or caller.org_id
        if not org_id:
            raise BadRequest("name the organization (org_id) of the series", code="org_required")
        org_path = await self._kit.org_path(caller, org_id, Action.MANAGE_CONTENT)
        doc = await self._service.create_series(
            caller,
            org_path,
            title=body.title,
            description=body.description,
            category=body.category,
            performer=body.performer,
            published=body.published,
        )
        return self._kit.json(self._series_out(caller, doc), status=201)

    async def list_series(self, request: web.Request) -> web.Response:
        caller = await self._kit.optional_caller(request)
        limit, offset = _page_params(request)
        page = await self._service.list_series(
            caller,
            org_id=request.query.get("org_id") or None,
            text=(request.query.get("q") or "").strip(),
            limit=limit,
            offset=offset,
        )
        items = [self._series_out(caller, d) for d in page.items]
        episodes = await self._service.episode_ids(caller, [item["id"] for item in items])
        await add_card_facts(self._facts(), "resource", items, counted=episodes)
        return self._kit.json(
            {
                "items": items,
                "total": page.total,
                "limit": limit,
                "offset": offset,
            }
        )

    async def get_series(self, request: web.Request) -> web.Response:
        caller = await self._kit.optional_caller(request)
        series_id = request.match_info["series_id"]
        doc = await self._service.get_series(caller, series_id)
        episodes = await self._service.episodes(caller, series_id)
        items = [self._out(caller, e) for e in episodes]
        for i, item in enumerate(items):
            item["next_episode_id"] = items[i + 1]["id"] if i + 1 < len(items) else None
        return self._kit.json({**self._series_out(caller, doc), "episodes": items})

    async def next_episode(self, request: web.Request) -> web.Response:
        caller = await self._kit.optional_caller(request)
        series_id = request.match_info["series_id"]
        after = request.query.get("after")
        if not after:
            raise BadRequest("name the current episode: ?after=<resource_id>", code="invalid_query")
        await self._service.get_series(caller, series_id)
        doc = await self._service.next_episode(caller, series_id, after)
        return self._kit.json({"next": None if doc is None else self._out(caller, doc)})

    async def update_series(self, request: web.Request) -> web.Response:
        caller = await self._kit.caller(request)
        body = await self._kit.body(request, SeriesChanges)
        doc = await self._service.update_series(
            caller, request.match_info["series_id"], _changes(body)
        )
        return self._kit.json(self._series_out(caller, doc))

    async def _publish_series(self, request: web.Request, published: bool) -> web.Response:
        caller = await self._kit.caller(request)
        done = await self._service.publish_series(
            caller, request.match_info["series_id"], published
        )
        verb = "published" if published else "unpublished"
        return self._kit.json(
            {
                "series": series_json(done.series),
                verb: [_episode_view(d) for d in done.followed],
                f"not_{verb}": [
                    {**_episode_view(d), "status": d["status"], "reason": reason.view()}
                    for d, reason in done.held
                ],
            }
        )

    async def publish_series(self, request: web.Request) -> web.Response:
        return await self._publish_series(request, True)

    async def unpublish_series(self, request: web.Request) -> web.Response:
        return await self._publish_series(request, False)

    async def delete_series(self, request: web.Request) -> web.Response:
        caller = await self._kit.caller(request)
        await self._service.delete_series(caller, request.match_info["series_id"])
        return web.Response(status=204)

    def setup(self) -> None:
        one = "/api/v1/resources/{resource_id}"
        add_routes(self._kit, "resources", [
            Route("GET", "/api/v1/categories", self.list_categories,
                  "Resource categories with zh-CN and en labels", auth=False),
            Route("POST", "/api/v1/resources", self.create,
                  "Create a resource from a finished upload and queue its processing",
                  body=NewResource, status=201),
            Route("GET", "/api/v1/resources", self.list,
                  "List resources: q, category, kind, org_id, series_id, tag, performer, "
                  "status/published (staff), sort (newest|oldest|title|episode), limit, offset; "
                  "each item carries org_name and views (plays to date, 观看人次)",
                  auth=False),
            Route("GET", one, self.get, "One resource, with org_name and views (观看人次)",
                  auth=False),
            Route("PATCH", one, self.update,
                  "Change a resource's descriptive fields, series, episode or published flag",
                  body=ResourceChanges),
            Route("DELETE", one, self.delete, "Delete a resource with its renditions and original",
                  status=204),
            Route("POST", one + "/retry", self.retry, "Queue a failed resource's processing again",
                  status=202),
            Route("POST", one + "/publish", self.publish, "Publish a resource"),
            Route("POST", one + "/unpublish", self.unpublish, "Unpublish a resource"),
            Route("PUT", one + "/cover", self.put_cover,
                  "Upload a resource's cover: the raw image as the body (image/jpeg, image/png "
                  "or image/webp, at most 5 MB); cards then show cover_url",
                  raw_body=COVER_TYPES_SENT),
            Route("DELETE", one + "/cover", self.delete_cover,
                  "Remove a resource's uploaded cover (the poster is shown again)"),
        ])  # fmt: skip
        one = "/api/v1/series/{series_id}"
        add_routes(self._kit, "series", [
            Route("POST", "/api/v1/series", self.create_series, "Create a series (专辑)",
                  body=NewSeries, status=201),
            Route("GET", "/api/v1/series", self.list_series,
                  "List series: q, org_id, limit, offset; each item carries org_name and views "
                  "(its episodes' plays to date, 观看人次)", auth=False),
            Route("GET", one, self.get_series,
                  "A series with its episodes in order (each with next_episode_id)", auth=False),
            Route("GET", one + "/next", self.next_episode,
                  "The episode after ?after=<resource_id> (continue listening)", auth=False),
            Route("PATCH", one, self.update_series, "Change a series", body=SeriesChanges),
            Route("POST", one + "/publish", self.publish_series,
                  "Publish a series with every ready episode (发布全部); the answer lists "
                  "published and not_published episodes, each held one with its reason "
                  "(resource_failed, resource_processing, replay_follows_event) in zh and en"),
            Route("POST", one + "/unpublish", self.unpublish_series,
                  "Unpublish a series with its episodes (replays follow their live event); "
                  "lists unpublished and not_unpublished"),
            Route("DELETE", one, self.delete_series, "Delete a series (its episodes stay)",
                  status=204),
            Route("PUT", one + "/cover", self.put_series_cover,
                  "Upload a series' cover: the raw image as the body (image/jpeg, image/png or "
                  "image/webp, at most 5 MB); cards then show cover_url",
                  raw_body=COVER_TYPES_SENT),
            Route("DELETE", one + "/cover", self.delete_series_cover,
                  "Remove a series' uploaded cover"),
        ])  # fmt: skip
