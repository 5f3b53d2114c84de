"""The ingest's live runtime without sockets and without a transcoder: publishes are admitted
or refused through :meth:`LiveRuntime.admit`, the publisher's FLV tags are handed to the
stream as the RTMP server would, and the transcoder is a stand-in executable that swallows its
input — the test writes into the run's spool directory what ffmpeg would. Engines: SQLite, the
local object store and the memory counters, with a clock the test moves (the grace timer sleeps
until the clock's deadline, so moving the clock past it ends the show at once).

The FLV bytes are real encoder output, made once with ffmpeg's lavfi sources (as
``test_source.py`` does)."""

from __future__ import annotations

import asyncio
import ipaddress
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from culturecast.core.categories import categories
from culturecast.live import playlist
from culturecast.live.admission import Refusal
from culturecast.live.playlist import Segment
from culturecast.live.rtmp import flv
from culturecast.live.runtime import LiveRuntime, RuntimeConfig, Stream
from culturecast.live.service import LiveService
from culturecast.live.sources.spec import PullForbidden, PullRefusedError
from culturecast.storage.counters.memory import MemoryCounters
from culturecast.storage.database.sqlite import SQLiteDatabase
from culturecast.storage.objects.local import LocalObjectStore
from culturecast.transcode.command import EncoderSettings
from culturecast.transcode.ladder import Ladder, Rung
from culturecast.transcode.progress import Progress

ORG = "org-county"
GRACE_S = 60.0

type Tag = tuple[int, int, bytes]


def flv_tags(data: bytes) -> list[Tag]:
    pos = 9 + 4
    tags = []
    while pos + 11 <= len(data):
        tag_type = data[pos]
        size = int.from_bytes(data[pos + 1 : pos + 4], "big")
        ts = int.from_bytes(data[pos + 4 : pos + 7], "big") | (data[pos + 7] << 24)
        tags.append((tag_type, ts, data[pos + 11 : pos + 11 + size]))
        pos += 11 + size + 4
    return tags


@pytest.fixture(scope="module")
def tags(tmp_path_factory: pytest.TempPathFactory) -> list[Tag]:
    out = tmp_path_factory.mktemp("flv") / "show.flv"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25",
         "-f", "lavfi", "-i", "sine=sample_rate=44100", "-t", "4", "-c:v", "libx264",
         "-preset", "ultrafast", "-g", "25", "-sc_threshold", "0", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-ac", "1", "-f", "flv", str(out)],
        check=True,
    )  # fmt: skip
    return flv_tags(out.read_bytes())


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Takes ffmpeg's place: reads its input until it is closed, writes nothing."""
    path = tmp_path_factory.mktemp("bin") / "ffmpeg-stand-in"
    path.write_text("#!/bin/sh\nexec cat > /dev/null\n")
    path.chmod(0o755)
    return path


class Clock:
    def __init__(self) -> None:
        self.now = 1_760_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True)
class Staff:
    user_id: str = "u-editor"
    role: str = "editor"
    org_id: str | None = ORG


class Authorizer:
    """The server's side of the live API: here every request is the county's editor's."""

    def authorize(self, caller: Any, action: str, org_path: list[str], what: str) -> None:
        return None

    def require_role(self, caller: Any, action: str) -> None:
        return None

    async def org_path(self, caller: Any, org_id: str, action: str) -> list[str]:
        return [org_id, "org-province"]


@dataclass
class Jobs:
    """The job queue port: what was queued."""

    queued: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)

    @property
    def engine(self) -> str:
        return "recording"

    async def enqueue(self, name: str, payload: Mapping[str, Any], job_id: str) -> bool:
        self.queued.append((name, dict(payload), job_id))
        return True

    async def ping(self) -> None:
        return None

    async def close(self, grace_s: float | None = None) -> None:
        return None


@dataclass
class Publisher:
    """What the RTMP server does for one admitted publish."""

    stream: Stream
    clock: Clock
    disconnects: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.stream.bind(lambda code, message: self.disconnects.append((code, message)))

    def send(self, tags: list[Tag]) -> None:
        seen: set[int] = set()
        for tag_type, timestamp, data in tags:
            if tag_type in (flv.TAG_VIDEO, flv.TAG_AUDIO) and tag_type not in seen:
                # The connection names each codec before its first tag.
                seen.add(tag_type)
                kind = "video" if tag_type == flv.TAG_VIDEO else "audio"
                codec = flv.video_codec(data) if kind == "video" else flv.audio_codec(data)
                assert codec is not None
                assert self.stream.check_codec(kind, codec) is None
            self.stream.on_bytes(len(data) + 11, self.clock())
            self.stream.on_tag(tag_type, timestamp, data, self.clock())


@dataclass
class World:
    clock: Clock
    service: LiveService
    runtime: LiveRuntime
    objects: LocalObjectStore
    jobs: Jobs
    spool: Path
    statuses: asyncio.Queue[tuple[str, str]]
    counters: MemoryCounters
    database: SQLiteDatabase

    async def event(self, **fields: Any) -> tuple[str, str]:
        """A new event of the county; returns its id and stream key."""
        category = categories()[0]["code"]
        body = {"org_id": ORG, "title": "村晚", "category": category, "published": True, **fields}
        created = await self.service.create(Staff(), body)
        return created["id"], created["stream_key"]

    async def publish(self, key: str, remote: str = "198.51.100.7") -> Publisher | Refusal:
        admitted = await self.runtime.admit(app="live", stream_key=key, remote=remote)
        return admitted if isinstance(admitted, Refusal) else Publisher(admitted, self.clock)

    async def status(self) -> tuple[str, str]:
        return await asyncio.wait_for(self.statuses.get(), 10)

    async def doc(self, event_id: str) -> dict[str, Any]:
        doc = await self.service.events.get(event_id)
        assert doc is not None
        return doc

    async def text(self, key: str) -> str:
        return (await self.objects.get(key)).decode()


@pytest.fixture
async def world(tmp_path: Path, stand_in: Path) -> AsyncIterator[World]:
    clock = Clock()
    database = await SQLiteDatabase.open(tmp_path / "db.sqlite")
    objects = LocalObjectStore(tmp_path / "objects")
    counters = MemoryCounters(clock)
    jobs = Jobs()
    service = LiveService(
        database, objects, counters, jobs, authz=Authorizer(), clock=clock, default_grace_s=GRACE_S
    )
    statuses: asyncio.Queue[tuple[str, str]] = asyncio.Queue()

    async def on_status(event_id: str, status: str) -> None:
        statuses.put_nowait((event_id, status))

    service.add_listener(on_status)
    await service.start()
    spool = tmp_path / "spool"
    config = RuntimeConfig(
        spool_dir=spool,
        encoder=EncoderSettings(ffmpeg=str(stand_in)),
        # The periodic work (packager polls, health reports) is driven by the test.
        poll_s=3600,
        health_interval_s=3600,
    )
    runtime = LiveRuntime(service, objects, config, clock=clock)
    try:
        yield World(clock, service, runtime, objects, jobs, spool, statuses, counters, database)
    finally:
        await runtime.close()
        await service.close()
        await database.close()


async def until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Wait for something a subprocess or a spawned task does (there is nothing to await)."""
    async with asyncio.timeout(10):
        while not await check():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def go_live(world: World, publisher: Publisher, tags: list[Tag]) -> int:
    """Send the show until the transcoder runs; returns the run's number."""
    publisher.send(tags)
    stream = publisher.stream

    async def running() -> bool:
        return stream.transcoder is not None

    await until(running, "the transcoder started")
    return stream.run_no


async def on_air(world: World, tags: list[Tag]) -> tuple[str, str, Publisher]:
    """A new event (id, stream key) whose publisher is admitted and has taken it live."""
    event_id, key = await world.event()
    publisher = await world.publish(key)
    assert isinstance(publisher, Publisher)
    await go_live(world, publisher, tags)
    assert await world.status() == (event_id, "live")
    return event_id, key, publisher


def write_segment(world: World, event_id: str, run: int, rendition: str, n: int) -> None:
    """What ffmpeg's HLS muxer leaves in the spool for segment ``n`` of a run."""
    folder = world.spool / event_id / f"run-{run}" / rendition
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"seg_{n:05d}.ts").write_bytes(f"{rendition}-{run}-{n}".encode())
    lines = ["#EXTM3U", "#EXT-X-TARGETDURATION:2", "#EXT-X-MEDIA-SEQUENCE:0"]
    for i in range(n + 1):
        pdt = playlist.format_pdt(world.clock() + 2 * i)
        lines += [f"#EXT-X-PROGRAM-DATE-TIME:{pdt}", "#EXTINF:2.000000,", f"seg_{i:05d}.ts"]
    (folder / "index.m3u8").write_text("\n".join(lines) + "\n")


def renditions(publisher: Publisher) -> list[str]:
    assert publisher.stream.plan is not None
    return [r.name for r in publisher.stream.plan]


# -- admission ------------------------------------------------------------------------------


async def test_publishes_the_runtime_refuses_are_recorded_with_their_reason(
    world: World,
) -> None:
    event_id, key = await world.event()
    wrong = await world.runtime.admit(app="vod", stream_key=key, remote="198.51.100.7")
    unknown = await world.publish("not-a-key")
    assert isinstance(wrong, Refusal)
    assert isinstance(unknown, Refusal)
    await world.service.rotate_key(Staff(), event_id)
    stale = await world.publish(key)
    assert isinstance(stale, Refusal)
    unmatched = await world.service.list_refusals(Staff(role="platform_admin"), None)
    assert {r["code"] for r in unmatched} == {wrong.code, unknown.code}
    of_event = await world.service.list_refusals(Staff(), event_id)
    assert [(r["code"], r["remote"]) for r in of_event] == [(stale.code, "198.51.100.7")]


async def test_a_second_publisher_is_refused_on_this_ingest_and_on_another(
    world: World, tags: list[Tag]
) -> None:
    event_id, key = await world.event()
    first = await world.publish(key)
    assert isinstance(first, Publisher)
    again = await world.publish(key, remote="203.0.113.9")
    assert isinstance(again, Refusal)
    # Another ingest process sharing the engines sees the publisher's flag.
    other = LiveRuntime(world.service, world.objects, world.runtime.config, clock=world.clock)
    try:
        elsewhere = await other.admit(app="live", stream_key=key, remote="203.0.113.9")
        assert isinstance(elsewhere, Refusal)
        assert elsewhere.code == again.code
        # The publisher leaves before its show started: the event is free again.
        first.stream.left("closed", world.clock())
        await until(
            lambda: _flag_gone(world, event_id),
            "the publisher's flag is released",
        )
        assert not isinstance(await other.admit(app="live", stream_key=key, remote="x"), Refusal)
    finally:
        await other.close()
    assert (await world.doc(event_id))["status"] == "scheduled"


async def _flag_gone(world: World, event_id: str) -> bool:
    return await world.counters.get_flag(f"live:publishing:{event_id}") is None


# -- on air ---------------------------------------------------------------------------------


async def test_the_first_gop_takes_the_event_live_and_segments_are_published(
    world: World, tags: list[Tag]
) -> None:
    event_id, key = await world.event()
    publisher = await world.publish(key)
    assert isinstance(publisher, Publisher)
    run = await go_live(world, publisher, tags)
    assert await world.status() == (event_id, "live")
    doc = await world.doc(event_id)
    assert doc["status"] == "live"
    assert doc["started_at"] == world.clock()
    names = renditions(publisher)
    assert "audio" in names  # the ladder keeps an audio rung
    for name in names:
        write_segment(world, event_id, run, name, 0)
    await publisher.stream.packager.poll()
    prefix = f"live/{event_id}/"
    segment = await world.objects.stat(prefix + names[0] + "/" + Segment(0, 2.0).name)
    assert segment.cache_control == "public, max-age=31536000, immutable"
    index = await world.objects.stat(prefix + names[0] + "/index.m3u8")
    assert index.cache_control == "public, max-age=0, s-maxage=1"
    master = await world.text(prefix + "master.m3u8")
    assert all(f"{name}/index.m3u8" in master for name in names)


async def test_a_dropped_publisher_reconnects_then_the_show_ends_after_the_grace(
    world: World, tags: list[Tag]
) -> None:
    event_id, key = await world.event()
    publisher = await world.publish(key)
    assert isinstance(publisher, Publisher)
    run = await go_live(world, publisher, tags)
    assert await world.status() == (event_id, "live")
    names = renditions(publisher)
    for name in names:
        write_segment(world, event_id, run, name, 0)
    await publisher.stream.packager.poll()
    left_at = world.clock()
    publisher.stream.left("connection reset", left_at)
    world.clock.now += GRACE_S + 1  # the grace period passes with nobody back
    assert await world.status() == (event_id, "reconnecting")
    assert await world.status() == (event_id, "ended")
    doc = await world.doc(event_id)
    assert doc["status"] == "ended"
    assert doc["stop_reason"] == "grace_expired"
    assert doc["ended_at"] == left_at  # the show ended when its publisher left
    assert doc["media_duration"] == pytest.approx(2.0)
    for name in names:
        live = await world.text(f"live/{event_id}/{name}/index.m3u8")
        assert live.rstrip().endswith("#EXT-X-ENDLIST")
    assert [job_id for _, _, job_id in world.jobs.queued] == [f"live.replay:{event_id}"]
    assert event_id not in world.runtime.streams
    assert not (world.spool / event_id).exists()
    # An ended event admits no publisher.
    assert isinstance(await world.publish(key), Refusal)


async def test_a_publisher_back_within_the_grace_continues_the_same_show(
    world: World, tags: list[Tag]
) -> None:
    event_id, key = await world.event()
    publisher = await world.publish(key)
    assert isinstance(publisher, Publisher)
    first_run = await go_live(world, publisher, tags)
    assert await world.status() == (event_id, "live")
    name = renditions(publisher)[0]
    write_segment(world, event_id, first_run, name, 0)
    await publisher.stream.packager.poll()
    publisher.stream.left("connection reset", world.clock())
    assert await world.status() == (event_id, "reconnecting")
    assert (await world.doc(event_id))["reconnect_deadline"] == world.clock() + GRACE_S
    world.clock.now += 20
    back = await world.publish(key)
    assert isinstance(back, Publisher)
    assert back.stream is publisher.stream  # the same event goes on
    second_run = await go_live(world, back, tags)
    assert second_run == first_run + 1
    assert await world.status() == (event_id, "live")
    write_segment(world, event_id, second_run, name, 0)
    key_of_index = f"live/{event_id}/{name}/index.m3u8"

    async def continued() -> bool:
        await back.stream.packager.poll()  # the first run is drained once its process exited
        return Segment(1, 2.0).name in await world.text(key_of_index)

    await until(continued, "the second run's segment is published")
    before, _, after = (await world.text(key_of_index)).partition("#EXT-X-DISCONTINUITY")
    assert Segment(0, 2.0).name in before
    assert Segment(1, 2.0).name in after
    # The grace period is over long since, on the clock: the show is still live.
    world.clock.now += GRACE_S * 2
    await asyncio.sleep(0)
    assert (await world.doc(event_id))["status"] == "live"
    assert world.jobs.queued == []


async def test_stop_from_the_api_ends_the_show_and_drops_the_publisher(
    world: World, tags: list[Tag]
) -> None:
    event_id, _, publisher = await on_air(world, tags)
    await world.runtime.on_control(event_id, "stop")
    assert await world.status() == (event_id, "ended")
    assert [code for code, _ in publisher.disconnects] == ["event_stopped"]
    doc = await world.doc(event_id)
    assert (doc["status"], doc["stop_reason"]) == ("ended", "stopped")
    assert [job_id for _, _, job_id in world.jobs.queued] == [f"live.replay:{event_id}"]


async def test_stop_through_the_api_returns_once_the_ingest_announces_the_end(
    world: World, tags: list[Tag]
) -> None:
    event_id, _, publisher = await on_air(world, tags)
    # The ingest hears the request on live:control; the API hears "ended" on live:status.
    async with asyncio.timeout(5):
        stopped = await world.service.stop(Staff(), event_id)
    assert (stopped["status"], stopped["stop_reason"]) == ("ended", "stopped")
    assert [code for code, _ in publisher.disconnects] == ["event_stopped"]
    assert event_id not in world.runtime.streams


async def test_stop_through_the_api_ends_an_event_no_ingest_holds(world: World) -> None:
    event_id, _ = await world.event()
    started_at = world.clock()
    left_at = started_at + 30
    # Left on air by an ingest that is gone: nobody answers the stop request.
    await world.service.events.save_session(
        event_id, {"status": "reconnecting", "started_at": started_at, "left_at": left_at}
    )
    world.clock.now = left_at + 5
    api = LiveService(
        world.database,
        world.objects,
        world.counters,
        world.jobs,
        authz=Authorizer(),
        clock=world.clock,
        stop_wait_s=0.05,
    )
    stopped = await api.stop(Staff(), event_id)
    assert (stopped["status"], stopped["stop_reason"]) == ("ended", "stopped")
    assert stopped["ended_at"] == left_at  # the show ended when its publisher left
    assert stopped["duration"] == 30
    assert await world.status() == (event_id, "ended")
    assert [job_id for _, _, job_id in world.jobs.queued] == [f"live.replay:{event_id}"]


async def test_an_event_ended_elsewhere_drops_its_stream_here(
    world: World, tags: list[Tag]
) -> None:
    event_id, key, publisher = await on_air(world, tags)
    # Another api process gave up waiting and ended the event itself.
    await world.service.events.end_on_air(event_id, {"status": "ended"})
    publisher.stream.left("connection reset", world.clock())

    async def dropped() -> bool:
        return event_id not in world.runtime.streams

    await until(dropped, "the stream is dropped")
    assert (await world.doc(event_id))["status"] == "ended"
    assert isinstance(await world.publish(key), Refusal)


async def test_an_event_left_on_air_is_adopted_and_ended_at_its_stored_deadline(
    world: World,
) -> None:
    event_id, _ = await world.event()
    left_at = world.clock()
    deadline = left_at + 10
    await world.service.events.save_session(
        event_id,
        {
            "status": "live",
            "started_at": left_at - 50,
            "left_at": left_at,
            "reconnect_deadline": deadline,
        },
    )
    world.clock.now = deadline  # the ingest restarts just as the grace runs out
    await world.runtime.recover()
    assert await world.status() == (event_id, "ended")
    doc = await world.doc(event_id)
    assert (doc["stop_reason"], doc["ended_at"], doc["duration"]) == ("grace_expired", left_at, 50)


async def test_a_publish_to_an_event_ended_elsewhere_is_refused_and_its_stream_dropped(
    world: World, tags: list[Tag]
) -> None:
    event_id, key, publisher = await on_air(world, tags)
    publisher.stream.left("connection reset", world.clock())
    assert await world.status() == (event_id, "reconnecting")
    # While this ingest waits for the publisher, an api process ends the event itself.
    await world.service.events.end_on_air(event_id, {"status": "ended"})
    refused = await world.publish(key)
    assert isinstance(refused, Refusal)
    assert refused.code == "event_ended"
    assert event_id not in world.runtime.streams


# -- overload -------------------------------------------------------------------------------


async def test_a_ladder_encoding_below_real_time_sheds_a_rung_and_gets_it_back(
    world: World, tags: list[Tag]
) -> None:
    # A 180p source: copied at 180p, encoded at 90p, and the audio rung.
    rungs = (
        Rung("180p", 320, 180, 2000, 4000, 6000, 64, "main"),
        Rung("90p", 160, 90, 150, 160, 240, 64, "main"),
    )
    ladder = Ladder(rungs, audio_only_kbps=64)
    config = replace(world.runtime.config, ladder=ladder)
    runtime = LiveRuntime(world.service, world.objects, config, clock=world.clock)
    try:
        event_id, key = await world.event()
        admitted = await runtime.admit(app="live", stream_key=key, remote="198.51.100.7")
        assert isinstance(admitted, Stream)
        publisher = Publisher(admitted, world.clock)
        first = await go_live(world, publisher, tags)
        stream = publisher.stream
        assert renditions(publisher) == ["180p", "90p", "audio"]
        write_segment(world, event_id, first, "90p", 0)
        await stream.packager.poll()
        assert "name:90p" in " ".join(stream.transcoder.command if stream.transcoder else [])

        async def progress_until_a_new_run(speed: float, limit_s: float) -> int:
            """ffmpeg's -progress twice a second, ``speed`` media s per wall s (its own
            ``speed=`` is an average since the run started; the rule does not go by it)."""
            run, out_time = stream.run_no, 0.0
            changes = stream.health.ladder_sheds + stream.health.ladder_restores
            for _ in range(int(limit_s * 2)):
                world.clock.now += 0.5
                out_time += 0.5 * speed
                transcoder = stream.transcoder
                if transcoder is not None and transcoder.on_progress is not None:
                    transcoder.on_progress(Progress(out_time_s=out_time, speed=1.0))
                if stream.health.ladder_sheds + stream.health.ladder_restores != changes:
                    break

            async def restarted() -> bool:
                return stream.transcoder is not None and stream.run_no != run

            await until(restarted, "a run on the new ladder")
            return stream.run_no

        # Half real time: shed after the run's 3 s to settle and a 10 s window.
        started = world.clock()
        second = await progress_until_a_new_run(0.5, 30)
        assert world.clock() - started == pytest.approx(13.0, abs=0.6)
        assert second == first + 1
        assert stream.transcoder is not None
        assert "name:90p" not in " ".join(stream.transcoder.command)
        health = stream.health.snapshot(world.clock())
        assert health["shed_rungs"] == ["90p"]
        assert health["ladder_sheds"] == 1
        assert health["encode_speed"] == pytest.approx(0.5)
        # The show goes on: 90p's playlists carry 180p's segments after a discontinuity.
        write_segment(world, event_id, second, "180p", 0)
        await stream.packager.poll()
        prefix = f"live/{event_id}/"
        assert await world.objects.get(prefix + "90p/" + Segment(1, 2.0).name) == (
            f"180p-{second}-0".encode()
        )
        assert "#EXT-X-DISCONTINUITY" in await world.text(prefix + "90p/index.m3u8")
        # Room again: after a full window and 30 s at real time, the rung comes back.
        third = await progress_until_a_new_run(1.0, 60)
        assert stream.transcoder is not None
        assert "name:90p" in " ".join(stream.transcoder.command)
        assert third == second + 1
        health = stream.health.snapshot(world.clock())
        assert (health["shed_rungs"], health["ladder_restores"]) == ([], 1)
    finally:
        await runtime.close()


# -- sources (pull, playout) -----------------------------------------------------------------


async def test_a_pull_event_is_checked_against_what_its_host_resolves_to(world: World) -> None:
    asked: list[str] = []

    async def resolve(host: str) -> list[str]:
        asked.append(host)
        return {"county.example.cn": ["114.114.114.114"], "inside.example.cn": ["10.1.2.3"]}[host]

    api = LiveService(
        world.database,
        world.objects,
        world.counters,
        world.jobs,
        authz=Authorizer(),
        clock=world.clock,
        resolve=resolve,
        pull_allow=[ipaddress.ip_network("10.1.0.0/16")],
    )
    admin = Staff(role="org_admin")
    base = {"org_id": ORG, "title": "共享直播", "category": categories()[0]["code"]}
    public = {"type": "pull", "url": "rtmp://county.example.cn/live/show"}
    created = await api.create(admin, {**base, "source": public})
    assert created["source"] == public
    assert "source" not in api.public_view(await world.doc(created["id"]))
    inside = {"type": "pull", "url": "rtmp://inside.example.cn/live/show"}
    assert (await api.create(admin, {**base, "source": inside}))["source"] == inside
    strict = LiveService(
        world.database, world.objects, world.counters, world.jobs, authz=Authorizer(),
        clock=world.clock, resolve=resolve,
    )  # fmt: skip
    with pytest.raises(PullRefusedError) as refused:
        await strict.create(admin, {**base, "source": inside})
    assert refused.value.code == "pull_address_refused"
    assert "CULTURECAST_PULL_ALLOW" in refused.value.sentence.en
    with pytest.raises(PullForbidden):
        await api.create(Staff(), {**base, "source": public})  # an editor may not pull
    assert asked == ["county.example.cn", "inside.example.cn", "inside.example.cn"]
    pushed = await api.create(admin, base)
    assert pushed["source"] == {"type": "push"}


async def test_an_ingest_feed_is_admitted_by_event_id_under_the_publish_rules(
    world: World,
) -> None:
    event_id, _ = await world.event()
    admitted = await world.runtime.admit_event(event_id, remote="source")
    assert isinstance(admitted, Stream)
    again = await world.runtime.admit_event(event_id, remote="source")
    assert isinstance(again, Refusal)
    assert again.code == "already_publishing"
    unknown = await world.runtime.admit_event("no-such-event", remote="source")
    assert isinstance(unknown, Refusal)
    admitted.left("test over", world.clock())
