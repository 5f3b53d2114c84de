"""HTTP handlers of vote campaigns: parse, call ``CampaignService``, serialise."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from culturecast.core.access import Action, authorize
from culturecast.core.addresses import Network
from culturecast.core.errors import LANG_COOKIE, InvalidQuery, Lang, Sentence, parse_lang
from culturecast.core.kit import Kit
from culturecast.core.routes import Route, add_routes
from culturecast.media.engagement.campaigns import (
    CampaignService,
    NewCampaign,
    NewEntry,
    rule_of,
)
from culturecast.media.engagement.policy import device_viewer, user_viewer
from culturecast.media.engagement.schemas import (
    CampaignRequest,
    CampaignResponse,
    CampaignsResponse,
    LeaderboardRow,
    VoteRequest,
)
from culturecast.media.views.handlers import client_address, device_of, remember_device
from culturecast.storage.database.port import Document

TAG = "campaigns"
NOT_FOUND = Sentence("找不到该投票活动。", "Campaign not found.")


def _lang(request: web.Request) -> Lang:
    """The rule's language: ``?lang=``, then the pages' ``cc_lang`` cookie, else zh-CN."""
    return (
        parse_lang(request.query.get("lang"))
        or parse_lang(request.cookies.get(LANG_COOKIE))
        or "zh-CN"
    )


class CampaignHandlers:
    def __init__(
        self,
        kit: Kit,
        service: Callable[[], CampaignService],
        trusted_proxies: Callable[[], tuple[Network, ...]] = tuple,
    ) -> None:
        self._kit = kit
        self._service = service
        # CULTURECAST_TRUSTED_PROXIES: behind them a vote's address is the client's from
        # X-Forwarded-For (else every viewer behind nginx would share the proxy's address and
        # its 60 votes a minute).
        self._trusted = trusted_proxies

    def setup_routes(self) -> None:
        base = "/api/v1/campaigns"
        one = base + "/{campaign_id}"
        add_routes(self._kit, TAG, [
            Route("POST", base, self.create, "Create a vote campaign (staff of the organization)",
                  body=CampaignRequest, response=CampaignResponse, status=201),
            Route("GET", base, self.list,
                  "Vote campaigns, newest first (?org_id= for an organization's subtree)",
                  response=CampaignsResponse, auth=False),
            Route("GET", one, self.get,
                  "A campaign with its leaderboard (?format=csv: the results, for its staff)",
                  response=CampaignResponse, auth=False),
            Route("POST", one + "/votes", self.vote,
                  "Vote for an entry; refused vote_limit past the campaign's rule",
                  body=VoteRequest, response=CampaignResponse, auth=False),
        ])  # fmt: skip

    def _out(self, request: web.Request, doc: Document) -> CampaignResponse:
        service = self._service()
        now = service.now()
        status = (
            "upcoming" if now < doc["starts_at"] else "open" if now < doc["ends_at"] else "ended"
        )
        board = service.leaderboard(doc)
        return CampaignResponse(
            id=doc["_id"],
            org_id=doc["org_id"],
            title=doc["title"],
            cover=doc.get("cover"),
            starts_at=doc["starts_at"],
            ends_at=doc["ends_at"],
            votes_per_day=doc["votes_per_day"],
            votes_total=doc.get("votes_total"),
            guests=doc["guests"],
            rule=rule_of(doc).sentence().in_language(_lang(request)),
            status=status,
            now=now,
            total_votes=sum(row["votes"] for row in board),
            leaderboard=[LeaderboardRow(**row) for row in board],
        )

    async def create(self, request: web.Request) -> web.StreamResponse:
        caller = await self._kit.caller(request)
        body = await self._kit.body(request, CampaignRequest)
        path = await self._kit.org_path(caller, body.org_id, Action.MANAGE_CONTENT)
        doc = await self._service().create(
            NewCampaign(
                org_path=path,
                title=body.title,
                cover=body.cover,
                starts_at=body.starts_at,
                ends_at=body.ends_at,
                entries=[NewEntry(e.item_type, e.item_id) for e in body.entries],
                votes_per_day=body.votes_per_day,
                votes_total=body.votes_total,
                guests=body.guests,
            )
        )
        return self._kit.json(self._out(request, doc), status=201)

    async def list(self, request: web.Request) -> web.StreamResponse:
        docs = await self._service().find(request.query.get("org_id"))
        return self._kit.json(CampaignsResponse(items=[self._out(request, d) for d in docs]))

    async def get(self, request: web.Request) -> web.StreamResponse:
        doc = await self._service().get(request.match_info["campaign_id"])
        fmt = request.query.get("format", "json")
        if fmt == "csv":
            caller = await self._kit.caller(request)
            authorize(caller, Action.READ_STATS, doc["org_path"], NOT_FOUND)
            return web.Response(
                body=self._service().to_csv(doc),
                content_type="text/csv",
                charset="utf-8",
                headers={
                    "Content-Disposition": f'attachment; filename="campaign-{doc["_id"]}.csv"'
                },
            )
        if fmt != "json":
            raise InvalidQuery(Sentence("format 应为 json 或 csv。", "format is json or csv."))
        return self._kit.json(self._out(request, doc))

    async def vote(self, request: web.Request) -> web.StreamResponse:
        body = await self._kit.body(request, VoteRequest)
        caller = await self._kit.optional_caller(request)
        new_device: str | None = None
        if caller is not None:
            viewer = user_viewer(caller.user_id)
        else:
            device, new = device_of(request)
            viewer = device_viewer(device)
            new_device = device if new else None
        doc = await self._service().vote(
            request.match_info["campaign_id"],
            body.entry_id,
            viewer,
            caller is not None,
            client_address(request, self._trusted()),
        )
        response = self._kit.json(self._out(request, doc))
        if new_device is not None:
            remember_device(request, response, new_device)
        return response
