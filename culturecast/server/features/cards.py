"""The cards' facts (``core.cards.CardFacts``) from their owners: organization names from
``AccountService``, plays to date from the statistics' ``StatsReader``. The views feature
builds it when the app starts (it owns the reader) and keeps it under ``CARD_FACTS``; the
list handlers of live and media read it from there."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from aiohttp import web

from culturecast.core.cards import CardFacts
from culturecast.media.views.policy import ItemType
from culturecast.media.views.stats import StatsReader
from culturecast.server.accounts.service import AccountService


class AppCardFacts:
    """Organization names and plays to date, each read in one query per page."""

    def __init__(self, accounts: AccountService, stats: StatsReader) -> None:
        self._accounts = accounts
        self._stats = stats

    async def org_names(self, org_ids: Collection[str]) -> Mapping[str, str]:
        return await self._accounts.org_names(org_ids)

    async def plays(self, item_type: str, item_ids: Collection[str]) -> Mapping[str, int]:
        return await self._stats.plays_to_date(ItemType(item_type), item_ids)


CARD_FACTS = web.AppKey("card_facts", CardFacts)
