"""The share cards of item pages (``server/web/cards.py``), from the live and media
services: what anyone may see of a public show, resource or series — its title, its
description (or performer), its cover (the one staff uploaded first, issue 14) or poster; an
organization page's card is the organization's name (names are public). A draft or an
unknown id has no card."""

from __future__ import annotations

from aiohttp import web

from culturecast.core.errors import ClientError
from culturecast.live import visibility
from culturecast.server.context import SERVICES
from culturecast.server.features.live import LIVE_SERVICE
from culturecast.server.features.media import MEDIA_SERVICE
from culturecast.server.web.cards import ShareCard


def _poster(doc: dict[str, object]) -> str | None:
    """A public resource's picture: the cover staff uploaded, else the generated poster."""
    if doc.get("status") != "ready":
        return None
    for name in ("cover_key", "poster_key"):
        key = doc.get(name)
        if isinstance(key, str) and key:
            return f"/media/{key}"
    return None


class FeatureShareCards:
    def __init__(self, app: web.Application) -> None:
        self._app = app

    async def card(self, page: str, item_id: str) -> ShareCard | None:
        app = self._app
        if page == "org":
            if SERVICES not in app:
                return None
            name = (await app[SERVICES].accounts.org_names([item_id])).get(item_id)
            return None if name is None else ShareCard(name)
        try:
            if page == "live" and LIVE_SERVICE in app:
                event = await app[LIVE_SERVICE].events.get(item_id)
                if event is None or not visibility.is_public(event):
                    return None
                return ShareCard(str(event.get("title") or ""), image=event.get("cover") or None)
            if page == "resource" and MEDIA_SERVICE in app:
                doc = await app[MEDIA_SERVICE].get(None, item_id)
                about = str(doc.get("description") or doc.get("performer") or "")
                return ShareCard(str(doc.get("title") or ""), about, _poster(doc))
            if page == "series" and MEDIA_SERVICE in app:
                media = app[MEDIA_SERVICE]
                series = await media.get_series(None, item_id)
                about = str(series.get("description") or series.get("performer") or "")
                own = series.get("cover_key")
                posters = [_poster(d) for d in await media.episodes(None, item_id)]
                image = f"/media/{own}" if own else next((p for p in posters if p), None)
                return ShareCard(str(series.get("title") or ""), about, image)
        except ClientError:
            return None
        return None
