"""Media delivery requests per second, in one run: nginx serving the files from disk, a bare
aiohttp handler serving the same bytes from memory, CultureCast's ``/media/…`` and
``/media/t/<token>/…`` paths (the real application: ``create_app`` with its middleware,
metrics, gate and view counting), and the media edge (``deploy/nginx/culturecast.conf.template``
rendered as README.md says, nginx in front of that application: its cache, every request
checked by ``auth_request`` whose answers it keeps per token/item) on both URL forms, for a
live playlist (839 bytes), a 29 KB live segment and a 2 MB VOD segment (DESIGN.md § Delivery;
issue 15's goals: ``/media`` at least 85 % of bare aiohttp for playlists and small segments,
the edge at least 80 % of bare nginx).

Fairness. Each server is one process with one event loop (nginx: one worker); the load comes
from ``wrk`` (Debian package ``wrk``: one thread, CONNECTIONS keep-alive connections) in
another process. All servers run for the whole bench; for each object the subjects are
measured in turn, ROUNDS times (neighbours in time, so under the same outside load), each
after a warm-up; a subject's shares are its rate over bare aiohttp's and over nginx's rate of
the same round, the medians over the rounds reported. Beside the rates, each subject's server
CPU per request (user + system time from /proc over the run: steadier than a rate when wrk and
the servers share the cores) and the same shares by it, and wrk's own CPU per request: where
it nears 1e6 / rate, the client holds a core and limits the rate (the 2 MB segment: the
edge's responses, whose body starts off a page boundary in nginx's cache file, cost the client
about 1.6× what nginx's static ones do). nginx is measured twice: as installed
(the share's reference) and with ``open_file_cache`` as the edge template sets it (its rate
shown, for the share over a tuned nginx). The load average before and after is
printed: on a shared machine the absolute rates move, the shares much less.

    .venv/bin/python bench/bench_delivery.py [seconds] [rounds]
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CONNECTIONS = 64
WARMUP_S = 1.0
ROUNDS = 3
EVENT = "benchlive"
RESOURCE = "benchvod"
PLAYLIST_KEY = f"live/{EVENT}/360p/index.m3u8"
SEGMENT_KEY = f"live/{EVENT}/360p/00000007.ts"
BIG_KEY = f"vod/{RESOURCE}/720p/00000001.ts"
SECRET = "bench-signing-secret-0123456789"


def _playlist() -> bytes:
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:6",
        "#EXT-X-TARGETDURATION:2",
        "#EXT-X-MEDIA-SEQUENCE:7",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    for n in range(7, 27):
        lines += ["#EXTINF:2.000,", f"{n:08d}.ts"]
    text = "\n".join(lines) + "\n"
    return (text + "#" * max(0, 838 - len(text)) + "\n").encode()[:839]


OBJECTS: dict[str, tuple[str, bytes, str]] = {
    "live playlist 839 B": (PLAYLIST_KEY, b"", "application/vnd.apple.mpegurl"),
    "live segment 29 KB": (SEGMENT_KEY, os.urandom(29 * 1024), "video/mp2t"),
    "VOD segment 2 MB": (BIG_KEY, os.urandom(2 << 20), "video/mp2t"),
}
OBJECTS["live playlist 839 B"] = (PLAYLIST_KEY, _playlist(), "application/vnd.apple.mpegurl")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- servers --------------------------------------------------------------------------------


def _bare_app() -> web.Application:
    bodies = {f"/{key}": (body, ctype) for key, body, ctype in OBJECTS.values()}

    async def handler(request: web.Request) -> web.Response:
        body, ctype = bodies[request.path]
        return web.Response(body=body, headers={"Content-Type": ctype})

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/{key:.+}", handler)
    return app


def _our_app(data_dir: str) -> web.Application:
    from culturecast.server.app import create_app
    from culturecast.server.context import SERVICES
    from culturecast.server.settings import load_settings

    env = {
        "CULTURECAST_DATA_DIR": data_dir,
        "CULTURECAST_ADMIN_PASSWORD": "bench-pass-123",
        "CULTURECAST_HTTP_HOST": "127.0.0.1",
        "CULTURECAST_RTMP_PORT": str(free_port()),
        "CULTURECAST_LOG_LEVEL": "WARNING",
        "CULTURECAST_SIGNING_SECRET": SECRET,
    }
    app = create_app(load_settings(env), "standalone")

    async def seed(app: web.Application) -> None:
        engines = app[SERVICES].engines
        events = engines.database.collection("live_events")
        if await events.get(EVENT) is None:
            await events.insert(
                {
                    "_id": EVENT,
                    "org_path": ["bench-org"],
                    "title": "bench",
                    "category": "评书",
                    "status": "live",
                    "published": True,
                    "disabled": False,
                }
            )
        resources = engines.database.collection("resources")
        if await resources.get(RESOURCE) is None:
            await resources.insert(
                {
                    "_id": RESOURCE,
                    "org_path": ["bench-org"],
                    "title": "bench",
                    "category": "评书",
                    "published": True,
                    "status": "ready",
                    "hls_master_key": f"vod/{RESOURCE}/master.m3u8",
                    "duration_s": 3600.0,
                }
            )
        for key, body, ctype in OBJECTS.values():
            await engines.objects.put(key, body, ctype)

    app.on_startup.append(seed)
    return app


def serve(kind: str, port: int, data_dir: str) -> None:
    import logging

    from culturecast.server.serving import run_http

    # As ``culturecast serve`` runs: the access logger at INFO (written to /dev/null here).
    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115
    logging.getLogger().handlers[:] = [handler]
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.INFO)
    if kind == "bare":
        web.run_app(_bare_app(), host="127.0.0.1", port=port, print=None, access_log=None)
    else:
        # As ``culturecast serve`` runs it: the media fast path in front of the application.
        run_http(_our_app(data_dir), host="127.0.0.1", port=port)


OPEN_FILE_CACHE = "\n    open_file_cache max=1000 inactive=20s;\n    open_file_cache_valid 30s;"
"""What the edge template sets, for a second reference: nginx from disk with it too."""


def _nginx(
    root: Path, port: int, tmp: Path, name: str = "nginx", include: str = "", extra: str = ""
) -> subprocess.Popen[bytes]:
    conf = tmp / f"{name}.conf"
    work = tmp / name
    work.mkdir(exist_ok=True)
    server = (
        f"""  server {{
    listen 127.0.0.1:{port};
    root {root};{extra}
    location = /healthz {{ return 200 "ok"; }}
  }}"""
        if not include
        else f"  include {include};"
    )
    conf.write_text(
        f"""
worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path {work}/body;
  proxy_temp_path {work}/proxy;
  fastcgi_temp_path {work}/fcgi;
  uwsgi_temp_path {work}/uwsgi;
  scgi_temp_path {work}/scgi;
  types {{ application/vnd.apple.mpegurl m3u8; video/mp2t ts; }}
{server}
}}
"""
    )
    return subprocess.Popen(["nginx", "-c", str(conf), "-p", str(work)])


def _edge(upstream: int, port: int, tmp: Path) -> subprocess.Popen[bytes]:
    """The project's edge configuration in front of the api on ``upstream``."""
    from tests.support.nginx_edge import render

    cache = tmp / "edge-cache"
    cache.mkdir()
    rendered = tmp / "culturecast-edge.conf"
    rendered.write_text(render([f"127.0.0.1:{upstream}"], f"127.0.0.1:{port}", cache, SECRET))
    return _nginx(tmp, port, tmp, "edge", include=str(rendered))


# -- load -----------------------------------------------------------------------------------


async def _wait_up(url: str) -> None:
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url + "/healthz") as resp:
                    await resp.read()
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not start")


async def _token(url: str) -> str:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url + "/api/v1/play", json={"item_type": "live", "item_id": EVENT}) as resp,
    ):
        assert resp.status == 201, await resp.text()
        master = (await resp.json())["master_url"]
    match = re.search(r"/media/t/([^/]+)/", master)
    assert match, master
    return match.group(1)


class Row(NamedTuple):
    """One subject in one round."""

    rate: float
    share: float
    """Of bare aiohttp's rate, %."""
    share_nginx: float
    cpu_us: float
    """Server CPU per request, µs."""
    cpu_share: float
    """Bare aiohttp's CPU per request over this one's, %."""
    cpu_share_nginx: float
    client_us: float
    """wrk's CPU per request, µs: near 1e6 / rate, the client is what limits the rate."""


def _cpu_s(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes have used so far."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _workers(master: int) -> list[int]:
    """nginx's worker processes (the master only waits; the cache loader and manager are not
    serving and the loader exits)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) != master:
                continue
            if b"worker process" in (stat.parent / "cmdline").read_bytes():
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    if not found:
        raise RuntimeError(f"nginx {master} has no worker")
    return found


def _wrk(url: str, seconds: float) -> tuple[float, int, float]:
    """Requests per second, failed requests, and wrk's own CPU seconds."""
    before = os.times()
    out = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds:g}s", "--timeout", "10s", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    after = os.times()
    client_s = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: .*", out)
    return rate, (int(bad.group(1)) if bad else 0) + (1 if errors else 0), client_s


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 4.0
    rounds_n = int(sys.argv[2]) if len(sys.argv) > 2 else ROUNDS
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed: apt-get install -y {tool}")
    load_before = os.getloadavg()
    spawn = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.chmod(tmp, 0o755)
        root = tmp / "www"
        for key, body, _ in OBJECTS.values():
            path = root / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
        for d in (root, *root.rglob("*")):
            os.chmod(d, 0o755 if d.is_dir() else 0o644)
        ports = {
            "nginx": free_port(),
            "nginx_ofc": free_port(),
            "bare": free_port(),
            "ours": free_port(),
            "edge": free_port(),
        }
        data_dir = tmp / "data"
        data_dir.mkdir()
        nginx = _nginx(root, ports["nginx"], tmp)
        # The same with open file descriptors kept, as the edge keeps its cache files'.
        nginx_ofc = _nginx(root, ports["nginx_ofc"], tmp, "nginx-ofc", extra=OPEN_FILE_CACHE)
        edge = _edge(ports["ours"], ports["edge"], tmp)
        procs = [
            spawn.Process(target=serve, args=(kind, ports[kind], str(data_dir)), daemon=True)
            for kind in ("bare", "ours")
        ]
        for proc in procs:
            proc.start()
        try:
            base = {kind: f"http://127.0.0.1:{port}" for kind, port in ports.items()}
            for url in base.values():
                asyncio.run(_wait_up(url))
            token = asyncio.run(_token(base["ours"]))
            bare_pid, ours_pid = (proc.pid or 0 for proc in procs)
            # Whose CPU a subject's requests cost: the edge's is nginx's and the api's behind it.
            cpu_of = {
                "nginx (disk)": _workers(nginx.pid),
                "nginx (open_file_cache)": _workers(nginx_ofc.pid),
                "bare aiohttp (memory)": [bare_pid],
                "/media/": [ours_pid],
                "/media/t/<token>/": [ours_pid],
                "edge /media/": [*_workers(edge.pid), ours_pid],
                "edge /media/t/<token>/": [*_workers(edge.pid), ours_pid],
            }
            subjects = (
                "nginx (disk)",
                "nginx (open_file_cache)",
                "bare aiohttp (memory)",
                "/media/",
                "/media/t/<token>/",
                "edge /media/",
                "edge /media/t/<token>/",
            )
            table: dict[tuple[str, str], list[Row]] = {}
            for name, (key, _, _) in OBJECTS.items():
                urls = {
                    "nginx (disk)": f"{base['nginx']}/{key}",
                    "nginx (open_file_cache)": f"{base['nginx_ofc']}/{key}",
                    "bare aiohttp (memory)": f"{base['bare']}/{key}",
                    "/media/": f"{base['ours']}/media/{key}",
                    "/media/t/<token>/": f"{base['ours']}/media/t/{token}/{key}",
                    "edge /media/": f"{base['edge']}/media/{key}",
                    "edge /media/t/<token>/": f"{base['edge']}/media/t/{token}/{key}",
                }
                for _ in range(rounds_n):
                    rates: dict[str, tuple[float, int, float, float]] = {}
                    for subject in subjects:
                        _wrk(urls[subject], WARMUP_S)
                        before = _cpu_s(cpu_of[subject])
                        rate, errors, client_s = _wrk(urls[subject], seconds)
                        used = _cpu_s(cpu_of[subject]) - before
                        n = rate * seconds
                        rates[subject] = (rate, errors, used / n * 1e6, client_s / n * 1e6)
                    ref, _, ref_us, _ = rates["bare aiohttp (memory)"]
                    ref_nginx, _, ref_nginx_us, _ = rates["nginx (disk)"]
                    for subject in subjects:
                        rate, errors, us, client_us = rates[subject]
                        table.setdefault((name, subject), []).append(
                            Row(
                                rate,
                                rate / ref * 100,
                                rate / ref_nginx * 100,
                                us,
                                ref_us / us * 100,
                                ref_nginx_us / us * 100,
                                client_us,
                            )
                        )
                        if errors:
                            print(f"  ! {name} {subject}: {errors} errors", file=sys.stderr)
        finally:
            for proc in procs:
                proc.terminate()
                proc.join(10)
            for server in (nginx, nginx_ofc, edge):
                server.terminate()
                server.wait(10)
    load_after = os.getloadavg()
    print(
        f"media delivery, wrk -t1 -c{CONNECTIONS}, {rounds_n} rounds of {seconds:g} s per "
        f"subject (alternating); medians; share = rate / bare aiohttp's rate, same round"
    )
    print(
        f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
        f"({os.cpu_count()} CPUs)"
    )
    print(
        "CPU: the server processes' user+system seconds over the run per request (the edge's: "
        "nginx's worker and the api behind it); its shares = the reference's µs / the subject's; "
        "wrk µs: the client's CPU per request (at 1e6 / req/s the client, not the server, is "
        "what limits the rate)"
    )
    print(
        f"  {'object':22s} {'subject':24s} {'req/s':>8s} {'÷aiohttp':>9s} {'÷nginx':>8s} "
        f"{'CPU µs':>7s} {'÷aiohttp':>9s} {'÷nginx':>8s} {'wrk µs':>7s}   rounds (req/s)"
    )
    for (name, subject), rows in table.items():

        def median(i: int, rows: list[Row] = rows) -> float:
            return sorted(row[i] for row in rows)[len(rows) // 2]

        print(
            f"  {name:22s} {subject:24s} {median(0):8.0f} {median(1):8.1f} % {median(2):6.1f} % "
            f"{median(3):7.1f} {median(4):8.1f} % {median(5):6.1f} % {median(6):7.1f}   "
            + ", ".join(f"{row.rate:.0f}" for row in rows)
        )


if __name__ == "__main__":
    main()
