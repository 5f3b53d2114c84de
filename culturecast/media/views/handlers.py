"""HTTP handlers of playback sessions, heartbeats and statistics: parse, call one service,
serialise. The composition root passes the kit (``core.kit.Kit``: who is calling, JSON in
and out, organization paths) since this package may not import the server; who may read
what is the kernel's rule (``core/access.py``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from culturecast.core.access import Action, Caller, authorize, manages_subtree
from culturecast.core.addresses import Network, client_ip
from culturecast.core.calendar import cst_day, days_of_month
from culturecast.core.device import DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_S, device_or_new
from culturecast.core.errors import InvalidBody, InvalidQuery, Sentence
from culturecast.core.kit import Kit
from culturecast.core.numbers import query_int
from culturecast.core.routes import Route, add_routes
from culturecast.media.views.audience import device_from_user_agent, region_key
from culturecast.media.views.errors import (
    ShowEnded,
    UnknownItem,
    UnknownSession,
    not_found,
)
from culturecast.media.views.geoip import GeoLookup, NoGeo
from culturecast.media.views.hotwords import SearchTerms
from culturecast.media.views.items import ItemResolver, PlayableItem
from culturecast.media.views.live_report import (
    Engagement,
    NoEngagement,
    live_report_csv,
    shape_live_report,
)
from culturecast.media.views.policy import (
    Heartbeat,
    ItemType,
    terminal_from_user_agent,
)
from culturecast.media.views.report_csv import (
    RANKING_HEADER,
    REPORT_HEADER,
    ranking_rows,
    report_cells,
)
from culturecast.media.views.schemas import (
    MAX_BATCH,
    Beat,
    HeartbeatRequest,
    PlayRequest,
    PlayResponse,
)
from culturecast.media.views.screen import stream_screen
from culturecast.media.views.service import Viewer, ViewsService
from culturecast.media.views.sites import SITE_TYPE_HEADER, site_type_csv_rows
from culturecast.media.views.stats import (
    FIGURE_HEADER,
    StatsReader,
    figure_cells,
    monthly_json,
    parse_month,
    parse_range,
    parse_rank,
    to_csv,
)


def device_of(request: web.Request) -> tuple[str, bool]:
    """The device id of the request's ``cc_did`` cookie, or a new one (then True: the response
    should set it with :func:`remember_device`)."""
    return device_or_new(request.cookies.get(DEVICE_COOKIE))


def remember_device(request: web.Request, response: web.StreamResponse, device: str) -> None:
    """Set the device cookie: a year, HTTP only (pages never read it; the server does)."""
    response.set_cookie(
        DEVICE_COOKIE,
        device,
        max_age=DEVICE_COOKIE_MAX_AGE_S,
        httponly=True,
        samesite="Lax",
        secure=request.secure,
        path="/",
    )


TAG_PLAY = "playback"
TAG_STATS = "statistics"


def client_address(request: web.Request, trusted: tuple[Network, ...] = ()) -> str:
    """The viewer's address; ``X-Forwarded-For`` counts only from a ``trusted`` proxy."""
    return client_ip(request.remote, request.headers.get("X-Forwarded-For"), trusted)


def _csv_response(body: bytes, filename: str) -> web.Response:
    return web.Response(
        body=body,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _wants_csv(request: web.Request) -> bool:
    fmt = request.query.get("format", "json")
    if fmt not in ("json", "csv"):
        raise InvalidQuery(Sentence("format 应为 json 或 csv。", "format is json or csv."))
    return fmt == "csv"


def _int_query(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    return query_int(request.query, name, default, low, high)


def _sees(caller: Caller, item: PlayableItem) -> bool:
    """Whether the caller may see the item at all: a draft's statistics are unknown (404) to
    all but the staff of its subtree, as the draft is; 403 is for what the caller sees."""
    return item.public or manages_subtree(caller, item.org_path)


def _item_type(raw: str) -> ItemType:
    try:
        return ItemType(raw)
    except ValueError:
        raise UnknownItem() from None


@dataclass(frozen=True, slots=True)
class ViewsParts:
    """The services the handlers call (built once the engines are open)."""

    views: ViewsService
    stats: StatsReader
    resolver: ItemResolver
    geo: GeoLookup = field(default_factory=NoGeo)
    """The operator's IP database (``CULTURECAST_GEOIP_DB``), for viewers' regions."""
    trusted_proxies: tuple[Network, ...] = ()
    """``CULTURECAST_TRUSTED_PROXIES``: peers whose ``X-Forwarded-For`` is believed."""
    engagement: Engagement = field(default_factory=NoEngagement)
    """A live show's comments and likes (chat's), for its report."""
    search_terms: SearchTerms | None = None
    """Hot search words (学习热词) for the monthly report."""
    screen_interval_s: float = 3.0
    """How often the data screen's stream pushes its figures."""


class ViewsHandlers:
    """The routes of playback and statistics. Routes are added before the app starts, the
    services once its engines are open, so the handlers get them through ``parts``."""

    def __init__(self, kit: Kit, parts: Callable[[], ViewsParts]) -> None:
        self._kit = kit
        self._parts = parts

    @property
    def _views(self) -> ViewsService:
        return self._parts().views

    @property
    def _stats(self) -> StatsReader:
        return self._parts().stats

    @property
    def _resolver(self) -> ItemResolver:
        return self._parts().resolver

    def setup_routes(self) -> None:
        add_routes(self._kit, TAG_PLAY, [
            Route("POST", "/api/v1/play", self.play,
                  "Start a playback session (sets the cc_did device cookie)",
                  body=PlayRequest, response=PlayResponse, auth=False),
            Route("POST", "/api/v1/views/heartbeat", self.heartbeat,
                  "Heartbeat(s) of playback sessions; JSON or text/plain (sendBeacon)",
                  body=HeartbeatRequest, status=204, auth=False),
        ])  # fmt: skip
        routes: Sequence[
            tuple[str, Callable[[web.Request], Awaitable[web.StreamResponse]], str]
        ] = (
            (
                "/api/v1/stats/items/{item_type}/{item_id}",
                self.item_stats,
                "An item's figures per day and terminal (?from=&to=&format=csv)",
            ),
            (
                "/api/v1/stats/live/{event_id}",
                self.live_stats,
                "A live event's current and peak concurrent viewers",
            ),
            (
                "/api/v1/stats/live/{event_id}/report",
                self.live_report,
                "A live show's report: peak and when, plays, unique viewers, watch time, "
                "effective views, comments, likes, by terminal, device and region (?format=csv)",
            ),
            (
                "/api/v1/stats/orgs/{org_id}/realtime",
                self.realtime,
                "The data screen's figures now, from the counters: live shows and their "
                "viewers, today and yesterday, provinces, terminals, devices, top items",
            ),
            (
                "/api/v1/stats/orgs/{org_id}/realtime/stream",
                self.realtime_stream,
                "The same figures pushed every few seconds, and masked activity lines, as "
                "server-sent events (figures, activity)",
            ),
            (
                "/api/v1/stats/orgs/{org_id}",
                self.org_stats,
                "An organization subtree's figures: totals, trend, categories, terminals, "
                "children (?from=&to=&format=csv)",
            ),
            (
                "/api/v1/stats/orgs/{org_id}/ranking",
                self.ranking,
                "Items of an organization subtree ranked (?by=plays|watch_time|completion)",
            ),
            (
                "/api/v1/stats/orgs/{org_id}/monthly",
                self.monthly,
                "The monthly report of an organization subtree (?month=YYYY-MM&format=csv; "
                "&table=site_types for the site-type table alone)",
            ),
        )
        add_routes(self._kit, TAG_STATS, (Route("GET", *route) for route in routes))

    # -- playback ---------------------------------------------------------------------------

    async def play(self, request: web.Request) -> web.StreamResponse:
        body = await self._kit.body(request, PlayRequest)
        if not body.item_id or len(body.item_id) > 200:
            raise UnknownItem(body.item_type.value)
        caller = await self._kit.optional_caller(request)
        device, new_device = device_of(request)
        viewer = (
            Viewer(id=f"u:{caller.user_id}", signed_in=True)
            if caller is not None
            else Viewer(id=f"d:{device}", signed_in=False)
        )
        user_agent = request.headers.get("User-Agent")
        terminal = terminal_from_user_agent(user_agent, body.terminal)
        parts = self._parts()
        address = client_address(request, parts.trusted_proxies)
        started = await self._views.play(
            body.item_type,
            body.item_id,
            terminal,
            viewer,
            address,
            # A draft plays for the staff of its subtree: their preview.
            may_preview=lambda item: manages_subtree(caller, item.org_path),
            device=device_from_user_agent(user_agent),
            region=region_key(parts.geo.region(address)),
        )
        item = started.item
        response = self._kit.json(
            PlayResponse(
                session_id=started.session_id,
                token=started.token,
                master_url=started.master_url,
                heartbeat_interval_s=started.heartbeat_interval_s,
                item_type=item.item_type,
                item_id=item.item_id,
                title=item.title,
                is_live=item.is_live,
                duration_s=item.duration_s,
            ),
            status=201,
        )
        if new_device:
            remember_device(request, response, device)
        return response

    async def heartbeat(self, request: web.Request) -> web.StreamResponse:
        body = await self._kit.body(request, HeartbeatRequest, text_ok=True)
        if body.beats is not None:
            if not 1 <= len(body.beats) <= MAX_BATCH:
                raise InvalidBody(
                    Sentence(
                        f"beats 应含 1–{MAX_BATCH} 个心跳。",
                        f"beats holds 1 to {MAX_BATCH} heartbeats.",
                    )
                )
            beats = [
                b
                if b.session_id or b.token
                else Beat(body.session_id, body.token, b.position_s, b.state, b.seq)
                for b in body.beats
            ]
        else:
            beats = [Beat(body.session_id, body.token, body.position_s, body.state, body.seq)]
        views = self._views
        views.admit_beats(client_address(request, self._parts().trusted_proxies), len(beats))
        # Every beat is accounted before answering; the answer names the first kind of
        # trouble: an unknown session (start a new one), else a show that has ended.
        unknown = ended = False
        for beat in beats:
            try:
                session_id = views.session_id_for(beat.session_id, beat.token)
                await views.heartbeat(
                    session_id, Heartbeat(state=beat.state, position=beat.position_s, seq=beat.seq)
                )
            except UnknownSession:
                unknown = True
            except ShowEnded:
                ended = True
        if unknown:
            raise UnknownSession()
        if ended:
            raise ShowEnded()
        return web.Response(status=204)

    # -- statistics -------------------------------------------------------------------------

    async def item_stats(self, request: web.Request) -> web.StreamResponse:
        caller = await self._kit.caller(request)
        item_type = _item_type(request.match_info["item_type"])
        item_id = request.match_info["item_id"]
        first, last = parse_range(
            request.query.get("from"), request.query.get("to"), self._stats.now()
        )
        csv_wanted = _wants_csv(request)
        item = await self._resolver.resolve(item_type, item_id)
        org_path = (
            list(item.org_path)
            if item is not None
            else await self._stats.org_path_of(item_type, item_id)
        )
        if org_path is None or (item is not None and not _sees(caller, item)):
            raise UnknownItem(item_type.value)
        authorize(caller, Action.READ_STATS, org_path, not_found(item_type.value))
        report = await self._stats.item_report(
            item_type, item_id, first, last, item is not None and item.is_live
        )
        if item is not None:
            report["title"] = item.title
        if csv_wanted:
            rows = [[d["day"], d["unique_viewers"], *figure_cells(d)] for d in report["daily"]]
            header = ["日期 day", "观看人数 unique_viewers", *FIGURE_HEADER]
            return _csv_response(
                to_csv(header, rows), f"item-{item_type}-{item_id}-{first}-{last}.csv"
            )
        return self._kit.json(report)

    async def _live_figures_of(self, request: web.Request) -> tuple[str, PlayableItem | None, bool]:
        """The show ``event_id`` names, for a caller who may read its figures (404 for one it
        may not see, 403 for a role that may not read statistics): its id, its item (None
        once only its figures are left), and whether it is on air."""
        caller = await self._kit.caller(request)
        event_id = request.match_info["event_id"]
        item = await self._resolver.resolve(ItemType.LIVE, event_id)
        org_path = (
            list(item.org_path)
            if item is not None
            else await self._stats.org_path_of(ItemType.LIVE, event_id)
        )
        if org_path is None or (item is not None and not _sees(caller, item)):
            raise UnknownItem("live")
        authorize(caller, Action.READ_STATS, org_path, not_found("live"))
        return event_id, item, item is not None and item.is_live

    async def live_stats(self, request: web.Request) -> web.StreamResponse:
        event_id, _, on_air = await self._live_figures_of(request)
        return self._kit.json(
            {"event_id": event_id, **await self._stats.live(ItemType.LIVE, event_id, on_air)}
        )

    async def realtime(self, request: web.Request) -> web.StreamResponse:
        caller = await self._kit.caller(request)
        org_id = request.match_info["org_id"]
        await self._kit.org_path(caller, org_id, Action.READ_STATS)
        return self._kit.json(await self._views.realtime(org_id))

    async def realtime_stream(self, request: web.Request) -> web.StreamResponse:
        caller = await self._kit.caller(request)
        org_id = request.match_info["org_id"]
        await self._kit.org_path(caller, org_id, Action.READ_STATS)
        interval = self._parts().screen_interval_s
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        await stream_screen(response, self._views, org_id, interval)
        return response

    async def live_report(self, request: web.Request) -> web.StreamResponse:
        report = await self.live_report_of(request)
        if _wants_csv(request):
            return _csv_response(live_report_csv(report), f"live-{report['event_id']}.csv")
        return self._kit.json(report)

    async def live_report_of(self, request: web.Request) -> dict[str, Any]:
        """The report of the show ``event_id`` names, for a caller who may read its figures
        (the JSON route and the printable page)."""
        event_id, item, on_air = await self._live_figures_of(request)
        # Every day of the show: its figures from the first day kept to today.
        last = cst_day(self._stats.now())
        item_report = await self._stats.item_report(
            ItemType.LIVE, event_id, "2000-01-01", last, on_air
        )
        if "live" not in item_report:
            item_report["live"] = await self._stats.live(ItemType.LIVE, event_id, on_air)
        comments, likes = await self._parts().engagement.comments_and_likes(event_id)
        title = item.title if item is not None else event_id
        report = shape_live_report(event_id, title, item_report, comments, likes)
        days = [d["day"] for d in item_report["daily"] if d["plays"] or d["watch_seconds"]]
        report["from"], report["to"] = (days[0], days[-1]) if days else (last, last)
        return report

    async def org_stats(self, request: web.Request) -> web.StreamResponse:
        caller = await self._kit.caller(request)
        org_id = request.match_info["org_id"]
        first, last = parse_range(
            request.query.get("from"), request.query.get("to"), self._stats.now()
        )
        csv_wanted = _wants_csv(request)
        await self._kit.org_path(caller, org_id, Action.READ_STATS)
        top = _int_query(request, "top", 10, 0, 100)
        report = await self._stats.org_report(org_id, first, last, top)
        if csv_wanted:
            rows = [[d["day"], d["unique_viewers"], *report_cells(d)] for d in report["daily"]]
            header = ["日期 day", "观看人数 unique_viewers", *REPORT_HEADER]
            return _csv_response(to_csv(header, rows), f"org-{org_id}-{first}-{last}.csv")
        return self._kit.json(report)

    async def ranking(self, request: web.Request) -> web.StreamResponse:
        caller = await self._kit.caller(request)
        org_id = request.match_info["org_id"]
        first, last = parse_range(
            request.query.get("from"), request.query.get("to"), self._stats.now()
        )
        by = parse_rank(request.query.get("by"))
        limit = _int_query(request, "limit", 20, 1, 500)
        min_plays = _int_query(request, "min_plays", 0, 0, 1_000_000_000)
        csv_wanted = _wants_csv(request)
        await self._kit.org_path(caller, org_id, Action.READ_STATS)
        places = await self._stats.ranking(org_id, first, last, by, limit, min_plays)
        if csv_wanted:
            _, names = await self._stats.org_tree(org_id)
            header, rows = RANKING_HEADER, ranking_rows(places, names)
            return _csv_response(to_csv(header, rows), f"ranking-{org_id}-{by}-{first}-{last}.csv")
        return self._kit.json(
            {"org_id": org_id, "by": str(by), "from": first, "to": last, "items": places}
        )

    async def monthly(self, request: web.Request) -> web.StreamResponse:
        caller = await self._kit.caller(request)
        org_id = request.match_info["org_id"]
        month = parse_month(request.query.get("month"), self._stats.now())
        top = _int_query(request, "top", 10, 1, 100)
        csv_wanted = _wants_csv(request)
        await self._kit.org_path(caller, org_id, Action.READ_STATS)
        report, names = await self._stats.monthly(org_id, month, top)
        data = monthly_json(report, names)
        data["shows"] = await self._stats.monthly_shows(org_id, month)
        terms = self._parts().search_terms
        days = days_of_month(month)
        words = (
            []
            if terms is None
            else await terms.top(await self._stats.subtree_ids(org_id), days[0], days[-1])
        )
        data["hot_words"] = [{"term": term, "count": count} for term, count in words]
        data["site_types"] = await self._stats.monthly_site_types(org_id, month)
        if csv_wanted and request.query.get("table") == "site_types":
            return _csv_response(
                to_csv(SITE_TYPE_HEADER, site_type_csv_rows(data["site_types"])),
                f"monthly-site-types-{org_id}-{month}.csv",
            )
        if csv_wanted:
            return _csv_response(monthly_csv(data), f"monthly-{org_id}-{month}.csv")
        return self._kit.json(data)


def monthly_csv(data: dict[str, Any]) -> bytes:
    """The monthly report as one CSV of sections (本月汇总, 每日, 各终端, 各类别, 区县, 排行)."""
    header = ["部分 section", "项目 key", "名称 name", "观看人数 active_viewers", *FIGURE_HEADER]
    rows: list[list[Any]] = [
        [
            "本月 month",
            data["month"],
            data["name"],
            round(data["average_daily_active"], 3),
            *figure_cells(data["totals"]),
        ],
        ["累计 cumulative", data["month"], data["name"], "", *figure_cells(data["cumulative"])],
    ]
    rows += [
        ["每日 daily", d["day"], "", d["active_viewers"], *figure_cells(d)] for d in data["daily"]
    ]
    rows += [["终端 terminal", t, "", "", *figure_cells(f)] for t, f in data["by_terminal"].items()]
    rows += [["类别 category", c, "", "", *figure_cells(f)] for c, f in data["by_category"].items()]
    rows += [
        ["区县 district", d["org_id"], d["name"], "", *figure_cells(d)] for d in data["districts"]
    ]
    rows += [
        ["排行 top", p["rank"], f"{p['item_type']}:{p['item_id']}", "", *figure_cells(p)]
        for p in data["top_items"]
    ]
    return to_csv(header, rows)
