"""Errors every storage adapter raises, so callers never see an engine's own exceptions."""


class StorageError(Exception):
    """Base of every storage error."""

    code = "storage_error"


class EngineUnavailable(StorageError):
    """The engine did not answer (connection refused, timeout)."""

    code = "engine_unavailable"


class DuplicateKeyError(StorageError):
    """An insert or update would break a unique index (or reuse an ``_id``)."""

    code = "duplicate_key"


class ObjectNotFound(StorageError):
    """No object is stored under the key."""

    code = "object_not_found"


class InvalidRange(StorageError):
    """A byte range lies outside the object."""

    code = "invalid_range"
