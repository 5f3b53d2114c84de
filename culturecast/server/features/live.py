"""Wiring of the live feature into the application (see ``culturecast/live``).

Roles (DESIGN.md § Processes): the RTMP listener, the transcoders, the packagers and the
reconnect grace timers run in ``standalone`` and ``ingest``; the HTTP API in ``standalone``
and ``api``. Every role builds a :class:`LiveService` (status notices reach every process
over the counters' pub/sub, so chat in an api process hears that a show went live). In
distributed mode the ingest writes to the shared object store and database, so any api node
serves the stream.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from culturecast.jobs.port import JobRegistry
from culturecast.live import handlers, srt_ingest, visibility
from culturecast.live.ingest import IngestLimits, RtmpIngest
from culturecast.live.ladders import LIVE_LADDER
from culturecast.live.replay import ReplayPackager
from culturecast.live.runtime import LiveRuntime, RuntimeConfig
from culturecast.live.service import INDEXES, REPLAY_JOB, LiveService
from culturecast.live.sources.runner import SourceSupervisor
from culturecast.live.srt_ingest import SrtIngest
from culturecast.live.targets import handlers as target_handlers
from culturecast.live.targets.runner import TargetSupervisor
from culturecast.live.targets.store import INDEXES as TARGET_INDEXES
from culturecast.live.targets.store import TargetStore
from culturecast.media.catalogue.service import CatalogueService
from culturecast.media.search.service import SearchIndex
from culturecast.server.context import METRICS, ROLE, SERVICES
from culturecast.server.engines import Engines
from culturecast.server.features import media_signing
from culturecast.server.features.cards import CARD_FACTS
from culturecast.server.kit import HttpKit
from culturecast.server.settings import Settings
from culturecast.transcode.command import EncoderSettings

if TYPE_CHECKING:
    from culturecast.server.jobs import JobDeps

log = logging.getLogger("culturecast.live")

LIVE_SERVICE = web.AppKey("live_service", LiveService)
"""The live service of this process (``playable``, ``add_listener``)."""
LIVE_RUNTIME = web.AppKey("live_runtime", LiveRuntime)
"""The ingest runtime (standalone and ingest roles only)."""
LIVE_INGEST = web.AppKey("live_ingest", RtmpIngest)
"""The RTMP listener (standalone and ingest roles only)."""
LIVE_TARGETS = web.AppKey("live_targets", TargetStore)
"""The events' push targets (转推)."""

type ReplayReady = Callable[[dict[str, Any]], Awaitable[None]]


def install(
    app: web.Application,
    kit: HttpKit,
    *,
    runtime_config: Callable[[Any], RuntimeConfig] | None = None,
    ingest_limits: IngestLimits | None = None,
) -> None:
    """Add the live feature's routes, services and background tasks to ``app``."""
    role = app[ROLE]

    async def live_ctx(app: web.Application) -> AsyncIterator[None]:
        services = app[SERVICES]
        settings = services.settings
        engines = services.engines
        await engines.database.ensure_indexes([*INDEXES, *TARGET_INDEXES])
        service = LiveService(
            engines.database,
            engines.objects,
            engines.counters,
            services.jobs,
            authz=kit,
            rtmp_url=settings.rtmp_url,
            clock=services.clock,
            default_latency_mode=settings.live_latency_mode,
            pull_allow=settings.pull_allow,
            sign=lambda key: media_signing.cover_preview(services, key),
        )
        app[LIVE_SERVICE] = service
        targets = app[LIVE_TARGETS] = TargetStore(service)
        if role in ("standalone", "api"):
            service.add_visibility_listener(replay_follows_event(engines, services.clock))
        # An organization with live events may not be deleted (the accounts ask the owner).
        services.accounts.add_org_holdings(service.count_for_org)
        await service.start()
        ingest: RtmpIngest | None = None
        runtime: LiveRuntime | None = None
        supervisor: TargetSupervisor | None = None
        sources: SourceSupervisor | None = None
        srt: SrtIngest | None = None
        try:
            if role in ("standalone", "ingest"):
                config = (
                    runtime_config(settings)
                    if runtime_config is not None
                    else runtime_config_from(settings)
                )
                runtime = LiveRuntime(service, engines.objects, config, clock=services.clock)
                app[LIVE_RUNTIME] = runtime
                supervisor = TargetSupervisor(runtime, targets, ffmpeg=config.encoder.ffmpeg)
                app[METRICS].add_collector(TargetsCollector(supervisor))
                await runtime.recover()
                sources = playout_and_pull(runtime, engines, settings, config.encoder.ffmpeg)
                sources.start()
                srt = await srt_listener(sources, settings)
                limits = ingest_limits or IngestLimits(
                    max_connections=settings.live_max_connections,
                    max_connections_per_address=settings.live_max_connections_per_address,
                )
                ingest = RtmpIngest(
                    runtime, host=settings.http_host, port=settings.rtmp_port, limits=limits
                )
                await ingest.start()
                app[LIVE_INGEST] = ingest
            yield
        finally:
            if ingest is not None:
                await ingest.close()
            if srt is not None:
                await srt.close()
            if sources is not None:
                await sources.close()
            if supervisor is not None:
                await supervisor.close()
            if runtime is not None:
                await runtime.close()
            await service.close()

    app.cleanup_ctx.append(live_ctx)
    if role in ("standalone", "api"):
        handlers.setup_routes(
            kit,
            lambda request: request.app[LIVE_SERVICE],
            facts=lambda request: request.app.get(CARD_FACTS),
        )
        target_handlers.setup_routes(kit, lambda request: request.app[LIVE_TARGETS])


class TargetsCollector:
    """The push targets running in this ingest process on ``/metrics``, read at each
    scrape."""

    def __init__(self, supervisor: TargetSupervisor) -> None:
        self._supervisor = supervisor

    def collect(self) -> Iterator[Metric]:
        labels = ["event_id", "target_id"]
        state = GaugeMetricFamily(
            "culturecast_live_target_state",
            "Push targets (转推) by state: 1 for the state each target is in",
            labels=[*labels, "state"],
        )
        sent = CounterMetricFamily(
            "culturecast_live_target_bytes_sent", "Bytes pushed to each target", labels=labels
        )
        for runner in self._supervisor.all():
            ids = [runner.event_id, runner.id]
            state.add_metric([*ids, runner.machine.state.value], 1)
            sent.add_metric(ids, runner.bytes_sent)
        yield state
        yield sent


def runtime_config_from(settings: Settings) -> RuntimeConfig:
    """The live pipeline's knobs from the settings."""
    return RuntimeConfig(
        spool_dir=settings.data_dir / "spool" / "live",
        ladder=settings.live_ladder or LIVE_LADDER,
        segment_s=settings.live_segment_s,
        encoder=EncoderSettings(preset=settings.live_preset),
    )


def playout_and_pull(
    runtime: LiveRuntime, engines: Engines, settings: Settings, ffmpeg: str
) -> SourceSupervisor:
    """The feeds of pull and playout events (``live/sources/runner.py``): playout reads the
    resources' HLS from the object store (a local path, or a presigned URL on S3)."""
    catalogue = CatalogueService(engines.database, engines.objects, None, None)

    async def media_input(key: str) -> str | None:
        path = await engines.objects.local_path(key)
        if path is not None:
            return str(path)
        return await engines.objects.presign_get(key, 6 * 3600)

    return SourceSupervisor(
        runtime,
        resolve=runtime.service.resolve,
        allow=settings.pull_allow,
        resources=catalogue.docs_of,
        media_input=media_input,
        ffmpeg=ffmpeg,
        pull_attempts=settings.pull_attempts,
    )


async def srt_listener(sources: SourceSupervisor, settings: Settings) -> SrtIngest | None:
    """The SRT ingest when CULTURECAST_SRT_PORT is set (``live/srt_ingest.py``)."""
    if settings.srt_port is None:
        return None
    if not srt_ingest.available():
        log.error(
            "live: CULTURECAST_SRT_PORT is set but PyGObject with GStreamer's srtsrc is not "
            "installed (pip install 'culturecast[srt]', gstreamer1.0-plugins-bad); no SRT"
        )
        return None
    ingest = SrtIngest(
        sources,
        host=settings.http_host,
        port=settings.srt_port,
        passphrase=settings.srt_passphrase,
    )
    await ingest.start()
    return ingest


def replay_follows_event(engines: Engines, clock: Callable[[], float]) -> ReplayReady:
    """After the API changes whether an event is public, its replay in the media catalogue
    (if it has one yet) is published or unpublished with it."""
    catalogue = CatalogueService(engines.database, engines.objects, None, None, clock=clock)

    async def follow(event: dict[str, Any]) -> None:
        replay = await catalogue.follow_event(event["_id"], visibility.is_public(event))
        if replay is not None:
            log.info(
                "live: replay %s of %s %s",
                replay["_id"],
                event["_id"],
                "published" if replay["published"] else "unpublished",
            )

    return follow


def replay_to_catalogue(deps: JobDeps) -> ReplayReady:
    """Link a finished replay (直播回看) into the media catalogue as a ready video resource
    over the replay's HLS objects, published exactly when its event is public (a draft's
    replay is a draft); idempotent per live event."""
    catalogue = CatalogueService(
        deps.engines.database,
        deps.engines.objects,
        None,
        None,
        clock=deps.clock,
        search=SearchIndex(deps.engines.database),
    )

    async def on_replay_ready(event: dict[str, Any]) -> None:
        replay = event["replay"]
        resource = await catalogue.create_replay(
            org_id=event["org_id"],
            org_path=list(event["org_path"]),
            title=event.get("title") or "",
            category=event.get("category") or "performance",
            live_event_id=event["_id"],
            master_key=replay["master_key"],
            duration_s=replay.get("duration_s"),
            created_by=event.get("created_by") or "",
            published=visibility.is_public(event),
        )
        log.info(
            "live: replay of %s is resource %s (%s)",
            event["_id"],
            resource["id"],
            "published" if resource["published"] else "a draft, as its event",
        )

    return on_replay_ready


def register_jobs(
    registry: JobRegistry, deps: JobDeps, *, on_replay_ready: ReplayReady | None = None
) -> None:
    """Register the live feature's job handlers (api and worker processes alike).

    ``on_replay_ready(event_doc)`` runs after a replay is written; by default the replay
    becomes a VOD resource in the media catalogue, linked to the event.
    """
    packager = ReplayPackager(
        deps.engines.database,
        deps.engines.objects,
        segment_s=deps.settings.live_segment_s,
        clock=deps.clock,
        on_replay_ready=on_replay_ready or replay_to_catalogue(deps),
    )
    registry.register(REPLAY_JOB, packager.handle)
