"""HTTP plumbing shared by every handler: JSON bodies decoded into typed structs, JSON
responses, and the middleware that turns every error into the documented JSON shape."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from aiohttp import web

from culturecast.server import errors
from culturecast.server.metrics import Metrics
from culturecast.storage.errors import EngineUnavailable

log = logging.getLogger("culturecast.http")

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

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


async def read_json[T](request: web.Request, model: type[T]) -> T:
    """Decode the body into ``model`` (a ``msgspec.Struct`` that forbids unknown fields);
    each failure becomes a 400/413/415 with a message naming the field."""
    ctype = request.content_type
    if ctype != "application/json":
        raise errors.UnsupportedMediaType(
            f"send the body as application/json (got {ctype or 'no content type'})"
        )
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise errors.PayloadTooLarge(f"the body is too large: {exc.text}") from exc
    if not raw:
        raise errors.BadRequest("the body is empty; send a JSON object", code="malformed_json")
    try:
        return msgspec.json.decode(raw, type=model)
    except msgspec.ValidationError as exc:
        raise errors.BadRequest(f"invalid body: {exc}", code="invalid_body") from exc
    except msgspec.DecodeError as exc:
        raise errors.BadRequest(
            f"the body is not valid JSON: {exc}", code="malformed_json"
        ) from exc


def _route_name(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def _is_user_error(exc: Exception) -> bool:
    """A feature package's error meant for the client: class attributes ``status`` (4xx/5xx)
    and ``code``."""
    status = getattr(type(exc), "status", None)
    code = getattr(type(exc), "code", None)
    return isinstance(status, int) and 400 <= status < 600 and isinstance(code, str)


def error_middleware(metrics: Metrics) -> Any:
    """Serialise errors as JSON, count and time requests, log server faults."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except errors.ApiError as exc:
            status = exc.status
            return json_response(error_body(exc.code, exc.message), status=exc.status)
        except web.HTTPRequestEntityTooLarge as exc:
            status = 413
            return json_response(
                error_body("payload_too_large", f"the body is too large: {exc.text}"), status=413
            )
        except web.HTTPException as exc:
            status = exc.status
            if exc.status < 400:
                raise
            code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status, "http_error")
            return json_response(
                error_body(code, exc.reason or "error"), status=exc.status, headers=None
            )
        except EngineUnavailable as exc:
            status = 503
            log.warning("engine unavailable: %s", exc, extra={"path": request.path})
            return json_response(
                error_body("engine_unavailable", "a storage engine is not answering; try again"),
                status=503,
            )
        except Exception as exc:
            if _is_user_error(exc):
                status = int(type(exc).status)  # type: ignore[attr-defined]
                message = str(getattr(exc, "message", "") or exc)
                return json_response(error_body(str(exc.code), message), status=status)  # type: ignore[attr-defined]
            log.exception("unhandled error", extra={"path": request.path})
            return json_response(
                error_body("internal_error", "an internal error occurred; it has been logged"),
                status=500,
            )
        finally:
            metrics.observe_request(
                request.method, _route_name(request), status, time.perf_counter() - started
            )

    return middleware
