"""Wiring of the media feature (VOD uploads, catalogue, processing, delivery) into the app.

Playback contract for the views feature: ``app[MEDIA_SERVICE].playable(resource_id)``; and
``app[MEDIA_REQUEST_CALLBACKS]``, a list the views feature appends to during ``install``:
each callback gets ``(token, key)`` for every ``/media/t/<token>/<key>`` request
(fire-and-forget; a failing callback never fails the request). Replays: the live feature
calls ``app[MEDIA_SERVICE].create_replay(...)``.

Who gets ``/media``: :class:`MediaAccess`, the delivery's gate, applies the visibility rule
(``live/visibility.py``) to the item a key belongs to — a live event (and its replay) through
``app[LIVE_SERVICE].playable``, a resource through ``app[MEDIA_SERVICE].playable``, a series'
cover through ``app[MEDIA_SERVICE].series_visible`` — and, for
an item that is not public, to whoever started the playback session of the token
(``app[MEDIA_TOKEN_VIEWERS]``, filled by the views feature): its staff get it, nobody else.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from culturecast.core.access import Principal
from culturecast.core.coalesce import Coalesced
from culturecast.core.errors import ClientError
from culturecast.core.periodic import Periodic
from culturecast.core.referer import allowed as referer_allowed
from culturecast.jobs.port import JobRegistry
from culturecast.live import visibility
from culturecast.media.blocking import PartWaiter
from culturecast.media.catalogue.handlers import CatalogueHandlers
from culturecast.media.catalogue.service import (
    CATALOGUE_INDEXES,
    PROCESS_JOB,
    CatalogueService,
    ResourcePlayable,
)
from culturecast.media.delivery import Access, Delivery, item_of, servable
from culturecast.media.processing import ProcessingSettings, Processor
from culturecast.media.search.service import INDEXES as SEARCH_INDEXES
from culturecast.media.search.service import SearchIndex
from culturecast.media.uploads.handlers import UploadHandlers
from culturecast.media.uploads.service import UPLOAD_INDEXES, UploadService
from culturecast.server.context import MEDIA_DELIVERY, ROLE, SERVICES
from culturecast.server.features import media_signing
from culturecast.server.features.cards import CARD_FACTS
from culturecast.server.features.live import LIVE_SERVICE
from culturecast.server.kit import HttpKit
from culturecast.transcode.command import EncoderSettings
from culturecast.transcode.ladder import DEFAULT_VOD_LADDER

if TYPE_CHECKING:
    from culturecast.server.jobs import JobDeps

log = logging.getLogger(__name__)

type MediaRequestCallback = Callable[[str, str], Awaitable[None]]
type TokenViewer = Callable[[str], Awaitable[str | None]]

MEDIA_SERVICE = web.AppKey("media_service", CatalogueService)
"""Resources and series; ``playable()`` and ``create_replay()`` for other features."""
UPLOAD_SERVICE = web.AppKey("upload_service", UploadService)
type SearchRecorder = Callable[[str | None, str], Awaitable[None]]
SEARCH_RECORDER: web.AppKey[SearchRecorder] = web.AppKey("search_recorder")
"""Set by the views feature: counts a resource search's term (``record_search``)."""
MEDIA_REQUEST_CALLBACKS = web.AppKey("media_request_callbacks", list[MediaRequestCallback])
"""Called with ``(token, key)`` for each token-carrying media request (view heartbeats)."""
MEDIA_TOKEN_VIEWERS = web.AppKey("media_token_viewers", list[TokenViewer])
"""Asked in turn who started the playback session of a media token: ``u:<user id>``, a
``d:<device>`` or None (the views feature's sessions)."""

UPLOAD_SWEEP_INTERVAL_S = 600.0
"""How often abandoned uploads are looked for."""
EDGE_TOKEN_WINDOW_S = 10
"""How long the nginx edge keeps the api's yes to a playback token: the api then counts that
viewer once per window (a heartbeat counts at most every 5 s), not per playlist and segment."""
REFERER_REFUSAL = {"X-CultureCast-Refusal": "referer_refused"}
"""Tells the edge a 403 of its auth_request is the 防盗链 one (its body then says so)."""
EDGE_ACCESS = "X-CultureCast-Access"
"""On the edge's 204: ``public`` (a miss may be read from the object store itself, and cached
for everyone the check lets through) or ``private`` (a draft's staff preview: a miss goes to
the api, which answers it privately, never cached)."""

__all__ = [
    "MEDIA_REQUEST_CALLBACKS",
    "MEDIA_SERVICE",
    "MEDIA_TOKEN_VIEWERS",
    "MediaAccess",
    "ResourcePlayable",
    "install",
]


@dataclass(frozen=True, slots=True)
class _Item:
    org_path: Sequence[str]
    public: bool
    referer_allow: Sequence[str] = ()
    """The item's organization's 防盗链 list (empty: any site)."""


class _Recent[K, V]:
    """A bounded map whose entries are forgotten ``ttl_s`` after they were put."""

    def __init__(self, ttl_s: float, max_entries: int) -> None:
        self._ttl = ttl_s
        self._max = max_entries
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K, now: float) -> tuple[bool, V | None]:
        hit = self._entries.get(key)
        if hit is None or hit[0] <= now:
            return False, None
        return True, hit[1]

    def put(self, key: K, value: V, now: float) -> None:
        self._entries.pop(key, None)
        self._entries[key] = (now + self._ttl, value)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)


class MediaAccess:
    """The delivery's gate (``media/delivery.py``): the visibility rule over the item a media
    key belongs to, in one place — where signed, expiring URLs will plug in too.

    Public items (``live/visibility.py``: published and not disabled; resources also ready)
    go to anyone. An item that is not public goes only to a request whose playback token was
    started by the staff of its subtree (the play API gives them one: their preview), marked
    private; every other request gets the 404 of an unknown key. That a public item is public,
    and who holds a token, are looked up at most once per ``ttl_s`` per process, so a request
    for what the crowd watches stays a dictionary lookup; unpublishing takes effect everywhere
    within ``ttl_s``.
    """

    def __init__(
        self,
        app: web.Application,
        *,
        ttl_s: float = 1.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._app = app
        self._clock = clock
        self._items: _Recent[tuple[str, str], _Item] = _Recent(ttl_s, max_entries)
        self._holders: _Recent[str, Principal | None] = _Recent(ttl_s, max_entries)
        # When a remembered item expires, the crowd's next requests share one look-up.
        self._look_ups: Coalesced[tuple[str, str], _Item | None] = Coalesced(
            lambda which: self._look_up(*which)
        )

    async def __call__(self, key: str, token: str | None) -> Access:
        item = await self._item(key)
        if item is None:
            return Access.DENIED
        if item.public:
            return Access.PUBLIC
        holder = None if token is None else await self._holder(token)
        if visibility.may_see(holder, item.org_path, public=False):
            return Access.PRIVATE
        return Access.DENIED

    def peek(self, key: str, referer: str | None, host: str | None) -> bool:
        """The crowd's case without a coroutine: ``key``'s item is remembered as public and
        ``referer`` (if any) may play it (``Gate.peek`` in ``media/delivery.py``)."""
        which = item_of(key)
        if which is None:
            return False
        known, item = self._items.get(which, self._clock())
        if not known or item is None or not item.public:
            return False
        return not referer or referer_allowed(referer, host, item.referer_allow)

    async def _item(self, key: str) -> _Item | None:
        which = item_of(key)
        if which is None:
            return None
        now = self._clock()
        known, item = self._items.get(which, now)
        if not known:
            item = await self._look_ups.get(which)
            if item is not None and item.public:
                # Only what the crowd asks for is remembered: publishing takes effect at
                # once, unpublishing within ttl_s.
                self._items.put(which, item, now)
        return item

    async def _look_up(self, kind: str, item_id: str) -> _Item | None:
        if kind == "live":
            event = await self._app[LIVE_SERVICE].playable(item_id)
            if event is None:
                return None
            org_path, public = event.org_path, event.public
        elif kind == "series":
            series = await self._app[MEDIA_SERVICE].series_visible(item_id)
            if series is None:
                return None
            org_path, public = series.org_path, series.published
        else:
            resource = await self._app[MEDIA_SERVICE].playable(item_id)
            if resource is None:
                return None
            org_path, public = resource.org_path, resource.published and resource.ready
        allow: Sequence[str] = ()
        if org_path:
            try:
                org = await self._app[SERVICES].accounts.get_org_doc(org_path[0])
                allow = tuple(org.get("referer_allow", ()))
            except ClientError:
                pass
        return _Item(org_path, public, allow)

    async def referer_ok(self, key: str, referer: str, host: str | None) -> bool:
        """防盗链 (``core/referer.py``): may a page at ``referer`` play ``key``?"""
        item = await self._item(key)
        return item is None or referer_allowed(referer, host, item.referer_allow)

    async def _holder(self, token: str) -> Principal | None:
        now = self._clock()
        known, principal = self._holders.get(token, now)
        if known:
            return principal
        viewer = None
        for ask in self._app.get(MEDIA_TOKEN_VIEWERS, []):
            viewer = await ask(token)
            if viewer is not None:
                break
        if viewer is not None and viewer.startswith("u:"):
            principal = await self._app[SERVICES].accounts.principal(viewer[2:])
        self._holders.put(token, principal, now)
        return principal


def install(app: web.Application, kit: HttpKit) -> None:
    """Add the media feature's routes, services and background tasks to ``app``."""
    if app[ROLE] == "ingest":
        return
    callbacks: list[MediaRequestCallback] = []
    app[MEDIA_REQUEST_CALLBACKS] = callbacks
    app[MEDIA_TOKEN_VIEWERS] = []
    gate = MediaAccess(app)

    async def on_media_request(token: str, key: str) -> None:
        for callback in callbacks:
            try:
                await callback(token, key)
            except Exception:
                log.exception("media request callback failed")

    holder: dict[str, Delivery] = {}

    async def media_ctx(app: web.Application) -> AsyncIterator[None]:
        services = app[SERVICES]
        engines = services.engines
        await engines.database.ensure_indexes(
            [*UPLOAD_INDEXES, *CATALOGUE_INDEXES, *SEARCH_INDEXES]
        )
        settings = services.settings
        uploads = UploadService(
            engines.database,
            engines.objects,
            settings.data_dir / "uploads",
            clock=services.clock,
            max_size=settings.upload_max_bytes,
            ttl_s=settings.upload_ttl_s,
        )
        app[UPLOAD_SERVICE] = uploads
        search = SearchIndex(engines.database)
        catalogue = CatalogueService(
            engines.database,
            engines.objects,
            uploads,
            services.jobs,
            clock=services.clock,
            search=search,
        )
        if await search.is_empty():
            # The first start with search (or a new database): index what is there.
            await catalogue.rebuild_search()
        app[MEDIA_SERVICE] = catalogue
        # An organization with resources, series or uploads may not be deleted.
        services.accounts.add_org_holdings(catalogue.count_for_org)
        services.accounts.add_org_holdings(uploads.count_for_org)
        parts = PartWaiter(engines.counters)
        await parts.start()
        holder["delivery"] = Delivery(
            engines.objects,
            gate=gate,
            on_media_request=on_media_request,
            parts=parts,
            signing_secret=settings.signing_secret,
            wall_clock=services.clock,
            referer_check=gate.referer_ok,
        )
        app[MEDIA_DELIVERY] = holder["delivery"]
        sweeper = Periodic(
            "media-upload-sweeper", UPLOAD_SWEEP_INTERVAL_S, lambda: _sweep(uploads), first_now=True
        )
        sweeper.start()
        yield
        await sweeper.stop()
        await holder["delivery"].close()
        await parts.close()

    app.cleanup_ctx.append(media_ctx)
    UploadHandlers(kit, lambda: app[UPLOAD_SERVICE]).setup()

    async def on_search(org_id: str | None, term: str) -> None:
        if SEARCH_RECORDER in app:
            await app[SEARCH_RECORDER](org_id, term)

    CatalogueHandlers(
        kit,
        lambda: app[MEDIA_SERVICE],
        on_search,
        facts=lambda: app.get(CARD_FACTS),
        sign=lambda key: media_signing.cover_preview(app[SERVICES], key),
    ).setup()

    async def plain(request: web.Request) -> web.StreamResponse:
        return await holder["delivery"].plain(request)

    async def with_token(request: web.Request) -> web.StreamResponse:
        return await holder["delivery"].with_token(request)

    async def signed(request: web.Request) -> web.StreamResponse:
        return await holder["delivery"].signed(request)

    async def find(kind: str, item_id: str) -> media_signing.Found | None:
        if kind == "live":
            event = await app[LIVE_SERVICE].playable(item_id)
            if event is None:
                return None
            return media_signing.Found(list(event.org_path), event.master_key, event.public)
        resource = await app[MEDIA_SERVICE].playable(item_id)
        if resource is None:
            return None
        return media_signing.Found(list(resource.org_path), resource.master_key, resource.published)

    async def edge_auth(request: web.Request) -> web.StreamResponse:
        # The nginx edge's auth_request for every /media request (deploy/nginx/): 204 when
        # the item may be seen — with a token, when it is a known playback session allowed
        # the key, counted as its heartbeat —, 403 otherwise. X-Accel-Expires tells nginx
        # how long to keep the answer: a token's for the heartbeat window, an item's for as
        # long as the gate itself remembers (unpublishing reaches the edge that fast).
        token = request.headers.get("X-CultureCast-Token", "")
        key = request.headers.get("X-CultureCast-Key", "")
        refused = web.Response(
            status=403, headers={"Cache-Control": "no-store", "X-Accel-Expires": "1"}
        )
        if not servable(key):
            return refused
        referer = request.headers.get("Referer")
        if referer and not await gate.referer_ok(key, referer, request.host):
            return web.Response(status=403, headers={**refused.headers, **REFERER_REFUSAL})
        if not token:
            access = await gate(key, None)
            if access is Access.DENIED:
                return refused
            return web.Response(
                status=204, headers={"X-Accel-Expires": "1", EDGE_ACCESS: access.value}
            )
        viewer = None
        for ask in app[MEDIA_TOKEN_VIEWERS]:
            viewer = await ask(token)
            if viewer is not None:
                break
        access = Access.DENIED if viewer is None else await gate(key, token)
        if access is Access.DENIED:
            return refused
        referer = request.headers.get("Referer")
        if referer and not await gate.referer_ok(key, referer, request.host):
            return web.Response(status=403, headers={**refused.headers, **REFERER_REFUSAL})
        holder["delivery"].report(token, key)
        return web.Response(
            status=204,
            headers={"X-Accel-Expires": str(EDGE_TOKEN_WINDOW_S), EDGE_ACCESS: access.value},
        )

    app.router.add_get("/internal/edge/media-auth", edge_auth)
    media_signing.setup(
        kit, lambda: app[SERVICES].settings.signing_secret, find, lambda: app[SERVICES].clock()
    )
    # The token and signed routes first: "/media/{key}" would also match "t/<token>/…".
    app.router.add_get("/media/t/{token}/{key:.+}", with_token)
    app.router.add_get("/media/s/{sig}/{expires}/{key:.+}", signed)
    app.router.add_get("/media/{key:.+}", plain)


async def _sweep(uploads: UploadService) -> None:
    try:
        removed = await uploads.expire()
        if removed:
            log.info("removed %d abandoned upload(s)", removed)
    except Exception:
        log.exception("upload sweep failed")


def register_jobs(registry: JobRegistry, deps: JobDeps) -> None:
    """Register the media feature's job handlers (api and worker processes alike)."""
    engines = deps.engines
    registry.register(
        PROCESS_JOB,
        Processor(
            engines.database,
            engines.objects,
            deps.settings.data_dir / "work" / "media",
            ProcessingSettings(
                ladder=deps.settings.vod_ladder or DEFAULT_VOD_LADDER,
                encoder=EncoderSettings(preset=deps.settings.vod_preset),
            ),
            clock=deps.clock,
        ),
    )
