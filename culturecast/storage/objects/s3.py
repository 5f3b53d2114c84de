"""The object store on S3 (MinIO or any S3-compatible service) through the ``minio`` SDK.

The SDK is blocking, so every call runs on a thread pool the store owns (bounded, shut down by
``close``) and the event loop never waits on the network. Its exceptions are translated at that
one boundary (``_call``) into ``culturecast.storage.errors``. The HTTP client has short
timeouts and few retries so that a dead endpoint fails ``ping`` in well under a second instead
of the SDK's default five retries with five-minute timeouts.
"""

from __future__ import annotations

import asyncio
import builtins
import functools
import io
import os
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Final

import urllib3
from minio import Minio
from minio.datatypes import Object, Part
from minio.deleteobjects import DeleteObject
from minio.error import InvalidResponseError, S3Error, ServerError
from minio.helpers import ObjectWriteResult

from culturecast.storage.errors import EngineUnavailable, InvalidRange, ObjectNotFound, StorageError
from culturecast.storage.objects.keys import check_key, check_parts, check_prefix
from culturecast.storage.objects.port import ObjectInfo, UploadedPart

MIN_PART_SIZE = 5 * 1024 * 1024
"""S3's smallest part size (every part but the last)."""

MAX_PART_NUMBER = 10_000
"""S3's highest part number, and so the most parts of one upload."""

_MAX_PUT_SIZE = 5 * 1024 * 1024 * 1024
"""S3's largest single PUT."""

_FILE_PART_SIZE = 16 * 1024 * 1024
"""Part size for ``put_file`` of large files: fewer requests than 5 MiB, bounded memory."""

_MAX_PRESIGN_S = 7 * 24 * 3600
"""SigV4 presigned URLs live at most seven days."""

_DEFAULT_TYPE = "application/octet-stream"


class S3ObjectStore:
    """Objects in one bucket of an S3-compatible service."""

    engine: Final = "s3"

    def __init__(
        self,
        endpoint_url: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        region: str = "us-east-1",
        *,
        max_workers: int = 16,
        connect_timeout_s: float = 2.0,
        read_timeout_s: float = 30.0,
        retries: int = 2,
    ) -> None:
        parts = urllib.parse.urlsplit(endpoint_url)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
        ):
            raise ValueError(
                f"S3 endpoint must be http(s)://host[:port] with no path, not {endpoint_url!r}"
            )
        self._bucket = bucket
        self._endpoint = f"{parts.scheme}://{parts.netloc}"
        self._http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=connect_timeout_s, read=read_timeout_s),
            # One connection per worker thread: a thread never waits for a pooled connection.
            maxsize=max_workers,
            retries=urllib3.Retry(
                total=retries,
                connect=retries,
                read=retries,
                backoff_factor=0.1,
                # Only statuses that promise a retry can help; 500 is often a deterministic
                # failure, and a retried one would hide the S3 error document from the SDK.
                status_forcelist=(502, 503, 504),
                raise_on_status=False,
            ),
        )
        self._client = Minio(
            parts.netloc,
            access_key=access_key,
            secret_key=secret_key,
            secure=parts.scheme == "https",
            # A fixed region spares the SDK a GetBucketLocation round trip per bucket.
            region=region,
            http_client=self._http,
        )
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="s3")
        self._closed = False

    @property
    def bucket(self) -> str:
        """The bucket holding the objects."""
        return self._bucket

    async def ensure_bucket(self) -> None:
        """Create the bucket unless it exists (idempotent; for startup and tests)."""

        def run() -> None:
            if self._client.bucket_exists(self._bucket):
                return
            try:
                self._client.make_bucket(self._bucket)
            except S3Error as exc:
                # Another process created it between our check and our request.
                if exc.code != "BucketAlreadyOwnedByYou":
                    raise

        await self._call(run)

    # --- the port -------------------------------------------------------------------------

    async def put(
        self, key: str, data: bytes, content_type: str, cache_control: str | None = None
    ) -> ObjectInfo:
        check_key(key)
        if len(data) > _MAX_PUT_SIZE:
            raise ValueError("objects over 5 GiB need put_file or a multipart upload")

        def run() -> ObjectInfo:
            result = self._client.put_object(
                self._bucket,
                key,
                io.BytesIO(data),
                len(data),
                content_type=content_type,
                metadata=_metadata(cache_control),
                # One PUT for the whole object: it is in memory already, and one request is
                # what a 2-second live segment needs.
                part_size=max(MIN_PART_SIZE, len(data)),
                num_parallel_uploads=1,
            )
            return _written(key, len(data), content_type, cache_control, result)

        return await self._call(run, key)

    async def put_file(
        self, key: str, path: Path, content_type: str, cache_control: str | None = None
    ) -> ObjectInfo:
        check_key(key)

        def run() -> ObjectInfo:
            with path.open("rb") as source:
                size = os.fstat(source.fileno()).st_size
                # Parts are read one at a time, so memory stays at one part whatever the size.
                part_size = max(_FILE_PART_SIZE, -(-size // MAX_PART_NUMBER))
                result = self._client.put_object(
                    self._bucket,
                    key,
                    source,
                    size,
                    content_type=content_type,
                    metadata=_metadata(cache_control),
                    part_size=part_size,
                    num_parallel_uploads=1,
                )
            return _written(key, size, content_type, cache_control, result)

        return await self._call(run, key)

    async def get(self, key: str) -> bytes:
        check_key(key)
        return await self._read(key)

    async def get_range(self, key: str, start: int, end: int) -> bytes:
        check_key(key)
        if start < 0 or end < start:
            raise ValueError(f"bad byte range {start}-{end}")
        # S3 clamps an end past the object and answers InvalidRange for a start past it,
        # exactly the port's RFC 9110 semantics.
        return await self._read(key, offset=start, length=end - start + 1)

    async def _read(self, key: str, offset: int = 0, length: int = 0) -> bytes:
        """The object's bytes from ``offset`` (``length`` of them; 0: to the end)."""

        def run() -> bytes:
            response = self._client.get_object(self._bucket, key, offset=offset, length=length)
            try:
                return bytes(response.read())
            finally:
                response.close()
                response.release_conn()

        return await self._call(run, key)

    def stream(self, key: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        # Validate now so a bad key fails at the call, not at the first iteration.
        check_key(key)
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        return self._stream(key, chunk_size)

    async def _stream(self, key: str, chunk_size: int) -> AsyncIterator[bytes]:
        response = await self._call(lambda: self._client.get_object(self._bucket, key), key)
        try:
            while True:
                chunk: bytes = await self._call(lambda: bytes(response.read(chunk_size)), key)
                if not chunk:
                    return
                yield chunk
        finally:
            # Closing drops a half-read connection instead of returning it to the pool with
            # unread bytes; both calls are non-blocking.
            response.close()
            response.release_conn()

    async def stat(self, key: str) -> ObjectInfo:
        check_key(key)
        return await self._call(lambda: self._stat(key), key)

    async def exists(self, key: str) -> bool:
        try:
            await self.stat(key)
        except ObjectNotFound:
            return False
        return True

    async def delete(self, key: str) -> None:
        check_key(key)
        # S3 answers 204 for absent keys too, so nothing to special-case.
        await self._call(lambda: self._client.remove_object(self._bucket, key), key)

    async def delete_prefix(self, prefix: str) -> int:
        check_prefix(prefix)
        if not prefix:
            raise ValueError("refusing to delete every object: the prefix is empty")

        def run() -> int:
            keys = self._keys(prefix)
            # remove_objects is lazy: the requests happen while its errors are iterated.
            errors = list(
                self._client.remove_objects(self._bucket, (DeleteObject(k) for k in keys))
            )
            if errors:
                raise StorageError(
                    f"could not delete {len(errors)} of {len(keys)} objects under {prefix!r}: "
                    f"{errors[0].code} {errors[0].message}"
                )
            return len(keys)

        return await self._call(run, prefix)

    async def list(self, prefix: str) -> list[ObjectInfo]:
        """Objects under ``prefix``. S3 listings carry no content type or Cache-Control, so
        this asks for each object's metadata (in parallel on the store's threads): one request
        per object, meant for admin views and cleanup, not for hot paths."""
        check_prefix(prefix)
        keys = await self._call(lambda: self._keys(prefix), prefix)

        async def one(key: str) -> ObjectInfo | None:
            try:
                return await self._call(lambda: self._stat(key), key)
            except ObjectNotFound:
                return None  # deleted while we listed

        infos = await asyncio.gather(*(one(key) for key in keys))
        return [info for info in infos if info is not None]

    async def presign_get(self, key: str, expires_s: int) -> str | None:
        check_key(key)
        if not 1 <= expires_s <= _MAX_PRESIGN_S:
            raise ValueError(f"expires_s must be 1..{_MAX_PRESIGN_S}, not {expires_s}")
        # Signing is local computation (the region is fixed), so no thread hop is needed.
        url: str = self._client.presigned_get_object(
            self._bucket, key, expires=timedelta(seconds=expires_s)
        )
        return url

    async def local_path(self, key: str) -> Path | None:
        check_key(key)
        return None

    async def create_multipart(self, key: str, content_type: str) -> str:
        check_key(key)
        return await self._call(lambda: self._mp_create(key, content_type), key)

    async def upload_part(self, key: str, upload_id: str, number: int, data: bytes) -> UploadedPart:
        check_key(key)
        if not 1 <= number <= MAX_PART_NUMBER:
            raise ValueError(f"part number must be 1..{MAX_PART_NUMBER}, not {number}")
        etag = await self._call(lambda: self._mp_upload(key, upload_id, number, data), key)
        return UploadedPart(number=number, etag=etag, size=len(data))

    async def complete_multipart(
        self, key: str, upload_id: str, parts: builtins.list[UploadedPart]
    ) -> ObjectInfo:
        check_key(key)
        check_parts(parts)

        def run() -> ObjectInfo:
            self._mp_complete(key, upload_id, parts)
            return self._stat(key)

        return await self._call(run, key)

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        check_key(key)
        try:
            await self._call(lambda: self._mp_abort(key, upload_id), key)
        except ObjectNotFound:
            return  # unknown or already finished upload: nothing to discard

    async def ping(self) -> None:
        exists = await self._call(lambda: self._client.bucket_exists(self._bucket))
        if not exists:
            raise EngineUnavailable(
                f"S3 bucket {self._bucket!r} does not exist at {self._endpoint}"
            )

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        # Waiting for running calls happens on a helper thread, not on the event loop.
        await asyncio.to_thread(self._executor.shutdown, wait=True, cancel_futures=True)
        self._http.clear()

    # --- multipart: the SDK's private low-level calls, wrapped here and only here ---------
    # minio 7.2.x exposes no public per-part API; these signatures are pinned by the version
    # bound in pyproject.toml and exercised by the contract suite.

    def _mp_create(self, key: str, content_type: str) -> str:
        upload_id: str = self._client._create_multipart_upload(
            self._bucket, key, {"Content-Type": content_type}
        )
        return upload_id

    def _mp_upload(self, key: str, upload_id: str, number: int, data: bytes) -> str:
        etag: str = self._client._upload_part(self._bucket, key, data, None, upload_id, number)
        return etag

    def _mp_complete(self, key: str, upload_id: str, parts: builtins.list[UploadedPart]) -> None:
        self._client._complete_multipart_upload(
            self._bucket, key, upload_id, [Part(p.number, p.etag) for p in parts]
        )

    def _mp_abort(self, key: str, upload_id: str) -> None:
        self._client._abort_multipart_upload(self._bucket, key, upload_id)

    # --- blocking helpers, run on the store's threads -------------------------------------

    def _stat(self, key: str) -> ObjectInfo:
        obj: Object = self._client.stat_object(self._bucket, key)
        cache_control = obj.metadata.get("Cache-Control") if obj.metadata else None
        return ObjectInfo(
            key=key,
            size=int(obj.size or 0),
            content_type=obj.content_type or _DEFAULT_TYPE,
            cache_control=str(cache_control) if cache_control is not None else None,
            etag=str(obj.etag),
            modified=obj.last_modified.timestamp() if obj.last_modified else time.time(),
        )

    def _keys(self, prefix: str) -> builtins.list[str]:
        objects = self._client.list_objects(self._bucket, prefix=prefix or None, recursive=True)
        return sorted(str(obj.object_name) for obj in objects)

    async def _call[T](self, fn: Callable[[], T], key: str = "") -> T:
        """Run ``fn`` on the store's threads with the SDK's exceptions translated."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, functools.partial(self._translated, fn, key)
        )

    def _translated[T](self, fn: Callable[[], T], key: str) -> T:
        try:
            return fn()
        except S3Error as exc:
            raise self._storage_error(exc, key) from exc
        except ServerError as exc:
            raise EngineUnavailable(f"S3 at {self._endpoint} failed: {exc}") from exc
        except InvalidResponseError as exc:
            raise StorageError(f"S3 at {self._endpoint} answered oddly: {exc}") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            # MaxRetryError (connection refused, timeouts), ProtocolError, socket errors.
            raise EngineUnavailable(f"S3 at {self._endpoint} is unreachable: {exc}") from exc

    def _storage_error(self, exc: S3Error, key: str) -> StorageError:
        match exc.code:
            case "NoSuchKey":
                return ObjectNotFound(key)
            case "NoSuchUpload":
                return ObjectNotFound(f"no multipart upload for {key!r}")
            case "InvalidRange":
                return InvalidRange(f"{key}: {exc.message}")
            case "SlowDown" | "ServiceUnavailable" | "InternalError":
                # Still failing after the HTTP client's retries: the service is overloaded.
                return EngineUnavailable(f"S3 at {self._endpoint} is unavailable ({exc.code})")
            case "NoSuchBucket":
                return EngineUnavailable(
                    f"S3 bucket {self._bucket!r} does not exist at {self._endpoint}"
                )
            case _:
                return StorageError(f"S3 refused ({exc.code}) for {key!r}: {exc.message}")


def _metadata(cache_control: str | None) -> dict[str, Any] | None:
    # The SDK sends Cache-Control as the standard header (not x-amz-meta-), so S3 stores it
    # and serves it back on GET and HEAD, presigned URLs included.
    return {"Cache-Control": cache_control} if cache_control is not None else None


def _written(
    key: str,
    size: int,
    content_type: str,
    cache_control: str | None,
    result: ObjectWriteResult,
) -> ObjectInfo:
    """The info of an object just written, from the PUT answer (no extra HEAD)."""
    headers = result.http_headers
    stamp = headers.get("Last-Modified") or headers.get("Date") if headers else None
    try:
        modified = parsedate_to_datetime(str(stamp)).timestamp() if stamp else time.time()
    except (TypeError, ValueError):
        modified = time.time()
    return ObjectInfo(
        key=key,
        size=size,
        content_type=content_type,
        cache_control=cache_control,
        etag=str(result.etag),
        modified=modified,
    )
