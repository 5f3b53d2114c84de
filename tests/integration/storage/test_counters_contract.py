"""The counters and pub/sub port's contract, run against both adapters: memory (with a clock the
test advances) and a real redis-server (each test under its own key prefix, removed after)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pytest
import redis.asyncio as aioredis

from culturecast.storage.counters.memory import MemoryCounters, MemorySubscription
from culturecast.storage.counters.port import UNIQUE_EXACT_LIMIT, Counters, Subscription
from culturecast.storage.counters.redis import RedisCounters, RedisSubscription
from culturecast.storage.errors import EngineUnavailable, StorageError
from tests.support import engines

pytestmark = pytest.mark.integration

# The longest a test waits for Redis to expire a key or deliver a message.
REAL_WAIT_S = 3.0


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Harness:
    """One adapter under test, plus what differs between engines: how time passes and how a
    second process reaches the same state."""

    counters: Counters
    kind: str
    clock: FakeClock | None
    open_peer: Callable[..., Awaitable[Counters]]
    opened: list[Counters] = field(default_factory=list)

    async def peer(self, **options: int) -> Counters:
        """A port as another process would open it (a new connection to the same Redis)."""
        port = await self.open_peer(**options)
        self.opened.append(port)
        return port

    async def after(self, seconds: int, check: Callable[[], Awaitable[bool]]) -> bool:
        """Whether ``check`` holds once ``seconds`` have passed: the fake clock jumps; with
        Redis we poll, since only the server's clock decides."""
        if self.clock is not None:
            self.clock.advance(seconds)
            return await check()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REAL_WAIT_S
        while loop.time() < deadline:
            if await check():
                return True
            await asyncio.sleep(0.05)
        return await check()


@pytest.fixture(params=["memory", "redis"])
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    if request.param == "memory":
        clock = FakeClock()
        memory = MemoryCounters(clock)

        async def same_process(**options: int) -> Counters:
            # One process has one memory port; options apply to a fresh one only.
            return MemoryCounters(clock, **options) if options else memory

        h = Harness(memory, "memory", clock, same_process)
        yield h
        for port in [*h.opened, memory]:
            await port.close()
        return

    url: str = request.getfixturevalue("redis_url")
    prefix = f"cc-test:{uuid.uuid4().hex}:"

    async def another_process(**options: int) -> Counters:
        return await RedisCounters.open(url, key_prefix=prefix, **options)

    counters = await RedisCounters.open(url, key_prefix=prefix)
    h = Harness(counters, "redis", None, another_process)
    try:
        yield h
    finally:
        for port in [*h.opened, counters]:
            await port.close()
        raw = aioredis.Redis.from_url(url)
        try:
            keys = [key async for key in raw.scan_iter(match=f"{prefix}*")]
            if keys:
                await raw.delete(*keys)
        finally:
            await raw.aclose()


async def take(subscription: Subscription, count: int) -> list[bytes]:
    received: list[bytes] = []
    async with asyncio.timeout(REAL_WAIT_S):
        async for message in subscription:
            received.append(message)
            if len(received) == count:
                break
    return received


async def nothing_arrives(subscription: Subscription, within: float = 0.2) -> bool:
    try:
        async with asyncio.timeout(within):
            async for _ in subscription:
                return False
    except TimeoutError:
        return True
    return True


# -- integer counters ----------------------------------------------------------------------


async def test_engine_names_itself(harness: Harness) -> None:
    assert harness.counters.engine == harness.kind


async def test_missing_counter_reads_zero(harness: Harness) -> None:
    assert await harness.counters.get_int("plays") == 0


async def test_incr_returns_running_total(harness: Harness) -> None:
    c = harness.counters
    assert await c.incr("plays") == 1
    assert await c.incr("plays", 41) == 42
    assert await c.incr("plays", -2) == 40
    assert await c.get_int("plays") == 40


async def test_counters_are_independent(harness: Harness) -> None:
    c = harness.counters
    await c.incr("a", 3)
    await c.incr("b", 5)
    assert (await c.get_int("a"), await c.get_int("b")) == (3, 5)


async def test_concurrent_incr_loses_nothing(harness: Harness) -> None:
    c = harness.counters
    await asyncio.gather(*(c.incr("likes") for _ in range(200)))
    assert await c.get_int("likes") == 200


# -- hashes of numbers ---------------------------------------------------------------------


async def test_hincr_adds_floats_per_field(harness: Harness) -> None:
    c = harness.counters
    assert await c.hincr("watch", "web", 0.5) == 0.5
    assert await c.hincr("watch", "web", 0.25) == 0.75
    assert await c.hincr("watch", "tv") == 1.0
    assert await c.hgetall("watch") == {"web": 0.75, "tv": 1.0}


async def test_hincr_many_adds_every_field(harness: Harness) -> None:
    c = harness.counters
    await c.hincr("stats", "plays", 1)
    await c.hincr_many("stats", {"plays": 2, "seconds": 30.5, "完成": 1})
    assert await c.hgetall("stats") == {"plays": 3.0, "seconds": 30.5, "完成": 1.0}


async def test_hincr_many_with_nothing_creates_nothing(harness: Harness) -> None:
    c = harness.counters
    await c.hincr_many("stats", {})
    assert await c.hgetall("stats") == {}
    assert await c.delete("stats") == 0


async def test_hgetall_of_missing_hash_is_empty(harness: Harness) -> None:
    assert await harness.counters.hgetall("nothing") == {}


async def test_htake_returns_and_clears(harness: Harness) -> None:
    c = harness.counters
    await c.hincr_many("pending", {"a": 2, "b": 1.5})
    assert await c.htake("pending") == {"a": 2.0, "b": 1.5}
    assert await c.hgetall("pending") == {}
    assert await c.htake("pending") == {}
    await c.hincr("pending", "a")
    assert await c.hgetall("pending") == {"a": 1.0}


async def test_htake_never_loses_a_concurrent_increment(harness: Harness) -> None:
    c = harness.counters
    takes: list[dict[str, float]] = []

    async def flush() -> None:
        takes.append(await c.htake("pending"))

    tasks: list[Awaitable[object]] = []
    for i in range(200):
        tasks.append(c.hincr("pending", "views", 1))
        if i % 20 == 10:
            tasks.append(flush())
    await asyncio.gather(*tasks)
    taken = sum(t.get("views", 0) for t in takes)
    remaining = (await c.hgetall("pending")).get("views", 0)
    assert len(takes) == 10
    assert taken + remaining == 200


async def test_htake_sees_hincr_many_whole(harness: Harness) -> None:
    # A flush must never split one heartbeat's figures between two roll-ups.
    c = harness.counters
    takes: list[dict[str, float]] = []

    async def flush() -> None:
        takes.append(await c.htake("pending"))

    tasks: list[Awaitable[object]] = []
    for i in range(60):
        tasks.append(c.hincr_many("pending", {"plays": 1, "seconds": 15}))
        if i % 6 == 3:
            tasks.append(flush())
    await asyncio.gather(*tasks)
    takes.append(await c.htake("pending"))
    for taken in takes:
        assert taken.get("seconds", 0) == 15 * taken.get("plays", 0)
    assert sum(t.get("plays", 0) for t in takes) == 60


# -- unique counts -------------------------------------------------------------------------


async def test_unique_count_of_missing_set_is_zero(harness: Harness) -> None:
    assert await harness.counters.unique_count("viewers") == 0


async def test_unique_small_set_is_exact(harness: Harness) -> None:
    c = harness.counters
    members = [f"viewer-{i}" for i in range(10)]
    assert all([await c.unique_add("viewers", m) for m in members])
    assert not any([await c.unique_add("viewers", m) for m in members])
    assert await c.unique_count("viewers") == 10


async def test_unique_thousand_members_within_two_percent(harness: Harness) -> None:
    c = harness.counters
    for i in range(1000):
        await c.unique_add("viewers", f"device-{i}")
    for i in range(0, 1000, 3):
        await c.unique_add("viewers", f"device-{i}")
    count = await c.unique_count("viewers")
    assert abs(count - 1000) <= 20
    if harness.kind == "memory":
        assert count == 1000


async def add_all(c: Counters, key: str, members: list[str]) -> int:
    """Add ``members`` concurrently (200 in flight); how many were reported new."""
    new = 0
    for start in range(0, len(members), 200):
        batch = members[start : start + 200]
        new += sum(await asyncio.gather(*(c.unique_add(key, m) for m in batch)))
    return new


async def test_five_thousand_ids_over_a_hundred_keys_are_counted_exactly(
    harness: Harness,
) -> None:
    c = harness.counters
    # 50 distinct devices per key; every device also appears under its neighbour key, so each
    # key is asked about 100 ids of which 50 are its own and 50 repeat across keys.
    ids = [f"device-{i:05d}" for i in range(5000)]
    for k in range(100):
        own = ids[k * 50 : (k + 1) * 50]
        assert await add_all(c, f"uv:{k}", own) == 50
        assert await add_all(c, f"uv:{k}", own) == 0  # repeats are never new
    for k in range(100):
        assert await add_all(c, f"uv:{(k + 1) % 100}", ids[k * 50 : (k + 1) * 50]) == 50
    counts = [await c.unique_count(f"uv:{k}") for k in range(100)]
    assert counts == [100] * 100


async def test_a_count_is_exact_up_to_the_limit(harness: Harness) -> None:
    c = harness.counters
    members = [f"viewer-{i}" for i in range(UNIQUE_EXACT_LIMIT)]
    assert await add_all(c, "uv", members) == UNIQUE_EXACT_LIMIT
    assert await c.unique_count("uv") == UNIQUE_EXACT_LIMIT
    assert await add_all(c, "uv", members[:500]) == 0


async def test_a_key_past_the_limit_is_estimated_within_one_percent(harness: Harness) -> None:
    c = harness.counters
    total = 3 * UNIQUE_EXACT_LIMIT
    await add_all(c, "uv", [f"viewer-{i}" for i in range(total)])
    await add_all(c, "uv", [f"viewer-{i}" for i in range(0, total, 7)])  # repeats add nothing
    count = await c.unique_count("uv")
    assert abs(count - total) <= total // 100
    if harness.kind == "memory":
        assert count == total


async def test_two_processes_adding_the_same_ids_count_each_once(harness: Harness) -> None:
    first, second = harness.counters, await harness.peer()
    ids = [f"device-{i}" for i in range(3000)]
    # Both add every id at once, in opposite orders; each id is new to exactly one of them.
    new = await asyncio.gather(add_all(first, "uv", ids), add_all(second, "uv", ids[::-1]))
    assert sum(new) == 3000
    assert await first.unique_count("uv") == await second.unique_count("uv") == 3000


async def test_two_processes_crossing_the_limit_at_once_switch_once(harness: Harness) -> None:
    first, second = harness.counters, await harness.peer()
    ids = [f"device-{i}" for i in range(UNIQUE_EXACT_LIMIT + 2000)]
    await asyncio.gather(add_all(first, "uv", ids), add_all(second, "uv", ids[::-1]))
    count = await second.unique_count("uv")
    assert abs(count - len(ids)) <= len(ids) // 100
    # Nothing added around the switch was lost or doubled: adding them all again adds nothing.
    assert await add_all(first, "uv", ids) == 0
    assert await first.unique_count("uv") == count


async def test_a_count_keeps_its_expiry_across_the_switch(harness: Harness) -> None:
    c = harness.counters
    await add_all(c, "uv", [f"viewer-{i}" for i in range(UNIQUE_EXACT_LIMIT)])
    await c.expire("uv", 1)
    assert await c.unique_add("uv", "one-past-the-limit")  # the switch, right after the expiry

    async def gone() -> bool:
        return await c.unique_count("uv") == 0

    assert await harness.after(2, gone)


async def test_unique_sets_are_independent(harness: Harness) -> None:
    c = harness.counters
    await c.unique_add("day1", "x")
    await c.unique_add("day2", "x")
    await c.unique_add("day2", "y")
    assert (await c.unique_count("day1"), await c.unique_count("day2")) == (1, 2)


# -- presence ------------------------------------------------------------------------------


async def test_presence_counts_members_seen_since(harness: Harness) -> None:
    c = harness.counters
    await c.presence_touch("online", "a", 100.0)
    await c.presence_touch("online", "b", 110.0)
    await c.presence_touch("online", "c", 120.5)
    assert await c.presence_count("online", 0) == 3
    assert await c.presence_count("online", 110.0) == 2  # "at or after"
    assert await c.presence_count("online", 120.6) == 0
    assert await c.presence_count("nobody", 0) == 0


async def test_presence_touch_again_moves_member_forward(harness: Harness) -> None:
    c = harness.counters
    await c.presence_touch("online", "a", 100.0)
    await c.presence_touch("online", "a", 130.0)
    assert await c.presence_count("online", 0) == 1
    assert await c.presence_count("online", 130.0) == 1


async def test_presence_late_old_touch_keeps_latest_sighting(harness: Harness) -> None:
    c = harness.counters
    await c.presence_touch("online", "a", 130.0)
    await c.presence_touch("online", "a", 100.0)
    assert await c.presence_count("online", 130.0) == 1


async def test_presence_prune_forgets_members_seen_before(harness: Harness) -> None:
    c = harness.counters
    for member, at in {"a": 100.0, "b": 110.0, "c": 120.0}.items():
        await c.presence_touch("online", member, at)
    assert await c.presence_prune("online", 110.0) == 1  # b, seen exactly at 110, stays
    assert await c.presence_count("online", 0) == 2
    assert await c.presence_prune("online", 110.0) == 0
    assert await c.presence_prune("online", 1000.0) == 2
    assert await c.presence_count("online", 0) == 0
    assert await c.presence_prune("nobody", 1000.0) == 0


# -- flags and expiry ----------------------------------------------------------------------


async def test_set_flag_only_when_absent(harness: Harness) -> None:
    c = harness.counters
    assert await c.set_flag("lock", 60, "worker-1") is True
    assert await c.set_flag("lock", 60, "worker-2") is False
    assert await c.get_flag("lock") == "worker-1"


async def test_get_flag_of_missing_key_is_none(harness: Harness) -> None:
    assert await harness.counters.get_flag("nothing") is None


async def test_flag_keeps_text_value(harness: Harness) -> None:
    c = harness.counters
    assert await c.set_flag("pin", 60, "欢迎来到文化云") is True
    assert await c.get_flag("pin") == "欢迎来到文化云"


async def test_flag_expires_and_can_be_set_again(harness: Harness) -> None:
    c = harness.counters
    assert await c.set_flag("dedupe", 1)
    assert await c.get_flag("dedupe") == "1"

    async def gone() -> bool:
        return await c.get_flag("dedupe") is None

    assert await harness.after(1, gone)
    assert await c.set_flag("dedupe", 60, "again") is True
    assert await c.get_flag("dedupe") == "again"


async def test_flag_is_present_until_its_ttl(harness: Harness) -> None:
    c = harness.counters
    await c.set_flag("window", 30)
    if harness.clock is not None:
        harness.clock.advance(29.9)
    assert await c.get_flag("window") == "1"
    assert await c.set_flag("window", 30) is False


async def test_set_value_replaces_and_reads_back(harness: Harness) -> None:
    c = harness.counters
    await c.set_value("state", '{"v": 1, "名": "评书"}', 60)
    assert await c.get_flag("state") == '{"v": 1, "名": "评书"}'
    await c.set_value("state", '{"v": 2}', 60)
    assert await c.get_flag("state") == '{"v": 2}'


async def test_set_value_expires(harness: Harness) -> None:
    c = harness.counters
    await c.set_value("short", "x", 1)

    async def gone() -> bool:
        return await c.get_flag("short") is None

    assert await harness.after(1, gone)


async def test_swap_value_only_when_absent_with_none(harness: Harness) -> None:
    c = harness.counters
    assert await c.swap_value("s", None, "first", 60) is True
    assert await c.swap_value("s", None, "second", 60) is False
    assert await c.get_flag("s") == "first"


async def test_swap_value_only_from_the_expected_value(harness: Harness) -> None:
    c = harness.counters
    await c.set_value("s", "a", 60)
    assert await c.swap_value("s", "b", "c", 60) is False
    assert await c.get_flag("s") == "a"
    assert await c.swap_value("s", "a", "c", 60) is True
    assert await c.get_flag("s") == "c"
    # A missing key is not any expected text.
    assert await c.swap_value("missing", "a", "c", 60) is False
    assert await c.get_flag("missing") is None


async def test_swap_value_renews_the_ttl(harness: Harness) -> None:
    c = harness.counters
    await c.set_value("s", "a", 2)
    if harness.clock is not None:
        harness.clock.advance(1.5)
    assert await c.swap_value("s", "a", "b", 60) is True
    if harness.clock is not None:
        harness.clock.advance(1.5)
    assert await c.get_flag("s") == "b"


async def test_concurrent_swaps_from_one_value_let_exactly_one_win(harness: Harness) -> None:
    c = harness.counters
    peer = await harness.peer()
    await c.set_value("s", "0", 60)
    results = await asyncio.gather(
        *(port.swap_value("s", "0", f"by-{i}", 60) for i, port in enumerate([c, peer] * 10))
    )
    assert results.count(True) == 1
    assert (await c.get_flag("s") or "").startswith("by-")


async def test_swap_value_on_another_kind_is_a_storage_error(harness: Harness) -> None:
    c = harness.counters
    await c.hincr("hash", "f")
    with pytest.raises(StorageError):
        await c.swap_value("hash", "x", "y", 60)
    assert await c.hgetall("hash") == {"f": 1.0}


async def test_set_value_replaces_a_key_of_any_kind(harness: Harness) -> None:
    c = harness.counters
    await c.hincr("hash", "f")
    await c.set_value("hash", "text", 60)
    assert await c.get_flag("hash") == "text"


async def test_expire_applies_to_every_kind(harness: Harness) -> None:
    c = harness.counters
    await c.incr("counter")
    await c.hincr("hash", "f")
    await c.unique_add("unique", "m")
    await c.presence_touch("presence", "m", 100.0)
    for key in ("counter", "hash", "unique", "presence"):
        await c.expire(key, 1)
    assert await c.get_int("counter") == 1  # not yet

    async def all_gone() -> bool:
        return (
            await c.get_int("counter") == 0
            and await c.hgetall("hash") == {}
            and await c.unique_count("unique") == 0
            and await c.presence_count("presence", 0) == 0
        )

    assert await harness.after(1, all_gone)
    assert await c.delete("counter", "hash", "unique", "presence") == 0


async def test_expire_of_missing_key_creates_nothing(harness: Harness) -> None:
    c = harness.counters
    await c.expire("nothing", 60)
    assert await c.get_flag("nothing") is None
    assert await c.delete("nothing") == 0


@pytest.mark.parametrize("ttl_s", [0, -1])
async def test_ttl_must_be_at_least_one_second(harness: Harness, ttl_s: int) -> None:
    c = harness.counters
    with pytest.raises(ValueError, match="ttl_s"):
        await c.set_flag("flag", ttl_s)
    await c.incr("counter")
    with pytest.raises(ValueError, match="ttl_s"):
        await c.expire("counter", ttl_s)
    assert await c.get_flag("flag") is None
    assert await c.get_int("counter") == 1


# -- any key -------------------------------------------------------------------------------


async def test_delete_counts_only_existing_keys(harness: Harness) -> None:
    c = harness.counters
    await c.incr("counter")
    await c.hincr("hash", "f")
    await c.unique_add("unique", "m")
    await c.presence_touch("presence", "m", 1.0)
    await c.set_flag("flag", 60)
    assert await c.delete("counter", "hash", "missing", "unique", "presence", "flag") == 5
    assert await c.delete("counter") == 0
    assert await c.delete() == 0
    assert await c.get_int("counter") == 0
    assert await c.get_flag("flag") is None


async def test_key_used_as_another_kind_is_a_storage_error(harness: Harness) -> None:
    c = harness.counters
    await c.hincr("hash", "f")
    with pytest.raises(StorageError):
        await c.incr("hash")
    with pytest.raises(StorageError):
        await c.unique_add("hash", "m")
    assert await c.hgetall("hash") == {"f": 1.0}


# -- pub/sub -------------------------------------------------------------------------------


async def test_every_subscriber_receives_in_order(harness: Harness) -> None:
    c = harness.counters
    first = await c.subscribe("room:1")
    second = await c.subscribe("room:1")
    messages = [f"m{i}".encode() for i in range(50)]
    for message in messages:
        await c.publish("room:1", message)
    assert await take(first, 50) == messages
    assert await take(second, 50) == messages


async def test_message_published_before_subscribe_is_not_received(harness: Harness) -> None:
    c = harness.counters
    await c.publish("room:1", b"early")
    subscription = await c.subscribe("room:1")
    await c.publish("room:1", b"late")
    assert await take(subscription, 1) == [b"late"]


async def test_channels_are_separate(harness: Harness) -> None:
    c = harness.counters
    one = await c.subscribe("room:1")
    two = await c.subscribe("room:2")
    await c.publish("room:2", b"for two")
    await c.publish("room:1", b"for one")
    assert await take(one, 1) == [b"for one"]
    assert await take(two, 1) == [b"for two"]


async def test_publish_without_subscribers_is_fine(harness: Harness) -> None:
    await harness.counters.publish("empty", b"x")
    assert await harness.counters.get_int("empty") == 0  # pub/sub leaves no key behind


async def test_binary_messages_arrive_unchanged(harness: Harness) -> None:
    c = harness.counters
    subscription = await c.subscribe("bin")
    payload = bytes(range(256)) + "弹幕".encode()
    await c.publish("bin", payload)
    assert await take(subscription, 1) == [payload]


async def test_message_from_another_process_arrives(harness: Harness) -> None:
    c = harness.counters
    other = await harness.peer()
    here = await c.subscribe("room:1")
    there = await other.subscribe("room:1")
    await other.publish("room:1", b"from api 2")
    await c.publish("room:1", b"from api 1")
    assert await take(here, 2) == [b"from api 2", b"from api 1"]
    assert await take(there, 2) == [b"from api 2", b"from api 1"]


async def test_close_ends_iteration_of_a_waiting_reader(harness: Harness) -> None:
    c = harness.counters
    subscription = await c.subscribe("room:1")
    received: list[bytes] = []
    first = asyncio.Event()

    async def read_all() -> None:
        async for message in subscription:
            received.append(message)
            first.set()

    reader = asyncio.create_task(read_all())
    await c.publish("room:1", b"hello")
    async with asyncio.timeout(REAL_WAIT_S):
        await first.wait()
    await subscription.close()
    async with asyncio.timeout(REAL_WAIT_S):
        await reader
    assert received == [b"hello"]
    await c.publish("room:1", b"after close")
    assert [m async for m in subscription] == []


async def test_closed_subscription_receives_nothing_more(harness: Harness) -> None:
    c = harness.counters
    gone = await c.subscribe("room:1")
    stays = await c.subscribe("room:1")
    await gone.close()
    await gone.close()  # closing twice is harmless
    await c.publish("room:1", b"x")
    assert await take(stays, 1) == [b"x"]
    assert [m async for m in gone] == []


async def test_slow_subscriber_keeps_the_newest_messages(harness: Harness) -> None:
    port = await harness.peer(subscriber_buffer=3)
    subscription = await port.subscribe("room:1")
    for i in range(10):
        await port.publish("room:1", f"m{i}".encode())
    # The drop count is how a slow subscriber is observed; Redis delivers asynchronously.
    dropped = cast("MemorySubscription | RedisSubscription", subscription)

    async def all_dropped() -> bool:
        return dropped.dropped == 7

    assert await harness.after(0, all_dropped)
    assert await take(subscription, 3) == [b"m7", b"m8", b"m9"]


async def test_close_of_port_ends_its_subscriptions(harness: Harness) -> None:
    port = await harness.peer(subscriber_buffer=10)
    subscription = await port.subscribe("room:1")
    await port.close()
    async with asyncio.timeout(REAL_WAIT_S):
        assert [m async for m in subscription] == []


# -- health --------------------------------------------------------------------------------


async def test_ping_answers(harness: Harness) -> None:
    await harness.counters.ping()


async def test_closed_port_is_unavailable_at_once(harness: Harness) -> None:
    port = await harness.peer(subscriber_buffer=10)
    await port.incr("x")
    await port.close()
    await port.close()  # closing twice is harmless
    calls: list[Callable[[], Awaitable[object]]] = [
        port.ping,
        lambda: port.incr("x"),
        lambda: port.get_int("x"),
        lambda: port.hincr("h", "f"),
        lambda: port.htake("h"),
        lambda: port.set_flag("f", 1),
        lambda: port.publish("c", b"x"),
        lambda: port.subscribe("c"),
    ]
    loop = asyncio.get_running_loop()
    started = loop.time()
    for call in calls:
        with pytest.raises(EngineUnavailable):
            await call()
    assert loop.time() - started < 0.5
    if harness.kind == "redis":
        # Only that process's port closed; the state other processes share is intact.
        assert await harness.counters.get_int("x") == 1


# -- Redis only ----------------------------------------------------------------------------


async def test_redis_unreachable_is_engine_unavailable_quickly() -> None:
    url = f"redis://127.0.0.1:{engines.free_port()}/0"
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(EngineUnavailable):
        await RedisCounters.open(url)
    assert loop.time() - started < 3.0


async def test_redis_prefixes_isolate_ports(redis_url: str) -> None:
    one = await RedisCounters.open(redis_url, key_prefix=f"cc-test:{uuid.uuid4().hex}:")
    two = await RedisCounters.open(redis_url, key_prefix=f"cc-test:{uuid.uuid4().hex}:")
    raw = aioredis.Redis.from_url(redis_url)
    try:
        await one.incr("plays", 5)
        sub_two = await two.subscribe("room")
        await one.publish("room", b"not for two")
        assert await two.get_int("plays") == 0
        assert await nothing_arrives(sub_two)
        assert await raw.get(f"{one.key_prefix}plays") == b"5"
    finally:
        await one.delete("plays")
        await one.close()
        await two.close()
        await raw.aclose()


async def test_redis_closed_subscription_leaves_the_channel(redis_url: str) -> None:
    port = await RedisCounters.open(redis_url, key_prefix=f"cc-test:{uuid.uuid4().hex}:")
    raw = aioredis.Redis.from_url(redis_url)
    channel = f"{port.key_prefix}room"
    try:
        subscription = await port.subscribe("room")
        assert await raw.pubsub_numsub(channel) == [(channel.encode(), 1)]
        await subscription.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REAL_WAIT_S
        while await raw.pubsub_numsub(channel) != [(channel.encode(), 0)]:
            assert loop.time() < deadline, "redis still lists the closed subscriber"
            await asyncio.sleep(0.02)
    finally:
        await port.close()
        await raw.aclose()


async def test_redis_subscription_survives_a_dropped_connection(redis_url: str) -> None:
    port = await RedisCounters.open(redis_url, key_prefix=f"cc-test:{uuid.uuid4().hex}:")
    raw = aioredis.Redis.from_url(redis_url)

    async def pubsub_clients() -> set[int]:
        return {int(c["id"]) for c in await raw.client_list(_type="pubsub")}

    try:
        before = await pubsub_clients()
        subscription = await port.subscribe("room")
        (ours,) = await pubsub_clients() - before
        await raw.client_kill_filter(_id=str(ours))
        # Messages sent while the reader reconnects are lost (at most once); keep sending until
        # the resubscribed connection delivers one.
        messages = aiter(subscription)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REAL_WAIT_S
        received = None
        while received is None and loop.time() < deadline:
            await port.publish("room", b"still there?")
            try:
                async with asyncio.timeout(0.1):
                    received = await anext(messages)
            except TimeoutError:
                pass
        assert received == b"still there?"
        assert ours not in await pubsub_clients()
    finally:
        await port.close()
        await raw.aclose()


async def test_redis_a_burst_of_swaps_shares_one_connection(redis_url: str) -> None:
    # Heartbeats arrive in bursts; their swaps go to Redis together, not one pool connection
    # (and one round trip) each.
    port = await RedisCounters.open(redis_url, key_prefix=f"cc-test:{uuid.uuid4().hex}:")
    raw = aioredis.Redis.from_url(redis_url)
    try:
        for i in range(300):
            await port.set_value(f"s{i}", "0", 60)
        before = len(await raw.client_list())
        answers = await asyncio.gather(
            *(port.swap_value(f"s{i}", "0", "1", 60) for i in range(300)),
            *(port.swap_value(f"s{i}", "0", "2", 60) for i in range(300)),
        )
        # Within the burst the first swap of each key wins and the second saw its write.
        assert answers == [True] * 300 + [False] * 300
        assert {await port.get_flag(f"s{i}") for i in range(300)} == {"1"}
        assert len(await raw.client_list()) == before
    finally:
        await port.delete(*(f"s{i}" for i in range(300)))
        await port.close()
        await raw.aclose()


async def test_redis_swaps_recover_from_a_flushed_script_cache(redis_url: str) -> None:
    port = await RedisCounters.open(redis_url, key_prefix=f"cc-test:{uuid.uuid4().hex}:")
    raw = aioredis.Redis.from_url(redis_url)
    try:
        await port.set_value("a", "0", 60)
        await port.set_value("b", "0", 60)
        assert await port.swap_value("a", "0", "1", 60) is True
        await raw.script_flush()  # as after a Redis restart
        assert await asyncio.gather(
            port.swap_value("a", "1", "2", 60), port.swap_value("b", "x", "2", 60)
        ) == [True, False]
        assert (await port.get_flag("a"), await port.get_flag("b")) == ("2", "0")
    finally:
        await port.delete("a", "b")
        await port.close()
        await raw.aclose()


async def test_redis_a_crowd_s_commands_share_round_trips_and_each_gets_its_answer(
    redis_url: str,
) -> None:
    # A show's crowd starts its plays at once: each play's counters go to Redis together with
    # the others' (one pipeline per loop turn), not one round trip each.
    port = await RedisCounters.open(redis_url, key_prefix=f"cc-test:{uuid.uuid4().hex}:")
    raw = aioredis.Redis.from_url(redis_url)
    try:
        await port.set_value("x", "0", 60)
        connections = len(await raw.client_list())

        async def incrs() -> int:
            return int((await raw.info("commandstats"))["cmdstat_incrby"]["calls"])

        await port.incr("warm-up")
        before = await incrs()

        async def play(n: int) -> tuple[int, str | None, bool]:
            total = await port.incr("plays")
            await port.set_value(f"p{n}", f"viewer {n}", 60)
            return total, await port.get_flag(f"p{n}"), await port.swap_value("x", "0", "1", 60)

        answers = await asyncio.gather(*(play(n) for n in range(200)))
        assert sorted(total for total, _, _ in answers) == list(range(1, 201))
        assert [flag for _, flag, _ in answers] == [f"viewer {n}" for n in range(200)]
        assert [won for _, _, won in answers].count(True) == 1
        assert await port.get_int("plays") == 200
        assert await incrs() == before + 200
        assert len(await raw.client_list()) == connections
        # A flushed script cache resends only the swaps of a batch, never its INCRs.
        await raw.script_flush()
        results = await asyncio.gather(port.incr("plays"), port.swap_value("x", "1", "2", 60))
        assert results == [201, True]
        assert await incrs() == before + 201
    finally:
        await port.delete("x", "plays", "warm-up", *(f"p{n}" for n in range(200)))
        await port.close()
        await raw.aclose()


async def test_redis_gone_fails_every_swap_of_a_burst(tmp_path: Path) -> None:
    with engines.redis_server(tmp_path / "redis") as url:
        port = await RedisCounters.open(url)
        await port.set_value("a", "0", 60)
    # The server is stopped: each waiting caller gets the error, none waits forever.
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        answers = await asyncio.gather(
            *(port.swap_value("a", "0", str(i), 60) for i in range(20)), return_exceptions=True
        )
        assert all(isinstance(a, EngineUnavailable) for a in answers), answers
        assert loop.time() - started < 10.0
    finally:
        await port.close()
