"""The object-store port: media files under keys such as ``live/<event>/720p/seg_00001.ts``.

Keys are built by the server from its own ids only: ``[A-Za-z0-9._-]`` segments joined by
``/``, never starting with ``/``, never containing ``..``, no segment starting with ``.``
(``keys.check_key``). Adapters reject any other key with ``ValueError`` so a path can never
escape the store.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What is known about one stored object."""

    key: str
    """The object's key."""
    size: int
    """Length in bytes."""
    content_type: str
    """MIME type given when it was stored."""
    cache_control: str | None
    """Cache-Control value given when it was stored, served as the header."""
    etag: str
    """An opaque validator that changes whenever the content changes."""
    modified: float
    """Last write, seconds since the epoch."""


@dataclass(frozen=True, slots=True)
class UploadedPart:
    """One part of a multipart upload."""

    number: int
    """Part number, from 1."""
    etag: str
    """The store's tag for the part, needed to complete the upload."""
    size: int
    """Bytes in the part."""


class ObjectStore(Protocol):
    """Where every media byte lives."""

    @property
    def engine(self) -> str:
        """A short name for readiness reports: ``"local"`` or ``"s3"``."""

    async def put(
        self, key: str, data: bytes, content_type: str, cache_control: str | None = None
    ) -> ObjectInfo:
        """Store ``data`` under ``key``, replacing any object there. Readers never see a
        partial object."""

    async def put_file(
        self, key: str, path: Path, content_type: str, cache_control: str | None = None
    ) -> ObjectInfo:
        """Store the file at ``path`` (streamed, never read whole into memory)."""

    async def get(self, key: str) -> bytes:
        """The whole object; ``ObjectNotFound`` if absent."""

    async def get_range(self, key: str, start: int, end: int) -> bytes:
        """Bytes ``start`` to ``end`` inclusive (RFC 9110 §14.1.2 semantics; ``end`` past the
        last byte is clamped); ``InvalidRange`` when ``start`` is past the end."""

    def stream(self, key: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        """The object in chunks; ``ObjectNotFound`` (on first iteration) if absent."""

    async def stat(self, key: str) -> ObjectInfo:
        """Metadata; ``ObjectNotFound`` if absent."""

    async def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""

    async def delete(self, key: str) -> None:
        """Remove the object; absent keys are not an error."""

    async def delete_prefix(self, prefix: str) -> int:
        """Remove every object whose key starts with ``prefix``; returns how many. The empty
        prefix is refused (``ValueError``): wiping the store is never a default."""

    async def list(self, prefix: str) -> builtins.list[ObjectInfo]:
        """Objects whose key starts with ``prefix``, sorted by key."""

    async def presign_get(self, key: str, expires_s: int) -> str | None:
        """A time-limited URL a client can GET directly, or None when the store cannot
        serve clients itself (the local directory) and the api must."""

    async def local_path(self, key: str) -> Path | None:
        """The file behind ``key`` when the store is a local directory (for sendfile;
        ``ObjectNotFound`` if absent), else None."""

    async def create_multipart(self, key: str, content_type: str) -> str:
        """Begin a multipart upload to ``key``; returns its upload id."""

    async def upload_part(self, key: str, upload_id: str, number: int, data: bytes) -> UploadedPart:
        """Store part ``number`` (1-based); ``ObjectNotFound`` for an upload the store does not
        know. With S3 every part but the last must be at least 5 MiB; callers buffer to that
        size."""

    async def complete_multipart(
        self, key: str, upload_id: str, parts: builtins.list[UploadedPart]
    ) -> ObjectInfo:
        """Join the parts (ascending numbers, else ``ValueError``) into the object at ``key``;
        ``StorageError`` when a part but the last is under 5 MiB, on every adapter."""

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        """Discard an unfinished upload and its parts; unknown ids are not an error."""

    async def ping(self) -> None:
        """Return when the store answers; ``EngineUnavailable`` otherwise."""

    async def close(self) -> None:
        """Release connections and threads."""
