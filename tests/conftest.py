"""Session-wide real engines. Each test that needs one takes the fixture; nothing is mocked."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import engines


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with engines.redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[engines.S3Endpoint]:
    with engines.s3_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with engines.mongo_server(tmp_path_factory.mktemp("mongo")) as url:
        yield url


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture(autouse=True)
def _collect_after_each_test() -> Iterator[None]:
    """With CULTURECAST_TEST_GC_EACH=1, collect garbage after every test, so an object a
    test leaked (an unclosed socket's ResourceWarning) is reported by that test, not by
    whichever test the collector happens to run in. Off by default: it makes the unit tests
    fifteen times slower."""
    yield
    if os.environ.get("CULTURECAST_TEST_GC_EACH") == "1":
        gc.collect()
