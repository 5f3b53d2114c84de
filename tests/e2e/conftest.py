"""Product fixtures: the real ``culturecast`` processes in each mode."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, expect

from tests.browser.driver import chromium
from tests.support.api import Api
from tests.support.engines import S3Endpoint
from tests.support.product import ADMIN_PASSWORD, Distributed, Standalone, serving

# Pages wait on real engines (ffmpeg, Socket.IO, the ingest) on a shared 2-core machine:
# a wait for something to appear gets 15 s unless a test states its own bound (as the
# end-of-show screen's 5 s does).
expect.set_options(timeout=15_000)


@pytest.fixture
def standalone(tmp_path: Path) -> Iterator[Standalone]:
    with serving(tmp_path) as product:
        yield product


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium (a module may define its own)."""
    async with chromium() as b:
        yield b


@pytest.fixture
async def admin(product: Standalone) -> AsyncIterator[Api]:
    """The platform admin signed in to the module's ``product`` server."""
    async with aiohttp.ClientSession() as session:
        yield await Api(session, product.url).login("admin", ADMIN_PASSWORD)


@contextmanager
def running_distributed(
    tmp_path: Path,
    redis_url: str,
    mongo_url: str,
    s3_endpoint: S3Endpoint,
    env: Mapping[str, str] | None = None,
) -> Iterator[Distributed]:
    """The distributed product with ``env`` added to its settings, its logs printed when the
    test fails, every process stopped after."""
    product = Distributed(tmp_path, redis_url, mongo_url, s3_endpoint)
    product.env.update(env or {})
    try:
        product.start()
        yield product
    except BaseException:
        print(product.logs())
        raise
    finally:
        for proc in product.processes():
            if proc.popen and proc.popen.poll() is None:
                proc.stop()


@pytest.fixture
def distributed(
    tmp_path: Path, redis_url: str, mongo_url: str, s3_endpoint: S3Endpoint
) -> Iterator[Distributed]:
    with running_distributed(tmp_path, redis_url, mongo_url, s3_endpoint) as product:
        yield product


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    # No keep-alive: the tests restart servers, and a pooled connection to the old process
    # would fail the first request after the restart.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:
        yield s
