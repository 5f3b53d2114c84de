"""The upload service without HTTP: tus creation, appends, break-offs, leases, expiry and who
may touch an upload — on SQLite and the local object store (the embedded engines) with a
clock the test moves. The tus wire format is in ``test_tus.py``; the S3 sink and real
clients in ``tests/integration/media/test_uploads.py``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from culturecast.media.errors import MediaError
from culturecast.media.uploads.service import UPLOAD_INDEXES, UploadService
from culturecast.storage.database.sqlite import SQLiteDatabase
from culturecast.storage.objects.local import LocalObjectStore

PROVINCE, COUNTY, OTHER = "org-province", "org-county", "org-other"
PATH = [COUNTY, PROVINCE]


class Clock:
    def __init__(self) -> None:
        self.now = 1_760_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True)
class User:
    user_id: str
    role: str
    org_id: str | None


EDITOR = User("u-editor", "editor", COUNTY)
COLLEAGUE = User("u-colleague", "editor", COUNTY)
COUNTY_ADMIN = User("u-county-admin", "org_admin", COUNTY)
PROVINCE_ADMIN = User("u-province-admin", "org_admin", PROVINCE)
FOREIGN_ADMIN = User("u-foreign-admin", "org_admin", OTHER)
PLATFORM = User("u-platform", "platform_admin", None)


@dataclass
class World:
    service: UploadService
    objects: LocalObjectStore
    staging: Path
    clock: Clock


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock = Clock()
    database = await SQLiteDatabase.open(tmp_path / "db.sqlite")
    await database.ensure_indexes(UPLOAD_INDEXES)
    objects = LocalObjectStore(tmp_path / "objects")
    staging = tmp_path / "staging"
    service = UploadService(
        database, objects, staging, clock=clock, ttl_s=3600, lease_s=60, file_flush_bytes=4
    )
    try:
        yield World(service, objects, staging, clock)
    finally:
        await database.close()


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def broken_after(parts: Iterable[bytes]) -> AsyncIterator[bytes]:
    """A body that breaks off after ``parts`` (a phone losing its network)."""
    for part in parts:
        yield part
    raise ConnectionResetError("the client hung up")


def code_of(excinfo: pytest.ExceptionInfo[MediaError]) -> tuple[int, str]:
    return excinfo.value.status, excinfo.value.code


async def test_an_upload_sent_in_two_requests_lands_in_the_store_under_its_name(
    world: World,
) -> None:
    up = await world.service.create(EDITOR, PATH, 10, {"filename": "梁祝.mp4"})
    assert (up.offset, up.length, up.finished) == (0, 10, False)
    assert up.expires_at == world.clock.now + 3600
    half = await world.service.append(EDITOR, up.upload_id, 0, chunks(b"01234"))
    assert (half.offset, half.finished) == (5, False)
    done = await world.service.append(EDITOR, up.upload_id, 5, chunks(b"567", b"89"))
    assert (done.offset, done.finished) == (10, True)
    doc = await world.service.get(EDITOR, up.upload_id)
    assert doc["object_key"].startswith(f"originals/{up.upload_id}/")
    assert await world.objects.get(doc["object_key"]) == b"0123456789"
    assert not (world.staging / up.upload_id).exists()  # the staging file is gone


async def test_an_empty_upload_is_finished_as_soon_as_it_exists(world: World) -> None:
    up = await world.service.create(EDITOR, PATH, 0, {})
    assert up.finished
    doc = await world.service.get(EDITOR, up.upload_id)
    assert await world.objects.get(doc["object_key"]) == b""


async def test_a_body_that_breaks_off_keeps_what_arrived_and_the_client_resumes(
    world: World,
) -> None:
    up = await world.service.create(EDITOR, PATH, 12, {})
    after = await world.service.append(EDITOR, up.upload_id, 0, broken_after([b"abcd", b"efg"]))
    assert after.offset == 7
    done = await world.service.append(EDITOR, up.upload_id, 7, chunks(b"hijkl"))
    assert done.finished
    doc = await world.service.get(EDITOR, up.upload_id)
    assert await world.objects.get(doc["object_key"]) == b"abcdefghijkl"


async def test_an_append_at_the_wrong_offset_is_refused_and_changes_nothing(
    world: World,
) -> None:
    up = await world.service.create(EDITOR, PATH, 6, {})
    await world.service.append(EDITOR, up.upload_id, 0, chunks(b"abc"))
    with pytest.raises(MediaError) as excinfo:
        await world.service.append(EDITOR, up.upload_id, 0, chunks(b"abc"))
    assert code_of(excinfo) == (409, "offset_mismatch")
    assert (await world.service.get(EDITOR, up.upload_id))["offset"] == 3


async def test_a_body_past_the_length_keeps_what_fits_and_is_refused(world: World) -> None:
    up = await world.service.create(EDITOR, PATH, 4, {})
    with pytest.raises(MediaError) as excinfo:
        await world.service.append(EDITOR, up.upload_id, 0, chunks(b"abcdef"))
    assert code_of(excinfo) == (413, "upload_overflow")
    doc = await world.service.get(EDITOR, up.upload_id)
    assert doc["offset"] == 4
    assert await world.objects.get(doc["object_key"]) == b"abcd"
    with pytest.raises(MediaError) as again:
        await world.service.append(EDITOR, up.upload_id, 4, chunks(b"x"))
    assert code_of(again) == (409, "upload_complete")


async def test_an_upload_above_the_cap_is_refused_at_creation(tmp_path: Path) -> None:
    database = await SQLiteDatabase.open(tmp_path / "db.sqlite")
    try:
        service = UploadService(database, LocalObjectStore(tmp_path / "o"), tmp_path, max_size=9)
        with pytest.raises(MediaError) as excinfo:
            await service.create(EDITOR, PATH, 10, {})
        assert code_of(excinfo) == (413, "upload_too_large")
    finally:
        await database.close()


async def test_one_request_appends_at_a_time(world: World) -> None:
    up = await world.service.create(EDITOR, PATH, 8, {})
    go_on = asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        yield b"ab"
        await go_on.wait()
        yield b"cd"

    first = asyncio.create_task(world.service.append(EDITOR, up.upload_id, 0, slow()))
    for _ in range(50):  # until the first request holds the lease
        await asyncio.sleep(0)
        if (await world.service.get(EDITOR, up.upload_id))["lease_owner"]:
            break
    with pytest.raises(MediaError) as excinfo:
        await world.service.append(EDITOR, up.upload_id, 0, chunks(b"zz"))
    assert code_of(excinfo) == (423, "upload_locked")
    go_on.set()
    assert (await first).offset == 4
    # The lease is released: the next request appends.
    assert (await world.service.append(EDITOR, up.upload_id, 4, chunks(b"efgh"))).finished


@pytest.mark.parametrize(
    ("caller", "may"),
    [
        (EDITOR, True),  # the uploader
        (COUNTY_ADMIN, True),
        (PROVINCE_ADMIN, True),  # an admin above
        (PLATFORM, True),
        (COLLEAGUE, False),  # another editor of the same county
        (FOREIGN_ADMIN, False),
    ],
)
async def test_only_the_uploader_and_the_admins_above_it_see_an_upload(
    world: World, caller: User, may: bool
) -> None:
    up = await world.service.create(EDITOR, PATH, 3, {})
    if may:
        assert (await world.service.get(caller, up.upload_id))["_id"] == up.upload_id
        return
    with pytest.raises(MediaError) as excinfo:
        await world.service.get(caller, up.upload_id)
    assert code_of(excinfo) == (404, "upload_not_found")
    with pytest.raises(MediaError):
        await world.service.append(caller, up.upload_id, 0, chunks(b"abc"))
    with pytest.raises(MediaError):
        await world.service.terminate(caller, up.upload_id)
    assert (await world.service.get(EDITOR, up.upload_id))["offset"] == 0


async def test_an_untouched_upload_expires_and_its_bytes_go(world: World) -> None:
    up = await world.service.create(EDITOR, PATH, 6, {})
    await world.service.append(EDITOR, up.upload_id, 0, chunks(b"abc"))
    world.clock.now += 3000
    # Each append moves the expiry on.
    await world.service.append(EDITOR, up.upload_id, 3, broken_after([b"d"]))
    world.clock.now += 3000
    assert await world.service.expire() == 0
    assert (await world.service.count_for_org(COUNTY)) == {"uploads": 1}
    world.clock.now += 601
    with pytest.raises(MediaError) as excinfo:
        await world.service.get(EDITOR, up.upload_id)
    assert code_of(excinfo) == (404, "upload_not_found")
    assert (await world.service.count_for_org(COUNTY)) == {"uploads": 0}
    assert await world.service.expire() == 1
    assert not (world.staging / up.upload_id).exists()


async def test_a_finished_upload_never_made_a_resource_expires_with_its_original(
    world: World,
) -> None:
    up = await world.service.create(EDITOR, PATH, 2, {"filename": "a.mp3"})
    await world.service.append(EDITOR, up.upload_id, 0, chunks(b"ok"))
    key = (await world.service.get(EDITOR, up.upload_id))["object_key"]
    world.clock.now += 3601
    assert await world.service.expire() == 1
    assert not await world.objects.exists(key)


async def test_a_consumed_upload_is_the_resource_s_and_cannot_be_terminated(world: World) -> None:
    up = await world.service.create(EDITOR, PATH, 2, {})
    with pytest.raises(MediaError) as unfinished:
        await world.service.consume(EDITOR, up.upload_id, "res-1")
    assert code_of(unfinished) == (409, "upload_unfinished")
    await world.service.append(EDITOR, up.upload_id, 0, chunks(b"ok"))
    taken = await world.service.consume(EDITOR, up.upload_id, "res-1")
    assert taken["resource_id"] == "res-1"
    with pytest.raises(MediaError) as twice:
        await world.service.consume(EDITOR, up.upload_id, "res-2")
    assert code_of(twice) == (409, "upload_in_use")
    with pytest.raises(MediaError) as terminate:
        await world.service.terminate(EDITOR, up.upload_id)
    assert code_of(terminate) == (409, "upload_in_use")
    assert (await world.service.count_for_org(COUNTY)) == {"uploads": 0}
    # The resource could not be made after all: the upload is free again.
    await world.service.release(up.upload_id, "res-1")
    assert (await world.service.consume(EDITOR, up.upload_id, "res-3"))["resource_id"] == "res-3"


async def test_termination_removes_the_record_and_every_byte(world: World) -> None:
    up = await world.service.create(EDITOR, PATH, 9, {})
    await world.service.append(EDITOR, up.upload_id, 0, chunks(b"abcd"))
    assert (world.staging / up.upload_id).exists()
    await world.service.terminate(COUNTY_ADMIN, up.upload_id)
    assert not (world.staging / up.upload_id).exists()
    with pytest.raises(MediaError):
        await world.service.get(EDITOR, up.upload_id)


async def test_a_broken_staging_volume_answers_storage_unavailable(world: World) -> None:
    world.staging.write_bytes(b"")  # the staging directory is a file: nothing can be created
    with pytest.raises(MediaError) as excinfo:
        await world.service.create(EDITOR, PATH, 5, {})
    assert code_of(excinfo) == (503, "storage_unavailable")
    assert (await world.service.count_for_org(COUNTY)) == {"uploads": 0}
