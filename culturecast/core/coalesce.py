"""Reads of one key shared by everyone who asks while one is running, never staler for it.

When a show starts, a thousand viewers ask within seconds for the same event, the same item to
play and the same chat history: as many identical database reads. :class:`Coalesced` turns
them into at most two at a time per key without answering anyone from before they asked: a
caller is answered by the next read that *starts after it asked* — the one it starts, or, while
a read is running, the one that starts when that read ends, shared by everyone who asked
meanwhile. So an answer is as fresh as a read of one's own (a chat message sent before a
viewer joined is in the history it is sent), and a crowd costs one read per read's duration.

A read's error reaches the callers it answers; the next caller starts a new read. A caller
that gives up (is cancelled) does not cancel a read others wait on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable


class Coalesced[K: Hashable, V]:
    """``read(key)``, shared between concurrent callers of :meth:`get` for one key."""

    def __init__(self, read: Callable[[K], Awaitable[V]]) -> None:
        self._read = read
        self._waiting: dict[K, asyncio.Future[V]] = {}
        """Per key, the answer of the next read to start (its callers so far wait on it)."""
        self._running: dict[K, asyncio.Task[None]] = {}
        self.reads = 0
        """Reads started so far (for tests and metrics)."""

    async def get(self, key: K) -> V:
        waiting = self._waiting.get(key)
        if waiting is None:
            waiting = asyncio.get_running_loop().create_future()
            self._waiting[key] = waiting
            if key not in self._running:
                self._running[key] = asyncio.ensure_future(self._reads(key))
        return await asyncio.shield(waiting)

    async def _reads(self, key: K) -> None:
        try:
            while (waiting := self._waiting.pop(key, None)) is not None:
                self.reads += 1
                try:
                    value = await self._read(key)
                except asyncio.CancelledError:
                    waiting.cancel()
                    raise
                except Exception as exc:
                    waiting.set_exception(exc)
                    waiting.exception()  # retrieved: callers that gave up leave no warning
                else:
                    waiting.set_result(value)
        finally:
            del self._running[key]
