"""HTTP plumbing shared by every handler: JSON bodies decoded into typed structs, JSON
responses, and the middleware that turns every error into the documented JSON shape, in the
language the request chose (``?lang=`` or the pages' ``cc_lang`` cookie; both when none).

Client errors are recognised by type: every package raises ``core.errors.ClientError``s;
anything else is a server fault (500, logged)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import msgspec
from aiohttp import web

from culturecast.core.body import decode_body
from culturecast.core.errors import (
    LANG_COOKIE,
    ClientError,
    Lang,
    PayloadTooLarge,
    Sentence,
    parse_lang,
)
from culturecast.core.kit import Handler
from culturecast.server.metrics import MEDIA_PATH_PREFIX, Metrics
from culturecast.storage.errors import EngineUnavailable

log = logging.getLogger("culturecast.http")


_json_encoder = msgspec.json.Encoder()


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    body = _json_encoder.encode(data)
    return web.Response(
        body=body, status=status, content_type="application/json", charset="utf-8", headers=headers
    )


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


async def read_json[T](request: web.Request, model: type[T], *, text_ok: bool = False) -> T:
    """Decode the body into ``model`` (a ``msgspec.Struct`` that forbids unknown fields) with
    the one body decoder (``core.body``): each failure becomes a 400/413/415 with a message
    naming the field. ``text_ok`` also takes JSON sent as text/plain (``sendBeacon``)."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise PayloadTooLarge(_too_large(exc)) from exc
    return decode_body(raw, model, request.content_type, request.charset, text_ok=text_ok)


def _too_large(exc: web.HTTPRequestEntityTooLarge) -> Sentence:
    return Sentence("请求体太大。", f"The body is too large: {exc.text}")


def request_lang(request: web.Request) -> Lang | None:
    """The language of the request's messages: ``?lang=``, then the ``cc_lang`` cookie the
    pages set; None (both languages) when neither names one."""
    return parse_lang(request.query.get("lang")) or parse_lang(request.cookies.get(LANG_COOKIE))


_HTTP_ERRORS: dict[int, tuple[str, Sentence]] = {
    404: ("not_found", Sentence("找不到该地址。", "Not found.")),
    405: ("method_not_allowed", Sentence("该地址不支持这种请求方法。", "Method not allowed.")),
}
"""aiohttp's own refusals (no route, wrong method), in both languages."""


def _route_name(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


type NotFoundPage = Callable[[web.Request], web.StreamResponse | None]
"""A page for a request that found no route (or whose handler raised ``HTTPNotFound``), or
None to keep the JSON error."""
NOT_FOUND_PAGE: web.AppKey[NotFoundPage] = web.AppKey("not_found_page")
"""Optional: set by the pages, so a browser asking for a page that does not exist gets one
with a way home (``server/web/pages.py``). Here rather than a middleware of their own: every
middleware is one more layer each media request passes (DESIGN.md § Delivery)."""


def error_middleware(metrics: Metrics) -> Any:
    """Serialise errors as JSON, count and time requests, log server faults. Media requests
    (``/media/…``, DESIGN.md § Delivery) are only counted per status: a histogram
    observation and a route lookup per playlist and segment are a measurable share of what
    serving one from memory costs."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        media = request.path.startswith(MEDIA_PATH_PREFIX)
        started = 0.0 if media else time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except ClientError as exc:
            status = exc.status
            message = exc.message_in(request_lang(request))
            return json_response(error_body(exc.code, message), status=exc.status)
        except web.HTTPRequestEntityTooLarge as exc:
            status = 413
            message = _too_large(exc).in_language(request_lang(request))
            return json_response(error_body("payload_too_large", message), status=413)
        except web.HTTPException as exc:
            status = exc.status
            if exc.status < 400:
                raise
            page = request.app.get(NOT_FOUND_PAGE) if exc.status == 404 else None
            shown = None if page is None else page(request)
            if shown is not None:
                return shown
            code, sentence = _HTTP_ERRORS.get(exc.status, ("http_error", None))
            message = (
                sentence.in_language(request_lang(request)) if sentence else exc.reason or "error"
            )
            return json_response(error_body(code, message), status=exc.status, headers=None)
        except EngineUnavailable as exc:
            status = 503
            log.warning("engine unavailable: %s", exc, extra={"path": request.path})
            return json_response(
                error_body("engine_unavailable", "a storage engine is not answering; try again"),
                status=503,
            )
        except Exception:
            log.exception("unhandled error", extra={"path": request.path})
            return json_response(
                error_body("internal_error", "an internal error occurred; it has been logged"),
                status=500,
            )
        finally:
            if media:
                metrics.count_media(status)
            else:
                metrics.observe_request(
                    request.method, _route_name(request), status, time.perf_counter() - started
                )

    return middleware
