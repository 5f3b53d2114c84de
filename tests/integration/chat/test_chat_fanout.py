"""Room broadcasts through the fan-out managers (``chat/fanout.py``) on real clients.

Every client in a room gets every comment exactly once and in order, over websocket and
long-polling alike, with sockets leaving mid-show and across two servers sharing the room
through Redis. The chat is served here without the rest of the product so that hundreds
of clients may connect from one address (the product's per-IP connection limit is tested
in ``test_chat_access.py``); its parts are the real ones: SQLite, the in-memory and Redis
counters, the live events collection the live package writes.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import secrets
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import socketio
from aiohttp import web
from aiohttp.test_utils import TestServer

from culturecast.chat.events import NAMESPACE
from culturecast.chat.fanout import DIRECT_WRITE_LIMIT, FanoutManager, FanoutRedisManager
from culturecast.chat.policy import CommentPolicy, PolicyConfig
from culturecast.chat.server import SocketEmitter, attach, create_socket_server, running
from culturecast.chat.service import ChatConfig, ChatService
from culturecast.chat.store import INDEXES, ChatStore
from culturecast.server.features.chat import LiveEventsReader
from culturecast.storage.counters.memory import MemoryCounters
from culturecast.storage.counters.port import Counters
from culturecast.storage.counters.redis import RedisCounters
from culturecast.storage.database.port import Database
from culturecast.storage.database.sqlite import SQLiteDatabase
from tests.support.chat import ChatClient


class GuestsWelcome:
    """Identities for a room of guests: no tokens, every organization allows guests."""

    async def caller_from_token(self, token: str) -> None:
        return None

    async def guest_chat(self, org_id: str) -> bool:
        return True


@dataclass
class ChatServer:
    url: str
    sio: socketio.AsyncServer
    service: ChatService


@contextlib.asynccontextmanager
async def chat_server(
    database: Database, counters: Counters, redis_url: str | None = None
) -> AsyncIterator[ChatServer]:
    sio = create_socket_server(redis_url)
    app = web.Application()
    attach(sio, app)
    service = ChatService(
        store=ChatStore(database),
        events=LiveEventsReader(database),
        identities=GuestsWelcome(),
        counters=counters,
        # One sender sends a burst; the limits are tested elsewhere.
        policy=CommentPolicy(
            PolicyConfig(user_rate=1e6, user_burst=1e6, room_rate=1e6, room_burst=1e6)
        ),
        emitter=SocketEmitter(sio),
        clock=time.time,
        config=ChatConfig(connect_rate=1e6, connect_burst=1e6),
    )
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with running(sio, service):
            yield ChatServer(str(server.make_url("/")).rstrip("/"), sio, service)
    finally:
        await server.close()


@pytest.fixture
async def database(data_dir: Path) -> AsyncIterator[Database]:
    db = await SQLiteDatabase.open(data_dir / "chat.sqlite3")
    await db.ensure_indexes(INDEXES)
    try:
        yield db
    finally:
        await db.close()


async def live_event(database: Database) -> str:
    event_id = f"show-{secrets.token_hex(4)}"
    await database.collection("live_events").insert(
        {
            "_id": event_id,
            "org_id": "org",
            "org_path": ["org"],
            "status": "live",
            "started_at": time.time(),
            "published": True,
            "disabled": False,
        }
    )
    return event_id


async def crowd(url: str, event_id: str, websockets: int, polling: int) -> list[ChatClient]:
    """Guests in the room: ``websockets`` on websocket, ``polling`` on long-polling only."""
    transports = ["websocket"] * websockets + ["polling"] * polling

    async def one(i: int, transport: str) -> ChatClient:
        client = await ChatClient().connect(url, {"guest": f"观众{i}"}, transport=transport)
        await client.join(event_id)
        return client

    clients: list[ChatClient] = []
    for start in range(0, len(transports), 50):
        batch = transports[start : start + 50]
        clients += await asyncio.gather(*(one(start + i, t) for i, t in enumerate(batch)))
    return clients


async def received(client: ChatClient, count: int) -> list[str]:
    return [(await client.next("message", wait=20))["text"] for _ in range(count)]


async def close_all(clients: list[ChatClient]) -> None:
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


async def test_200_clients_on_both_transports_get_every_comment_once_and_in_order(
    database: Database,
) -> None:
    async with chat_server(database, MemoryCounters()) as server:
        assert isinstance(server.sio.manager, FanoutManager)
        event_id = await live_event(database)
        clients = await crowd(server.url, event_id, websockets=160, polling=40)
        try:
            sender = clients[0]
            texts = [f"第{i}条:精彩" for i in range(20)]
            for text in texts:
                assert (await sender.send(text))["ok"]
            got = await asyncio.gather(*(received(c, len(texts)) for c in clients))
            assert all(g == texts for g in got)
            # Exactly once: nothing more arrives.
            await asyncio.gather(*(c.nothing("message", within=0.3) for c in clients[::20]))
        finally:
            await close_all(clients)


async def test_clients_leaving_mid_show_do_not_disturb_the_others(database: Database) -> None:
    async with chat_server(database, MemoryCounters()) as server:
        event_id = await live_event(database)
        other_event = await live_event(database)
        clients = await crowd(server.url, event_id, websockets=40, polling=10)
        try:
            stay, leave, move = clients[:30], clients[30:45], clients[45:]
            left = [c.sio.get_sid(NAMESPACE) for c in leave]
            await close_all(leave)
            for client in move:  # to another room: the first one's comments stop coming
                await client.join(other_event)
            assert (await stay[0].send("还在吗"))["ok"]
            assert (await move[0].send("换个直播间"))["ok"]
            for client in stay:
                assert await received(client, 1) == ["还在吗"]
            for client in move:
                assert await received(client, 1) == ["换个直播间"]
            await asyncio.gather(*(c.nothing("message", within=0.3) for c in stay[:5] + move))
            # The manager forgot the sockets that left (its room index drives disconnects).
            manager = server.sio.manager
            members = dict(manager.get_participants(NAMESPACE, f"event:{event_id}"))
            assert len(members) == len(stay)
            assert all(manager.get_rooms(sid, NAMESPACE) == [] for sid in left)
            assert len(dict(manager.get_participants(NAMESPACE, None))) == len(stay + move)
        finally:
            await close_all(clients)


async def test_a_room_on_two_servers_through_redis_gets_every_comment_once_in_order(
    database: Database, redis_url: str
) -> None:
    prefix = f"fanout-{secrets.token_hex(4)}:"
    counters = [await RedisCounters.open(redis_url, prefix) for _ in range(2)]
    try:
        async with (
            chat_server(database, counters[0], redis_url) as a,
            chat_server(database, counters[1], redis_url) as b,
        ):
            assert isinstance(a.sio.manager, FanoutRedisManager)
            event_id = await live_event(database)
            on_a = await crowd(a.url, event_id, websockets=40, polling=10)
            on_b = await crowd(b.url, event_id, websockets=40, polling=10)
            clients = on_a + on_b
            try:
                texts = []
                for i in range(10):  # senders on both servers, alternating
                    sender = on_a[0] if i % 2 == 0 else on_b[0]
                    texts.append(f"两地同看{i}")
                    assert (await sender.send(texts[-1]))["ok"]
                got = await asyncio.gather(*(received(c, len(texts)) for c in clients))
                assert all(g == texts for g in got)
                await asyncio.gather(*(c.nothing("message", within=0.3) for c in clients[::10]))
            finally:
                await close_all(clients)
    finally:
        for c in counters:
            await c.close()


async def test_websockets_decline_per_message_deflate_browsers_offer(database: Database) -> None:
    async with chat_server(database, MemoryCounters()) as server:
        event_id = await live_event(database)
        async with aiohttp.ClientSession() as http:
            # Offer permessage-deflate as every browser does (RFC 7692 §5).
            ws = await http.ws_connect(
                f"{server.url}/socket.io/?EIO=4&transport=websocket", compress=15
            )
            try:
                assert "Sec-WebSocket-Extensions" not in ws._response.headers
                assert ws.compress == 0
                assert (await ws.receive_str()).startswith("0{")  # Engine.IO open
                await ws.send_str('40/chat,{"guest":"小王"}')
                assert (await ws.receive_str()).startswith("40/chat,")
                await ws.send_str(f'42/chat,["join",{{"event_id":"{event_id}"}}]')
                while not (await ws.receive_str()).startswith('42/chat,["history"'):
                    pass
                await ws.send_str('42/chat,["send",{"text":"不压缩也很快"}]')
                while True:
                    frame = await ws.receive_str()
                    if frame.startswith('42/chat,["message"'):
                        break
                assert json.loads(frame[len("42/chat,") :])[1]["text"] == "不压缩也很快"
            finally:
                await ws.close()


class RawChatSocket:
    """A websocket chat guest on a bare TCP stream with a small receive buffer, so a test can
    stop reading and make the server's side of the connection back up (a phone on a bad
    network)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, url: str, event_id: str) -> RawChatSocket:
        host, port = url.removeprefix("http://").split(":")
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
        reader, writer = await asyncio.open_connection(sock=sock, limit=4096)
        key = base64.b64encode(secrets.token_bytes(16)).decode()
        writer.write(
            (
                "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")
        raw = cls(reader, writer)
        assert (await raw.receive()).startswith("0{")
        raw.send('40/chat,{"guest":"慢网速"}')
        assert (await raw.receive()).startswith("40/chat,")
        raw.send(f'42/chat,["join",{{"event_id":"{event_id}"}}]')
        while not (await raw.receive()).startswith('42/chat,["history"'):
            pass
        return raw

    def send(self, text: str) -> None:
        payload = text.encode()
        assert len(payload) < 126
        mask = secrets.token_bytes(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(bytes((0x81, 0x80 | len(payload))) + mask + masked)

    async def receive(self) -> str:
        head = await self.reader.readexactly(2)
        assert head[0] == 0x81, head  # one final text frame
        assert not head[1] & 0x80, head  # unmasked, as from a server
        size = head[1]
        if size == 126:
            size = int.from_bytes(await self.reader.readexactly(2), "big")
        elif size == 127:
            size = int.from_bytes(await self.reader.readexactly(8), "big")
        return (await self.reader.readexactly(size)).decode()

    async def messages(self, count: int, pause_s: float = 0.0) -> list[str]:
        """The next ``count`` comments, reading one frame per ``pause_s`` (a slow phone)."""
        texts: list[str] = []
        while len(texts) < count:
            await asyncio.sleep(pause_s)
            frame = await asyncio.wait_for(self.receive(), 20)
            if frame == "2":
                self.send("3")  # Engine.IO ping → pong
            elif frame.startswith('42/chat,["message"'):
                texts.append(json.loads(frame[len("42/chat,") :])[1]["text"])
        return texts

    def close(self) -> None:
        self.writer.close()


async def test_a_slow_reader_gets_every_comment_in_order_without_holding_up_the_room(
    database: Database,
) -> None:
    async with chat_server(database, MemoryCounters()) as server:
        manager = server.sio.manager
        assert isinstance(manager, FanoutManager)
        event_id = await live_event(database)
        clients = await crowd(server.url, event_id, websockets=20, polling=0)
        slow = await RawChatSocket.connect(server.url, event_id)
        # Its connection on the server, with the kernel's send buffer shrunk too, so its
        # backlog reaches the transport's own buffer quickly.
        port = slow.writer.get_extra_info("sockname")[1]
        (ws,) = [
            w
            for w in manager.websockets.values()
            if w.transport.get_extra_info("peername")[1] == port
        ]
        ws.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        try:
            sender = clients[0]
            # ~350 KB of comments: more than the slow reader's buffers and the direct-write
            # limit, so its later comments wait in its queue; it starts reading, slowly,
            # while comments keep coming: its backlog shrinks below the limit while its
            # writer still has comments queued, which must not be overtaken.
            texts = [f"{i:03d} " + "好" * 190 for i in range(600)]
            backed_up = 0
            catching_up: asyncio.Task[list[str]] | None = None
            for i, text in enumerate(texts):
                assert (await sender.send(text))["ok"]
                backed_up = max(backed_up, ws.transport.get_write_buffer_size())
                if i == 200:
                    catching_up = asyncio.create_task(slow.messages(len(texts), pause_s=0.001))
            # The others got everything while the slow one lagged.
            got = await asyncio.gather(*(received(c, len(texts)) for c in clients))
            assert all(g == texts for g in got)
            assert backed_up >= DIRECT_WRITE_LIMIT
            # The slow reader catches up: every comment, once, in order.
            assert catching_up is not None
            assert await catching_up == texts
            assert manager.direct_writes > 0
        finally:
            slow.close()
            await close_all(clients)
