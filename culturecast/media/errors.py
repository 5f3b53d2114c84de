"""Errors of the media package that a client can cause.

Each carries ``status`` and ``code`` (class attributes, overridable per instance for a more
precise code) and ``message``, a sentence a person can act on (a zh-CN/en ``Sentence``, or
one string); the server's error middleware turns them into ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

from culturecast.core.errors import ClientError


class MediaError(ClientError):
    """Base of every media error."""

    status = 400
    code = "bad_request"


class BadRequest(MediaError):
    status = 400
    code = "bad_request"


class NotFound(MediaError):
    status = 404
    code = "not_found"


class Forbidden(MediaError):
    status = 403
    code = "forbidden"


class Conflict(MediaError):
    status = 409
    code = "conflict"


class Gone(MediaError):
    status = 410
    code = "gone"


class PreconditionFailed(MediaError):
    status = 412
    code = "precondition_failed"


class TooLarge(MediaError):
    status = 413
    code = "too_large"


class UnsupportedMediaType(MediaError):
    status = 415
    code = "unsupported_media_type"


class RangeNotSatisfiable(MediaError):
    status = 416
    code = "range_not_satisfiable"


class Locked(MediaError):
    status = 423
    code = "locked"


class StorageUnavailable(MediaError):
    """The server's own storage failed (a full, read-only or broken volume, an object store
    that refuses writes): nothing the client did, so it may retry the same request later."""

    status = 503
    code = "storage_unavailable"
