"""Overload with a real transcoder starved of CPU (issue 13): the ingest's ffmpeg is pinned to
one core that CPU-bound competitors share with it. The ladder sheds rungs until it keeps up,
the show stays live and its lag stops growing; with the core free again a rung comes back.
Everything is observed from outside: ``/health`` and the playlists in the store."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import m3u8
import pytest

from tests.integration.live.conftest import LiveApp
from tests.support.live import Publisher, ffmpeg_publish_command

CORE = 0
COMPETITORS = 3
"""Busy loops beside ffmpeg on its core at first."""
MAX_COMPETITORS = 12
RAMP_S = 15.0
"""Until a rung is shed, one more busy loop joins every RAMP_S: how much load starves the
ladder depends on the machine (on a fast core ffmpeg keeps up beside three), and the test is
about what the server does once it is starved. A window of the overload policy is 10 s."""

pytestmark = pytest.mark.skipif(
    shutil.which("taskset") is None or (os.cpu_count() or 1) < 2,
    reason="needs taskset and two cores (the publisher runs on the other)",
)


class Competitors:
    def __init__(self, ffmpeg: str) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        self.ffmpeg = ffmpeg
        """The real ffmpeg, unpinned (PATH names the pinned wrapper while the test runs)."""

    def start(self, count: int = COMPETITORS) -> None:
        for _ in range(count):
            # Each in a session of its own: with the kernel's autogroup scheduling a session
            # shares the core as one, and the server starts ffmpeg in its own session, so busy
            # loops sharing one session would never take more than half the core from it.
            self.procs.append(
                subprocess.Popen(
                    ["taskset", "-c", str(CORE), sys.executable, "-c", "while True: pass"],
                    start_new_session=True,
                )
            )

    def stop(self) -> None:
        for proc in self.procs:
            proc.kill()
            proc.wait()
        self.procs.clear()


@pytest.fixture
def competitors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Competitors]:
    """The server's transcoders (``ffmpeg`` from PATH) run pinned to :data:`CORE`."""
    real = shutil.which("ffmpeg")
    assert real is not None
    folder = tmp_path / "pinned-bin"
    folder.mkdir()
    wrapper = folder / "ffmpeg"
    wrapper.write_text(f'#!/bin/sh\nexec taskset -c {CORE} {real} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    started = Competitors(real)
    yield started
    started.stop()


async def wait(check: Callable[[], Awaitable[bool]], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, f"not within {within} s: {what}"
        await asyncio.sleep(0.5)


def lag_s(objects: Path, rendition: str) -> float | None:
    """Wall time now minus the media end of the newest listed segment, by its
    PROGRAM-DATE-TIME (written by ffmpeg from its own start plus the media time, so a
    transcoder that falls behind lists segments ever later than their time)."""
    path = objects / rendition / "index.m3u8"
    if not path.exists():
        return None
    segments = m3u8.loads(path.read_text()).segments
    if not segments or segments[-1].current_program_date_time is None:
        return None
    last = segments[-1]
    return time.time() - (last.current_program_date_time.timestamp() + last.duration)


async def test_a_starved_transcoder_sheds_rungs_keeps_up_and_gets_them_back(
    live: LiveApp, publishers: list[Publisher], competitors: Competitors
) -> None:
    event = await live.create_event()
    event_id = event["id"]
    objects = live.data_dir / "objects" / "live" / event_id
    command = ffmpeg_publish_command(live.rtmp(event["stream_key"]), size="1280x720")
    # The publisher is not pinned: ``shutil.which`` would now find the pinned wrapper, and a
    # publisher starved with the transcoder may not even manage to publish.
    command[0] = competitors.ffmpeg
    competitors.start()
    publishers.append(Publisher(command).start())

    async def health() -> dict[str, Any]:
        report = await live.admin.ok("GET", f"/api/v1/live/{event_id}/health")
        return report["health"] or {}

    async def shed() -> bool:
        return bool((await health()).get("ladder_sheds"))

    # The load grows until the ladder falls behind and a rung is shed.
    deadline = time.monotonic() + 60 + RAMP_S * (MAX_COMPETITORS - COMPETITORS)
    ramp_at = time.monotonic() + RAMP_S
    while not await shed():
        assert time.monotonic() < deadline, (
            f"no rung shed with {len(competitors.procs)} busy loops beside the transcoder"
        )
        if time.monotonic() >= ramp_at and len(competitors.procs) < MAX_COMPETITORS:
            competitors.start(1)
            ramp_at = time.monotonic() + RAMP_S
        await asyncio.sleep(0.5)
    first = await health()
    assert first["shed_rungs"]
    assert "720p" not in first["shed_rungs"]  # the copied top stays
    assert "audio" not in first["shed_rungs"]

    async def keeping_up() -> bool:
        speed = (await health()).get("encode_speed")
        return speed is not None and speed >= 0.98

    # Still starved, the ladder sheds until it keeps up; the lag then stops growing.
    await wait(keeping_up, 120, "the smaller ladder keeps up")
    before = lag_s(objects, "720p")
    await asyncio.sleep(10)
    after = lag_s(objects, "720p")
    assert before is not None
    assert after is not None
    assert after < before + 2.0, (before, after)
    status = await live.admin.ok("GET", f"/api/v1/live/{event_id}")
    assert status["status"] == "live"
    # Viewers of a shed rendition play on: the master still offers it.
    master = (objects / "master.m3u8").read_text()
    for name in (await health())["shed_rungs"]:
        assert f"{name}/index.m3u8" in master

    competitors.stop()

    async def restored() -> bool:
        return bool((await health()).get("ladder_restores"))

    await wait(restored, 120, "a rung restored")
    assert (await live.admin.ok("GET", f"/api/v1/live/{event_id}"))["status"] == "live"
