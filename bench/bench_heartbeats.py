"""Heartbeats per second one api process sustains, with p99 latency, on the memory counters
and on Redis — against a bare aiohttp handler doing one Redis INCR, measured in the same run
(the goal: at least 70 % of it).

Each server runs alone in its own process (one event loop, as one ``culturecast api``); the
load comes from this process over keep-alive connections, CONCURRENCY requests in flight.
The views servers are the real application (``create_app``: middleware, metrics, routing)
with one published resource; the client starts SESSIONS playback sessions and then sends
heartbeats round-robin over them with increasing sequence numbers, so every beat is accepted
and accounted. A real redis-server is started for the run.

    .venv/bin/python bench/bench_heartbeats.py [seconds]
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CONCURRENCY = 64
SESSIONS = 1000
WARMUP_S = 1.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- servers (each in its own process) ------------------------------------------------------


async def _reference_app(redis_url: str) -> web.Application:
    from culturecast.storage.counters.redis import RedisCounters

    counters = await RedisCounters.open(redis_url, key_prefix="bench-ref:")

    async def beat(request: web.Request) -> web.Response:
        await request.read()
        await counters.incr("beats")
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/api/v1/views/heartbeat", beat)

    async def close(app: web.Application) -> None:
        await counters.close()

    app.on_cleanup.append(close)
    return app


def _views_app(data_dir: str, redis_url: str | None) -> web.Application:
    from culturecast.media.views.service import ViewsConfig
    from culturecast.server.app import create_app
    from culturecast.server.features.views import VIEWS_CONFIG
    from culturecast.server.settings import load_settings

    env = {
        "CULTURECAST_DATA_DIR": data_dir,
        "CULTURECAST_ADMIN_PASSWORD": "bench-pass-123",
        "CULTURECAST_HTTP_HOST": "127.0.0.1",
        "CULTURECAST_RTMP_PORT": str(free_port()),
        "CULTURECAST_LOG_LEVEL": "WARNING",
    }
    if redis_url:
        env["CULTURECAST_REDIS_URL"] = redis_url
    app = create_app(load_settings(env), "api" if redis_url else "standalone")
    app[VIEWS_CONFIG] = ViewsConfig(plays_per_minute=10**9, beats_per_minute=10**9)

    async def seed(app: web.Application) -> None:
        from culturecast.server.context import SERVICES

        resources = app[SERVICES].engines.database.collection("resources")
        if await resources.get("bench") is None:
            await resources.insert(
                {
                    "_id": "bench",
                    "org_path": ["bench-org"],
                    "title": "bench",
                    "category": "评书",
                    "published": True,
                    "status": "ready",
                    "hls_master_key": "vod/bench/master.m3u8",
                    "duration_s": 3600.0,
                }
            )

    app.on_startup.append(seed)
    return app


def serve(kind: str, port: int, redis_url: str, data_dir: str) -> None:
    import logging

    logging.disable(logging.WARNING)

    async def factory() -> web.Application:
        if kind == "reference":
            return await _reference_app(redis_url)
        return _views_app(data_dir, redis_url if kind == "redis" else None)

    web.run_app(factory(), host="127.0.0.1", port=port, print=None, access_log=None)


# -- load -----------------------------------------------------------------------------------


async def _wait_up(url: str) -> None:
    deadline = time.monotonic() + 30
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url + "/healthz") as resp:
                    await resp.read()
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


async def _sessions(session: aiohttp.ClientSession, url: str) -> list[str]:
    ids: list[str] = []
    for _ in range(SESSIONS):
        async with session.post(
            url + "/api/v1/play", json={"item_type": "resource", "item_id": "bench"}
        ) as resp:
            assert resp.status == 201, await resp.text()
            ids.append((await resp.json())["session_id"])
    return ids


async def load(url: str, seconds: float, with_sessions: bool) -> dict[str, float]:
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:
        ids = await _sessions(session, url) if with_sessions else ["x" * 22]
        seqs = dict.fromkeys(ids, 0)
        latencies: list[float] = []
        errors = 0
        counter = 0
        start = time.perf_counter()
        measure_from = start + WARMUP_S
        stop = measure_from + seconds

        async def worker() -> None:
            nonlocal counter, errors
            while True:
                now = time.perf_counter()
                if now >= stop:
                    return
                sid = ids[counter % len(ids)]
                counter += 1
                seqs[sid] += 1
                body = json.dumps({"session_id": sid, "position_s": 1.0, "seq": seqs[sid]})
                t0 = time.perf_counter()
                async with session.post(
                    url + "/api/v1/views/heartbeat",
                    data=body,
                    headers={"Content-Type": "application/json"},
                ) as resp:
                    await resp.read()
                    if resp.status != 204:
                        errors += 1
                t1 = time.perf_counter()
                if t0 >= measure_from:
                    latencies.append(t1 - t0)

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    latencies.sort()
    count = len(latencies)
    return {
        "rps": count / seconds,
        "p50_ms": latencies[count // 2] * 1000 if count else 0.0,
        "p99_ms": latencies[int(count * 0.99)] * 1000 if count else 0.0,
        "errors": float(errors),
    }


def run(kind: str, redis_url: str, seconds: float) -> dict[str, Any]:
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        proc = multiprocessing.get_context("spawn").Process(
            target=serve, args=(kind, port, redis_url, data_dir), daemon=True
        )
        proc.start()
        try:
            url = f"http://127.0.0.1:{port}"
            asyncio.run(_wait_up(url) if kind != "reference" else asyncio.sleep(1.5))
            return asyncio.run(load(url, seconds, with_sessions=kind != "reference"))
        finally:
            proc.terminate()
            proc.join(10)


ROUNDS = 3
"""The three servers are measured in turn, ROUNDS times, and each one's median round is shown:
on a shared machine the load of other programs moves, and alternating spreads it fairly."""


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 4.0
    from tests.support.engines import redis_server

    names = {
        "reference": "reference: bare aiohttp + one Redis INCR",
        "memory": "views heartbeat, memory counters",
        "redis": "views heartbeat, Redis counters",
    }
    rounds: dict[str, list[dict[str, float]]] = {kind: [] for kind in names}
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp) / "redis") as redis_url:
        for _ in range(ROUNDS):
            for kind in names:
                rounds[kind].append(run(kind, redis_url, seconds))
    median = {kind: sorted(rs, key=lambda r: r["rps"])[len(rs) // 2] for kind, rs in rounds.items()}
    reference = median["reference"]["rps"]
    print(
        f"heartbeats, one server process, {CONCURRENCY} in flight, "
        f"median of {ROUNDS} rounds of {seconds:g} s"
    )
    for kind, name in names.items():
        r = median[kind]
        share = r["rps"] / reference * 100 if reference else 0.0
        all_rps = ", ".join(f"{x['rps']:.0f}" for x in rounds[kind])
        print(
            f"  {name:42s} {r['rps']:7.0f} req/s  p50 {r['p50_ms']:6.2f} ms  "
            f"p99 {r['p99_ms']:6.2f} ms  errors {r['errors']:.0f}  "
            f"({share:5.1f} % of reference; rounds: {all_rps})"
        )


if __name__ == "__main__":
    main()
