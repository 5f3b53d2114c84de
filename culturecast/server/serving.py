"""Running the HTTP application, with the media fast path in front of it (DESIGN.md
§ Delivery: the api's own ``/media`` path "does not pay for the general middleware stack").

aiohttp hands every request to the application, which resolves a route among some two
hundred, wraps the handler in the middleware and calls it. For the crowd's request — a
``GET`` of a hot playlist or segment of a public item, the same bytes for everyone — that
machinery is most of the cost: :func:`media_fast_path` sits between aiohttp's server and the
application and answers such a request from the media feature's memory cache itself
(``Delivery.hot``), counted per status and reported as its token's heartbeat exactly as the
route would; everything else (a miss, a draft, a query, a percent-escape, ``HEAD``, another
path) goes to the application unchanged. :func:`run_http` is ``web.run_app`` with that one
difference: the ``culturecast`` command and the delivery bench serve through it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from culturecast.server.context import MEDIA_DELIVERY, METRICS
from culturecast.server.logs import ACCESS_LOG_FORMAT, AccessLog
from culturecast.server.metrics import MEDIA_PATH_PREFIX

type RequestHandler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]

_TOKEN_PREFIX = "t/"
_SIGNED_PREFIX = "s/"


def media_path(raw_path: str) -> tuple[str, str | None] | None:
    """``(key, token)`` of a ``/media/<key>`` or ``/media/t/<token>/<key>`` request path the
    fast path may take as it is — no query, no percent-escape (the routes decode those), not
    the signed form —; None for any other."""
    if not raw_path.startswith(MEDIA_PATH_PREFIX) or "?" in raw_path or "%" in raw_path:
        return None
    rest = raw_path[len(MEDIA_PATH_PREFIX) :]
    if rest.startswith(_SIGNED_PREFIX):
        return None
    if not rest.startswith(_TOKEN_PREFIX):
        return (rest, None) if rest else None
    token, slash, key = rest[len(_TOKEN_PREFIX) :].partition("/")
    if not token or not slash or not key:
        return None
    return key, token


def media_fast_path(app: web.Application, handler: RequestHandler) -> RequestHandler:
    """``handler`` (the application's) behind the fast path for hot public media."""
    metrics = app[METRICS]

    async def dispatch(request: web.BaseRequest) -> web.StreamResponse:
        if request.method == "GET":
            delivery = app.get(MEDIA_DELIVERY)
            where = media_path(request.raw_path) if delivery is not None else None
            if delivery is not None and where is not None:
                key, token = where
                response = delivery.hot(request, key)
                if response is not None:
                    if token is not None:
                        delivery.report(token, key)
                    metrics.count_media(response.status)
                    return response
        return await handler(request)

    return dispatch


def install_fast_path(runner: web.AppRunner) -> None:
    """Put the fast path in front of ``runner``'s application, after ``setup()`` and before
    any site starts (each connection takes the server's handler when it opens)."""
    server = runner.server
    assert server is not None, "install_fast_path needs a runner that is set up"
    server.request_handler = media_fast_path(runner.app, server.request_handler)


def run_http(
    app: web.Application,
    *,
    host: str,
    port: int,
    shutdown_timeout: float = 60.0,
) -> None:
    """Serve ``app`` until SIGINT/SIGTERM, as ``web.run_app`` does (stop accepting, wait for
    in-flight requests up to ``shutdown_timeout``, then the cleanup contexts), with the
    project's access log and the media fast path in front."""
    loop = asyncio.new_event_loop()
    main = loop.create_task(
        _serve(
            app,
            host=host,
            port=port,
            shutdown_timeout=shutdown_timeout,
            access_log_class=AccessLog,
            access_log_format=ACCESS_LOG_FORMAT,
        )
    )
    try:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(main)
    except (web.GracefulExit, KeyboardInterrupt):
        pass
    finally:
        try:
            if not main.done():
                main.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    loop.run_until_complete(main)
        finally:
            _cancel_all(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()


async def _serve(
    app: web.Application,
    *,
    host: str,
    port: int,
    **runner_args: Any,
) -> None:
    runner = web.AppRunner(app, handle_signals=True, **runner_args)
    await runner.setup()
    try:
        install_fast_path(runner)
        await web.TCPSite(runner, host, port).start()
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in tasks:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
