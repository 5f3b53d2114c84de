"""Abandoned uploads are removed after the configured time, their S3 multipart uploads
aborted and their files deleted (time is a parameter: no sleeping)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from culturecast.media.uploads.service import UploadService
from culturecast.storage.database.sqlite import SQLiteDatabase
from culturecast.storage.errors import ObjectNotFound
from culturecast.storage.objects.local import LocalObjectStore
from culturecast.storage.objects.port import ObjectStore
from culturecast.storage.objects.s3 import S3ObjectStore
from tests.support.engines import S3Endpoint


@dataclass(frozen=True)
class Uploader:
    user_id: str = "u1"
    role: str = "editor"
    org_id: str | None = "org"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def chunks(data: bytes, size: int = 1 << 20) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


@pytest.fixture(params=["local", "s3"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, s3_endpoint: S3Endpoint
) -> AsyncIterator[ObjectStore]:
    objects: ObjectStore
    if request.param == "local":
        objects = LocalObjectStore(tmp_path / "objects")
    else:
        s3 = S3ObjectStore(
            s3_endpoint.url,
            access_key=s3_endpoint.access_key,
            secret_key=s3_endpoint.secret_key,
            bucket=f"expiry-{uuid.uuid4().hex[:12]}",
            region=s3_endpoint.region,
        )
        await s3.ensure_bucket()
        objects = s3
    yield objects
    await objects.close()


async def test_abandoned_uploads_are_removed_after_the_ttl(
    store: ObjectStore, tmp_path: Path
) -> None:
    clock = Clock()
    db = await SQLiteDatabase.open(tmp_path / "db.sqlite")
    service = UploadService(db, store, tmp_path / "uploads", clock=clock, ttl_s=3600)
    me = Uploader()
    data = os.urandom(6 << 20)
    abandoned = await service.create(me, ["org"], len(data), {"filename": "a.mp4"})
    await service.append(me, abandoned.upload_id, 0, chunks(data[: 5 << 20 | 1234]))
    kept = await service.create(me, ["org"], 10, {"filename": "b.mp4"})
    clock.now += 3000
    await service.append(me, kept.upload_id, 0, chunks(b"x" * 5))
    assert await service.expire() == 0
    clock.now += 700  # the first is 3700 s old; the second was touched 700 s ago
    assert await service.expire() == 1
    assert await db.collection("uploads").get(abandoned.upload_id) is None
    assert await db.collection("uploads").get(kept.upload_id) is not None
    assert await asyncio.to_thread(
        lambda: not (tmp_path / "uploads" / abandoned.upload_id).exists()
    )
    with pytest.raises(ObjectNotFound):
        await store.stat(f"uploads/{abandoned.upload_id}/tail")
    if store.engine == "s3":
        # The multipart upload is gone: its id no longer takes parts.
        doc_key = f"originals/{abandoned.upload_id}/a.mp4"
        with pytest.raises(ObjectNotFound):
            await store.stat(doc_key)
    await db.close()


async def test_a_finished_upload_never_claimed_expires_with_its_original(
    store: ObjectStore, tmp_path: Path
) -> None:
    clock = Clock()
    db = await SQLiteDatabase.open(tmp_path / "db.sqlite")
    service = UploadService(db, store, tmp_path / "uploads", clock=clock, ttl_s=60)
    me = Uploader()
    done = await service.append(
        me,
        (await service.create(me, ["org"], 3, {"filename": "c.mp3"})).upload_id,
        0,
        chunks(b"abc"),
    )
    assert done.finished
    assert await store.get(f"originals/{done.upload_id}/c.mp3") == b"abc"
    clock.now += 61
    assert await service.expire() == 1
    assert not await store.exists(f"originals/{done.upload_id}/c.mp3")
    await db.close()
