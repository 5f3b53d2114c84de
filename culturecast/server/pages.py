"""Web pages. The viewer and admin pages arrive with the web issue; until then the home page
says what this server is and where its API lives."""

from __future__ import annotations

from html import escape

from aiohttp import web

from culturecast import __version__
from culturecast.server.context import SETTINGS

_HOME = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body><h1>{title}</h1><p>{tagline}</p>
<ul><li><a href="/api/v1/openapi.json">OpenAPI</a></li><li><a href="/readyz">readyz</a></li></ul>
<p><small>CultureCast {version} · {base}</small></p></body></html>"""

_TEXT = {
    "zh-CN": ("文化云直播与资源服务", "直播、回看、点播资源与观看统计。"),
    "en": ("Culture cloud live and media server", "Live shows, replays, resources and views."),
}


async def home(request: web.Request) -> web.Response:
    lang = "en" if request.query.get("lang") == "en" else "zh-CN"
    title, tagline = _TEXT[lang]
    html = _HOME.format(
        lang=lang,
        title=escape(title),
        tagline=escape(tagline),
        version=__version__,
        base=escape(request.app[SETTINGS].base_url),
    )
    return web.Response(text=html, content_type="text/html", charset="utf-8")


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/", home)
