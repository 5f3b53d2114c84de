"""Typed application-state keys (aiohttp ``AppKey``), shared by the app factory and handlers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from culturecast.jobs.port import JobQueue
from culturecast.jobs.records import JobRecords
from culturecast.media.delivery import Delivery
from culturecast.server.accounts.service import AccountService
from culturecast.server.api import ApiRoutes
from culturecast.server.engines import Engines
from culturecast.server.metrics import Metrics
from culturecast.server.settings import Settings


@dataclass(slots=True)
class Services:
    """Everything a handler may need, opened by the app's cleanup context."""

    settings: Settings
    """The process settings."""
    engines: Engines
    """Open adapters."""
    accounts: AccountService
    """Organizations, users, tokens."""
    jobs: JobQueue
    """Where work is queued."""
    job_records: JobRecords
    """Every job's state and progress."""
    clock: Callable[[], float]
    """Wall clock (seconds since the epoch); injected so tests control time."""


SETTINGS = web.AppKey("settings", Settings)
METRICS = web.AppKey("metrics", Metrics)
ROUTES = web.AppKey("routes", ApiRoutes)
SERVICES = web.AppKey("services", Services)
ROLE = web.AppKey("role", str)
MEDIA_DELIVERY = web.AppKey("media_delivery", Delivery)
"""The media routes' server, once the media feature has started (not in the ingest role):
the fast path in front of the application answers hot objects through it."""
