"""Chat fan-out: N websocket clients in one room, one server process.

The server runs in its own process (the chat as the product wires it: python-socketio on
aiohttp, ChatService with the comment policy, SQLite for history, in-memory counters); the
clients run in this process as raw aiohttp websockets speaking the Engine.IO 4 / Socket.IO 5
text protocol, so client overhead stays low. One client sends comments at a steady rate;
every client records each delivery. Reported per run: deliveries per second sustained (all
deliveries over the time from the first send to the last delivery), p50/p99 latency from the
server's timestamp in the message (``at``: taken when the server accepted the comment) to
the client's receipt, p99 from the sender's own timestamp (in the text) to receipt, and any
message a client missed, got twice or got out of order.

Reference, measured in the same run with the same clients: a bare aiohttp websocket server
doing the equivalent delivery work and nothing else — it decodes the sender's frame, stamps
a message of the same shape as the chat's (``42/chat,["message",{...,"at":...}]``), encodes
it once and writes it to every connected socket; the clients parse both the same way. No
Socket.IO session layer, no policy, no storage. ``chat-stock`` is the chat with
python-socketio's stock ``AsyncManager`` (a task per recipient) and Engine.IO's stock
websocket transport (per-message deflate when the client offers it, as browsers and these
clients do): the chat before :mod:`culturecast.chat.fanout`.

    .venv/bin/python bench/bench_chat_fanout.py [--clients 500 2000 5000] [--rate 2 4]
        [--seconds 10] [--servers bare chat chat-stock]

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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOM = "bench-show"
SERVERS = ("bare", "chat", "chat-stock")


# -- servers (run in a child process) ---------------------------------------------------


class _Events:
    async def get(self, event_id: str) -> Any:
        from culturecast.chat.access import EventView

        return EventView(event_id, "org", ("org",), "live", time.time() - 60, public=True)

    def may_see(self, caller: Any, event: Any) -> bool:
        return True


class _Identities:
    async def caller_from_token(self, token: str) -> Any:
        return None

    async def guest_chat(self, org_id: str) -> bool:
        return True


async def serve_chat(port: int, data_dir: Path, stock: bool) -> None:
    from culturecast.chat.policy import CommentPolicy, PolicyConfig
    from culturecast.chat.server import SocketEmitter, attach, create_socket_server, running
    from culturecast.chat.service import ChatConfig, ChatService
    from culturecast.chat.store import INDEXES, ChatStore
    from culturecast.storage.counters.memory import MemoryCounters
    from culturecast.storage.database.sqlite import SQLiteDatabase

    database = await SQLiteDatabase.open(data_dir / "bench.sqlite3")
    await database.ensure_indexes(INDEXES)
    counters = MemoryCounters(time.time)
    import socketio

    sio = create_socket_server(None, manager=socketio.AsyncManager() if stock else None)
    if stock:  # and the stock websocket transport (per-message deflate when offered)
        from engineio.async_drivers import aiohttp as eio_aiohttp

        sio.eio._async = {**sio.eio._async, "websocket": eio_aiohttp.WebSocket}
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
    ids = iter(range(1 << 62))

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False)  # as the chat's (chat/fanout.py)
        await ws.prepare(request)
        sockets.add(ws)
        try:
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    # The same delivery work as the chat: decode, stamp, encode once, write
                    # the one frame to everyone.
                    text = json.loads(msg.data)["text"]
                    now = time.time()
                    message = {
                        "id": f"b{next(ids)}",
                        "user": {"id": "guest-x", "name": "b", "guest": True},
                        "text": text,
                        "at": now,
                    }
                    frame = "42/chat," + json.dumps(["message", message], separators=(",", ":"))
                    for peer in list(sockets):
                        await peer.send_str(frame)
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
    """Deliveries of one run: latencies, and per client the message numbers in order."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.server_lat: list[float] = []
        self.sender_lat: list[float] = []
        self.last_at = 0.0
        self.faults = 0
        """Deliveries out of order or twice (each client must see m0, m1, ... once each)."""

    def client(self) -> Callable[[str], None]:
        expect = 0

        def on_frame(data: str) -> None:
            nonlocal expect
            if not data.startswith('42/chat,["message"'):
                return
            now = time.time()
            message = json.loads(data[8:])[1]
            number, sent = message["text"].split()[:2]
            self.server_lat.append(now - message["at"])
            self.sender_lat.append(now - float(sent))
            self.last_at = now
            if int(number[1:]) != expect:
                self.faults += 1
            expect = int(number[1:]) + 1

        return on_frame


async def chat_client(
    session: aiohttp.ClientSession, url: str, on_frame: Callable[[str], None]
) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(
        f"{url}/socket.io/?EIO=4&transport=websocket", heartbeat=None, compress=15
    )
    await ws.receive_str()  # Engine.IO open
    await ws.send_str('40/chat,{"guest":"b"}')
    await ws.receive_str()  # Socket.IO connect ack
    await ws.send_str(f'42/chat,["join",{{"event_id":"{ROOM}"}}]')
    while not (await ws.receive_str()).startswith('42/chat,["history"'):
        pass

    async def reader() -> None:
        async for msg in ws:
            if msg.data == "2":
                await ws.send_str("3")  # Engine.IO pong
            else:
                on_frame(msg.data)

    asyncio.get_running_loop().create_task(reader())
    return ws


async def bare_client(
    session: aiohttp.ClientSession, url: str, on_frame: Callable[[str], None]
) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(f"{url}/ws", heartbeat=None, compress=15)

    async def reader() -> None:
        async for msg in ws:
            on_frame(msg.data)

    asyncio.get_running_loop().create_task(reader())
    return ws


async def measure(
    kind: str, port: int, clients: int, rate: float, seconds: float
) -> dict[str, float]:
    url = f"http://127.0.0.1:{port}"
    count = int(rate * seconds)
    rec = Recorder(count)
    connect = bare_client if kind == "bare" else chat_client
    conn = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=conn) as session:
        sockets = []
        for start in range(0, clients, 200):
            batch = range(start, min(clients, start + 200))
            sockets += await asyncio.gather(*(connect(session, url, rec.client()) for _ in batch))
        await asyncio.sleep(1.0)
        sender = sockets[0]
        started = time.time()
        for i in range(count):
            # The sender's timestamp rides in the text: send-to-receipt latency.
            text = f"m{i} {time.time():.6f} 太精彩了"
            prefix = "" if kind == "bare" else '42/chat,["send",'
            suffix = "" if kind == "bare" else "]"
            await sender.send_str(prefix + json.dumps({"text": text}) + suffix)
            await asyncio.sleep(max(0.0, started + (i + 1) / rate - time.time()))
        expected = count * clients
        deadline = time.time() + 60
        while len(rec.server_lat) < expected and time.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)  # polling a plain counter: cheaper than an event per delivery
        elapsed = max(rec.last_at - started, 1e-9)
        for ws in sockets:
            await ws.close()
    lat = sorted(rec.server_lat) or [float("nan")]
    e2e = sorted(rec.sender_lat) or [float("nan")]
    return {
        "delivered": len(lat) if rec.server_lat else 0,
        "expected": expected,
        "faults": rec.faults,
        "per_s": len(rec.server_lat) / elapsed,
        "p50_ms": 1000 * statistics.median(lat),
        "p99_ms": 1000 * _p99(lat),
        "e2e_p99_ms": 1000 * _p99(e2e),
    }


def _p99(values: list[float]) -> float:
    return values[min(len(values) - 1, int(0.99 * len(values)))]


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
    parser.add_argument(
        "--rate", type=float, nargs="+", default=[2.0, 4.0], help="messages per second sent"
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--servers", nargs="+", choices=SERVERS, default=["bare", "chat"], help="servers to run"
    )
    parser.add_argument("--serve", choices=SERVERS)
    parser.add_argument("--port", type=int)
    parser.add_argument("--data")
    args = parser.parse_args()
    if args.serve in ("chat", "chat-stock"):
        asyncio.run(serve_chat(args.port, Path(args.data), stock=args.serve == "chat-stock"))
        return
    if args.serve == "bare":
        asyncio.run(serve_bare(args.port))
        return
    print(f"one room, messages for {args.seconds:g} s; server in its own process")
    print(
        f"{'clients':>8} {'msg/s':>5} {'server':>10} {'delivered':>13} {'faults':>6}"
        f" {'deliveries/s':>12} {'p50 ms':>8} {'p99 ms':>8} {'p99 from send':>13}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.clients:
            for rate in args.rate:
                for kind in args.servers:
                    port = free_port()
                    proc = start_server(kind, port, tmp)
                    try:
                        r = asyncio.run(measure(kind, port, n, rate, args.seconds))
                    finally:
                        assert proc.stdin is not None
                        proc.stdin.close()
                        proc.wait(timeout=120)
                    print(
                        f"{n:>8} {rate:>5g} {kind:>10} {r['delivered']:>6.0f}/{r['expected']:<6.0f}"
                        f" {r['faults']:>6.0f} {r['per_s']:>12,.0f} {r['p50_ms']:>8.1f}"
                        f" {r['p99_ms']:>8.1f} {r['e2e_p99_ms']:>13.1f}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
