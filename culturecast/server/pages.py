"""Web pages: the app factory calls ``setup_routes``; the pages live in ``server/web``."""

from __future__ import annotations

from aiohttp import web

from culturecast.server.web import pages


def setup_routes(app: web.Application) -> None:
    pages.setup_routes(app)
