"""What a failed job tells people: the reason, never the server's file-system paths."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.media.conftest import Cast, make_cast, upload_resource, wait_status
from tests.integration.server.conftest import start_api


@pytest.fixture
async def broken_cast(data_dir: Path) -> AsyncIterator[Cast]:
    """A server whose processing work directory cannot be made (a file stands in its way),
    as when a disk is remounted read-only or a path is mistyped."""
    (data_dir / "work").mkdir()
    (data_dir / "work" / "media").write_text("not a directory")
    async for api in start_api(data_dir):
        yield await make_cast(api)


async def test_a_failed_job_names_no_server_path(
    broken_cast: Cast, small_mp3: Path, data_dir: Path
) -> None:
    cast = broken_cast
    rid = await upload_resource(cast, small_mp3)
    failed = await wait_status(cast.editor_a, rid, {"failed", "ready"}, within=30)
    assert failed["status"] == "failed"
    assert failed["failure"]["code"] == "processing_failed"
    job_id = failed["job_id"]
    for _ in range(100):
        job = await cast.admin.ok("GET", f"/api/v1/jobs/{job_id}")
        if job["status"] == "failed":
            break
        await asyncio.sleep(0.1)
    assert job["status"] == "failed"
    assert job["error"]
    shown = [failed["failure"]["message"], failed["failure"]["message_zh"], job["error"]]
    for text in shown:
        assert str(data_dir) not in text, text
        assert "/work/" not in text, text
