"""Chat fan-out: N websocket clients in one room, one server process.

The server runs in its own process (the chat as the product wires it: python-socketio on
aiohttp, ChatService with the comment policy, SQLite for history, in-memory counters); the
clients run in this process as raw aiohttp websockets speaking the Engine.IO 4 / Socket.IO 5
text protocol, so client overhead stays low. One client sends comments at a steady rate;
every client timestamps each delivery. Reported: deliveries per second sustained and p50/p99
latency from send to delivery.

Reference, measured in the same run with the same clients: a bare aiohttp websocket server
that relays each text frame to every connected socket (no Socket.IO, no policy, no storage).

    .venv/bin/python bench/bench_chat_fanout.py [--clients 500 2000 5000] [--rate 10] [--seconds 5]

The goal (issue 5): >= 10,000 deliveries/s with p99 <= 500 ms at 5,000 clients.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOM = "bench-show"


# -- servers (run in a child process) ---------------------------------------------------


class _Events:
    async def get(self, event_id: str) -> Any:
        from culturecast.chat.access import EventView

        return EventView(event_id, "org", ("org",), "live", time.time() - 60)


class _Identities:
    async def caller_from_token(self, token: str) -> Any:
        return None

    async def guest_chat(self, org_id: str) -> bool:
        return True


async def serve_chat(port: int, data_dir: Path) -> None:
    from culturecast.chat.policy import CommentPolicy, PolicyConfig
    from culturecast.chat.server import SocketEmitter, attach, create_socket_server, running
    from culturecast.chat.service import ChatConfig, ChatService
    from culturecast.chat.store import INDEXES, ChatStore
    from culturecast.storage.counters.memory import MemoryCounters
    from culturecast.storage.database.sqlite import SQLiteDatabase

    database = await SQLiteDatabase.open(data_dir / "bench.sqlite3")
    await database.ensure_indexes(INDEXES)
    counters = MemoryCounters(time.time)
    sio = create_socket_server(None)
    app = web.Application()
    attach(sio, app)
    # The sender may send as fast as the benchmark asks: the rate limits are not measured.
    policy = CommentPolicy(
        PolicyConfig(user_rate=1e6, user_burst=1e6, room_rate=1e6, room_burst=1e6)
    )
    service = ChatService(
        store=ChatStore(database),
        events=_Events(),
        identities=_Identities(),
        counters=counters,
        policy=policy,
        emitter=SocketEmitter(sio),
        clock=time.time,
        config=ChatConfig(connect_rate=1e6, connect_burst=1e6),
    )
    async with running(sio, service):
        await _run_app(app, port)
    await database.close()


async def serve_bare(port: int) -> None:
    sockets: set[web.WebSocketResponse] = set()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sockets.add(ws)
        try:
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    for peer in list(sockets):
                        await peer.send_str(msg.data)
        finally:
            sockets.discard(ws)
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    await _run_app(app, port)


async def _run_app(app: web.Application, port: int) -> None:
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=8192)
    await site.start()
    print("ready", flush=True)
    # Until the parent closes our stdin.
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


# -- clients --------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.last_at = 0.0


async def chat_client(
    session: aiohttp.ClientSession, url: str, rec: Recorder, ready: asyncio.Event | None
) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket", heartbeat=None)
    await ws.receive_str()  # Engine.IO open
    await ws.send_str('40/chat,{"guest":"b"}')
    await ws.receive_str()  # Socket.IO connect ack
    await ws.send_str(f'42/chat,["join",{{"event_id":"{ROOM}"}}]')

    async def reader() -> None:
        async for msg in ws:
            data = msg.data
            if data == "2":
                await ws.send_str("3")  # Engine.IO pong
            elif data.startswith('42/chat,["message"'):
                now = time.time()
                text = json.loads(data[8:])[1]["text"]
                rec.latencies.append(now - float(text.split()[1]))
                rec.last_at = now
            elif data.startswith('42/chat,["history"') and ready is not None:
                ready.set()

    asyncio.get_running_loop().create_task(reader())
    return ws


async def bare_client(
    session: aiohttp.ClientSession, url: str, rec: Recorder
) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(f"{url}/ws", heartbeat=None)

    async def reader() -> None:
        async for msg in ws:
            now = time.time()
            rec.latencies.append(now - float(msg.data.split()[1]))
            rec.last_at = now

    asyncio.get_running_loop().create_task(reader())
    return ws


async def measure(
    kind: str, port: int, clients: int, rate: float, seconds: float
) -> dict[str, float]:
    url = f"http://127.0.0.1:{port}"
    rec = Recorder()
    conn = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=conn) as session:
        sockets = []
        for start in range(0, clients, 200):
            batch = range(start, min(clients, start + 200))
            if kind == "chat":
                events = [asyncio.Event() for _ in batch]
                sockets += await asyncio.gather(
                    *(chat_client(session, url, rec, e) for e in events)
                )
                await asyncio.gather(*(e.wait() for e in events))
            else:
                sockets += await asyncio.gather(*(bare_client(session, url, rec) for _ in batch))
        await asyncio.sleep(0.5)
        sender = sockets[0]
        count = int(rate * seconds)
        started = time.time()
        for i in range(count):
            text = f"m{i} {time.time():.6f} 太精彩了"
            if kind == "chat":
                await sender.send_str("42/chat," + json.dumps(["send", {"text": text}]))
            else:
                await sender.send_str(text)
            await asyncio.sleep(max(0.0, started + (i + 1) / rate - time.time()))
        expected = count * clients
        deadline = time.time() + 30
        while len(rec.latencies) < expected and time.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)  # polling a plain counter: cheaper than an event per delivery
        elapsed = max(rec.last_at - started, 1e-9)
        for ws in sockets:
            await ws.close()
    lat = sorted(rec.latencies) or [float("nan")]
    return {
        "delivered": len(rec.latencies),
        "expected": expected,
        "per_s": len(rec.latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(lat),
        "p99_ms": 1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))],
    }


def start_server(kind: str, port: int, data_dir: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, "--port", str(port), "--data", data_dir],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[500, 2000, 5000])
    parser.add_argument("--rate", type=float, default=10.0, help="messages per second sent")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--serve", choices=["chat", "bare"])
    parser.add_argument("--port", type=int)
    parser.add_argument("--data")
    args = parser.parse_args()
    if args.serve == "chat":
        asyncio.run(serve_chat(args.port, Path(args.data)))
        return
    if args.serve == "bare":
        asyncio.run(serve_bare(args.port))
        return
    print(f"one room, {args.rate:g} messages/s for {args.seconds:g} s; server in its own process")
    print(
        f"{'clients':>8} {'server':>6} {'delivered':>12} {'deliveries/s':>13}"
        f" {'p50 ms':>8} {'p99 ms':>8}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.clients:
            for kind in ("bare", "chat"):
                port = free_port()
                proc = start_server(kind, port, tmp)
                try:
                    r = asyncio.run(measure(kind, port, n, args.rate, args.seconds))
                finally:
                    assert proc.stdin is not None
                    proc.stdin.close()
                    proc.wait(timeout=60)
                print(
                    f"{n:>8} {kind:>6} {r['delivered']:>6.0f}/{r['expected']:<6.0f}"
                    f"{r['per_s']:>13,.0f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
