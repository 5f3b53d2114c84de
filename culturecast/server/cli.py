"""The ``culturecast`` command: ``serve`` (standalone), ``api``, ``ingest``, ``worker``
(distributed roles) and ``create-admin``."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
import time
from collections.abc import Sequence

from aiohttp import web

from culturecast import __version__
from culturecast.core.errors import ClientError
from culturecast.jobs.celery_app import run_worker
from culturecast.server.accounts.service import INDEXES
from culturecast.server.app import AppRole, create_app
from culturecast.server.engines import open_engines
from culturecast.server.jobs import account_service, celery_app
from culturecast.server.logs import configure_logging
from culturecast.server.serving import run_http
from culturecast.server.settings import Settings, SettingsError, from_os_environ, prepare_data_dir

log = logging.getLogger("culturecast")


def _banner(settings: Settings, role: AppRole) -> str:
    base = settings.base_url
    engines = ", ".join(f"{port}={engine}" for port, engine in settings.engines.items())
    lines = [f"CultureCast {__version__} — {role}"]
    if role == "ingest":
        lines.append(f"  Health:  http://{settings.http_host}:{settings.ingest_http_port}/readyz")
    else:
        lines += [
            f"  Web:     {base}/",
            f"  API:     {base}/api/v1  (OpenAPI: {base}/api/v1/openapi.json)",
        ]
    if role in ("standalone", "ingest"):
        lines.append(
            f"  RTMP:    {settings.rtmp_url}  (OBS server; the stream key comes from a live event)"
        )
    if role != "ingest":
        how = (
            "the password in CULTURECAST_ADMIN_PASSWORD"
            if settings.admin_password
            else "the password logged at the first start"
        )
        lines.append(
            f"  Sign in: POST {base}/api/v1/auth/login as {settings.admin_user!r} with {how}"
        )
    lines += [f"  Engines: {engines}", f"  Data:    {settings.data_dir}"]
    return "\n".join(lines)


def _run_http(settings: Settings, role: AppRole) -> int:
    prepare_data_dir(settings)
    app = create_app(settings, role)
    port = settings.ingest_http_port if role == "ingest" else settings.http_port

    async def announce(_: web.Application) -> None:
        print(_banner(settings, role), flush=True)

    app.on_startup.append(announce)
    # As web.run_app, SIGINT/SIGTERM stop accepting, wait for in-flight requests up to the
    # shutdown timeout, then run cleanup_ctx (job queue drains, engines close).
    run_http(
        app,
        host=settings.http_host,
        port=port,
        shutdown_timeout=settings.shutdown_timeout_s,
    )
    return 0


def _worker(settings: Settings, concurrency: int) -> int:
    if not settings.redis_url:
        raise SettingsError("CULTURECAST_REDIS_URL", "required by `culturecast worker` (broker)")
    prepare_data_dir(settings)
    print(f"CultureCast {__version__} — worker (broker {settings.redis_url})", flush=True)
    return run_worker(celery_app(settings, worker=True), concurrency, loglevel=settings.log_level)


async def _create_admin(settings: Settings, username: str, password: str) -> bool:
    engines = await open_engines(settings)
    try:
        await engines.database.ensure_indexes(INDEXES)
        accounts = account_service(settings, engines, time.time)
        return await accounts.create_platform_admin(username, password)
    finally:
        await engines.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="culturecast", description=__doc__)
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="standalone: API, pages, chat, RTMP and jobs in one process")
    sub.add_parser("api", help="distributed: a stateless API/Socket.IO process")
    sub.add_parser("ingest", help="distributed: RTMP ingest and live transcoders")
    worker = sub.add_parser("worker", help="distributed: a Celery worker running jobs")
    worker.add_argument("--concurrency", type=int, default=1)
    admin = sub.add_parser(
        "create-admin",
        help="create a platform admin (password from CULTURECAST_ADMIN_PASSWORD or a prompt)",
    )
    admin.add_argument("username")
    args = parser.parse_args(argv)

    try:
        settings = from_os_environ()
        configure_logging(settings.log_level, settings.log_format)
        match args.command:
            case "serve":
                return _run_http(settings, "standalone")
            case "api" | "ingest":
                return _run_http(settings, args.command)
            case "worker":
                return _worker(settings, args.concurrency)
            case "create-admin":
                password = os.environ.get("CULTURECAST_ADMIN_PASSWORD") or getpass.getpass()
                prepare_data_dir(settings)
                if asyncio.run(_create_admin(settings, args.username, password)):
                    print(f"created platform admin {args.username!r}")
                    return 0
                print(f"culturecast: the user name {args.username!r} is taken", file=sys.stderr)
                return 1
    except SettingsError as exc:
        print(f"culturecast: configuration error: {exc}", file=sys.stderr)
        return 2
    except ClientError as exc:
        print(f"culturecast: {exc.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
