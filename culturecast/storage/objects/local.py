"""The object store as a local directory: the embedded twin of MinIO for standalone mode.

Layout under ``root``::

    <key>                         the object's bytes, so sendfile (and nginx) can serve it as is
    .meta/<key>.json              content type, Cache-Control, etag of that object
    .multipart/<upload id>/       an unfinished multipart upload: upload.json and part-NNNNN

Keys never have a segment starting with ``.`` (see ``keys.py``), so the bookkeeping trees and
the ``.tmp-*`` files of writes in progress can never collide with an object, and listing skips
them by name.

Every write goes to a temporary file in the target's own directory and is renamed over the
target (``os.replace`` is atomic within one file system), so readers see the old object or the
new one, never a partial one. The sidecar cannot be renamed in the same step, so it records the
inode, mtime and size of the data file it describes; a reader that finds them disagreeing
(between the two renames, or after a crash there) uses a tag derived from the file's own stat
instead, so the etag still changes whenever the content does. Data is not fsynced: a crash may
lose the newest objects (as with any page-cache write), never expose a half-written one.

Blocking file I/O runs in worker threads (``asyncio.to_thread``) so the event loop never waits
on the disk.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import hashlib
import json
import mimetypes
import os
import re
import secrets
import shutil
import stat as stat_mod
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Final

from culturecast.storage.errors import EngineUnavailable, InvalidRange, ObjectNotFound, StorageError
from culturecast.storage.objects.keys import check_key, check_parts, check_prefix
from culturecast.storage.objects.port import ObjectInfo, UploadedPart

MIN_PART_SIZE = 5 * 1024 * 1024
"""S3's smallest part but the last; enforced here too so standalone mode fails like S3 does."""

MAX_PART_NUMBER = 10_000
"""S3's highest part number."""

_COPY_CHUNK = 1 << 20
_META_DIR = ".meta"
_MULTIPART_DIR = ".multipart"
_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
_DEFAULT_TYPE = "application/octet-stream"


class LocalObjectStore:
    """Objects as files under ``root`` (created if missing)."""

    engine: Final = "local"

    def __init__(self, root: Path) -> None:
        self._root = root
        root.mkdir(parents=True, exist_ok=True)

    @property
    def root(self) -> Path:
        """The directory holding the objects."""
        return self._root

    # --- the port -------------------------------------------------------------------------

    async def put(
        self, key: str, data: bytes, content_type: str, cache_control: str | None = None
    ) -> ObjectInfo:
        check_key(key)
        return await asyncio.to_thread(self._write, key, (data,), content_type, cache_control)

    async def put_file(
        self, key: str, path: Path, content_type: str, cache_control: str | None = None
    ) -> ObjectInfo:
        check_key(key)
        return await asyncio.to_thread(self._put_file, key, path, content_type, cache_control)

    async def get(self, key: str) -> bytes:
        check_key(key)
        return await asyncio.to_thread(self._read_all, key)

    async def get_range(self, key: str, start: int, end: int) -> bytes:
        check_key(key)
        if start < 0 or end < start:
            raise ValueError(f"bad byte range {start}-{end}")
        return await asyncio.to_thread(self._read_range, key, start, end)

    def stream(self, key: str, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        # Validate now so a bad key fails at the call, not at the first iteration.
        check_key(key)
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        return self._stream(key, chunk_size)

    async def stat(self, key: str) -> ObjectInfo:
        check_key(key)
        return await asyncio.to_thread(self._stat, key)

    async def exists(self, key: str) -> bool:
        check_key(key)
        return await asyncio.to_thread(self._data_path(key).is_file)

    async def delete(self, key: str) -> None:
        check_key(key)
        await asyncio.to_thread(self._delete, key)

    async def delete_prefix(self, prefix: str) -> int:
        check_prefix(prefix)
        if not prefix:
            raise ValueError("refusing to delete every object: the prefix is empty")
        return await asyncio.to_thread(self._delete_prefix, prefix)

    async def list(self, prefix: str) -> list[ObjectInfo]:
        check_prefix(prefix)
        return await asyncio.to_thread(self._list, prefix)

    async def presign_get(self, key: str, expires_s: int) -> str | None:
        check_key(key)
        return None

    async def local_path(self, key: str) -> Path | None:
        check_key(key)
        path = self._data_path(key)
        if not await asyncio.to_thread(path.is_file):
            raise ObjectNotFound(key)
        return path

    async def create_multipart(self, key: str, content_type: str) -> str:
        check_key(key)
        return await asyncio.to_thread(self._create_multipart, key, content_type)

    async def upload_part(self, key: str, upload_id: str, number: int, data: bytes) -> UploadedPart:
        check_key(key)
        if not 1 <= number <= MAX_PART_NUMBER:
            raise ValueError(f"part number must be 1..{MAX_PART_NUMBER}, not {number}")
        return await asyncio.to_thread(self._upload_part, key, upload_id, number, data)

    async def complete_multipart(
        self, key: str, upload_id: str, parts: builtins.list[UploadedPart]
    ) -> ObjectInfo:
        check_key(key)
        check_parts(parts)
        return await asyncio.to_thread(self._complete_multipart, key, upload_id, parts)

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        check_key(key)
        await asyncio.to_thread(self._abort_multipart, key, upload_id)

    async def ping(self) -> None:
        ok = await asyncio.to_thread(
            lambda: self._root.is_dir() and os.access(self._root, os.W_OK | os.X_OK)
        )
        if not ok:
            raise EngineUnavailable(f"object directory {self._root} is missing or not writable")

    async def close(self) -> None:
        """Nothing to release: files are opened and closed per operation."""

    # --- paths ----------------------------------------------------------------------------

    def _data_path(self, key: str) -> Path:
        return self._root / key

    def _meta_path(self, key: str) -> Path:
        return self._root / _META_DIR / f"{key}.json"

    def _upload_dir(self, upload_id: str) -> Path | None:
        # The id becomes a directory name, so anything but our own format is unknown.
        if _UPLOAD_ID.fullmatch(upload_id) is None:
            return None
        return self._root / _MULTIPART_DIR / upload_id

    # --- blocking helpers, run in threads -------------------------------------------------

    def _put_file(
        self, key: str, path: Path, content_type: str, cache_control: str | None
    ) -> ObjectInfo:
        with path.open("rb") as source:
            return self._write(key, _chunks(source), content_type, cache_control)

    def _write(
        self,
        key: str,
        chunks: Iterable[bytes],
        content_type: str,
        cache_control: str | None,
    ) -> ObjectInfo:
        target = self._data_path(key)
        tmp, out = _open_temp(target.parent, key)
        meta_tmp: Path | None = None
        try:
            digest = hashlib.md5(usedforsecurity=False)
            with out:
                for chunk in chunks:
                    digest.update(chunk)
                    out.write(chunk)
            st = os.stat(tmp)
            meta = {
                "content_type": content_type,
                "cache_control": cache_control,
                "etag": digest.hexdigest(),
                "ino": st.st_ino,
                "mtime_ns": st.st_mtime_ns,
                "size": st.st_size,
            }
            meta_path = self._meta_path(key)
            meta_tmp, meta_out = _open_temp(meta_path.parent, key)
            with meta_out:
                meta_out.write(json.dumps(meta).encode())
            # Both renames back to back keep the window where they disagree tiny; readers
            # detect it through the recorded inode (see the module docstring).
            try:
                os.replace(tmp, target)
            except IsADirectoryError:
                raise StorageError(
                    f"object key {key!r} is a directory of other objects in the local store"
                ) from None
            os.replace(meta_tmp, meta_path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            if meta_tmp is not None:
                meta_tmp.unlink(missing_ok=True)
            raise
        return self._info(key, st, meta)

    def _open_data(self, key: str) -> IO[bytes]:
        try:
            return self._data_path(key).open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise ObjectNotFound(key) from None

    def _read_all(self, key: str) -> bytes:
        with self._open_data(key) as f:
            return f.read()

    def _read_range(self, key: str, start: int, end: int) -> bytes:
        with self._open_data(key) as f:
            size = os.fstat(f.fileno()).st_size
            if start >= size:
                raise InvalidRange(f"{key}: range starts at {start}, object has {size} bytes")
            f.seek(start)
            return f.read(min(end, size - 1) - start + 1)

    async def _stream(self, key: str, chunk_size: int) -> AsyncIterator[bytes]:
        f = await asyncio.to_thread(self._open_data, key)
        try:
            while chunk := await asyncio.to_thread(f.read, chunk_size):
                yield chunk
        finally:
            f.close()

    def _stat(self, key: str) -> ObjectInfo:
        try:
            st = os.stat(self._data_path(key))
        except (FileNotFoundError, NotADirectoryError):
            raise ObjectNotFound(key) from None
        if not stat_mod.S_ISREG(st.st_mode):
            raise ObjectNotFound(key)
        return self._info(key, st, self._read_meta(key))

    def _read_meta(self, key: str) -> dict[str, Any] | None:
        try:
            raw = self._meta_path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        try:
            meta = json.loads(raw)
        except ValueError:
            return None
        return meta if isinstance(meta, dict) else None

    def _info(self, key: str, st: os.stat_result, meta: dict[str, Any] | None) -> ObjectInfo:
        fresh = meta is not None and (
            meta.get("ino"),
            meta.get("mtime_ns"),
            meta.get("size"),
        ) == (st.st_ino, st.st_mtime_ns, st.st_size)
        if meta is not None and fresh:
            etag = str(meta["etag"])
        else:
            # The sidecar describes another version (or is missing): a tag from the file's own
            # identity still changes whenever the file is replaced.
            etag = f"{st.st_ino:x}-{st.st_mtime_ns:x}-{st.st_size:x}"
        content_type = meta.get("content_type") if meta is not None else None
        if not isinstance(content_type, str):
            content_type = mimetypes.guess_type(key)[0] or _DEFAULT_TYPE
        cache_control = meta.get("cache_control") if meta is not None else None
        return ObjectInfo(
            key=key,
            size=st.st_size,
            content_type=content_type,
            cache_control=cache_control if isinstance(cache_control, str) else None,
            etag=etag,
            modified=st.st_mtime,
        )

    def _delete(self, key: str) -> None:
        data = self._data_path(key)
        with contextlib.suppress(FileNotFoundError, NotADirectoryError, IsADirectoryError):
            data.unlink()
        meta = self._meta_path(key)
        with contextlib.suppress(FileNotFoundError, NotADirectoryError, IsADirectoryError):
            meta.unlink()
        _prune_empty_dirs(data.parent, self._root)
        _prune_empty_dirs(meta.parent, self._root / _META_DIR)

    def _delete_prefix(self, prefix: str) -> int:
        keys = self._keys(prefix)
        for key in keys:
            self._delete(key)
        return len(keys)

    def _list(self, prefix: str) -> builtins.list[ObjectInfo]:
        infos: list[ObjectInfo] = []
        for key in self._keys(prefix):
            try:
                infos.append(self._stat(key))
            except ObjectNotFound:
                continue  # deleted while we listed
        return infos

    def _keys(self, prefix: str) -> builtins.list[str]:
        """Keys starting with ``prefix``, sorted, visiting only directories that can hold
        them."""
        found: list[str] = []
        base = prefix.rpartition("/")[0]

        def walk(directory: Path, rel: str) -> None:
            try:
                entries = list(os.scandir(directory))
            except (FileNotFoundError, NotADirectoryError):
                return
            for entry in entries:
                if entry.name.startswith("."):
                    continue  # bookkeeping and writes in progress, never objects
                key = f"{rel}/{entry.name}" if rel else entry.name
                if entry.is_dir(follow_symlinks=False):
                    if (key + "/").startswith(prefix) or prefix.startswith(key + "/"):
                        walk(Path(entry.path), key)
                elif entry.is_file(follow_symlinks=False) and key.startswith(prefix):
                    found.append(key)

        walk(self._root / base if base else self._root, base)
        found.sort()
        return found

    def _create_multipart(self, key: str, content_type: str) -> str:
        upload_id = secrets.token_hex(16)
        upload_dir = self._root / _MULTIPART_DIR / upload_id
        upload_dir.mkdir(parents=True)
        (upload_dir / "upload.json").write_text(
            json.dumps({"key": key, "content_type": content_type})
        )
        return upload_id

    def _upload(self, key: str, upload_id: str) -> tuple[Path, dict[str, Any]]:
        upload_dir = self._upload_dir(upload_id)
        if upload_dir is not None:
            try:
                upload = json.loads((upload_dir / "upload.json").read_bytes())
            except (FileNotFoundError, ValueError):
                upload = None
            if isinstance(upload, dict) and upload.get("key") == key:
                return upload_dir, upload
        raise ObjectNotFound(f"no multipart upload {upload_id!r} for {key!r}")

    def _upload_part(self, key: str, upload_id: str, number: int, data: bytes) -> UploadedPart:
        upload_dir, _ = self._upload(key, upload_id)
        tmp, out = _open_temp(upload_dir, key)
        try:
            with out:
                out.write(data)
            os.replace(tmp, upload_dir / _part_name(number))
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
        return UploadedPart(number=number, etag=etag, size=len(data))

    def _complete_multipart(
        self, key: str, upload_id: str, parts: builtins.list[UploadedPart]
    ) -> ObjectInfo:
        upload_dir, upload = self._upload(key, upload_id)
        for part in parts[:-1]:
            if part.size < MIN_PART_SIZE:
                raise StorageError(
                    f"part {part.number} has {part.size} bytes; every part but the last needs "
                    f"at least {MIN_PART_SIZE}"
                )

        def joined() -> Iterator[bytes]:
            for part in parts:
                digest = hashlib.md5(usedforsecurity=False)
                try:
                    source = (upload_dir / _part_name(part.number)).open("rb")
                except FileNotFoundError:
                    raise StorageError(f"part {part.number} was never uploaded") from None
                with source:
                    for chunk in _chunks(source):
                        digest.update(chunk)
                        yield chunk
                # A part re-uploaded since the caller got its etag must not slip in.
                if digest.hexdigest() != part.etag:
                    raise StorageError(f"part {part.number} does not match its etag")

        content_type = str(upload.get("content_type") or _DEFAULT_TYPE)
        info = self._write(key, joined(), content_type, None)
        shutil.rmtree(upload_dir, ignore_errors=True)
        return info

    def _abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            upload_dir, _ = self._upload(key, upload_id)
        except ObjectNotFound:
            return
        shutil.rmtree(upload_dir, ignore_errors=True)


def _part_name(number: int) -> str:
    return f"part-{number:05d}"


def _chunks(source: IO[bytes]) -> Iterator[bytes]:
    while chunk := source.read(_COPY_CHUNK):
        yield chunk


def _open_temp(directory: Path, key: str) -> tuple[Path, IO[bytes]]:
    """A new, exclusively created temporary file in ``directory`` (same file system as the
    target, so the final rename is atomic). Its name starts with ``.`` so listing skips it."""
    for attempt in range(3):
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise StorageError(
                f"object key {key!r} needs a directory where the local store has an object"
            ) from None
        tmp = directory / f".tmp-{secrets.token_hex(8)}"
        try:
            return tmp, tmp.open("xb")
        except FileNotFoundError:
            # A concurrent delete pruned the (then empty) directory between mkdir and open.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _prune_empty_dirs(directory: Path, stop: Path) -> None:
    """Remove ``directory`` and its parents up to (not including) ``stop`` while empty, so
    deleted events leave no directory skeletons behind."""
    while directory != stop and stop in directory.parents:
        try:
            directory.rmdir()
        except OSError:
            return  # not empty (or already gone): its parents are not empty either
        directory = directory.parent
