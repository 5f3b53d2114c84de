"""Upload records and where the bytes go.

One record per upload in the ``uploads`` collection::

    {_id, org_id, org_path, created_by, length, offset, metadata, filename, filetype,
     status: receiving|finished, sink: file|multipart, object_key, multipart_id,
     parts: [{number, etag, size}], tail_size, lease_owner, lease_until, resource_id,
     created_at, updated_at, expires_at}

Two sinks, chosen by the object store, so no process ever holds a whole file:

* ``file`` (local object store): chunks are appended to ``<uploads_dir>/<id>``; the record's
  ``offset`` is what was flushed. When the last byte arrives the file is moved into the store
  under ``originals/<id>/<safe-name>``.
* ``multipart`` (S3): every ``part_size`` bytes received become one multipart part, recorded in
  ``parts``. A PATCH that ends between parts (a small chunk, a dropped connection) stores the
  remainder as the object ``uploads/<id>/tail`` and records its size, so the next PATCH — on
  any api process — starts from it; ``offset`` is always what is durably stored.

A PATCH holds a lease on the record (compare-and-set on ``lease_until``), so two requests never
append to one upload at once; a crashed process's lease simply runs out.

``offset == length`` is written only together with ``status: finished``, once the original is
in the object store. When the server's own storage fails (a full, read-only or broken volume,
an object store refusing writes) the request is answered 503 ``storage_unavailable`` and the
record keeps the offset last committed, so HEAD never reports bytes the server could not keep
and a tus client resumes (and finishes) once the storage is back, instead of believing it is
done with an upload that can never become a resource.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from culturecast.media.errors import Conflict, Locked, NotFound, StorageUnavailable, TooLarge
from culturecast.media.kit import ORG_ADMIN, PLATFORM_ADMIN, Caller
from culturecast.media.uploads.tus import safe_name
from culturecast.storage.database.port import Database, Document, IndexSpec
from culturecast.storage.errors import StorageError
from culturecast.storage.objects.port import ObjectStore, UploadedPart

log = logging.getLogger(__name__)

UPLOADS = "uploads"
UPLOAD_INDEXES: tuple[IndexSpec, ...] = (IndexSpec(UPLOADS, (("expires_at", 1),)),)

MIB = 1 << 20
DEFAULT_MAX_SIZE = 20 * 1024**3
"""Largest upload accepted (20 GiB), the same cap the probe applies."""
DEFAULT_TTL_S = 24 * 3600.0
"""An upload untouched this long is abandoned and removed (tus § Expiration)."""
S3_MIN_PART = 5 * MIB
"""S3's smallest part but the last."""

RECEIVING = "receiving"
FINISHED = "finished"


@dataclass(frozen=True, slots=True)
class UploadView:
    """What the tus handlers report about an upload."""

    upload_id: str
    length: int
    offset: int
    metadata: dict[str, str]
    expires_at: float
    finished: bool


def view(doc: Document) -> UploadView:
    return UploadView(
        upload_id=doc["_id"],
        length=int(doc["length"]),
        offset=int(doc["offset"]),
        metadata=dict(doc.get("metadata") or {}),
        expires_at=float(doc["expires_at"]),
        finished=doc["status"] == FINISHED,
    )


@contextlib.contextmanager
def _storing(upload_id: str, kept: int | None = None) -> Iterator[None]:
    """Turn a failure of the server's own storage (the staging file, the object store) into
    503 ``storage_unavailable``; ``kept`` is the offset the upload still has."""
    try:
        yield
    except (OSError, StorageError) as exc:
        log.warning("upload %s: storage failed: %s", upload_id, exc)
        where = "" if kept is None else f"; the upload keeps its first {kept} bytes"
        raise StorageUnavailable(
            f"the server cannot store uploads right now (its storage is failing){where}; "
            "try again in a few minutes, resuming from the offset HEAD reports"
        ) from exc


def may_touch(caller: Caller, doc: Mapping[str, Any]) -> bool:
    """Only the uploader, its organization's admins (and above) and platform admins."""
    role = str(caller.role)
    if role == PLATFORM_ADMIN or caller.user_id == doc.get("created_by"):
        return True
    return role == ORG_ADMIN and caller.org_id is not None and caller.org_id in doc["org_path"]


class UploadService:
    """Creates uploads, appends chunks, finishes, terminates and expires them."""

    def __init__(
        self,
        database: Database,
        objects: ObjectStore,
        uploads_dir: Path,
        *,
        clock: Callable[[], float] = time.time,
        max_size: int = DEFAULT_MAX_SIZE,
        ttl_s: float = DEFAULT_TTL_S,
        part_size: int = S3_MIN_PART,
        lease_s: float = 120.0,
        file_flush_bytes: int = 1 * MIB,
    ) -> None:
        self._uploads = database.collection(UPLOADS)
        self._objects = objects
        self._dir = uploads_dir
        self._clock = clock
        self.max_size = max_size
        self.ttl_s = ttl_s
        self._part_size = max(part_size, S3_MIN_PART) if objects.engine == "s3" else part_size
        self._lease_s = lease_s
        self._flush = file_flush_bytes

    @property
    def sink(self) -> str:
        return "file" if self._objects.engine == "local" else "multipart"

    # -- creation, lookup, termination ---------------------------------------------------

    async def create(
        self, caller: Caller, org_path: list[str], length: int, metadata: Mapping[str, str]
    ) -> UploadView:
        """§ Creation: a new upload of ``length`` bytes; 413 above the cap."""
        if length > self.max_size:
            raise TooLarge(
                f"the upload is {length} bytes; the largest accepted is {self.max_size} bytes",
                code="upload_too_large",
            )
        upload_id = uuid.uuid4().hex
        filename = metadata.get("filename") or metadata.get("name") or ""
        filetype = metadata.get("filetype") or metadata.get("type") or "application/octet-stream"
        key = f"originals/{upload_id}/{safe_name(filename)}"
        now = self._clock()
        doc: Document = {
            "_id": upload_id,
            "org_id": org_path[0],
            "org_path": org_path,
            "created_by": caller.user_id,
            "length": length,
            "offset": 0,
            "metadata": dict(metadata),
            "filename": filename,
            "filetype": filetype,
            "status": RECEIVING,
            "sink": self.sink,
            "object_key": key,
            "multipart_id": None,
            "parts": [],
            "tail_size": 0,
            "lease_owner": None,
            "lease_until": 0.0,
            "resource_id": None,
            "created_at": now,
            "updated_at": now,
            "expires_at": now + self.ttl_s,
        }
        with _storing(upload_id):
            if length == 0:
                # § Creation: an upload of length 0 is complete as soon as it exists.
                await self._objects.put(key, b"", filetype)
                doc["status"] = FINISHED
            elif self.sink == "multipart":
                doc["multipart_id"] = await self._objects.create_multipart(key, filetype)
            else:
                await asyncio.to_thread(self._create_file, upload_id)
        await self._uploads.insert(doc)
        return view(doc)

    async def get(self, caller: Caller, upload_id: str) -> Document:
        """The record, when the caller may touch it; 404 otherwise (nobody learns it exists)."""
        doc = await self._uploads.get(upload_id)
        if doc is None or not may_touch(caller, doc) or doc["expires_at"] < self._clock():
            raise NotFound("upload not found (it may have expired)", code="upload_not_found")
        return doc

    async def terminate(self, caller: Caller, upload_id: str) -> None:
        """§ Termination: remove the upload and every byte received."""
        doc = await self.get(caller, upload_id)
        if doc.get("resource_id"):
            raise Conflict(
                "this upload already became a resource; delete the resource instead",
                code="upload_in_use",
            )
        await self._discard(doc)

    async def _discard(self, doc: Document) -> None:
        if not await self._uploads.delete_one({"_id": doc["_id"]}):
            return
        if doc["status"] == FINISHED and not doc.get("resource_id"):
            await self._objects.delete(doc["object_key"])
        if doc["sink"] == "multipart" and doc.get("multipart_id") and doc["status"] != FINISHED:
            await self._objects.abort_multipart(doc["object_key"], doc["multipart_id"])
        await self._objects.delete(_tail_key(doc["_id"]))
        await asyncio.to_thread(self._remove_file, doc["_id"])

    async def expire(self) -> int:
        """Remove uploads whose expiry passed (abandoned, or finished but never turned into a
        resource), aborting their multipart uploads; returns how many."""
        expired = await self._uploads.find({"expires_at": {"$lt": self._clock()}}, limit=500)
        for doc in expired:
            try:
                await self._discard(doc)
            except Exception:
                log.exception("could not remove expired upload %s", doc["_id"])
        return len(expired)

    async def count_for_org(self, org_id: str) -> dict[str, int]:
        """The organization's uploads not yet turned into a resource nor expired (someone
        may be sending one: the organization may not be deleted under it)."""
        flt = {"org_id": org_id, "resource_id": None, "expires_at": {"$gte": self._clock()}}
        return {"uploads": await self._uploads.count(flt)}

    async def consume(self, caller: Caller, upload_id: str, resource_id: str) -> Document:
        """Hand a finished upload's original to a new resource (once)."""
        doc = await self.get(caller, upload_id)
        if doc["status"] != FINISHED:
            raise Conflict(
                f"the upload is not finished ({doc['offset']} of {doc['length']} bytes "
                "received); send the rest first",
                code="upload_unfinished",
            )
        taken = await self._uploads.update_one(
            {"_id": upload_id, "resource_id": None},
            set={"resource_id": resource_id, "updated_at": self._clock()},
        )
        if taken is None:
            raise Conflict("this upload already became a resource", code="upload_in_use")
        return taken

    async def release(self, upload_id: str, resource_id: str) -> None:
        """Undo :meth:`consume` (the resource could not be created)."""
        await self._uploads.update_one(
            {"_id": upload_id, "resource_id": resource_id}, set={"resource_id": None}
        )

    # -- appending (§ PATCH) -----------------------------------------------------------

    async def append(
        self, caller: Caller, upload_id: str, offset: int, body: AsyncIterator[bytes]
    ) -> UploadView:
        """Append ``body`` at ``offset`` (409 when the upload is elsewhere, 423 while another
        request appends). Whatever arrives before the body breaks off is kept, so the client
        resumes from the offset a HEAD reports."""
        doc = await self.get(caller, upload_id)
        if doc["status"] == FINISHED:
            raise Conflict("the upload is already complete", code="upload_complete")
        if int(doc["offset"]) != offset:
            raise Conflict(
                f"Upload-Offset {offset} does not match the upload's offset {doc['offset']}; "
                "ask with HEAD and resume from there",
                code="offset_mismatch",
            )
        owner = secrets.token_hex(8)
        now = self._clock()
        leased = await self._uploads.update_one(
            {
                "_id": upload_id,
                "offset": offset,
                "status": RECEIVING,
                "lease_until": {"$lt": now},
            },
            set={"lease_owner": owner, "lease_until": now + self._lease_s},
        )
        if leased is None:
            current = await self._uploads.get(upload_id)
            if current is not None and int(current["offset"]) != offset:
                raise Conflict(
                    f"Upload-Offset {offset} does not match the upload's offset "
                    f"{current['offset']}",
                    code="offset_mismatch",
                )
            raise Locked(
                "another request is sending this upload; wait for it or retry later",
                code="upload_locked",
            )
        try:
            if leased["sink"] == "multipart":
                final = await self._append_multipart(leased, owner, body)
            else:
                final = await self._append_file(leased, owner, body)
        finally:
            await self._uploads.update_one(
                {"_id": upload_id, "lease_owner": owner},
                set={"lease_owner": None, "lease_until": 0.0},
            )
        return view(final)

    async def _commit(self, doc: Document, owner: str, fields: Mapping[str, Any]) -> Document:
        now = self._clock()
        updated = await self._uploads.update_one(
            {"_id": doc["_id"], "lease_owner": owner},
            set={
                **fields,
                "updated_at": now,
                "expires_at": now + self.ttl_s,
                "lease_until": now + self._lease_s,
            },
        )
        if updated is None:
            raise Locked(
                "the upload was taken over by another request (this one was too slow)",
                code="upload_locked",
            )
        return updated

    async def _append_file(self, doc: Document, owner: str, body: AsyncIterator[bytes]) -> Document:
        upload_id, length = doc["_id"], int(doc["length"])
        offset = committed = int(doc["offset"])
        with _storing(upload_id, committed):
            handle = await asyncio.to_thread(self._open_at, upload_id, offset)
        buffer = bytearray()
        last_commit = self._clock()
        error: BaseException | None = None
        try:
            try:
                async for chunk in _bounded(body, length - offset):
                    buffer += chunk
                    if len(buffer) < self._flush:
                        continue
                    with _storing(upload_id, committed):
                        await asyncio.to_thread(handle.write, bytes(buffer))
                    offset += len(buffer)
                    buffer.clear()
                    # The last byte is committed only with the finished status (below).
                    due = offset - committed >= 8 * self._flush or self._clock() - last_commit > 5
                    if offset < length and due:
                        with _storing(upload_id, committed):
                            await asyncio.to_thread(handle.flush)
                        doc = await self._commit(doc, owner, {"offset": offset})
                        committed, last_commit = offset, self._clock()
            except (Locked, StorageUnavailable):
                raise
            except BaseException as exc:
                # The body broke off (client gone: an error, or the handler cancelled), or
                # ran past the length: keep what arrived, then report the error.
                error = exc
            with _storing(upload_id, committed):
                if buffer:
                    await asyncio.to_thread(handle.write, bytes(buffer))
                    offset += len(buffer)
                    buffer.clear()
                await asyncio.to_thread(handle.flush)
        finally:
            with contextlib.suppress(OSError):
                await asyncio.to_thread(handle.close)
        if error is not None:
            log.info("upload %s: body broke off at %d: %s", upload_id, offset, error)
        if offset < length:
            doc = await self._commit(doc, owner, {"offset": offset})
        else:
            # Every byte is in the staging file; the upload is finished once the original is
            # in the store. Until then the record keeps the last committed offset, so a
            # storage failure here leaves the client something to resend (and a retry that
            # finishes): the staging file is cut back to that offset by the next PATCH.
            with _storing(upload_id, committed):
                await self._objects.put_file(
                    doc["object_key"], self._path(upload_id), doc["filetype"]
                )
            doc = await self._commit(doc, owner, {"offset": offset, "status": FINISHED})
            await asyncio.to_thread(self._remove_file, upload_id)
        if isinstance(error, TooLarge) or (error is not None and not isinstance(error, Exception)):
            raise error
        return doc

    async def _append_multipart(
        self, doc: Document, owner: str, body: AsyncIterator[bytes]
    ) -> Document:
        upload_id, length, key = doc["_id"], int(doc["length"]), doc["object_key"]
        parts = [UploadedPart(p["number"], p["etag"], p["size"]) for p in doc["parts"]]
        stored = sum(p.size for p in parts)
        kept = int(doc["offset"])
        buffer = bytearray()
        if doc["tail_size"]:
            # Only the recorded length counts: a crash may have left a longer tail object.
            with _storing(upload_id, kept):
                buffer += (await self._objects.get(_tail_key(upload_id)))[: doc["tail_size"]]
        error: BaseException | None = None
        try:
            async for chunk in _bounded(body, length - int(doc["offset"])):
                buffer += chunk
                while len(buffer) >= self._part_size:
                    data = bytes(buffer[: self._part_size])
                    with _storing(upload_id, kept):
                        part = await self._objects.upload_part(
                            key, doc["multipart_id"], len(parts) + 1, data
                        )
                    parts.append(part)
                    del buffer[: self._part_size]
                    stored += part.size
                    # The tail object's bytes are inside this part now; the rest is in memory
                    # until the next part or the end of the request.
                    doc = await self._commit(
                        doc, owner, {"parts": _parts(parts), "offset": stored, "tail_size": 0}
                    )
                    kept = stored
        except (Locked, StorageUnavailable):
            raise
        except BaseException as exc:
            error = exc
        if error is not None:
            log.info("upload %s: body broke off at %d: %s", upload_id, stored + len(buffer), error)
        offset = stored + len(buffer)
        with _storing(upload_id, kept):
            if offset == length:
                if buffer or not parts:
                    part = await self._objects.upload_part(
                        key, doc["multipart_id"], len(parts) + 1, bytes(buffer)
                    )
                    parts.append(part)
                await self._objects.complete_multipart(key, doc["multipart_id"], parts)
            elif buffer:
                await self._objects.put(
                    _tail_key(upload_id), bytes(buffer), "application/octet-stream"
                )
        if offset == length:
            doc = await self._commit(
                doc,
                owner,
                {"parts": _parts(parts), "offset": offset, "tail_size": 0, "status": FINISHED},
            )
            with contextlib.suppress(OSError, StorageError):
                # Only a leftover: the upload is finished, and expiry removes it anyway.
                await self._objects.delete(_tail_key(upload_id))
        else:
            doc = await self._commit(doc, owner, {"offset": offset, "tail_size": len(buffer)})
        if isinstance(error, TooLarge) or (error is not None and not isinstance(error, Exception)):
            raise error
        return doc

    # -- local files ---------------------------------------------------------------------

    def _path(self, upload_id: str) -> Path:
        return self._dir / upload_id

    def _create_file(self, upload_id: str) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        self._path(upload_id).touch()

    def _open_at(self, upload_id: str, offset: int) -> Any:
        handle = self._path(upload_id).open("r+b")
        # Bytes past the recorded offset were written but never committed (a crash); the
        # client resends them.
        handle.truncate(offset)
        handle.seek(offset)
        return handle

    def _remove_file(self, upload_id: str) -> None:
        self._path(upload_id).unlink(missing_ok=True)


def _tail_key(upload_id: str) -> str:
    return f"uploads/{upload_id}/tail"


def _parts(parts: list[UploadedPart]) -> list[dict[str, Any]]:
    return [{"number": p.number, "etag": p.etag, "size": p.size} for p in parts]


async def _bounded(body: AsyncIterator[bytes], remaining: int) -> AsyncIterator[bytes]:
    """The body's chunks; 413 (after yielding what fits) when it runs past the declared
    length."""
    async for chunk in body:
        if len(chunk) > remaining:
            if remaining:
                yield chunk[:remaining]
            raise TooLarge(
                "the body runs past Upload-Length; the bytes that fit were kept",
                code="upload_overflow",
            )
        remaining -= len(chunk)
        if chunk:
            yield chunk
