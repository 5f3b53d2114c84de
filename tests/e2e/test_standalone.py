"""Standalone mode as an operator meets it: one ``culturecast serve`` process."""

from __future__ import annotations

import subprocess
from pathlib import Path

import aiohttp
import pytest

from tests.support.api import Api
from tests.support.product import ADMIN_PASSWORD, CULTURECAST, Standalone, base_env

LEVELS = ["省", "市", "县", "镇", "村"]


async def test_serve_ready_admin_tree_survives_restart(
    standalone: Standalone, http: aiohttp.ClientSession
) -> None:
    api = Api(http, standalone.url)
    ready = await api.ok("GET", "/readyz")
    assert {k: v["engine"] for k, v in ready["engines"].items()} == {
        "database": "sqlite",
        "objects": "local",
        "counters": "memory",
        "jobs": "inprocess",
    }
    assert standalone.process is not None
    banner = standalone.process.log
    assert f"Web:     {standalone.url}/" in banner
    assert f"RTMP:    rtmp://127.0.0.1:{standalone.rtmp_port}/live" in banner
    assert "Sign in:" in banner

    admin = await api.login("admin", ADMIN_PASSWORD)
    parent = None
    for name in LEVELS:
        body = {"name": name} if parent is None else {"name": name, "parent_id": parent}
        parent = (await admin.ok("POST", "/api/v1/orgs", body, expect=201))["id"]
    await admin.ok(
        "POST",
        "/api/v1/users",
        {"username": "cunzhang", "password": "village-pass", "role": "org_admin", "org_id": parent},
        expect=201,
    )

    assert standalone.stop() == 0  # SIGTERM: graceful, exit code 0
    standalone.start()

    admin = await api.login("admin", ADMIN_PASSWORD)
    orgs = await admin.ok("GET", "/api/v1/orgs")
    assert [o["name"] for o in orgs["items"]] == LEVELS
    village_admin = await api.login("cunzhang", "village-pass")
    mine = await village_admin.ok("GET", "/api/v1/orgs")
    assert [o["level_name"] for o in mine["items"]] == ["village"]
    # The old token survived the restart too: tokens live in the database.
    await admin.ok("GET", "/api/v1/auth/me")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CULTURECAST_MONGO_URL", "postgres://db/culture", "unsupported URL scheme"),
        ("CULTURECAST_REDIS_URL", "memcached://cache", "unsupported URL scheme"),
        ("CULTURECAST_HTTP_PORT", "99999", "port number 1–65535"),
        ("CULTURECAST_RTMP_PORT", "-1", "port number 1–65535"),
        ("CULTURECAST_DATA_DIR", "/proc/version/data", "not writable"),
    ],
)
def test_bad_settings_stop_the_start(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    env = {**base_env(), "CULTURECAST_DATA_DIR": str(tmp_path), variable: value}
    result = subprocess.run(
        [CULTURECAST, "serve"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert f"configuration error: {variable}: " in result.stderr
    assert message in result.stderr


def test_create_admin_command(tmp_path: Path) -> None:
    env = {
        **base_env(),
        "CULTURECAST_DATA_DIR": str(tmp_path),
        "CULTURECAST_ADMIN_PASSWORD": "second-admin-pw",
    }
    first = subprocess.run(
        [CULTURECAST, "create-admin", "ops"], env=env, capture_output=True, text=True, timeout=60
    )
    assert first.returncode == 0, first.stderr
    assert "created platform admin 'ops'" in first.stdout
    again = subprocess.run(
        [CULTURECAST, "create-admin", "ops"], env=env, capture_output=True, text=True, timeout=60
    )
    assert again.returncode == 1
    assert "taken" in again.stderr
