"""``POST /api/v1/media/signed-urls``: a signed, expiring URL of an item's master playlist for
its staff (the preview of a draft or unpublished item; :mod:`culturecast.media.signing`).
Served by the api's ``/media/s/…`` path and checked by the nginx edge's ``secure_link``."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Literal

import msgspec
from aiohttp import web

from culturecast.core.errors import Conflict, NotFound, Sentence
from culturecast.core.kit import Kit
from culturecast.live import visibility
from culturecast.media import signing

MAX_TTL_S = 24 * 3600
DEFAULT_TTL_S = 3600

type ItemLookup = Callable[[str, str], Awaitable[tuple[list[str], str | None] | None]]
"""``(item_type, item_id)`` → ``(org_path, master_key)``, or None for an unknown item."""


class SignRequest(msgspec.Struct, forbid_unknown_fields=True):
    item_type: Literal["live", "resource"]
    item_id: str
    ttl_s: int = msgspec.field(default=DEFAULT_TTL_S)


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
        key = secret()
        if key is None:
            raise Conflict(
                Sentence(
                    "未配置签名密钥（CULTURECAST_SIGNING_SECRET），无法生成预览链接。",
                    "Preview links need CULTURECAST_SIGNING_SECRET, which is not set.",
                ),
                code="signing_not_configured",
            )
        found = await find(body.item_type, body.item_id)
        if found is None or not visibility.sees_drafts(caller, found[0]):
            raise NotFound(Sentence("找不到该节目。", "No such item."))
        master_key = found[1]
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
