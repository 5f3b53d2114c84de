"""Wiring of the live feature into the application (see the package's own docs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from culturecast.server.kit import HttpKit
from culturecast.transcode.jobs.port import JobRegistry

if TYPE_CHECKING:
    from culturecast.server.jobs import JobDeps


def install(app: web.Application, kit: HttpKit) -> None:
    """Add the live feature's routes, services and background tasks to ``app``."""


def register_jobs(registry: JobRegistry, deps: JobDeps) -> None:
    """Register the live feature's job handlers (api and worker processes alike)."""
