"""Share cards: what a pasted link of an item page shows in WeChat and messengers.

Their crawlers read the Open Graph tags of the HTML and run no script, so an item page
(``/live/<id>``, ``/r/<id>``, ``/s/<id>``) names its own title, description and picture in
the HTML itself. The pages know no items: whoever wires the application registers a
:class:`ShareCards` under :data:`SHARE_CARDS` (``server/features/share_cards.py``); without
one, or for an item nobody may see, the page keeps the site's card.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aiohttp import web


@dataclass(frozen=True, slots=True)
class ShareCard:
    title: str
    description: str = ""
    image: str | None = None
    """The picture: a path on this site ("/media/…") or an absolute URL; None: none."""


class ShareCards(Protocol):
    async def card(self, page: str, item_id: str) -> ShareCard | None:
        """The card of the public item shown by ``page`` ("live", "resource", "series", or
        "org": an organization page, titled with its name)."""


SHARE_CARDS: web.AppKey[ShareCards] = web.AppKey("share_cards")
