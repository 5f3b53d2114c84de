"""The chat's HTTP route: comments of a show by time window, for the replay.

``GET /api/v1/live/{event_id}/comments?from=<s>&to=<s>`` returns the visible comments
whose offset from the show's start lies in ``[from, to)``, in show order, so the player
scrolls them over the replay as they appeared live. Public for public events (no token
needed); a draft's comments are for the staff of its subtree, and everyone else gets the
404 of an unknown event (the live package's rule, asked through the chat's
:class:`~culturecast.chat.ports.LiveEvents`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final, Protocol

import msgspec
from aiohttp import web

from culturecast.chat.access import Caller
from culturecast.chat.service import ChatService
from culturecast.core.errors import ClientError, Sentence
from culturecast.core.numbers import query_float

MAX_WINDOW_S: Final = 3_600.0
"""Longest window one request may ask for (a player asks for a minute or two ahead)."""


class ChatHttpError(ClientError):
    """A client error of the chat API; the middleware renders ``{"error": {code, message}}``."""

    status = 400
    code = "invalid_query"


class EventNotFound(ChatHttpError):
    status = 404
    code = "not_found"


class Kit(Protocol):
    """What the route needs of the server's ``HttpKit``."""

    def add_route(
        self,
        method: str,
        path: str,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
        *,
        summary: str,
        tag: str,
        body: type | None = None,
        response: type | None = None,
        status: int = 200,
        auth: bool = True,
    ) -> None: ...

    async def optional_caller(self, request: web.Request) -> Any: ...

    def json(
        self, data: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> web.Response: ...


class Comment(msgspec.Struct):
    id: str
    user: dict[str, Any]
    text: str
    at: float
    offset_s: float


class CommentWindow(msgspec.Struct):
    event_id: str
    start: float = msgspec.field(name="from")
    end: float = msgspec.field(name="to")
    comments: list[Comment]
    truncated: bool
    """More comments lie in the window: ask again from the last one's ``offset_s``."""


MAX_OFFSET_S: Final = 1e9
"""Largest offset asked for (about 31 years: past any show, 24/7 channels included)."""


def _seconds(request: web.Request, name: str, default: float | None) -> float:
    # The one parser of numbers in queries (core.numbers): ASCII digits, finite, in range.
    return query_float(request.query, name, default, 0.0, MAX_OFFSET_S)


def setup_routes(kit: Kit, service: Callable[[], ChatService]) -> None:
    """Add the replay route; ``service`` returns the running service (built at start-up)."""

    async def comments(request: web.Request) -> web.Response:
        start = _seconds(request, "from", 0.0)
        end = _seconds(request, "to", None)
        if end <= start or end - start > MAX_WINDOW_S:
            raise ChatHttpError(
                Sentence(
                    f"时间范围无效：to 应晚于 from，且相差不超过 {int(MAX_WINDOW_S)} 秒。",
                    f"'to' must be after 'from', at most {int(MAX_WINDOW_S)} seconds later.",
                )
            )
        caller: Caller | None = await kit.optional_caller(request)
        chat = service()
        event_id = request.match_info["event_id"]
        event = await chat.events.get(event_id)
        if event is None or not chat.events.may_see(caller, event):
            raise EventNotFound(Sentence("直播不存在。", "Live event not found."))
        found = await chat.replay(event_id, start, end)
        limit = chat.config.replay_limit
        body = {
            "event_id": event_id,
            "from": start,
            "to": end,
            "comments": found,
            "truncated": len(found) >= limit,
        }
        return kit.json(body)

    kit.add_route(
        "GET",
        "/api/v1/live/{event_id}/comments",
        comments,
        summary="Live comments by offset from the show's start (?from=&to= seconds), "
        "for scrolling them over the replay",
        tag="chat",
        response=CommentWindow,
        auth=False,
    )
