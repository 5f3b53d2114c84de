"""One periodic task: run an async callable every N seconds until stopped.

Every background loop of the server (sweepers, flushers, pushes, health reports) is one
:class:`Periodic`: a failing round is logged and the next round runs as planned; ``stop()``
is the one teardown. The sleep is injectable so tests drive the rounds without waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[object]]


class Periodic:
    """Runs ``work`` every ``every_s`` seconds; ``first_now`` runs the first round at once
    instead of after one interval."""

    def __init__(
        self,
        name: str,
        every_s: float,
        work: Callable[[], Awaitable[object]],
        *,
        first_now: bool = False,
        sleep: Sleep = asyncio.sleep,
        logger: logging.Logger = log,
    ) -> None:
        if every_s < 0:
            raise ValueError("every_s must not be negative")
        self.name = name
        self.every_s = every_s
        self._work = work
        self._first_now = first_now
        self._sleep = sleep
        self._log = logger
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def run(self) -> None:
        """The rounds, until cancelled (for callers that own the task themselves)."""
        if not self._first_now:
            await self._sleep(self.every_s)
        while True:
            try:
                await self._work()
            except asyncio.CancelledError:
                raise
            except Exception:
                # One failed round must not stop the task for good: the next round retries.
                self._log.exception("%s failed; will run again in %gs", self.name, self.every_s)
            await self._sleep(self.every_s)

    def start(self) -> None:
        """Start the rounds in a task of the running loop (a second start is a no-op)."""
        if not self.running:
            self._task = asyncio.create_task(self.run(), name=self.name)

    async def stop(self) -> None:
        """Cancel the rounds and wait until the task is gone; a round in progress is cancelled."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
