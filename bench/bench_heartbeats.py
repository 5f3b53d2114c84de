"""Heartbeats per second one api process sustains, with p99 latency, on the memory counters
and on Redis — against a bare aiohttp handler doing one Redis INCR, measured in the same run
(the goal: at least 70 % of it).

Fairness. Each server runs alone in its own process (one event loop, as one
``culturecast api``). The load comes from ``wrk`` (Debian package ``wrk``) in another
process: a C load generator with a little Lua per request costs a small fraction of what the
Python server spends, so the server, not the client, is the bottleneck — the report shows
the server's CPU use per wall second (near 1.0 means it was saturated) and its CPU time per
request, which other programs on a shared machine disturb far less than the rate. Every
server gets the same CONNECTIONS keep-alive connections, a warm-up, then the measured run;
the servers are measured in turn, ROUNDS times, and each subject's share is its rate over the
reference's rate in the same round (neighbours in time, so under the same outside load), the
median over the rounds reported.

The views servers are the real application (``create_app``: middleware, metrics, routing)
with one published resource; SESSIONS playback sessions are started first and wrk sends
heartbeats round-robin over them with increasing sequence numbers (each wrk thread owns its
own share of the sessions), so every beat is accepted and accounted. The reference gets the
same request bodies. A real redis-server is started for the run.

What the comparison means. The reference sends one INCR per request on its own, as a bare
handler would; the views server's one Redis command per beat (the session's compare-and-set)
is coalesced with the other beats of the same event-loop turn into one pipeline (see
``culturecast/storage/counters/redis.py``). That batching is part of what is measured: it is
how the real server talks to Redis under load, and it is why the Redis row can exceed 100 %.

The ``redis+access log`` row is the Redis server with aiohttp's access log on, formatted as
``culturecast api`` does and written to /dev/null: what the per-request log line costs.

    .venv/bin/python bench/bench_heartbeats.py [seconds] [rounds]
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CONNECTIONS = 64
SESSIONS = 1000
WARMUP_S = 2.0
ROUNDS = 5
PATH = "/api/v1/views/heartbeat"

# wrk's Lua: each thread takes every n-th session id from the file and sends them round-robin
# with a per-session increasing seq; done() prints the figures as one JSON line.
WRK_SCRIPT = r"""
local threads = {}
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  local nthreads = tonumber(args[2])
  ids = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % nthreads == tid then table.insert(ids, line) end
    i = i + 1
  end
  seqs = {}
  for k = 1, #ids do seqs[k] = tonumber(args[3]) end
  n = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
function request()
  n = n % #ids + 1
  seqs[n] = seqs[n] + 1
  local body = '{"session_id":"' .. ids[n] .. '","position_s":1.0,"seq":' .. seqs[n] .. '}'
  return wrk.format(nil, nil, nil, body)
end
function done(summary, latency, requests)
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    'RESULT {"requests": %d, "us": %d, "errors": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, bad,
    latency:percentile(50), latency:percentile(99)))
end
"""


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

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post(PATH, beat)
    app.router.add_get("/healthz", healthz)

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

    access_log = kind == "redis+access log"
    if access_log:
        # As ``culturecast api`` runs: the access logger at INFO, one line per request.
        handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger().handlers[:] = [handler]
        logging.getLogger().setLevel(logging.WARNING)
        logging.getLogger("aiohttp.access").setLevel(logging.INFO)
    else:
        logging.disable(logging.WARNING)

    async def factory() -> web.Application:
        if kind == "reference":
            return await _reference_app(redis_url)
        return _views_app(data_dir, None if kind == "memory" else redis_url)

    if access_log:
        web.run_app(
            factory(),
            host="127.0.0.1",
            port=port,
            print=None,
            access_log_format='%a "%r" %s %b %Tf',
        )
    else:
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


async def _sessions(url: str, count: int) -> list[str]:
    ids: list[str] = []
    async with aiohttp.ClientSession() as session:
        for _ in range(count):
            async with session.post(
                url + "/api/v1/play", json={"item_type": "resource", "item_id": "bench"}
            ) as resp:
                assert resp.status == 201, await resp.text()
                ids.append((await resp.json())["session_id"])
    return ids


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/<pid>/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wrk(url: str, script: Path, ids: Path, seconds: float, seq_from: int) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{seconds:g}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url + PATH,
            "--",
            str(ids),
            "1",
            str(seq_from),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    data = json.loads(line.removeprefix("RESULT "))
    return {
        "requests": float(data["requests"]),
        "rps": data["requests"] / (data["us"] / 1e6),
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "errors": float(data["errors"]),
    }


def run(kind: str, redis_url: str, seconds: float, script: Path) -> dict[str, float]:
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        proc = multiprocessing.get_context("spawn").Process(
            target=serve, args=(kind, port, redis_url, data_dir), daemon=True
        )
        proc.start()
        try:
            url = f"http://127.0.0.1:{port}"
            asyncio.run(_wait_up(url))
            if kind == "reference":
                ids = ["x" * 22 for _ in range(SESSIONS)]
            else:
                ids = asyncio.run(_sessions(url, SESSIONS))
            ids_file = Path(data_dir) / "ids.txt"
            ids_file.write_text("\n".join(ids) + "\n")
            # Seqs of the measured run start above any the warm-up can have sent.
            _wrk(url, script, ids_file, WARMUP_S, 0)
            assert proc.pid is not None
            cpu0, wall0 = _cpu_seconds(proc.pid), time.perf_counter()
            result = _wrk(url, script, ids_file, seconds, 10**9)
            cpu1, wall1 = _cpu_seconds(proc.pid), time.perf_counter()
            result["cpu_share"] = (cpu1 - cpu0) / (wall1 - wall0)
            result["cpu_us"] = (cpu1 - cpu0) / result["requests"] * 1e6
            return result
        finally:
            proc.terminate()
            proc.join(10)


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    rounds_n = int(sys.argv[2]) if len(sys.argv) > 2 else ROUNDS
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    from tests.support.engines import redis_server

    names = {
        "reference": "reference: bare aiohttp + one Redis INCR",
        "memory": "views heartbeat, memory counters",
        "redis": "views heartbeat, Redis counters",
        "redis+access log": "views heartbeat, Redis, access log on",
    }
    only = os.environ.get("BENCH_ONLY")
    if only:
        names = {k: v for k, v in names.items() if k == "reference" or k in only.split(",")}
    rounds: dict[str, list[dict[str, float]]] = {kind: [] for kind in names}
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp) / "redis") as redis_url:
        script = Path(tmp) / "beats.lua"
        script.write_text(WRK_SCRIPT)
        for _ in range(rounds_n):
            for kind in names:
                rounds[kind].append(run(kind, redis_url, seconds, script))
    median: dict[str, Any] = {
        kind: sorted(rs, key=lambda r: r["rps"])[len(rs) // 2] for kind, rs in rounds.items()
    }
    print(
        f"heartbeats, one server process, wrk with {CONNECTIONS} connections, "
        f"{rounds_n} rounds of {seconds:g} s (reference and subjects alternating); medians"
    )
    print(
        "  share = the subject's rate / the reference's rate of the same round (median over "
        "rounds);\n  CPU = server CPU seconds per wall second (≈1.0: the server was the "
        "bottleneck) and per request"
    )
    refs = rounds["reference"]
    for kind, name in names.items():
        r = median[kind]
        pairs = list(zip(rounds[kind], refs, strict=True))
        shares = sorted(x["rps"] / ref["rps"] * 100 for x, ref in pairs)
        cpu_shares = sorted(ref["cpu_us"] / x["cpu_us"] * 100 for x, ref in pairs)
        all_rps = ", ".join(f"{x['rps']:.0f}" for x in rounds[kind])
        print(
            f"  {name:40s} {r['rps']:6.0f} req/s  p50 {r['p50_ms']:6.2f} ms  "
            f"p99 {r['p99_ms']:6.2f} ms  errors {r['errors']:.0f}  "
            f"share {shares[len(shares) // 2]:5.1f} %  | CPU {r['cpu_share']:4.2f}, "
            f"{r['cpu_us']:4.0f} µs/req (share by CPU {cpu_shares[len(cpu_shares) // 2]:5.1f} %)"
            f"  rounds: {all_rps}"
        )


if __name__ == "__main__":
    main()
