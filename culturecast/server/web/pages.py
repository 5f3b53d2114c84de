"""Page handlers: pick the language, render one template, attach the page's JSON config.

The pages are shells: the server renders the frame, the headings and the strings; small ES
modules fetch the JSON API and fill them in.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jinja2
from aiohttp import web

from culturecast import __version__
from culturecast.core.errors import LANG_COOKIE, Lang, parse_lang
from culturecast.media.views.handlers import device_of, remember_device
from culturecast.server.jsonapi import NOT_FOUND_PAGE
from culturecast.server.web import i18n
from culturecast.server.web.assets import IMMUTABLE, StaticAssets
from culturecast.server.web.cards import SHARE_CARDS, ShareCard

_HERE: Final = Path(__file__).parent
# Ids of our objects are URL-safe tokens; anything else cannot name one, so it gets the
# not-found page without asking the API.
_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
_LANG_COOKIE_AGE: Final = 365 * 24 * 3600
"""The language cookie remembers a ``?lang=`` choice a year, like other site preferences."""


@dataclass(frozen=True, slots=True)
class WebPages:
    """Templates and static files of one application."""

    env: jinja2.Environment
    assets: StaticAssets
    public_url: str = ""
    """CULTURECAST_PUBLIC_URL without the trailing slash: QR codes and share cards name it
    instead of whatever address the browser used ("" for the request's own)."""


WEB = web.AppKey("web_pages", WebPages)


def create_pages(
    templates: Path = _HERE / "templates", static: Path = _HERE / "static"
) -> WebPages:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    assets = StaticAssets(static)
    env.globals["static"] = assets.url
    env.globals["version"] = __version__
    env.globals["categories"] = i18n.CATEGORIES
    return WebPages(env, assets)


def _render(
    request: web.Request,
    template: str,
    *,
    page: str,
    title_key: str | None = None,
    data: Mapping[str, Any] | None = None,
    status: int = 200,
    card: ShareCard | None = None,
) -> web.Response:
    pages = request.app[WEB]
    query_lang = parse_lang(request.query.get("lang"))
    lang = i18n.choose_lang(request.query.get("lang"), request.cookies.get(LANG_COOKIE))

    def t(key: str, **params: object) -> str:
        return i18n.translate(lang, key, **params)

    other: Lang = "en" if lang == "zh-CN" else "zh-CN"
    # The page's shareable address (no ?lang=: whoever opens it gets their own language).
    site = pages.public_url or f"{request.scheme}://{request.host}"
    share_url = site + request.path
    image = None
    if card is not None and card.image:
        image = card.image if "://" in card.image else site + card.image
    config = {
        "page": page,
        "lang": lang,
        "site_url": site,
        "share_url": share_url,
        "strings": dict(i18n.CATALOGUES[lang]),
        **(data or {}),
    }
    html = pages.env.get_template(template).render(
        lang=lang,
        t=t,
        page=page,
        title=card.title
        if card is not None and card.title
        else t(title_key)
        if title_key
        else None,
        og_description=card.description if card is not None and card.description else None,
        og_image=image,
        other_lang=other,
        other_lang_url=request.rel_url.update_query(lang=other),
        config=config,
        data=data or {},
        share_url=share_url,
    )
    response = web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
    # The HTML names hashed static paths and depends on the language cookie: revalidate.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Vary"] = "Cookie"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if page == "admin":
        response.headers["X-Frame-Options"] = "DENY"  # clickjacking on the console
    if query_lang is not None and request.cookies.get(LANG_COOKIE) != query_lang:
        response.set_cookie(
            LANG_COOKIE, query_lang, max_age=_LANG_COOKIE_AGE, path="/", samesite="Lax"
        )
    return response


async def home(request: web.Request) -> web.Response:
    return _render(request, "home.html", page="home")


async def admin(request: web.Request) -> web.Response:
    return _render(request, "admin.html", page="admin", title_key="admin.title")


async def screen(request: web.Request) -> web.Response:
    """The live data screen of an organization; its figures come from the API (staff only)."""
    org_id = request.match_info["org_id"]
    if not _ID.fullmatch(org_id):
        return _not_found(request)
    return _render(
        request, "screen.html", page="screen", title_key="screen.title", data={"org_id": org_id}
    )


async def favorites(request: web.Request) -> web.Response:
    """我的收藏: the viewer's favorites, a signed-in user's or this device's (``cc_did``)."""
    response = _render(request, "favorites.html", page="favorites", title_key="favorites.title")
    device, new_device = device_of(request)
    if new_device:
        remember_device(request, response, device)
    return response


async def organization(request: web.Request) -> web.Response:
    """/o/<org_id> (机构主页): the organization's name in the HTML (its share card), its
    shows, replays and resources from the list APIs; an unknown organization is not found."""
    org_id = request.match_info["org_id"]
    if not _ID.fullmatch(org_id):
        return _not_found(request, "org.not_found")
    cards = request.app.get(SHARE_CARDS)
    card = None if cards is None else await cards.card("org", org_id)
    if cards is not None and card is None:
        return _not_found(request, "org.not_found")
    name = card.title if card is not None else ""
    return _render(
        request,
        "org.html",
        page="org",
        title_key="org.title",
        data={"org_id": org_id, "org_name": name},
        card=card,
    )


async def schedule(request: web.Request) -> web.Response:
    """/schedule (节目单): the published shows still to come, by day, each with a calendar
    reminder (.ics) made in the browser."""
    return _render(request, "schedule.html", page="schedule", title_key="schedule.title")


def _item_page(template: str, page: str, key: str, not_found: str) -> Any:
    async def handler(request: web.Request) -> web.Response:
        item_id = request.match_info[key]
        if not _ID.fullmatch(item_id):
            return _not_found(request, not_found)
        cards = request.app.get(SHARE_CARDS)
        card = None if cards is None else await cards.card(page, item_id)
        response = _render(request, template, page=page, data={key: item_id}, card=card)
        # The device cookie before anything else: the chat knows a guest by it (so a ban
        # outlasts a reconnect), and the views count the device's plays under it.
        device, new_device = device_of(request)
        if new_device:
            remember_device(request, response, device)
        return response

    return handler


def _not_found(request: web.Request, message_key: str = "page.not_found_hint") -> web.Response:
    return _render(
        request,
        "not_found.html",
        page="not_found",
        title_key="page.not_found",
        data={"message_key": message_key},
        status=404,
    )


# Paths whose 404 stays a JSON error: the API and the machine-facing endpoints.
_NOT_PAGES: Final = ("/api/", "/static/", "/hls/", "/media/", "/socket.io/", "/chat/", "/files/")


def html_not_found(request: web.Request) -> web.StreamResponse | None:
    """A browser asking for a page that does not exist (/nosuchpage, /live, /r/) gets the
    HTML not-found page with a way home; API paths and non-browser clients keep JSON (None).
    The error middleware asks it (``NOT_FOUND_PAGE``) on every ``HTTPNotFound``."""
    if (
        request.method not in ("GET", "HEAD")
        or request.path.startswith(_NOT_PAGES)
        or "text/html" not in request.headers.get("Accept", "")
    ):
        return None
    return _not_found(request)


async def static(request: web.Request) -> web.StreamResponse:
    assets = request.app[WEB].assets
    asset = assets.get(request.match_info["path"])
    if asset is None:
        raise web.HTTPNotFound(reason="no such static file")
    current = request.match_info["version"] == assets.version
    headers = {
        "ETag": asset.etag,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
        # An old or future version (a rolling deploy between api processes): serve today's
        # bytes so the page still works, but let nobody keep them under that name.
        "Cache-Control": IMMUTABLE if current else "no-cache",
    }
    if asset.etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    body = asset.body
    gz = asset.gzipped() if "gzip" in request.headers.get("Accept-Encoding", "") else None
    if gz is not None:
        body = gz
        headers["Content-Encoding"] = "gzip"
    charset = "utf-8" if asset.content_type.startswith("text/") else None
    return web.Response(
        body=body, headers=headers, content_type=asset.content_type, charset=charset
    )


def setup_routes(
    app: web.Application, pages: WebPages | None = None, *, public_url: str = ""
) -> None:
    """Add the pages of DESIGN.md § Interfaces (stable: shared as links and QR codes) and the
    static files; ``public_url`` is CULTURECAST_PUBLIC_URL ("" when not set)."""
    app[WEB] = dataclasses.replace(pages or create_pages(), public_url=public_url.rstrip("/"))
    app[NOT_FOUND_PAGE] = html_not_found
    app.router.add_get("/", home)
    app.router.add_get("/admin", admin)
    app.router.add_get("/screen/{org_id}", screen)
    app.router.add_get(
        "/live/{event_id}", _item_page("live.html", "live", "event_id", "live.not_found")
    )
    app.router.add_get(
        "/r/{resource_id}",
        _item_page("resource.html", "resource", "resource_id", "resource.not_found"),
    )
    app.router.add_get(
        "/s/{series_id}", _item_page("series.html", "series", "series_id", "series.not_found")
    )
    app.router.add_get("/favorites", favorites)
    app.router.add_get("/o/{org_id}", organization)
    app.router.add_get("/schedule", schedule)
    app.router.add_get(
        "/c/{campaign_id}",
        _item_page("campaign.html", "campaign", "campaign_id", "campaign.not_found"),
    )
    app.router.add_get("/static/{version}/{path:.+}", static)
