"""Operational endpoints of a standalone app: health, readiness, metrics, OpenAPI, jobs."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from culturecast.server.jobs import PURGE_TOKENS_JOB
from culturecast.server.maintenance import daily_job_id
from tests.integration.server.conftest import start_api
from tests.support.api import Api


async def test_healthz(api: Api) -> None:
    body = await api.ok("GET", "/healthz")
    assert body["status"] == "ok"
    assert body["role"] == "standalone"


async def test_readyz_names_each_embedded_engine(api: Api) -> None:
    body = await api.ok("GET", "/readyz")
    assert body["status"] == "ready"
    assert {name: e["engine"] for name, e in body["engines"].items()} == {
        "database": "sqlite",
        "objects": "local",
        "counters": "memory",
        "jobs": "inprocess",
    }
    assert all(e["ok"] for e in body["engines"].values())


async def test_readyz_is_503_while_the_database_takes_no_writes(data_dir: Path) -> None:
    async for api in start_api(data_dir):
        assert (await api.ok("GET", "/readyz"))["status"] == "ready"
        # Another process holds the write lock (a stuck writer, a backup): reads still work,
        # every write fails after the busy timeout, so the process cannot serve.
        blocker = sqlite3.connect(data_dir / "culturecast.sqlite", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            async with api.session.get(api.base + "/readyz") as resp:
                assert resp.status == 503
                body = await resp.json()
            assert body["status"] == "unavailable"
            database = body["engines"]["database"]
            assert database["ok"] is False
            assert "locked" in database["error"]
            assert all(body["engines"][n]["ok"] for n in ("objects", "counters", "jobs"))
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert (await api.ok("GET", "/readyz"))["status"] == "ready"


async def test_metrics_count_requests(api: Api) -> None:
    await api.ok("GET", "/healthz")
    status, body = await api.call("GET", "/metrics")
    assert status == 200
    text = body.decode()
    assert 'culturecast_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert "culturecast_http_request_seconds_bucket" in text


async def test_openapi_documents_every_api_route(api: Api) -> None:
    doc = await api.ok("GET", "/api/v1/openapi.json")
    assert doc["openapi"] == "3.1.0"
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert ("POST", "/api/v1/auth/login") in documented
    assert ("DELETE", "/api/v1/users/{user_id}") in documented
    login = doc["paths"]["/api/v1/auth/login"]["post"]
    ref = login["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(schema["required"]) == {"username", "password"}
    assert "security" not in login
    assert doc["paths"]["/api/v1/orgs"]["get"]["security"] == [{"bearer": []}]


async def test_daily_maintenance_job_runs_once(admin: Api) -> None:
    job_id = daily_job_id(PURGE_TOKENS_JOB, time.time())
    for _ in range(100):
        status, body = await admin.call("GET", f"/api/v1/jobs/{job_id}")
        if status == 200 and body["status"] == "succeeded":
            break
        await asyncio.sleep(0.05)
    assert body["status"] == "succeeded"
    assert body["attempts"] == 1
    assert body["name"] == PURGE_TOKENS_JOB


async def test_jobs_are_hidden_from_organization_staff(admin: Api) -> None:
    province = await admin.ok("POST", "/api/v1/orgs", {"name": "省"}, expect=201)
    await admin.ok(
        "POST",
        "/api/v1/users",
        {
            "username": "staff",
            "password": "staff-pass-1",
            "role": "org_admin",
            "org_id": province["id"],
        },
        expect=201,
    )
    staff = await admin.login("staff", "staff-pass-1")
    status, _body = await staff.call("GET", "/api/v1/jobs/anything")
    assert status == 404


def test_daily_job_id_uses_china_standard_time() -> None:
    # 2026-11-23 16:00 UTC is 2026-11-24 00:00 in Beijing.
    assert daily_job_id("x", 1795449600.0) == "x:2026-11-24"
    assert daily_job_id("x", 1795449599.0) == "x:2026-11-23"
