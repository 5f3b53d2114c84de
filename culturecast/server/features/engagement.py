"""Wiring of likes, favorites and shares (``culturecast.media.engagement``) into the app.

Items are resolved like the views feature resolves them (the live and media features'
``playable()``); a live event's likes share the chat room's counter (``chat.service.likes_key``).
Vote campaigns (``campaigns.py``) count their limits on the same counters. Routes are
added in every role but ``ingest``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from culturecast.chat.service import likes_key
from culturecast.media.engagement.campaign_handlers import CampaignHandlers
from culturecast.media.engagement.campaigns import INDEXES as CAMPAIGN_INDEXES
from culturecast.media.engagement.campaigns import CampaignService
from culturecast.media.engagement.handlers import EngagementHandlers
from culturecast.media.engagement.service import INDEXES, EngagementService
from culturecast.media.views.items import ItemStores
from culturecast.server.context import ROLE, SERVICES
from culturecast.server.features.views import FeatureItemResolver
from culturecast.server.kit import HttpKit

ENGAGEMENT_SERVICE = web.AppKey("engagement_service", EngagementService)
CAMPAIGN_SERVICE = web.AppKey("campaign_service", CampaignService)


def install(app: web.Application, kit: HttpKit) -> None:
    """Add the engagement routes and service to ``app``."""
    if app[ROLE] == "ingest":
        return

    async def engagement_ctx(app: web.Application) -> AsyncIterator[None]:
        services = app[SERVICES]
        engines = services.engines
        await engines.database.ensure_indexes([*INDEXES, *CAMPAIGN_INDEXES])
        stores = ItemStores(
            engines.database, engines.counters, FeatureItemResolver(app), services.clock
        )
        app[ENGAGEMENT_SERVICE] = EngagementService(stores, likes_key)
        app[CAMPAIGN_SERVICE] = CampaignService(stores)
        yield

    app.cleanup_ctx.append(engagement_ctx)
    EngagementHandlers(kit, lambda: app[ENGAGEMENT_SERVICE]).setup_routes()
    CampaignHandlers(
        kit, lambda: app[CAMPAIGN_SERVICE], lambda: app[SERVICES].settings.trusted_proxies
    ).setup_routes()
