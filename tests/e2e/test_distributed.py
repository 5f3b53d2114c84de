"""Distributed mode: two api processes, an ingest and a worker on Redis, the Mongo wire
server and the S3 server."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from culturecast.server.jobs import PURGE_TOKENS_JOB
from culturecast.server.maintenance import daily_job_id
from tests.support.api import Api
from tests.support.product import ADMIN_PASSWORD, Distributed


async def test_every_process_is_ready_on_the_real_engines(
    distributed: Distributed, http: aiohttp.ClientSession
) -> None:
    for url in [*distributed.urls, distributed.ingest_url]:
        ready = await Api(http, url).ok("GET", "/readyz")
        assert {k: v["engine"] for k, v in ready["engines"].items()} == {
            "database": "mongodb",
            "objects": "s3",
            "counters": "redis",
            "jobs": "celery",
        }, url


async def test_api_processes_share_state(
    distributed: Distributed, http: aiohttp.ClientSession
) -> None:
    a, b = (Api(http, url) for url in distributed.urls)
    admin_a = await a.login("admin", ADMIN_PASSWORD)
    org = await admin_a.ok("POST", "/api/v1/orgs", {"name": "四川省"}, expect=201)
    # The token issued by one process works on the other (tokens live in MongoDB).
    admin_b = b.as_user(admin_a.token)
    got = await admin_b.ok("GET", f"/api/v1/orgs/{org['id']}")
    assert got["name"] == "四川省"
    # Failed sign-ins are counted in Redis, so the limit holds across processes.
    for _ in range(10):
        status, _ = await a.call(
            "POST", "/api/v1/auth/login", {"username": "admin", "password": "wrong-pass"}
        )
        assert status == 401
    status, body = await b.call(
        "POST", "/api/v1/auth/login", {"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert status == 429
    assert body["error"]["code"] == "rate_limited"


async def test_jobs_run_on_the_worker(
    distributed: Distributed, http: aiohttp.ClientSession
) -> None:
    admin = await Api(http, distributed.urls[0]).login("admin", ADMIN_PASSWORD)
    job_id = daily_job_id(PURGE_TOKENS_JOB, time.time())
    body: dict[str, object] = {}
    for _ in range(200):
        status, body = await admin.call("GET", f"/api/v1/jobs/{job_id}")
        if status == 200 and body["status"] == "succeeded":
            break
        await asyncio.sleep(0.1)
    # The api processes queue jobs but never run them: success means the worker ran it,
    # and the day's id made both api processes' enqueues one job.
    assert body["status"] == "succeeded", body
    assert body["attempts"] == 1
    assert distributed.worker is not None
    assert job_id in distributed.worker.log


def test_every_process_stops_cleanly_on_sigterm(distributed: Distributed) -> None:
    codes = distributed.stop()
    assert codes == {"api0": 0, "api1": 0, "ingest": 0, "worker": 0}, distributed.logs()
