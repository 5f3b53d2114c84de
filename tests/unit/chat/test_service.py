"""The chat service without sockets: likes batched per tick, viewer counts across processes,
status and visibility checks, the periodic schedule — on SQLite and the memory counters (the
embedded engines), a recording emitter and a clock the test moves."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from culturecast.chat.access import EventView
from culturecast.chat.policy import CommentPolicy, PolicyConfig
from culturecast.chat.service import ChatConfig, ChatService, room_name
from culturecast.chat.store import INDEXES, ChatStore
from culturecast.core.access import Caller
from culturecast.storage.counters.memory import MemoryCounters
from culturecast.storage.database.sqlite import SQLiteDatabase

ORG = "org-county"
EVENT = "ev-1"


class Clock:
    def __init__(self, now: float = 1_760_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True)
class User:
    user_id: str
    username: str
    role: str
    org_id: str | None


@dataclass
class Events:
    """The live events chat reads (the live package's side of the port), as a table."""

    table: dict[str, EventView] = field(default_factory=dict)

    async def get(self, event_id: str) -> EventView | None:
        return self.table.get(event_id)

    def may_see(self, caller: Caller | None, event: EventView) -> bool:
        if event.public:
            return True
        return caller is not None and (
            caller.role == "platform_admin" or caller.org_id in event.org_path
        )

    def put(self, status: str = "live", *, public: bool = True, event_id: str = EVENT) -> None:
        self.table[event_id] = EventView(
            event_id, ORG, (ORG, "org-province"), status, started_at=0.0, public=public
        )


@dataclass
class Identities:
    tokens: dict[str, User] = field(default_factory=dict)

    async def caller_from_token(self, token: str) -> Caller | None:
        return self.tokens.get(token)

    async def guest_chat(self, org_id: str) -> bool:
        return True


@dataclass
class Emitted:
    event: str
    data: Any
    to: str | None
    local: bool


@dataclass
class Recorder:
    """The Socket.IO side: what was emitted, and to whom."""

    out: list[Emitted] = field(default_factory=list)
    rooms: dict[str, set[str]] = field(default_factory=dict)

    async def emit(
        self, event: str, data: Any, *, to: str | None = None, local: bool = False
    ) -> None:
        self.out.append(Emitted(event, data, to, local))

    async def enter_room(self, sid: str, room: str) -> None:
        self.rooms.setdefault(room, set()).add(sid)

    async def leave_room(self, sid: str, room: str) -> None:
        self.rooms.get(room, set()).discard(sid)

    def to_room(self, event: str, event_id: str = EVENT) -> list[Any]:
        return [e.data for e in self.out if e.event == event and e.to == room_name(event_id)]

    def to_socket(self, event: str, sid: str) -> list[Any]:
        return [e.data for e in self.out if e.event == event and e.to == sid]

    def clear(self) -> None:
        self.out.clear()


@dataclass
class Timelines:
    """The live package's media timelines (``core/mediatime.py``), as a table."""

    table: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    async def media_timeline(self, event_id: str) -> list[tuple[float, float]] | None:
        return self.table.get(event_id)


@dataclass
class World:
    clock: Clock
    counters: MemoryCounters
    database: SQLiteDatabase
    events: Events
    identities: Identities

    def service(
        self, config: ChatConfig | None = None, timelines: Timelines | None = None
    ) -> tuple[ChatService, Recorder]:
        """One api process's chat (several share the counters, as processes share Redis)."""
        emitter = Recorder()
        service = ChatService(
            store=ChatStore(self.database),
            events=self.events,
            identities=self.identities,
            counters=self.counters,
            policy=CommentPolicy(PolicyConfig()),
            emitter=emitter,
            clock=self.clock,
            config=config or ChatConfig(),
            timelines=timelines,
        )
        return service, emitter


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock = Clock()
    database = await SQLiteDatabase.open(tmp_path / "chat.sqlite")
    await database.ensure_indexes(INDEXES)
    events = Events()
    events.put()
    try:
        yield World(clock, MemoryCounters(clock), database, events, Identities())
    finally:
        await database.close()


async def guest(service: ChatService, sid: str, name: str = "看客") -> None:
    await service.connect(sid, "203.0.113.7", {"guest": name})
    ack = await service.handle(sid, "join", {"event_id": EVENT})
    assert ack["ok"], ack


# -- likes ----------------------------------------------------------------------------------


async def test_likes_are_pushed_once_per_tick_with_the_room_total(world: World) -> None:
    service, out = world.service()
    await guest(service, "liker")
    await guest(service, "watcher")
    assert out.to_socket("likes", "watcher") == [{"count": 0}]
    for _ in range(10):
        assert (await service.handle("liker", "like", None))["ok"]
    assert (await service.handle("liker", "like", {"count": 5}))["ok"]
    assert out.to_room("likes") == []  # nothing is pushed between ticks
    await service.flush_likes()
    assert out.to_room("likes") == [{"count": 15}]
    await service.flush_likes()
    assert out.to_room("likes") == [{"count": 15}]  # unchanged: not pushed again
    assert await world.counters.get_int(f"chat:likes:{EVENT}") == 15
    await guest(service, "late")
    assert out.to_socket("likes", "late") == [{"count": 15}]


async def test_the_first_push_is_the_first_change_not_the_count_each_join_was_told(
    world: World,
) -> None:
    await world.counters.incr(f"chat:likes:{EVENT}", 7)
    service, out = world.service()
    await guest(service, "a")
    assert out.to_socket("likes", "a") == [{"count": 7}]
    await service.flush_likes()
    assert out.to_room("likes") == []


async def test_likes_of_another_process_reach_this_room_at_its_next_tick(world: World) -> None:
    one, out_one = world.service()
    two, out_two = world.service()
    await guest(one, "a")
    await guest(two, "b")
    assert (await two.handle("b", "like", {"count": 3}))["ok"]
    await two.flush_likes()
    assert out_two.to_room("likes") == [{"count": 3}]
    await one.flush_likes()
    assert out_one.to_room("likes") == [{"count": 3}]
    # Each process pushes to its own sockets only; the counters carry the total between them.
    pushes = [e for e in out_one.out + out_two.out if e.to == room_name(EVENT)]
    assert pushes
    assert all(e.local for e in pushes)


async def test_a_socket_likes_at_most_its_rate_and_is_told_when_to_retry(world: World) -> None:
    service, _ = world.service(ChatConfig(like_rate=10.0, like_burst=30.0))
    await guest(service, "liker")
    for _ in range(30):
        assert (await service.handle("liker", "like", None))["ok"]
    refused = await service.handle("liker", "like", None)
    assert refused["code"] == "rate_limited"
    assert refused["retry_after"] == pytest.approx(0.1)
    world.clock.advance(0.11)  # one token back (10 a second)
    assert (await service.handle("liker", "like", None))["ok"]
    assert (await service.handle("liker", "like", None))["code"] == "rate_limited"


async def test_likes_are_refused_once_the_show_ended(world: World) -> None:
    world.events.put("ended")
    service, out = world.service()
    await guest(service, "liker")
    ack = await service.handle("liker", "like", None)
    assert ack["code"] == "not_live"
    assert out.to_socket("refused", "liker")[-1]["code"] == "not_live"


async def test_the_likes_of_a_room_left_empty_are_kept(world: World) -> None:
    service, _ = world.service()
    await guest(service, "liker")
    assert (await service.handle("liker", "like", {"count": 4}))["ok"]
    await service.disconnect("liker")
    assert await world.counters.get_int(f"chat:likes:{EVENT}") == 4


# -- viewers --------------------------------------------------------------------------------


async def test_viewer_counts_count_out_a_socket_that_left(world: World) -> None:
    service, out = world.service()
    for sid in ("a", "b", "c"):
        await guest(service, sid)
    assert out.to_socket("viewers", "c") == [{"count": 3}]
    await service.disconnect("c")
    await service.push_viewers()
    assert out.to_room("viewers") == [{"count": 2}]


async def test_viewers_are_summed_over_processes_until_one_stops_reporting(world: World) -> None:
    config = ChatConfig(presence_ttl=15)
    one, out_one = world.service(config)
    two, _ = world.service(config)
    await guest(one, "a")
    await guest(one, "b")
    await guest(two, "c")
    await two.push_viewers()  # two reports itself alive
    await one.push_viewers()
    assert out_one.to_room("viewers") == [{"count": 3}]
    # Process two dies without a goodbye: its flag runs out after the presence TTL.
    world.clock.advance(10)
    await one.push_viewers()
    assert out_one.to_room("viewers")[-1] == {"count": 3}
    world.clock.advance(6)
    await one.push_viewers()
    assert out_one.to_room("viewers")[-1] == {"count": 2}


async def test_a_process_that_stops_is_counted_out_at_once(world: World) -> None:
    one, out_one = world.service()
    two, _ = world.service()
    await guest(one, "a")
    await guest(two, "b")
    await two.push_viewers()
    await one.push_viewers()
    assert out_one.to_room("viewers") == [{"count": 2}]
    await two.stop()
    await one.push_viewers()
    assert out_one.to_room("viewers")[-1] == {"count": 1}


async def test_the_viewers_push_tells_the_room_when_the_show_ended(world: World) -> None:
    service, out = world.service()
    await guest(service, "a")
    assert out.to_socket("chat_state", "a")[-1]["open"] is True
    world.events.put("ended")
    await service.push_viewers()
    assert out.to_room("chat_state") == [
        {"open": False, "live": False, "closed": False, "slow_mode": 0, "guests": True}
    ]
    assert (await service.handle("a", "send", {"text": "还在吗"}))["code"] == "not_live"


async def test_the_viewers_push_sends_the_public_away_from_an_unpublished_show(
    world: World,
) -> None:
    world.identities.tokens["staff"] = User("u-staff", "馆员", "editor", ORG)
    service, out = world.service()
    await guest(service, "public")
    await service.connect("editor", "203.0.113.8", {"token": "staff"})
    assert (await service.handle("editor", "join", {"event_id": EVENT}))["ok"]
    world.events.put(public=False)
    await service.push_viewers()
    refused = out.to_socket("refused", "public")
    assert [(r["code"], r["request"]) for r in refused] == [("not_found", "join")]
    assert out.rooms[room_name(EVENT)] == {"editor"}
    assert (await service.handle("public", "send", {"text": "你好"}))["code"] == "not_joined"


# -- sanctions ------------------------------------------------------------------------------


async def test_mutes_and_timed_bans_run_out_and_a_ban_without_seconds_holds(world: World) -> None:
    world.identities.tokens["staff"] = User("u-staff", "馆员", "editor", ORG)
    service, _ = world.service()
    await service.connect("mod", "203.0.113.8", {"token": "staff"})
    assert (await service.handle("mod", "join", {"event_id": EVENT}))["ok"]
    for sid in ("a", "b", "c"):
        await guest(service, sid, f"看客{sid}")
    assert (await service.handle("mod", "mute", {"user_id": "guest-a", "seconds": 10}))["ok"]
    assert (await service.handle("mod", "ban", {"user_id": "guest-b", "seconds": 5}))["ok"]
    ack = await service.handle("mod", "ban", {"user_id": "guest-c"})
    assert ack == {"ok": True, "until": None}
    sends = {sid: await service.handle(sid, "send", {"text": "你好"}) for sid in "abc"}
    assert [sends[sid].get("code") for sid in "abc"] == ["muted", "banned", "banned"]
    assert sends["a"]["retry_after"] == pytest.approx(10.0)
    assert "retry_after" not in sends["c"]
    world.clock.advance(20)
    settings = await service.store.load_room(EVENT, world.clock())
    assert (settings.muted, settings.banned) == ({}, {"guest-c": math.inf})
    sends = {sid: await service.handle(sid, "send", {"text": f"又来了{sid}"}) for sid in "abc"}
    assert [sends[sid].get("code") for sid in "abc"] == [None, None, "banned"]
    world.clock.advance(1e9)
    assert (await service.handle("c", "send", {"text": "还在吗"}))["code"] == "banned"


# -- the periodic schedule ------------------------------------------------------------------


class Ticks:
    """An injected sleep: each call waits until the test lets one tick pass."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.delays: list[float] = []
        self._go = asyncio.Semaphore(0)
        self._asleep = asyncio.Event()

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        self._asleep.set()
        await self._go.acquire()
        self.clock.advance(delay)

    async def tick(self) -> None:
        """Let one sleep end and wait until the loop sleeps again (its round is done)."""
        self._asleep.clear()
        self._go.release()
        await self._asleep.wait()

    async def started(self) -> None:
        await self._asleep.wait()


async def test_likes_each_second_and_viewers_every_fifth_second(world: World) -> None:
    service, out = world.service(replace(ChatConfig(), likes_interval=1.0, viewers_interval=5.0))
    await guest(service, "a")
    await guest(service, "b")
    out.clear()
    ticks = Ticks(world.clock)
    task = asyncio.create_task(service.run(sleep=ticks))
    try:
        await ticks.started()
        for second in range(1, 11):
            assert (await service.handle("a", "like", None))["ok"]
            await ticks.tick()
            assert out.to_room("likes")[-1] == {"count": second}
            assert len(out.to_room("viewers")) == second // 5
        assert len(out.to_room("likes")) == 10
        assert out.to_room("viewers") == [{"count": 2}, {"count": 2}]
        assert set(ticks.delays) == {1.0}
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_a_moderation_console_is_not_counted_among_the_viewers(world: World) -> None:
    world.identities.tokens["mod"] = User("u-mod", "馆员", "platform_admin", None)
    service, out = world.service()
    for sid in ("a", "b"):
        await guest(service, sid)
    await service.connect("console", "203.0.113.9", {"token": "mod"})
    ack = await service.handle("console", "join", {"event_id": EVENT, "watching": False})
    assert ack["ok"], ack
    assert out.to_socket("viewers", "console") == [{"count": 2}]
    await service.push_viewers()
    assert out.to_room("viewers") == [{"count": 2}]
    await service.disconnect("console")
    await service.disconnect("a")
    out.clear()
    await service.push_viewers()
    assert out.to_room("viewers") == [{"count": 1}]
    assert (await service.handle("b", "join", {"event_id": EVENT, "watching": 1}))["ok"] is False


async def test_replay_comments_are_placed_at_the_media_time_of_a_slow_encoder(
    world: World,
) -> None:
    """Half speed: 2 s of media every 4 s of clock. A comment sent 16 s into the show is at
    8 s of the replay, and the replay's window [0, 6) holds those sent in the first 12 s."""
    world.events.table[EVENT] = replace(world.events.table[EVENT], started_at=world.clock.now)
    start = world.clock.now
    timelines = Timelines({EVENT: [(start + 4 * n, 2.0 * n) for n in range(1, 6)]})
    service, _ = world.service(timelines=timelines)
    await guest(service, "a")
    for n in range(1, 6):
        world.clock.advance(4)
        assert (await service.handle("a", "send", {"text": f"第{n}条"}))["ok"]
    everything = await service.replay(EVENT, 0, 3600)
    assert [(c["text"], c["offset_s"]) for c in everything] == [
        (f"第{n}条", 2.0 * n) for n in range(1, 6)
    ]
    assert [c["text"] for c in await service.replay(EVENT, 0, 6)] == ["第1条", "第2条"]
    # Without a timeline: the clock's offsets, as before.
    plain, _ = world.service()
    assert [c["offset_s"] for c in await plain.replay(EVENT, 0, 3600)] == [
        4.0 * n for n in range(1, 6)
    ]


async def test_slow_mode_tells_the_sender_how_many_seconds_are_left(world: World) -> None:
    world.identities.tokens["mod"] = User("u-mod", "馆员", "platform_admin", None)
    service, out = world.service()
    await service.connect("m", "203.0.113.9", {"token": "mod"})
    assert (await service.handle("m", "join", {"event_id": EVENT, "watching": False}))["ok"]
    assert (await service.handle("m", "slow", {"seconds": 30}))["ok"]
    await guest(service, "a")
    assert (await service.handle("a", "send", {"text": "讲得好"}))["ok"]
    world.clock.advance(10)
    refused = await service.handle("a", "send", {"text": "再来一段"})
    assert (refused["code"], refused["retry_after"]) == ("slow_mode", 20.0)
    assert out.to_socket("refused", "a")[-1]["retry_after"] == 20.0


# -- a crowd --------------------------------------------------------------------------------


async def test_a_crowd_joining_at_once_shares_the_event_read_and_gets_the_whole_history(
    world: World,
) -> None:
    speaker, _ = world.service()
    await guest(speaker, "speaker", "老张")
    assert (await speaker.handle("speaker", "send", {"text": "演出开始了"}))["ok"]
    reads = 0
    table_get = world.events.get

    async def counted_get(event_id: str) -> EventView | None:
        nonlocal reads
        reads += 1
        await asyncio.sleep(0)  # a round trip: the rest of the crowd asks meanwhile
        return await table_get(event_id)

    world.events.get = counted_get  # type: ignore[method-assign]
    service, out = world.service()
    crowd = [f"viewer-{n}" for n in range(30)]
    for n, sid in enumerate(crowd):
        await service.connect(sid, f"198.51.100.{n}", {"guest": f"观众{n}"})
    acks = await asyncio.gather(
        *(service.handle(sid, "join", {"event_id": EVENT}) for sid in crowd)
    )
    assert all(ack["ok"] for ack in acks)
    assert reads <= 2  # one read, and at most one more for who asked while it ran
    for sid in crowd:
        (history,) = out.to_socket("history", sid)
        assert [m["text"] for m in history] == ["演出开始了"]
