"""The standalone app in-process (embedded engines, or S3) with organizations and staff for
media tests, and small media files generated once per session."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration.server.conftest import ADMIN_PASSWORD, start_api
from tests.support.api import Api
from tests.support.engines import S3Endpoint
from tests.support.media import make_mp3, make_video

PASSWORD = "media-pass-123"


@dataclass
class Cast:
    """Who takes part: two provinces, a city under the first, and their people."""

    api: Api
    admin: Api
    org_a: str
    city_a: str
    org_b: str
    editor_a: Api
    editor2_a: Api
    orgadmin_a: Api
    city_editor: Api
    editor_b: Api
    viewer: Api
    anonymous: Api
    tokens: dict[str, str]


async def make_cast(api: Api) -> Cast:
    admin = await api.login("admin", ADMIN_PASSWORD)
    org_a = (await admin.ok("POST", "/api/v1/orgs", {"name": "甲省"}, expect=201))["id"]
    city_a = (
        await admin.ok("POST", "/api/v1/orgs", {"name": "甲市", "parent_id": org_a}, expect=201)
    )["id"]
    org_b = (await admin.ok("POST", "/api/v1/orgs", {"name": "乙省"}, expect=201))["id"]
    people: dict[str, Api] = {}
    tokens: dict[str, str] = {}
    for name, role, org in (
        ("editor_a", "editor", org_a),
        ("editor2_a", "editor", org_a),
        ("orgadmin_a", "org_admin", org_a),
        ("city_editor", "editor", city_a),
        ("editor_b", "editor", org_b),
        ("viewer", "viewer", org_a),
    ):
        await admin.ok(
            "POST",
            "/api/v1/users",
            {"username": name, "password": PASSWORD, "role": role, "org_id": org},
            expect=201,
        )
        people[name] = await api.login(name, PASSWORD)
        tokens[name] = str(people[name].token)
    return Cast(
        api=api,
        admin=admin,
        org_a=org_a,
        city_a=city_a,
        org_b=org_b,
        anonymous=api.as_user(None),
        tokens=tokens,
        **people,
    )


@pytest.fixture
async def cast(data_dir: Path) -> AsyncIterator[Cast]:
    async for api in start_api(data_dir):
        yield await make_cast(api)


@pytest.fixture
async def s3_cast(data_dir: Path, s3_endpoint: S3Endpoint) -> AsyncIterator[Cast]:
    bucket = f"media{int(time.time() * 1000) % 10_000_000}"
    async for api in start_api(
        data_dir,
        CULTURECAST_S3_URL=s3_endpoint.url,
        CULTURECAST_S3_ACCESS_KEY=s3_endpoint.access_key,
        CULTURECAST_S3_SECRET_KEY=s3_endpoint.secret_key,
        CULTURECAST_S3_BUCKET=bucket,
        CULTURECAST_S3_REGION=s3_endpoint.region,
    ):
        yield await make_cast(api)


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def small_video(media_dir: Path) -> Path:
    return make_video(media_dir / "small.mp4", 4, size="320x180", fps=10, kbps=300)


@pytest.fixture(scope="session")
def small_mp3(media_dir: Path) -> Path:
    return make_mp3(media_dir / "small.mp3", 8)


async def wait_status(
    api: Api, resource_id: str, statuses: set[str], within: float = 120
) -> dict[str, Any]:
    deadline = time.monotonic() + within
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = await api.ok("GET", f"/api/v1/resources/{resource_id}")
        if body["status"] in statuses:
            return body
        await asyncio.sleep(0.2)
    raise AssertionError(f"resource never reached {statuses}: {body}")


async def upload_resource(cast: Cast, path: Path, who: str = "editor_a", **fields: Any) -> str:
    """Upload ``path`` over tus and create a resource from it; returns the resource id."""
    from tests.support.media import TusClient

    client = TusClient(cast.api.session, cast.api.base, cast.tokens[who])
    upload_id = await client.upload(path)
    body = {"upload_id": upload_id, "title": path.stem, "category": "film", **fields}
    api = getattr(cast, who)
    created = await api.ok("POST", "/api/v1/resources", body, expect=201)
    return str(created["id"])
