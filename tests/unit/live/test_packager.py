"""The live packager without ffmpeg: the test writes what ffmpeg would (segments and its
playlist per rendition, in a run's spool directory) and the packager publishes it to the local
object store — segments immutable, playlists rewritten for a second, the master once every
rendition has a segment, numbering and discontinuities across runs, the end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from culturecast.live import playlist
from culturecast.live.packager import Packager
from culturecast.live.playlist import Segment
from culturecast.storage.objects.local import LocalObjectStore
from culturecast.transcode.ladder import PlannedRung

EVENT = "ev-packager"


def seg(n: int) -> str:
    """The published name of segment ``n`` (the spool's names are ffmpeg's, and differ)."""
    return Segment(n, 2.0).name


T0 = 1_760_000_000.0

VIDEO = PlannedRung("360p", "video", 640, 360, 800, 856, 1200, 96, "main", "3.0", fps=25.0)
AUDIO = PlannedRung("audio", "audio", 0, 0, 0, 0, 0, 64, "", "")
PLAN = [VIDEO, AUDIO]


class Clock:
    def __init__(self) -> None:
        self.now = T0 + 100

    def __call__(self) -> float:
        return self.now


@dataclass
class Spool:
    """One transcoder run's output directory, written as ffmpeg's HLS muxer does."""

    directory: Path
    written: dict[str, list[str]] = field(default_factory=dict)

    def segment(self, rendition: str, data: bytes, *, at: float, duration: float = 2.0) -> None:
        folder = self.directory / rendition
        folder.mkdir(parents=True, exist_ok=True)
        names = self.written.setdefault(rendition, [])
        name = f"seg_{len(names):05d}.ts"
        (folder / name).write_bytes(data)
        names.append(f"#EXT-X-PROGRAM-DATE-TIME:{playlist.format_pdt(at)}\n")
        names.append(f"#EXTINF:{duration:.6f},\n{name}\n")
        (folder / "index.m3u8").write_text(
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n"
            + "".join(names)
        )

    def listed_but_missing(self, rendition: str) -> None:
        """A playlist line whose file is gone (deleted before the packager read it)."""
        self.written[rendition].append(f"#EXTINF:2.000000,\nseg_{90000:05d}.ts\n")
        (self.directory / rendition / "index.m3u8").write_text(
            "#EXTM3U\n#EXT-X-TARGETDURATION:2\n" + "".join(self.written[rendition])
        )


@dataclass
class World:
    objects: LocalObjectStore
    spool: Path
    clock: Clock
    listed: list[tuple[str, Segment, float]]
    packagers: list[Packager]

    def packager(self, window: int = 10) -> Packager:
        def on_segment(name: str, segment: Segment, at: float) -> None:
            self.listed.append((name, segment, at))

        # The packager's own loop polls once at the start, then not for an hour: the test
        # polls when it has written something.
        packager = Packager(
            EVENT,
            self.objects,
            window=window,
            poll_s=3600,
            clock=self.clock,
            on_segment=on_segment,
        )
        self.packagers.append(packager)
        return packager

    def run(self, number: int) -> Spool:
        return Spool(self.spool / f"run-{number}")

    async def text(self, key: str) -> str:
        return (await self.objects.get(f"live/{EVENT}/{key}")).decode()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    w = World(LocalObjectStore(tmp_path / "objects"), tmp_path / "spool", Clock(), [], [])
    yield w
    for packager in w.packagers:
        await packager.close()


async def test_a_segment_is_published_before_any_playlist_names_it(world: World) -> None:
    packager = world.packager()
    run = world.run(1)
    packager.add_run(1, run.directory, PLAN)
    run.segment("360p", b"video-0", at=T0)
    await packager.poll()
    info = await world.objects.stat(f"live/{EVENT}/360p/{seg(0)}")
    assert (info.content_type, info.cache_control) == (
        "video/mp2t",
        "public, max-age=31536000, immutable",
    )
    assert await world.objects.get(f"live/{EVENT}/360p/{seg(0)}") == b"video-0"
    for name in ("index.m3u8", "event.m3u8"):
        info = await world.objects.stat(f"live/{EVENT}/360p/{name}")
        assert (info.content_type, info.cache_control) == (
            "application/vnd.apple.mpegurl",
            "public, max-age=0, s-maxage=1",
        )
    live = await world.text("360p/index.m3u8")
    assert seg(0) in live
    assert "#EXT-X-PROGRAM-DATE-TIME:" + playlist.format_pdt(T0) in live
    assert "#EXT-X-ENDLIST" not in live
    assert world.listed == [("360p", Segment(0, 2.0, T0, False), world.clock.now)]


async def test_the_master_is_written_once_every_rendition_has_a_segment(world: World) -> None:
    packager = world.packager()
    run = world.run(1)
    packager.add_run(1, run.directory, PLAN)
    run.segment("360p", b"v0", at=T0)
    await packager.poll()
    assert not await world.objects.exists(f"live/{EVENT}/master.m3u8")
    run.segment("audio", b"a0", at=T0)
    await packager.poll()
    info = await world.objects.stat(f"live/{EVENT}/master.m3u8")
    assert info.cache_control == "public, max-age=5"
    master = await world.text("master.m3u8")
    assert "360p/index.m3u8" in master
    assert "audio/index.m3u8" in master
    assert "RESOLUTION=640x360" in master


async def test_the_live_window_slides_and_the_recording_keeps_every_segment(
    world: World,
) -> None:
    packager = world.packager(window=3)
    run = world.run(1)
    packager.add_run(1, run.directory, [VIDEO])
    for n in range(5):
        run.segment("360p", f"v{n}".encode(), at=T0 + 2 * n)
    await packager.poll()
    live = playlist.parse_media_playlist(await world.text("360p/index.m3u8"))
    assert [e.uri for e in live.entries] == [seg(2), seg(3), seg(4)]
    assert live.media_sequence == 2
    recording = playlist.parse_media_playlist(await world.text("360p/event.m3u8"))
    assert [e.uri for e in recording.entries] == [seg(n) for n in range(5)]
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in await world.text("360p/event.m3u8")
    assert packager.media_duration() == pytest.approx(10.0)


async def test_a_segment_that_vanished_is_skipped_and_later_ones_still_come(
    world: World,
) -> None:
    packager = world.packager()
    run = world.run(1)
    packager.add_run(1, run.directory, [VIDEO])
    run.segment("360p", b"v0", at=T0)
    run.listed_but_missing("360p")
    await packager.poll()
    run.segment("360p", b"v2", at=T0 + 4)
    await packager.poll()
    entries = playlist.parse_media_playlist(await world.text("360p/index.m3u8")).entries
    assert [e.uri for e in entries] == [seg(0), seg(1)]
    assert await world.objects.get(f"live/{EVENT}/360p/{seg(1)}") == b"v2"


async def test_a_second_run_waits_for_the_first_then_continues_with_a_discontinuity(
    world: World,
) -> None:
    packager = world.packager()
    first, second = world.run(1), world.run(2)
    packager.add_run(1, first.directory, [VIDEO])
    first.segment("360p", b"run1-0", at=T0)
    await packager.poll()
    packager.add_run(2, second.directory, [VIDEO])
    second.segment("360p", b"run2-0", at=T0 + 10)
    first.segment("360p", b"run1-1", at=T0 + 2)  # the first run's last file, read at close
    await packager.poll()
    assert not await world.objects.exists(f"live/{EVENT}/360p/{seg(2)}")
    await packager.close_run(1)
    assert await world.objects.get(f"live/{EVENT}/360p/{seg(1)}") == b"run1-1"
    assert await world.objects.get(f"live/{EVENT}/360p/{seg(2)}") == b"run2-0"
    live = await world.text("360p/index.m3u8")
    before, _, after = live.partition("#EXT-X-DISCONTINUITY")
    assert seg(1) in before
    assert seg(2) in after


async def test_finishing_closes_every_playlist(world: World) -> None:
    packager = world.packager()
    run = world.run(1)
    packager.add_run(1, run.directory, PLAN)
    run.segment("360p", b"v0", at=T0)
    run.segment("audio", b"a0", at=T0)
    await packager.poll()
    run.segment("360p", b"v1", at=T0 + 2)  # written as ffmpeg exited
    await packager.finish()
    for rendition in ("360p", "audio"):
        for name in ("index.m3u8", "event.m3u8"):
            assert (await world.text(f"{rendition}/{name}")).rstrip().endswith("#EXT-X-ENDLIST")
    assert seg(1) in await world.text("360p/event.m3u8")


async def test_a_restarted_ingest_continues_the_numbering_from_the_store(world: World) -> None:
    before = world.packager()
    run = world.run(1)
    before.add_run(1, run.directory, [VIDEO])
    run.segment("360p", b"v0", at=T0)
    run.segment("360p", b"v1", at=T0 + 2)
    await before.poll()
    await before.close()  # the process went away without ending the playlists
    after = world.packager()
    again = world.run(7)
    after.add_run(7, again.directory, [VIDEO])
    again.segment("360p", b"new", at=T0 + 60)
    await after.poll()
    assert await world.objects.get(f"live/{EVENT}/360p/{seg(2)}") == b"new"
    recording = await world.text("360p/event.m3u8")
    assert recording.count("#EXTINF") == 3
    assert "#EXT-X-DISCONTINUITY" in recording


async def test_while_a_rung_is_shed_its_playlists_carry_a_kept_ones_segments(
    world: World,
) -> None:
    small = PlannedRung("240p", "video", 426, 240, 400, 428, 600, 64, "main", "3.0", fps=25.0)
    full = [VIDEO, small, AUDIO]
    packager = world.packager()
    first, second = world.run(1), world.run(2)
    packager.add_run(1, first.directory, full)
    for name in ("360p", "240p", "audio"):
        first.segment(name, f"{name}-0".encode(), at=T0)
    await packager.poll()
    master = await world.text("master.m3u8")
    # Overload: the next run encodes 240p and audio only; 360p shows 240p meanwhile.
    packager.add_run(2, second.directory, [small, AUDIO], offered=full, stand_ins={"360p": "240p"})
    await packager.close_run(1)
    second.segment("240p", b"240p-1", at=T0 + 2)
    second.segment("audio", b"audio-1", at=T0 + 2)
    await packager.poll()
    assert await world.objects.get(f"live/{EVENT}/360p/{seg(1)}") == b"240p-1"
    assert await world.objects.get(f"live/{EVENT}/240p/{seg(1)}") == b"240p-1"
    live = await world.text("360p/index.m3u8")
    before, _, after = live.partition("#EXT-X-DISCONTINUITY")
    assert seg(0) in before
    assert seg(1) in after
    recording = playlist.parse_media_playlist(await world.text("360p/event.m3u8"))
    assert [e.uri for e in recording.entries] == [seg(0), seg(1)]
    # The master still offers every rendition: a player on 360p plays on.
    assert await world.text("master.m3u8") == master
    assert "360p/index.m3u8" in master
