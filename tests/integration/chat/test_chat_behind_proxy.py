"""Behind the nginx edge every chat connection comes from the edge's address: with
``CULTURECAST_TRUSTED_PROXIES`` naming it, the per-address connect limit counts the viewers'
addresses (``X-Forwarded-For``), so a crowd arriving through the edge is not refused as one
host — and one viewer's address is still limited."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import socketio
from aiohttp.test_utils import TestServer

from culturecast.server.app import create_app
from tests.integration.server.conftest import app_settings
from tests.support.chat import ChatClient

pytestmark = pytest.mark.integration


@pytest.fixture
async def behind_edge(data_dir: Path) -> AsyncIterator[str]:
    app = create_app(
        app_settings(data_dir, CULTURECAST_TRUSTED_PROXIES="127.0.0.0/8"), "standalone"
    )
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("/")).rstrip("/")
    await server.close()


async def connect_all(url: str, addresses: list[str]) -> tuple[int, int]:
    clients: list[ChatClient] = []
    accepted = refused = 0
    try:
        for address in addresses:
            client = ChatClient()
            try:
                await client.connect(url, {"guest": "观众"}, headers={"X-Forwarded-For": address})
            except socketio.exceptions.ConnectionError:
                refused += 1
            else:
                accepted += 1
                clients.append(client)
    finally:
        for client in clients:
            await client.close()
    return accepted, refused


async def test_viewers_through_a_trusted_proxy_are_limited_by_their_own_address(
    behind_edge: str,
) -> None:
    crowd = [f"10.0.{n // 250}.{n % 250 + 1}" for n in range(40)]
    assert await connect_all(behind_edge, crowd) == (40, 0)
    accepted, refused = await connect_all(behind_edge, ["10.9.9.9"] * 40)
    assert accepted < 40
    assert refused >= 1
