"""tus uploads when the disk fails under them: the client is told 503 ``storage_unavailable``,
the offset reports only what was durably stored, and the upload resumes and finishes once the
storage is back.

The failures are real: tests run as root, where ``chmod`` stops no write, so a directory the
server writes into is replaced by a regular file (every create or rename below it then fails
with ``NotADirectoryError``/``FileExistsError``, as on a broken or read-only volume), and put
back afterwards.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.integration.media.conftest import Cast
from tests.support.media import TusClient


def tus(cast: Cast, who: str = "editor_a") -> TusClient:
    return TusClient(cast.api.session, cast.api.base, cast.tokens[who])


async def _patch(cast: Cast, url: str, offset: int, data: bytes) -> tuple[int, str]:
    headers = {
        **tus(cast).auth,
        "Upload-Offset": str(offset),
        "Content-Type": "application/offset+octet-stream",
    }
    async with cast.api.session.patch(url, headers=headers, data=data) as resp:
        return resp.status, await resp.text()


def _block(directory: Path) -> Path | None:
    """Replace ``directory`` by a regular file; returns where its content was moved."""
    moved: Path | None = None
    if directory.exists():
        moved = directory.with_name(directory.name + ".away")
        directory.rename(moved)
    directory.write_bytes(b"not a directory")
    return moved


def _unblock(directory: Path, moved: Path | None) -> None:
    directory.unlink()
    if moved is not None:
        moved.rename(directory)


async def test_a_failing_originals_store_at_the_last_byte_is_503_and_the_upload_resumes(
    cast: Cast, data_dir: Path
) -> None:
    data = os.urandom(300_000)
    client = tus(cast)
    url = await client.create(len(data), filename="show.mp3", filetype="audio/mpeg")
    offset = await client.patch(url, 0, data[:100_000])
    assert offset == 100_000
    originals = data_dir / "objects" / "originals"
    moved = _block(originals)
    try:
        status, text = await _patch(cast, url, offset, data[offset:])
        assert status == 503, text
        assert '"code":"storage_unavailable"' in text.replace(" ", "")
        assert "try again" in text
        # HEAD reports only what was durably stored: the client has more to send.
        assert await client.offset(url) == 100_000
        upload_id = url.rsplit("/", 1)[1]
        status, body = await cast.editor_a.call(
            "POST",
            "/api/v1/resources",
            {"upload_id": upload_id, "title": "演出", "category": "music"},
        )
        assert status == 409
        assert body["error"]["code"] == "upload_unfinished"
    finally:
        _unblock(originals, moved)
    # The storage is back: the client resumes from HEAD's offset and the upload finishes.
    offset = await client.offset(url)
    assert await client.patch(url, offset, data[offset:]) == len(data)
    created = await cast.editor_a.ok(
        "POST",
        "/api/v1/resources",
        {"upload_id": url.rsplit("/", 1)[1], "title": "演出", "category": "music"},
        expect=201,
    )
    assert created["status"] in ("uploaded", "processing", "failed")


async def test_a_failing_uploads_directory_refuses_creation_and_chunks_with_503(
    cast: Cast, data_dir: Path
) -> None:
    data = os.urandom(50_000)
    client = tus(cast)
    url = await client.create(len(data), filename="talk.mp4")
    uploads = data_dir / "uploads"
    moved = _block(uploads)
    try:
        async with cast.api.session.post(
            cast.api.base + "/api/v1/uploads",
            headers={**client.auth, "Upload-Length": "10"},
        ) as resp:
            assert resp.status == 503
            error = (await resp.json())["error"]
            assert error["code"] == "storage_unavailable"
        status, text = await _patch(cast, url, 0, data)
        assert status == 503, text
        assert '"code":"storage_unavailable"' in text.replace(" ", "")
        assert await client.offset(url) == 0
    finally:
        _unblock(uploads, moved)
    assert await client.patch(url, 0, data) == len(data)
    assert await client.offset(url) == len(data)
    # A new upload can be created again too.
    assert (await client.create(10, filename="b.mp4")).startswith(cast.api.base)
