"""The standalone application in-process, on embedded engines, reached over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from culturecast.server.app import create_app
from culturecast.server.settings import Settings, load_settings
from tests.support.api import Api
from tests.support.engines import free_port

ADMIN_PASSWORD = "admin-pass-123"


def app_settings(data_dir: Path, **env: str) -> Settings:
    """Settings of an in-process standalone app for tests; ``env`` adds or overrides."""
    return load_settings(
        {
            "CULTURECAST_DATA_DIR": str(data_dir),
            "CULTURECAST_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "CULTURECAST_HTTP_HOST": "127.0.0.1",
            # Standalone apps listen for RTMP too; a free port per app lets tests run side by side.
            "CULTURECAST_RTMP_PORT": str(free_port()),
            **env,
        }
    )


async def start_api(data_dir: Path, **env: str) -> AsyncIterator[Api]:
    settings = app_settings(data_dir, **env)
    server = TestServer(create_app(settings, "standalone"), host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        yield Api(session, str(server.make_url("/")))
    await server.close()


@pytest.fixture
async def api(data_dir: Path) -> AsyncIterator[Api]:
    async for client in start_api(data_dir, CULTURECAST_MAX_BODY_BYTES="65536"):
        yield client


@pytest.fixture
async def admin(api: Api) -> Api:
    return await api.login("admin", ADMIN_PASSWORD)
