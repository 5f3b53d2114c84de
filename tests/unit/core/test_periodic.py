"""The one periodic task: rounds on an injected sleep, failures logged and survived, one stop."""

from __future__ import annotations

import asyncio

import pytest

from culturecast.core.periodic import Periodic


class Steps:
    """A sleep that records the delays asked for and returns only when the test allows."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.go = asyncio.Semaphore(0)

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await self.go.acquire()


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_rounds_run_after_each_interval() -> None:
    sleep = Steps()
    rounds: list[int] = []

    async def work() -> None:
        rounds.append(len(rounds))

    task = Periodic("t", 5.0, work, sleep=sleep)
    task.start()
    await settle()
    assert rounds == []
    assert sleep.delays == [5.0]
    sleep.go.release()
    await settle()
    sleep.go.release()
    await settle()
    assert rounds == [0, 1]
    assert sleep.delays == [5.0, 5.0, 5.0]
    await task.stop()
    assert not task.running


async def test_first_now_runs_at_once() -> None:
    sleep = Steps()
    rounds: list[None] = []

    async def work() -> None:
        rounds.append(None)

    task = Periodic("t", 1.0, work, first_now=True, sleep=sleep)
    task.start()
    await settle()
    assert len(rounds) == 1
    assert sleep.delays == [1.0]
    await task.stop()


async def test_a_failed_round_is_logged_and_the_next_one_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sleep = Steps()
    calls: list[None] = []

    async def work() -> None:
        calls.append(None)
        if len(calls) == 1:
            raise RuntimeError("engine hiccup")

    task = Periodic("sweeper", 2.0, work, first_now=True, sleep=sleep)
    task.start()
    await settle()
    sleep.go.release()
    await settle()
    assert len(calls) == 2
    assert task.running
    assert "sweeper failed" in caplog.text
    assert "engine hiccup" in caplog.text
    await task.stop()


async def test_stop_cancels_a_round_in_progress_and_is_idempotent() -> None:
    started = asyncio.Event()
    cancelled: list[None] = []

    async def work() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(None)
            raise

    task = Periodic("t", 1.0, work, first_now=True)
    task.start()
    await started.wait()
    await task.stop()
    await task.stop()
    assert cancelled == [None]
    assert not task.running


def test_negative_interval_is_refused() -> None:
    async def work() -> None:
        return None

    with pytest.raises(ValueError, match="negative"):
        Periodic("t", -1.0, work)
