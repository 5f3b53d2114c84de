"""Wiring of the media feature (VOD uploads, catalogue, processing, delivery) into the app.

Playback contract for the views feature: ``app[MEDIA_SERVICE].playable(resource_id)``; and
``app[MEDIA_REQUEST_CALLBACKS]``, a list the views feature appends to during ``install``:
each callback gets ``(token, key)`` for every ``/media/t/<token>/<key>`` request
(fire-and-forget; a failing callback never fails the request). Replays: the live feature
calls ``app[MEDIA_SERVICE].create_replay(...)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from culturecast.media.catalogue.handlers import CatalogueHandlers
from culturecast.media.catalogue.service import (
    CATALOGUE_INDEXES,
    PROCESS_JOB,
    CatalogueService,
    ResourcePlayable,
)
from culturecast.media.delivery import Delivery
from culturecast.media.processing import ProcessingSettings, Processor
from culturecast.media.uploads.handlers import UploadHandlers
from culturecast.media.uploads.service import UPLOAD_INDEXES, UploadService
from culturecast.server.context import ROLE, SERVICES
from culturecast.server.kit import HttpKit
from culturecast.transcode.command import EncoderSettings
from culturecast.transcode.jobs.port import JobRegistry
from culturecast.transcode.ladder import DEFAULT_VOD_LADDER

if TYPE_CHECKING:
    from culturecast.server.jobs import JobDeps

log = logging.getLogger(__name__)

type MediaRequestCallback = Callable[[str, str], Awaitable[None]]

MEDIA_SERVICE = web.AppKey("media_service", CatalogueService)
"""Resources and series; ``playable()`` and ``create_replay()`` for other features."""
UPLOAD_SERVICE = web.AppKey("upload_service", UploadService)
MEDIA_REQUEST_CALLBACKS = web.AppKey("media_request_callbacks", list[MediaRequestCallback])
"""Called with ``(token, key)`` for each token-carrying media request (view heartbeats)."""

UPLOAD_SWEEP_INTERVAL_S = 600.0
"""How often abandoned uploads are looked for."""

__all__ = ["MEDIA_REQUEST_CALLBACKS", "MEDIA_SERVICE", "ResourcePlayable", "install"]


def install(app: web.Application, kit: HttpKit) -> None:
    """Add the media feature's routes, services and background tasks to ``app``."""
    if app[ROLE] == "ingest":
        return
    callbacks: list[MediaRequestCallback] = []
    app[MEDIA_REQUEST_CALLBACKS] = callbacks

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
        await engines.database.ensure_indexes([*UPLOAD_INDEXES, *CATALOGUE_INDEXES])
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
        catalogue = CatalogueService(
            engines.database, engines.objects, uploads, services.jobs, clock=services.clock
        )
        app[MEDIA_SERVICE] = catalogue
        # An organization with resources, series or uploads may not be deleted.
        services.accounts.add_org_holdings(catalogue.count_for_org)
        services.accounts.add_org_holdings(uploads.count_for_org)
        holder["delivery"] = Delivery(engines.objects, on_media_request=on_media_request)
        sweeper = asyncio.create_task(_sweep(uploads), name="media-upload-sweeper")
        yield
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
        await holder["delivery"].close()

    app.cleanup_ctx.append(media_ctx)
    UploadHandlers(kit, lambda: app[UPLOAD_SERVICE]).setup()
    CatalogueHandlers(kit, lambda: app[MEDIA_SERVICE]).setup()

    async def plain(request: web.Request) -> web.StreamResponse:
        return await holder["delivery"].plain(request)

    async def with_token(request: web.Request) -> web.StreamResponse:
        return await holder["delivery"].with_token(request)

    # The token route first: "/media/{key}" would also match "t/<token>/…".
    app.router.add_get("/media/t/{token}/{key:.+}", with_token)
    app.router.add_get("/media/{key:.+}", plain)


async def _sweep(uploads: UploadService) -> None:
    while True:
        try:
            removed = await uploads.expire()
            if removed:
                log.info("removed %d abandoned upload(s)", removed)
        except Exception:
            log.exception("upload sweep failed")
        await asyncio.sleep(UPLOAD_SWEEP_INTERVAL_S)


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
