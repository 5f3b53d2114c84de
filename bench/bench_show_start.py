"""The spike when a show starts (issue 15): N viewers arriving within ARRIVAL_S, each doing what
the live page does — ``POST /api/v1/play``, the chat join (Socket.IO over a websocket), the
master playlist, then every SEGMENT_S the variant playlist and the newest segment by the
token URL, and a heartbeat every HEARTBEAT_S — for WATCH_S, on

* ``standalone``: ``culturecast serve`` (SQLite, local objects, in-memory counters), and
* ``edge``: two ``culturecast api`` processes (+ ingest and worker) on Redis, the S3 server
  and the MongoDB wire server, behind the project's nginx edge
  (``deploy/nginx/culturecast.conf.template``, as ``tests/e2e/test_edge.py`` runs it); every
  request goes to nginx.

A packager stand-in writes a new 2 s segment and the sliding playlist every SEGMENT_S, so the
playlists change as on air. Reported per request kind: requests, errors (non-2xx, refused or
timed out after TIMEOUT_S), p50/p99/max latency; and the viewers' own lag (how late a poll
started against its schedule: when it grows, the load generator itself is saturated, not the
server). A run "holds" when no kind has more than 1 % errors and the playlist and segment p99
stay under one segment duration (past it, players stall).

The viewers run in CLIENTS processes (asyncio + aiohttp each, one connection pool per process);
on a shared 2-core machine they compete with the servers for the CPUs, so the absolute
figures are a floor, and the load average is printed.

    .venv/bin/python bench/bench_show_start.py [--viewers 1000 3000] [--modes standalone edge]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support import engines as test_engines
from tests.support.nginx_edge import NginxEdge
from tests.support.product import Distributed, Standalone

EVENT = "showstart"
ARRIVAL_S = 10.0
WATCH_S = 30.0
SEGMENT_S = 2.0
HEARTBEAT_S = 15.0
TIMEOUT_S = 10.0
WINDOW = 6
SECRET = "bench-signing-secret-0123456789"
KINDS = ("play", "chat", "master", "playlist", "segment", "heartbeat")
SEGMENT = os.urandom(29 * 1024)


# -- the show ---------------------------------------------------------------------------


def _playlist(newest: int) -> bytes:
    first = max(0, newest - WINDOW + 1)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{int(SEGMENT_S)}",
        f"#EXT-X-MEDIA-SEQUENCE:{first}",
    ]
    for n in range(first, newest + 1):
        lines += [f"#EXTINF:{SEGMENT_S:.3f},", f"{n:08d}.ts"]
    return ("\n".join(lines) + "\n").encode()


async def _open(env: dict[str, str]) -> Any:
    from culturecast.server.engines import open_engines
    from culturecast.server.settings import load_settings

    return await open_engines(load_settings(env))


async def seed(env: dict[str, str]) -> None:
    engines = await _open(env)
    try:
        await engines.database.collection("live_events").insert(
            {
                "_id": EVENT,
                "org_id": "bench-org",
                "org_path": ["bench-org"],
                "title": "县级融媒体中心 春节联欢晚会",
                "category": "performance",
                "status": "live",
                "started_at": time.time(),
                "published": True,
                "disabled": False,
            }
        )
        await engines.objects.put(
            f"live/{EVENT}/master.m3u8",
            b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\n360p/index.m3u8\n",
            "application/vnd.apple.mpegurl",
            "public, max-age=5",
        )
    finally:
        await engines.close()


async def packager(env: dict[str, str], stop: asyncio.Event) -> None:
    """A new segment and playlist every SEGMENT_S, as the live packager writes them."""
    from culturecast.core import hls

    engines = await _open(env)
    newest = 0
    try:
        while not stop.is_set():
            await engines.objects.put(
                f"live/{EVENT}/360p/{newest:08d}.ts", SEGMENT, "video/mp2t", hls.SEGMENT_CACHE
            )
            await engines.objects.put(
                f"live/{EVENT}/360p/index.m3u8",
                _playlist(newest),
                hls.PLAYLIST_TYPE,
                hls.LIVE_PLAYLIST_CACHE,
            )
            newest += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SEGMENT_S)
    finally:
        await engines.close()


# -- viewers (in client processes) ------------------------------------------------------


class Tally:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = {k: [] for k in KINDS}
        self.errors: dict[str, int] = dict.fromkeys(KINDS, 0)
        self.lag: list[float] = []
        self.refusals: list[str] = []

    def took(self, kind: str, started: float, ok: bool) -> None:
        self.latency[kind].append(time.monotonic() - started)
        if not ok:
            self.errors[kind] += 1


async def _get(session: aiohttp.ClientSession, tally: Tally, kind: str, url: str) -> bytes:
    started = time.monotonic()
    try:
        async with session.get(url) as resp:
            body = await resp.read()
            tally.took(kind, started, resp.status == 200)
            return body if resp.status == 200 else b""
    except (aiohttp.ClientError, TimeoutError):
        tally.took(kind, started, False)
        return b""


async def _chat(
    session: aiohttp.ClientSession, base: str, tally: Tally, address: dict[str, str]
) -> Any:
    started = time.monotonic()
    ws: aiohttp.ClientWebSocketResponse | None = None
    # The whole join has TIMEOUT_S: a server that accepts the websocket and then stays silent,
    # or answers the join with no history, is this viewer's error, not a run that never ends
    # (the server's pings would otherwise keep a wait for each next frame alive).
    try:
        async with asyncio.timeout(TIMEOUT_S):
            ws = await session.ws_connect(
                base.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket",
                heartbeat=None,
                headers=address,
            )
            await ws.receive_str()
            await ws.send_str(f'40/chat,{{"guest":"{secrets.token_urlsafe(12)}"}}')
            await ws.receive_str()
            await ws.send_str(f'42/chat,["join",{{"event_id":"{EVENT}"}}]')
            while not (frame := await ws.receive_str()).startswith('42/chat,["history"'):
                if frame == "2":
                    await ws.send_str("3")
                elif frame.startswith('42/chat,["refused"'):
                    tally.refusals.append(frame[:160])
                    raise aiohttp.ClientError("join refused")
    except (aiohttp.ClientError, TimeoutError, TypeError):
        tally.took("chat", started, False)
        if ws is not None:
            await ws.close()
        return None
    tally.took("chat", started, True)

    async def reader() -> None:
        async for msg in ws:
            if msg.data == "2":
                await ws.send_str("3")

    return asyncio.ensure_future(reader()), ws


async def viewer(
    session: aiohttp.ClientSession, base: str, tally: Tally, arrive_at: float, n: int
) -> None:
    # Each viewer its own address (X-Forwarded-For, believed from CULTURECAST_TRUSTED_PROXIES
    # = loopback): the per-address limits on plays and heartbeats see a crowd, not one host.
    address = {"X-Forwarded-For": f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"}
    await asyncio.sleep(max(0.0, arrive_at - time.monotonic()))
    tally.lag.append(time.monotonic() - arrive_at)
    started = time.monotonic()
    try:
        async with session.post(
            base + "/api/v1/play",
            json={"item_type": "live", "item_id": EVENT, "terminal": "web"},
            headers={"Cookie": f"cc_did={secrets.token_urlsafe(16)}", **address},
        ) as resp:
            answer = await resp.json(content_type=None) if resp.status == 201 else None
            tally.took("play", started, resp.status == 201)
    except (aiohttp.ClientError, TimeoutError):
        tally.took("play", started, False)
        return
    if not answer:
        return
    # The page joins the chat while the player starts.
    chat_task = asyncio.ensure_future(_chat(session, base, tally, address))
    master = base + answer["master_url"]
    prefix = master.rsplit("/", 1)[0]
    await _get(session, tally, "master", master)
    seq, fetched, last_beat = 0, -1, time.monotonic()
    end = arrive_at + WATCH_S
    tick = time.monotonic()
    while tick < end:
        tally.lag.append(time.monotonic() - tick)
        playlist = await _get(session, tally, "playlist", prefix + "/360p/index.m3u8")
        names = [line for line in playlist.decode().splitlines() if line.endswith(".ts")]
        if names and int(names[-1][:8]) != fetched:
            fetched = int(names[-1][:8])
            await _get(session, tally, "segment", f"{prefix}/360p/{names[-1]}")
        if time.monotonic() - last_beat >= HEARTBEAT_S:
            seq += 1
            last_beat = time.monotonic()
            beat_started = time.monotonic()
            try:
                async with session.post(
                    base + "/api/v1/views/heartbeat",
                    json={"session_id": answer["session_id"], "state": "playing", "seq": seq},
                    headers=address,
                ) as resp:
                    await resp.read()
                    tally.took("heartbeat", beat_started, resp.status == 204)
            except (aiohttp.ClientError, TimeoutError):
                tally.took("heartbeat", beat_started, False)
        tick += SEGMENT_S
        await asyncio.sleep(max(0.0, tick - time.monotonic()))
    chat = await chat_task
    if chat is not None:
        task, ws = chat
        await ws.close()
        task.cancel()


def client(base: str, arrivals: list[tuple[int, float]], start_wall: float, out: Any) -> None:
    async def run() -> Tally:
        tally = Tally()
        offset = time.monotonic() - (time.time() - start_wall)
        connector = aiohttp.TCPConnector(limit=0, force_close=False)
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
        async with aiohttp.ClientSession(
            connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()
        ) as session:
            await asyncio.gather(
                *(viewer(session, base, tally, offset + a, n) for n, a in arrivals)
            )
        return tally

    tally = asyncio.run(run())
    out.put((tally.latency, tally.errors, tally.lag, tally.refusals[:3]))


# -- runs -------------------------------------------------------------------------------


@contextmanager
def standalone(work: Path) -> Iterator[tuple[str, dict[str, str]]]:
    server = Standalone(work, env={"CULTURECAST_TRUSTED_PROXIES": "127.0.0.0/8"})
    Path(server.env["CULTURECAST_DATA_DIR"]).mkdir(parents=True)
    asyncio.run(seed(server.env))
    server.start()
    try:
        yield server.url, server.env
    finally:
        server.stop()


@contextmanager
def edge(work: Path) -> Iterator[tuple[str, dict[str, str]]]:
    with ExitStack() as stack:
        redis = stack.enter_context(test_engines.redis_server(work / "redis"))
        s3 = stack.enter_context(test_engines.s3_server())
        mongo = stack.enter_context(test_engines.mongo_server(work / "mongo"))
        product = Distributed(work, redis, mongo, s3)
        product.env["CULTURECAST_SIGNING_SECRET"] = SECRET
        product.env["CULTURECAST_TRUSTED_PROXIES"] = "127.0.0.0/8"
        asyncio.run(seed(product.env))
        product.start()
        stack.callback(product.stop)
        upstreams = [f"127.0.0.1:{p}" for p in product.api_ports]
        # Each viewer holds a websocket through nginx: two connections (viewer, api).
        nginx = NginxEdge(work / "edge", upstreams, SECRET, connections=8192)
        nginx.start()
        stack.callback(nginx.stop)
        yield nginx.url, product.env


def measure(base: str, env: dict[str, str], viewers: int, clients: int) -> dict[str, Any]:
    spawn = multiprocessing.get_context("spawn")
    out = spawn.Queue()
    arrivals = list(enumerate(sorted(random.uniform(0, ARRIVAL_S) for _ in range(viewers))))
    start_wall = time.time() + 3.0
    procs = [
        spawn.Process(target=client, args=(base, arrivals[i::clients], start_wall, out))
        for i in range(clients)
    ]
    stop = asyncio.Event()

    async def show() -> None:
        task = asyncio.ensure_future(packager(env, stop))
        for proc in procs:
            proc.start()
        latency: dict[str, list[float]] = {k: [] for k in KINDS}
        errors = dict.fromkeys(KINDS, 0)
        lag: list[float] = []
        for _ in procs:
            lat, err, lg, refusals = await asyncio.to_thread(out.get)
            result.setdefault("refusals", []).extend(refusals)
            for k in KINDS:
                latency[k] += lat[k]
                errors[k] += err[k]
            lag += lg
        stop.set()
        await task
        result["latency"], result["errors"], result["lag"] = latency, errors, lag

    result: dict[str, Any] = {}
    asyncio.run(show())
    for proc in procs:
        proc.join(30)
    return result


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(mode: str, viewers: int, result: dict[str, Any]) -> None:
    holds = True
    print(f"\n{mode}, {viewers} viewers arriving within {ARRIVAL_S:g} s, watching {WATCH_S:g} s")
    print(
        f"  {'kind':10s} {'requests':>9s} {'errors':>8s} "
        f"{'p50 ms':>8s} {'p99 ms':>8s} {'max ms':>8s}"
    )
    for kind in KINDS:
        lat, err = result["latency"][kind], result["errors"][kind]
        share = err / len(lat) * 100 if lat else 0.0
        p99 = pct(lat, 0.99)
        if share > 1.0 or (kind in ("playlist", "segment") and p99 > SEGMENT_S):
            holds = False
        print(
            f"  {kind:10s} {len(lat):9d} {share:7.2f}% {pct(lat, 0.5) * 1000:8.0f} "
            f"{p99 * 1000:8.0f} {max(lat, default=0) * 1000:8.0f}"
        )
    for refusal in result.get("refusals", [])[:2]:
        print(f"  chat refusal: {refusal}")
    lag = result["lag"]
    print(
        f"  viewers' own lag p50 {pct(lag, 0.5) * 1000:.0f} ms, p99 {pct(lag, 0.99) * 1000:.0f} ms"
        f" → {'HOLDS' if holds else 'BREAKS'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--viewers", type=int, nargs="+", default=[1000, 3000])
    parser.add_argument("--modes", nargs="+", default=["standalone", "edge"])
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()
    setups = {"standalone": standalone, "edge": edge}
    print(f"load average before {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    for mode in args.modes:
        for n in args.viewers:
            with tempfile.TemporaryDirectory() as tmp, setups[mode](Path(tmp)) as (base, env):
                result = measure(base, env, n, args.clients)
            report(mode, n, result)
            print(f"  load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
