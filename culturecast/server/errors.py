"""API errors: a stable code, an HTTP status and a sentence a person can act on.

Every error a client can cause reaches it as ``{"error": {"code": "...", "message": "..."}}``
(DESIGN.md § Interfaces). Services raise these (or their own errors mapped in handlers); the
middleware in ``jsonapi.py`` serialises them and turns aiohttp's own HTTP exceptions into the
same shape. The message is a :class:`~culturecast.core.errors.Sentence` (zh-CN and en) or,
for older errors, one string.
"""

from __future__ import annotations

from culturecast.core.errors import ClientError


class ApiError(ClientError):
    """Base: subclasses set ``status`` and ``code``."""

    status = 400
    code = "bad_request"


class BadRequest(ApiError):
    status = 400
    code = "bad_request"


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Conflict(ApiError):
    status = 409
    code = "conflict"


class PayloadTooLarge(ApiError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(ApiError):
    status = 415
    code = "unsupported_media_type"


class TooManyRequests(ApiError):
    status = 429
    code = "rate_limited"


class ServiceUnavailable(ApiError):
    status = 503
    code = "unavailable"
