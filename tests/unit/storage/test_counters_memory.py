"""The memory adapter's own rules beyond the shared contract: expiry judged by the injected
clock (lazy on access, swept on writes), Redis-like key kinds, and the bounded subscriber
inbox. Time is a parameter here, so nothing sleeps."""

from __future__ import annotations

import asyncio

import pytest

from culturecast.storage.counters.memory import (
    Inbox,
    MemoryCounters,
    MemorySubscription,
)
from culturecast.storage.errors import EngineUnavailable, StorageError


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def counters(clock: FakeClock) -> MemoryCounters:
    return MemoryCounters(clock)


# -- expiry --------------------------------------------------------------------------------


async def test_key_expires_exactly_at_its_deadline(
    counters: MemoryCounters, clock: FakeClock
) -> None:
    await counters.set_flag("k", 10)
    clock.now += 9.999
    assert await counters.get_flag("k") == "1"
    clock.now += 0.001
    assert await counters.get_flag("k") is None


async def test_sweep_drops_expired_keys_nobody_reads(
    counters: MemoryCounters, clock: FakeClock
) -> None:
    for i in range(5):
        await counters.set_flag(f"dedupe:{i}", 10 + i)
    await counters.set_flag("later", 100)
    clock.now += 12
    assert counters.sweep() == 3
    assert counters.sweep() == 0
    assert await counters.delete(*(f"dedupe:{i}" for i in range(5)), "later") == 3


async def test_writes_sweep_other_expired_keys(counters: MemoryCounters, clock: FakeClock) -> None:
    await counters.set_flag("old", 5)
    clock.now += 5
    await counters.incr("unrelated")
    assert counters.sweep() == 0  # the write above already removed "old"


async def test_deadline_of_a_deleted_key_does_not_expire_its_successor(
    counters: MemoryCounters, clock: FakeClock
) -> None:
    await counters.set_flag("k", 10)
    await counters.delete("k")
    await counters.incr("k", 7)  # a new life without a deadline
    clock.now += 10
    assert counters.sweep() == 0
    assert await counters.get_int("k") == 7


async def test_expire_again_moves_the_deadline(counters: MemoryCounters, clock: FakeClock) -> None:
    await counters.hincr("h", "f")
    await counters.expire("h", 10)
    clock.now += 5
    await counters.expire("h", 10)
    clock.now += 7  # past the first deadline, before the second
    assert counters.sweep() == 0
    assert await counters.hgetall("h") == {"f": 1.0}
    clock.now += 3
    assert await counters.hgetall("h") == {}


async def test_updates_keep_the_deadline(counters: MemoryCounters, clock: FakeClock) -> None:
    # As in Redis: INCR and HINCRBYFLOAT on a key with a TTL leave the TTL alone.
    await counters.incr("c")
    await counters.hincr("h", "f")
    await counters.expire("c", 10)
    await counters.expire("h", 10)
    clock.now += 9
    assert await counters.incr("c") == 2
    assert await counters.hincr("h", "f") == 2.0
    clock.now += 1
    assert await counters.get_int("c") == 0
    assert await counters.hgetall("h") == {}


async def test_expired_key_comes_back_without_deadline(
    counters: MemoryCounters, clock: FakeClock
) -> None:
    await counters.unique_add("u", "a")
    await counters.expire("u", 1)
    clock.now += 1
    assert await counters.unique_add("u", "a") is True
    clock.now += 1000
    assert await counters.unique_count("u") == 1


async def test_expire_on_expired_key_does_not_revive_it(
    counters: MemoryCounters, clock: FakeClock
) -> None:
    await counters.set_flag("k", 1)
    clock.now += 1
    await counters.expire("k", 100)
    assert await counters.get_flag("k") is None


async def test_clock_going_backwards_does_not_resurrect(
    counters: MemoryCounters, clock: FakeClock
) -> None:
    await counters.set_flag("k", 1)
    clock.now += 2
    assert await counters.get_flag("k") is None
    clock.now -= 2
    assert await counters.get_flag("k") is None


# -- kinds ---------------------------------------------------------------------------------


async def test_counters_and_flags_share_the_string_kind(counters: MemoryCounters) -> None:
    await counters.set_flag("k", 60, "7")
    assert await counters.incr("k") == 8
    assert await counters.get_flag("k") == "8"
    assert await counters.set_flag("k", 60) is False


async def test_incr_of_a_text_flag_is_a_storage_error(counters: MemoryCounters) -> None:
    await counters.set_flag("k", 60, "abc")
    with pytest.raises(StorageError):
        await counters.incr("k")
    assert await counters.get_flag("k") == "abc"


async def test_set_flag_on_a_key_of_another_kind_is_refused(counters: MemoryCounters) -> None:
    await counters.presence_touch("p", "m", 1.0)
    assert await counters.set_flag("p", 60) is False
    with pytest.raises(StorageError):
        await counters.get_flag("p")


async def test_pruning_everyone_removes_the_presence_key(counters: MemoryCounters) -> None:
    await counters.presence_touch("p", "m", 1.0)
    assert await counters.presence_prune("p", 2.0) == 1
    assert await counters.delete("p") == 0
    await counters.hincr("p", "f")  # the name is free for another kind
    assert await counters.hgetall("p") == {"f": 1.0}


async def test_htake_result_is_detached_from_later_writes(counters: MemoryCounters) -> None:
    await counters.hincr("h", "f")
    taken = await counters.htake("h")
    await counters.hincr("h", "f", 5)
    assert taken == {"f": 1.0}


# -- subscriptions and lifecycle -----------------------------------------------------------


async def test_slow_subscriber_drops_oldest_beyond_its_buffer(clock: FakeClock) -> None:
    counters = MemoryCounters(clock, subscriber_buffer=2)
    slow = await counters.subscribe("c")
    for message in (b"1", b"2", b"3", b"4"):
        await counters.publish("c", message)
    got = []
    async with asyncio.timeout(1):
        async for message in slow:
            got.append(message)
            if len(got) == 2:
                break
    assert got == [b"3", b"4"]
    assert isinstance(slow, MemorySubscription)
    assert slow.dropped == 2


async def test_closed_port_refuses_everything(counters: MemoryCounters) -> None:
    await counters.close()
    with pytest.raises(EngineUnavailable):
        await counters.ping()
    with pytest.raises(EngineUnavailable):
        await counters.get_flag("k")
    with pytest.raises(EngineUnavailable):
        await counters.presence_count("p", 0)


# -- the inbox -----------------------------------------------------------------------------


async def test_inbox_end_wakes_a_waiting_reader() -> None:
    inbox = Inbox(4)

    async def read_all() -> list[bytes]:
        return [message async for message in inbox]

    reader = asyncio.create_task(read_all())
    await asyncio.sleep(0)  # let the reader start waiting; no time passes
    inbox.end()
    async with asyncio.timeout(1):
        assert await reader == []


async def test_inbox_end_discards_undelivered_and_ignores_later_puts() -> None:
    inbox = Inbox(4)
    inbox.put(b"a")
    inbox.end()
    inbox.put(b"b")
    assert [message async for message in inbox] == []
    assert inbox.closed


async def test_inbox_ended_with_error_raises_it_to_the_reader() -> None:
    inbox = Inbox(4)
    inbox.end(EngineUnavailable("lost"))
    with pytest.raises(EngineUnavailable, match="lost"):
        async for _ in inbox:
            pass


def test_inbox_needs_room_for_one_message() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Inbox(0)
