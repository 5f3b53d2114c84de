"""``POST /api/v1/media/signed-urls``: a signed, expiring URL of an item's master playlist for
its staff (the preview of a draft or unpublished item; :mod:`culturecast.media.signing`).
Served by the api's ``/media/s/…`` path and checked by the nginx edge's ``secure_link``."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec
from aiohttp import web

from culturecast.core.access import in_subtree
from culturecast.core.errors import Conflict, Forbidden, NotFound, Sentence
from culturecast.core.kit import Kit
from culturecast.live import visibility
from culturecast.media import signing
from culturecast.server.context import Services

MAX_TTL_S = 24 * 3600
DEFAULT_TTL_S = 3600
COVER_PREVIEW_S = 3600
"""A draft's cover preview URL works one to two hours: its expiry is rounded up to the hour,
so the console's picture keeps one URL (and the browser's copy of it) for an hour."""


def cover_preview(services: Services, key: str) -> str | None:
    """A signed, expiring URL of object ``key`` (a draft's uploaded cover, for its staff),
    or None when no signing secret is set."""
    secret = services.settings.signing_secret
    if secret is None:
        return None
    expires = (int(services.clock()) // COVER_PREVIEW_S + 2) * COVER_PREVIEW_S
    return signing.signed_path(secret, key, expires)


@dataclass(frozen=True, slots=True)
class Found:
    """What signing needs of an item."""

    org_path: list[str]
    """The item's organization and its ancestors."""
    master_key: str | None
    """Object key of its master playlist (None: nothing playable yet)."""
    public: bool
    """Anyone may see it (then a viewer is told 403, not 404)."""


type ItemLookup = Callable[[str, str], Awaitable[Found | None]]
"""``(item_type, item_id)`` → what signing needs of it, or None for an unknown item."""


class SignRequest(msgspec.Struct, forbid_unknown_fields=True):
    item_type: Literal["live", "resource"]
    item_id: str
    ttl_s: Annotated[int, msgspec.Meta(ge=1, le=MAX_TTL_S)] = DEFAULT_TTL_S
    """How long the link works, in seconds (at most a day)."""


class SignedUrl(msgspec.Struct):
    url: str
    expires_at: int


def setup(
    kit: Kit,
    secret: Callable[[], str | None],
    find: ItemLookup,
    clock: Callable[[], float] = time.time,
) -> None:

    async def sign(request: web.Request) -> web.Response:
        caller = await kit.caller(request)
        body = await kit.body(request, SignRequest)
        found = await find(body.item_type, body.item_id)
        # The one rule (core/access.py): another organization's item, or a draft the caller
        # may not see, does not exist; its own county's viewer is told 403.
        seen = found is not None and visibility.may_see(caller, found.org_path, public=found.public)
        if found is None or not (seen and in_subtree(caller, found.org_path)):
            raise NotFound(Sentence("找不到该节目。", "No such item."))
        if not visibility.sees_drafts(caller, found.org_path):
            raise Forbidden(
                Sentence(
                    "只有该节目所属机构的管理员和编辑可以生成预览链接。",
                    "Only the staff of the item's organization may make preview links.",
                )
            )
        key = secret()
        if key is None:
            raise Conflict(
                Sentence(
                    "未配置签名密钥（CULTURECAST_SIGNING_SECRET），无法生成预览链接。",
                    "Preview links need CULTURECAST_SIGNING_SECRET, which is not set.",
                ),
                code="signing_not_configured",
            )
        master_key = found.master_key
        if not master_key:
            raise Conflict(
                Sentence("该节目还没有可播放的媒体。", "This item has no playable media yet."),
                code="not_playable",
            )
        ttl = max(1, min(body.ttl_s, MAX_TTL_S))
        expires = int(clock()) + ttl
        return kit.json(
            SignedUrl(url=signing.signed_path(key, master_key, expires), expires_at=expires)
        )

    kit.add_route(
        "POST",
        "/api/v1/media/signed-urls",
        sign,
        summary="A signed, expiring preview URL of an item's media (its staff only)",
        tag="media",
        body=SignRequest,
        response=SignedUrl,
    )
