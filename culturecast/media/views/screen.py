"""The data screen's stream: server-sent events over one response. ``figures`` every
``interval`` seconds (``realtime.read_realtime``, from the counters only) and ``activity``
lines as any api process publishes them (the counters' pub/sub), for the organization's
subtree only. Ends when the client goes away."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any, Protocol

from aiohttp import web

from culturecast.storage.counters.port import Subscription

__all__ = ["stream_screen"]


class ScreenSource(Protocol):
    async def realtime(self, org_id: str) -> dict[str, Any]: ...

    async def activity(self) -> Subscription: ...


def _event(name: str, data: object) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def stream_screen(
    response: web.StreamResponse, source: ScreenSource, org_id: str, interval: float
) -> None:
    subscription = await source.activity()
    lock = asyncio.Lock()

    async def send(chunk: bytes) -> None:
        async with lock:
            await response.write(chunk)

    async def relay() -> None:
        async for raw in subscription:
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if org_id in line.get("org_path", ()):
                await send(_event("activity", {"at": line["at"], "text": line["text"]}))

    relaying = asyncio.create_task(relay())
    try:
        while True:
            await send(_event("figures", await source.realtime(org_id)))
            await asyncio.sleep(interval)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        relaying.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await relaying
        await subscription.close()
