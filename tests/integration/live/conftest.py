"""The standalone app in-process with its RTMP ingest on a free port, plus publishers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.server.conftest import ADMIN_PASSWORD, start_api
from tests.support.api import Api
from tests.support.engines import free_port
from tests.support.live import Publisher


@dataclass
class LiveApp:
    api: Api
    admin: Api
    rtmp_port: int
    data_dir: Path
    org_id: str

    def rtmp(self, key: str) -> str:
        return f"rtmp://127.0.0.1:{self.rtmp_port}/live/{key}"

    async def create_event(self, **fields: object) -> dict[str, object]:
        body = {"org_id": self.org_id, "title": "村晚直播", "published": True, **fields}
        return await self.admin.ok("POST", "/api/v1/live", body, expect=201)  # type: ignore[no-any-return]


@pytest.fixture
async def live(data_dir: Path) -> AsyncIterator[LiveApp]:
    port = free_port()
    async for api in start_api(data_dir, CULTURECAST_RTMP_PORT=str(port)):
        admin = await api.login("admin", ADMIN_PASSWORD)
        org = await admin.ok("POST", "/api/v1/orgs", {"name": "浙江省"}, expect=201)
        yield LiveApp(api, admin, port, data_dir, org["id"])


@pytest.fixture
def publishers() -> Iterator[list[Publisher]]:
    started: list[Publisher] = []
    yield started
    for p in started:
        p.stop()
