"""A Socket.IO chat client for tests: python-socketio's AsyncClient on ``/chat`` that
queues every server event so tests can await the next one of a kind."""

from __future__ import annotations

import asyncio
from typing import Any

import socketio

NS = "/chat"


class ChatUser:
    """What a test does as a chat user, whichever client carries it: server events queued by
    name, and the requests built on ``call`` and ``next``."""

    def __init__(self) -> None:
        self.queues: dict[str, asyncio.Queue[Any]] = {}
        self.disconnected = asyncio.Event()

    def queue(self, event: str) -> asyncio.Queue[Any]:
        return self.queues.setdefault(event, asyncio.Queue())

    async def call(self, event: str, data: Any = None, *, wait: float = 5.0) -> Any:
        """Emit and wait for the acknowledgement."""
        raise NotImplementedError

    async def next(self, event: str, wait: float = 5.0) -> Any:
        return await asyncio.wait_for(self.queue(event).get(), wait)

    async def nothing(self, event: str, within: float = 0.5) -> None:
        """Assert that no ``event`` arrives within ``within`` seconds."""
        try:
            got = await asyncio.wait_for(self.queue(event).get(), within)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected {event}: {got!r}")

    def drain(self, event: str) -> list[Any]:
        q = self.queue(event)
        items = []
        while not q.empty():
            items.append(q.get_nowait())
        return items

    async def join(self, event_id: str) -> dict[str, Any]:
        ack = await self.call("join", {"event_id": event_id})
        assert ack["ok"], ack
        return {
            "ack": ack,
            "history": await self.next("history"),
            "chat_state": await self.next("chat_state"),
            "pinned": await self.next("pinned"),
            "likes": await self.next("likes"),
            "viewers": await self.next("viewers"),
        }

    async def send(self, text: Any) -> dict[str, Any]:
        ack: dict[str, Any] = await self.call("send", {"text": text})
        return ack


class ChatClient(ChatUser):
    """One connected chat user on python-socketio's AsyncClient."""

    def __init__(self) -> None:
        super().__init__()
        self.sio = socketio.AsyncClient(reconnection=False)

        async def catch_all(event: str, *args: Any) -> None:
            self.queue(event).put_nowait(args[0] if len(args) == 1 else list(args))

        async def on_disconnect(*_: Any) -> None:
            self.disconnected.set()

        async def on_connect_error(data: Any) -> None:
            self.queue("connect_error").put_nowait(data)

        self.sio.on("*", catch_all, namespace=NS)
        self.sio.on("connect_error", on_connect_error, namespace=NS)
        self.sio.on("disconnect", on_disconnect, namespace=NS)

    async def connect(
        self,
        url: str,
        auth: dict[str, Any] | None = None,
        transport: str = "websocket",
        device: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> ChatClient:
        """Connect; ``device`` is the ``cc_did`` cookie a browser that opened a page sends."""
        headers = dict(headers or {})
        if device is not None:
            headers["Cookie"] = f"cc_did={device}"
        await self.sio.connect(
            url,
            auth=auth,
            headers=headers,
            namespaces=[NS],
            transports=[transport],
            wait_timeout=10,
        )
        return self

    async def call(self, event: str, data: Any = None, *, wait: float = 5.0) -> Any:
        """Emit and wait for the acknowledgement."""
        return await self.sio.call(event, data, namespace=NS, timeout=wait)

    @property
    def connected(self) -> bool:
        return bool(self.sio.connected) and not self.disconnected.is_set()

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()
