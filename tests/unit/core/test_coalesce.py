"""Shared reads: a crowd asking for one key costs one read per read's duration, and nobody is
answered by a read that started before they asked."""

from __future__ import annotations

import asyncio

import pytest

from culturecast.core.coalesce import Coalesced


class Store:
    """A value per key whose reads the test releases one at a time."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {"a": 1, "b": 10}
        self.started: list[str] = []
        self.release = asyncio.Semaphore(0)
        self.fail: Exception | None = None

    async def read(self, key: str) -> int:
        value_at_start = self.values[key]
        self.started.append(key)
        await self.release.acquire()
        if self.fail is not None:
            raise self.fail
        return value_at_start


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_callers_while_nothing_runs_share_one_read() -> None:
    store = Store()
    shared = Coalesced(store.read)
    callers = [asyncio.ensure_future(shared.get("a")) for _ in range(50)]
    await settle()
    assert store.started == ["a"]
    store.release.release()
    assert await asyncio.gather(*callers) == [1] * 50
    assert shared.reads == 1


async def test_a_caller_during_a_read_waits_for_the_next_read_and_sees_the_change() -> None:
    store = Store()
    shared = Coalesced(store.read)
    early = asyncio.ensure_future(shared.get("a"))
    await settle()
    store.values["a"] = 2  # written after the first read started: an older answer
    late = [asyncio.ensure_future(shared.get("a")) for _ in range(20)]
    await settle()
    assert store.started == ["a"]  # the second read waits for the first to end
    store.release.release()
    assert await early == 1
    await settle()
    assert store.started == ["a", "a"]
    store.release.release()
    assert await asyncio.gather(*late) == [2] * 20
    assert shared.reads == 2


async def test_keys_are_read_independently() -> None:
    store = Store()
    shared = Coalesced(store.read)
    a, b = asyncio.ensure_future(shared.get("a")), asyncio.ensure_future(shared.get("b"))
    await settle()
    assert sorted(store.started) == ["a", "b"]
    store.release.release()
    store.release.release()
    assert (await a, await b) == (1, 10)


async def test_an_error_reaches_its_callers_and_the_next_caller_reads_again() -> None:
    store = Store()
    shared = Coalesced(store.read)
    store.fail = ConnectionError("database away")
    callers = [asyncio.ensure_future(shared.get("a")) for _ in range(3)]
    await settle()
    store.release.release()
    for caller in callers:
        with pytest.raises(ConnectionError, match="database away"):
            await caller
    store.fail = None
    again = asyncio.ensure_future(shared.get("a"))
    await settle()
    store.release.release()
    assert await again == 1
    assert shared.reads == 2


async def test_a_caller_that_gives_up_does_not_cancel_the_read_of_others() -> None:
    store = Store()
    shared = Coalesced(store.read)
    impatient = asyncio.ensure_future(shared.get("a"))
    patient = asyncio.ensure_future(shared.get("a"))
    await settle()
    impatient.cancel()
    await settle()
    store.release.release()
    assert await patient == 1
    assert impatient.cancelled()
