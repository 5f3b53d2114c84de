"""Glass-to-glass latency: the wall clock drawn into each frame by the publisher, read back
from the picture the viewer's browser displays (DESIGN.md § Latency: standard mode ≤ 5 s).

Publisher (a child process of this script): raw 1280x720@30 frames, each carrying the wall
time (ms) at which it is handed to the encoder as 64 black/white 80-px blocks (40 bits of
clock, a frame counter and a Fletcher-16 checksum), encoded as OBS does by default (x264
veryfast, CBR 2500 kbit/s, 2 s keyframes, AAC 160 kbit/s) and pushed over RTMP by ffmpeg.

Ours: ``culturecast serve`` (standalone) with an event per ``--modes`` entry, played by the
product's own page ``/live/<event_id>`` in headless Chromium. Reference, same run: nginx-rtmp
(Debian's libnginx-mod-rtmp, HLS with 2 s fragments, pass-through; its config is written here,
127.0.0.1 only) with the same publisher, played by a bare page with the same vendored hls.js
and the same hls.js config (``static/js/hls_config.js``, which the product's player uses).

Viewers join a show in progress: after ``--join`` seconds of publishing, ``--joins`` viewers
one after another each open the page in a fresh browser context; every 200 ms the page draws
the video into a canvas, reads the blocks back and records ``Date.now()`` minus the clock it
read (same machine, same clock). Figures over each viewer's settled part (``--seconds`` after
``--settle`` seconds of playback), pooled: median, p10 and p90, torn reads rejected by the
checksum, stalls (``waiting`` events) and where the seconds went, as medians per segment of
the rendition the player played:

  closed    the frame that ends the segment is handed to the encoder → the segmenter lists the
            segment (ours: ffmpeg's playlist in the spool; nginx-rtmp: its playlist); holds the
            publisher's encoder and RTMP, and for ours the ingest and the ladder's transcoder
  listed    → the live playlist viewers fetch lists it (ours: the object store)
  fetched   → the player has downloaded it (Resource Timing in the page)
  buffered  → that frame is displayed (the player's distance behind the live edge)

In low-latency mode the same stages are measured per part (``part_<msn>_<i>.m4s``, the unit
an LL player fetches): closed is ffmpeg listing the fragment that ends where the part ends.

A bench takes about a minute per target; the machine's load average is printed beside the
figures (a starved transcoder shows as drift and a speed below 1).

Needs ffmpeg, Debian's chromium and ``apt-get install nginx libnginx-mod-rtmp``.

    PYTHONPATH=. .venv/bin/python bench/bench_glass_to_glass.py [--modes standard[,low]]
        [--joins 3] [--settle 4] [--seconds 10] [--no-reference] [--env NAME=VALUE]
        [--json out.json] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

WIDTH, HEIGHT, FPS = 1280, 720, 30
COLS, ROWS, CELL = 16, 4, 80  # 64 blocks of 80x80 px across the top 320 rows
BLACK, WHITE = 16, 235  # video-range luma
NGINX_RTMP_MODULE = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")
STATIC = REPO / "culturecast" / "server" / "web" / "static"

# ------------------------------------------------------------------ the publisher


def fletcher16(data: bytes) -> tuple[int, int]:
    s1 = s2 = 0
    for b in data:
        s1 = (s1 + b) % 255
        s2 = (s2 + s1) % 255
    return s1, s2


def clock_bits(ms: int, frame: int) -> bytes:
    """The 8 bytes drawn into a frame: low 40 bits of the ms clock, frame counter, checksum."""
    head = (ms % (1 << 40)).to_bytes(5, "big") + bytes([frame % 256])
    return head + bytes(fletcher16(head))


class FrameMaker:
    """yuv420p frames: the clock blocks on top, a scrolling block texture below (so the
    encoder has motion to spend bits on), grey chroma."""

    def __init__(self) -> None:
        import random

        rng = random.Random(13)
        self.cells = (bytes([BLACK]) * CELL, bytes([WHITE]) * CELL)
        block = 40
        rows = (HEIGHT - ROWS * CELL) // block
        self.texture = [
            b"".join(bytes([rng.randrange(60, 200)]) * block for _ in range(2 * WIDTH // block))
            for _ in range(rows)
        ]
        self.block = block
        self.chroma = bytes([128]) * (WIDTH * HEIGHT // 2)

    def frame(self, ms: int, index: int) -> bytes:
        data = clock_bits(ms, index)
        bits = [(data[i >> 3] >> (7 - (i & 7))) & 1 for i in range(COLS * ROWS)]
        top = b"".join(
            b"".join(self.cells[bits[r * COLS + c]] for c in range(COLS)) * CELL
            for r in range(ROWS)
        )
        off = (index * 4) % WIDTH
        bottom = b"".join(row[off : off + WIDTH] * self.block for row in self.texture)
        return top + bottom + self.chroma


def obs_like_command(url: str) -> list[str]:
    """OBS's defaults: x264 veryfast, CBR (buffer = bitrate, HRD filler), 2 s keyframes,
    AAC 160 kbit/s 48 kHz stereo; the audio is a sine paced in real time."""
    return [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostats",
        "-f", "rawvideo", "-pix_fmt", "yuv420p", "-video_size", f"{WIDTH}x{HEIGHT}",
        "-framerate", str(FPS), "-thread_queue_size", "64", "-i", "pipe:0",
        "-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-map", "0:v:0", "-map", "1:a:0",
        "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high",
        "-b:v", "2500k", "-maxrate", "2500k", "-bufsize", "2500k",
        "-x264-params", "nal-hrd=cbr", "-g", str(2 * FPS), "-keyint_min", str(2 * FPS),
        "-sc_threshold", "0",
        "-c:a", "aac", "-b:a", "160k", "-ac", "2", "-ar", "48000",
        "-f", "flv", "-flvflags", "no_duration_filesize", url,
    ]  # fmt: skip


def publish(url: str, stamps_path: Path, max_seconds: float) -> int:
    """Child process: pace frames at 30 fps by the wall clock until SIGTERM."""
    stop = False

    def on_term(_signum: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    maker = FrameMaker()
    proc = subprocess.Popen(obs_like_command(url), stdin=subprocess.PIPE)
    assert proc.stdin is not None
    stamps: list[float] = []
    start = time.time()
    index = 0
    try:
        while not stop and index < max_seconds * FPS and proc.poll() is None:
            due = start + index / FPS
            delay = due - time.time()
            if delay > 0:
                time.sleep(delay)
            now = time.time()  # the frame is handed to the encoder now: draw this
            frame = maker.frame(round(now * 1000), index)
            stamps.append(now)
            proc.stdin.write(frame)
            index += 1
    except BrokenPipeError:
        pass
    finally:
        stamps_path.write_text(json.dumps(stamps))
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0


class Publisher:
    """The publisher child process (this script with ``publish``)."""

    def __init__(self, url: str, work: Path, max_seconds: float) -> None:
        self.stamps_path = work / "stamps.json"
        self.log = (work / "publisher.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "publish", url, str(self.stamps_path), str(max_seconds)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> list[float]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        if not self.stamps_path.exists():
            return []
        return list(json.loads(self.stamps_path.read_text()))


# ------------------------------------------------------------------ the reader in the page

SAMPLER_JS = (
    """
(() => {
  performance.setResourceTimingBufferSize(100000);
  const COLS = $COLS, ROWS = $ROWS, CELL = 16;
  const out = { samples: [], rejected: 0, noVideo: 0, events: [] };
  window.__g2g = out;
  const canvas = document.createElement("canvas");
  canvas.width = COLS * CELL;
  canvas.height = ROWS * CELL;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  let watched = null;
  function read() {
    const video = document.querySelector("video");
    if (!video || video.readyState < 2 || !video.videoWidth) { out.noVideo++; return; }
    if (video !== watched) {
      watched = video;
      for (const type of ["playing", "waiting", "seeking"]) {
        video.addEventListener(type, () => out.events.push([Date.now(), type, video.currentTime]));
      }
    }
    const now = Date.now();
    const sh = video.videoHeight * $TOP;
    ctx.drawImage(video, 0, 0, video.videoWidth, sh, 0, 0, canvas.width, canvas.height);
    const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    const bytes = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let i = 0; i < COLS * ROWS; i++) {
      const r = Math.floor(i / COLS), c = i % COLS;
      let sum = 0, n = 0;
      for (let y = r * CELL + 5; y < r * CELL + 11; y++) {
        for (let x = c * CELL + 5; x < c * CELL + 11; x++) {
          sum += px[(y * canvas.width + x) * 4 + 1];
          n++;
        }
      }
      const v = sum / n;
      if (v > 64 && v < 192) { out.rejected++; return; }  // blurred or torn
      if (v >= 192) bytes[i >> 3] |= 0x80 >> (i & 7);
    }
    let s1 = 0, s2 = 0;
    for (let i = 0; i < 6; i++) { s1 = (s1 + bytes[i]) % 255; s2 = (s2 + s1) % 255; }
    if (bytes[6] !== s1 || bytes[7] !== s2) { out.rejected++; return; }
    let low = 0;
    for (let i = 0; i < 5; i++) low = low * 256 + bytes[i];
    const span = 2 ** 40;
    let clock = now - (now % span) + low;
    if (clock > now + span / 2) clock -= span;
    out.samples.push([now, now - clock, video.videoHeight]);
  }
  setInterval(read, 200);
})();
""".replace("$COLS", str(COLS))
    .replace("$ROWS", str(ROWS))
    .replace("$TOP", str(ROWS * CELL / HEIGHT))
)

COLLECT_JS = """
() => ({
  ...window.__g2g,
  resources: performance.getEntriesByType("resource").map(
    (e) => [e.name, performance.timeOrigin + e.responseEnd]),
})
"""

REFERENCE_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>nginx-rtmp reference</title></head>
<body><video id="media" controls playsinline></video>
<script src="/static/vendor/hls.min.js"></script>
<script type="module">
import { HLS_CONFIG } from "/static/js/hls_config.js";
const media = document.getElementById("media");
const hls = new Hls({ ...HLS_CONFIG });
hls.on(Hls.Events.ERROR, (_e, data) => {
  if (!data.fatal) return;
  if (data.type !== Hls.ErrorTypes.NETWORK_ERROR) hls.recoverMediaError();
  else setTimeout(() => hls.loadSource("/hls/stream.m3u8"), 500);
});
hls.loadSource("/hls/stream.m3u8");
hls.attachMedia(media);
media.play().catch(() => {});
</script></body></html>
"""

# ------------------------------------------------------------------ watching playlists


@dataclass
class Timeline:
    """When each segment of each rendition was seen where, and its end in media time."""

    ends: dict[str, dict[int, float]] = field(default_factory=dict)
    """rendition → segment number → media seconds at its end."""
    closed: dict[str, dict[int, float]] = field(default_factory=dict)
    """… → wall time the segmenter listed it."""
    listed: dict[str, dict[int, float]] = field(default_factory=dict)
    """… → wall time the viewers' live playlist listed it."""


_EXTINF = re.compile(r"#EXTINF:([0-9.]+)")
_SEQUENCE = re.compile(r"#EXT-X-MEDIA-SEQUENCE:(\d+)")


def playlist_segments(text: str) -> list[tuple[int, float]]:
    """(sequence number, duration) of a media playlist's segments."""
    match = _SEQUENCE.search(text)
    sequence = int(match.group(1)) if match else 0
    out: list[tuple[int, float]] = []
    duration: float | None = None
    for line in text.splitlines():
        m = _EXTINF.match(line)
        if m:
            duration = float(m.group(1))
        elif line and not line.startswith("#") and duration is not None:
            out.append((sequence, duration))
            sequence += 1
            duration = None
    return out


PART_KEY = 100
"""Low-latency mode: part ``i`` of segment ``msn`` is numbered ``msn * PART_KEY + i``."""
_PART = re.compile(r'#EXT-X-PART:DURATION=([0-9.]+),URI="part_(\d+)_(\d+)\.m4s"')
_WHOLE = re.compile(r"seg_(\d+)\.m4s$")


def playlist_parts(text: str, segment_ends: dict[int, float]) -> list[tuple[int, float]]:
    """(part number, media seconds at its end) of an LL playlist's parts. ``segment_ends``
    (msn → media end of the whole segment, kept across reads) is filled from the whole
    segments listed, and places each segment's parts after the one before it."""
    match = _SEQUENCE.search(text)
    msn = int(match.group(1)) if match else 0
    duration: float | None = None
    parts: list[tuple[int, int, float]] = []
    for line in text.splitlines():
        m = _EXTINF.match(line)
        found = _PART.match(line)
        if found:
            parts.append((int(found.group(2)), int(found.group(3)), float(found.group(1))))
        elif m:
            duration = float(m.group(1))
        elif line and not line.startswith("#") and duration is not None:
            whole = _WHOLE.search(line)
            number = int(whole.group(1)) if whole else msn
            if number == 0 or number - 1 in segment_ends:
                segment_ends.setdefault(number, segment_ends.get(number - 1, 0.0) + duration)
            msn, duration = number + 1, None
    out: list[tuple[int, float]] = []
    position: dict[int, float] = {}
    for segment, index, length in parts:
        if segment != 0 and segment - 1 not in segment_ends:
            continue
        end = position.get(segment, segment_ends.get(segment - 1, 0.0)) + length
        position[segment] = end
        out.append((segment * PART_KEY + index, end))
    return out


class Watcher:
    """Polls playlists on disk every 20 ms (cheap: a stat, and a read when it changed).
    With ``parts`` (low-latency mode) it follows parts: when the viewers' playlist lists
    each, and when ffmpeg listed the fragment that ends at the same media time."""

    def __init__(self, parts: bool = False) -> None:
        self.timeline = Timeline()
        self._mtimes: dict[tuple[str, Path], int] = {}
        self._parts = parts
        self._segment_ends: dict[str, dict[int, float]] = {}
        self._fragments: dict[str, list[tuple[float, float]]] = {}
        """rendition → (media end, wall time listed) of ffmpeg's fragments."""

    def _read(self, kind: str, path: Path) -> str | None:
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            return None
        if self._mtimes.get((kind, path)) == mtime:
            return None
        self._mtimes[(kind, path)] = mtime
        try:
            return path.read_text()
        except OSError:
            return None

    def see(self, kind: str, rendition: str, path: Path, now: float) -> None:
        text = self._read(kind, path)
        if text is None:
            return
        seen = getattr(self.timeline, kind).setdefault(rendition, {})
        ends = self.timeline.ends.setdefault(rendition, {})
        if self._parts:
            self._see_parts(kind, rendition, text, now, seen, ends)
            return
        for sequence, duration in playlist_segments(text):
            seen.setdefault(sequence, now)
            if kind == "closed" and sequence not in ends:
                ends[sequence] = ends.get(sequence - 1, 0.0) + duration

    def _see_parts(
        self, kind: str, rendition: str, text: str, now: float,
        seen: dict[int, float], ends: dict[int, float],
    ) -> None:  # fmt: skip
        if kind == "closed":
            fragments = self._fragments.setdefault(rendition, [])
            end = 0.0
            for index, (_, duration) in enumerate(playlist_segments(text)):
                end += duration
                if index >= len(fragments):
                    fragments.append((end, now))
            return
        for number, end in playlist_parts(text, self._segment_ends.setdefault(rendition, {})):
            if number in seen:
                continue
            seen[number] = now
            ends[number] = end
            # ffmpeg's fragment that ends where this part ends (its playlist rounds durations).
            near = [t for e, t in self._fragments.get(rendition, []) if abs(e - end) < 0.05]
            if near:
                self.timeline.closed.setdefault(rendition, {})[number] = near[0]


async def watch(watcher: Watcher, paths: Any, stop: asyncio.Event) -> None:
    while not stop.is_set():
        now = time.time()
        for kind, rendition, path in paths():
            watcher.see(kind, rendition, path, now)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.02)


# ------------------------------------------------------------------ one target


@dataclass
class Result:
    name: str
    latencies: list[float]
    rejected: int
    heights: dict[int, int]
    stalls: int
    stalled_s: float
    stages: dict[str, float]
    rendition: str
    load: tuple[float, float, float]
    drift: float = 0.0
    """Median of the last 5 s minus that of the first 5 s sampled (growth: CPU starved)."""
    speed: float | None = None
    """Our transcoder's speed (× real time) as the health API reported it at the end."""


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass
class Join:
    """What one viewer's page recorded over its settled part."""

    latencies: list[float]
    """Glass-to-glass seconds, one per readable sample."""
    heights: list[int]
    """Displayed picture height per sample."""
    stalls: int
    """``waiting`` events (the picture froze for want of data)."""
    stalled_s: float
    """Seconds spent waiting."""
    fetched: dict[str, dict[int, float]]
    """rendition → segment number → wall time its download ended."""
    start: float
    end: float
    """The settled part, wall seconds."""


def settled_part(page: dict[str, Any], settle_s: float, seconds: float, segment_of: Any) -> Join:
    samples = page["samples"]
    if not samples:
        raise SystemExit(f"the page never showed a readable frame (rejected {page['rejected']})")
    start = samples[0][0] / 1000 + settle_s
    end = start + seconds
    settled = [s for s in samples if start <= s[0] / 1000 < end]
    stalls, stalled, waiting_at = 0, 0.0, None
    for at, kind, _pos in page["events"]:
        if kind == "waiting" and start <= at / 1000 < end:
            stalls += 1
            waiting_at = at / 1000
        elif kind == "playing" and waiting_at is not None:
            stalled += min(at / 1000, end) - waiting_at
            waiting_at = None
    if waiting_at is not None:
        stalled += end - waiting_at
    fetched: dict[str, dict[int, float]] = {}
    for url, done in page["resources"]:
        key = segment_of(url)
        if key is not None:
            fetched.setdefault(key[0], {}).setdefault(key[1], done / 1000)
    return Join(
        [s[1] / 1000 for s in settled], [s[2] for s in settled], stalls, stalled, fetched,
        start, end,
    )  # fmt: skip


def analyse(
    name: str,
    joins: list[Join],
    rejected: int,
    stamps: list[float],
    timeline: Timeline,
    load: tuple[float, float, float],
) -> Result:
    latencies = [x for j in joins for x in j.latencies]
    heights: dict[int, int] = {}
    for j in joins:
        for h in j.heights:
            heights[h] = heights.get(h, 0) + 1
    stages: dict[str, list[float]] = {"closed": [], "listed": [], "fetched": [], "buffered": []}
    counts: dict[str, int] = {}
    for j in joins:
        for r, f in j.fetched.items():
            counts[r] = counts.get(r, 0) + sum(1 for t in f.values() if j.start <= t < j.end)
    rendition = max(counts, key=lambda r: counts[r]) if counts else ""
    ends = timeline.ends.get(rendition, {})
    for j in joins:
        if not j.latencies:
            continue
        shown = statistics.median(j.latencies)
        for number, media_end in ends.items():
            frame = round(media_end * FPS)  # the first frame after the segment: it closes it
            got = j.fetched.get(rendition, {}).get(number)
            closed = timeline.closed.get(rendition, {}).get(number)
            listed = timeline.listed.get(rendition, {}).get(number)
            if frame >= len(stamps) or got is None or closed is None or listed is None:
                continue
            if not j.start <= got < j.end:
                continue
            handed = stamps[frame]
            stages["closed"].append(closed - handed)
            stages["listed"].append(listed - closed)
            stages["fetched"].append(got - listed)
            stages["buffered"].append(handed + shown - got)
    figures = {k: statistics.median(v) for k, v in stages.items() if v}
    drift = 0.0
    for j in joins:
        head = [x for x, _ in zip(j.latencies, range(25), strict=False)]
        tail = j.latencies[-25:]
        if head and tail:
            drift = max(drift, statistics.median(tail) - statistics.median(head), key=abs)
    return Result(
        name, latencies, rejected, heights, sum(j.stalls for j in joins),
        sum(j.stalled_s for j in joins), figures, rendition, load, drift,
    )  # fmt: skip


async def play(url: str, args: argparse.Namespace, segment_of: Any) -> tuple[list[Join], int]:
    """``args.joins`` viewers one after another, each a fresh browser context opening
    ``url`` with the sampler; what each recorded over its settled part."""
    from playwright.async_api import async_playwright

    from tests.browser.driver import ARGS, CHROMIUM

    joins: list[Join] = []
    rejected = 0
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            for _ in range(args.joins):
                context = await browser.new_context(viewport={"width": 1280, "height": 800})
                await context.add_init_script(SAMPLER_JS)
                page = await context.new_page()
                await page.goto(url)
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    if await page.evaluate("window.__g2g.samples.length"):
                        break
                    await asyncio.sleep(0.2)
                await asyncio.sleep(args.settle + args.seconds)
                recorded = dict(await page.evaluate(COLLECT_JS))
                await context.close()
                rejected += recorded["rejected"]
                joins.append(settled_part(recorded, args.settle, args.seconds, segment_of))
        finally:
            await browser.close()
    return joins, rejected


def loadavg() -> tuple[float, float, float]:
    return os.getloadavg()


type Paths = Callable[[], list[tuple[str, str, Path]]]
type SegmentOf = Callable[[str], tuple[str, int] | None]


async def measure(
    name: str,
    rtmp_url: str,
    page_url: str,
    paths: Paths,
    segment_of: SegmentOf,
    args: argparse.Namespace,
    work: Path,
    *,
    parts: bool = False,
) -> Result:
    """Publish to ``rtmp_url``; after ``args.join`` seconds, viewers join at ``page_url``."""
    stop = asyncio.Event()
    watcher = Watcher(parts)
    task = asyncio.create_task(watch(watcher, paths, stop))
    per_join = 8 + args.settle + args.seconds
    publisher = Publisher(rtmp_url, work, args.join + args.joins * per_join + 30)
    try:
        await asyncio.sleep(args.join)
        joins, rejected = await play(page_url, args, segment_of)
        load = loadavg()
    finally:
        stamps = publisher.stop()
        stop.set()
        await task
    return analyse(name, joins, rejected, stamps, watcher.timeline, load)


async def run_ours(mode: str, args: argparse.Namespace, work: Path) -> Result:
    import aiohttp

    from tests.support.api import Api
    from tests.support.product import ADMIN_PASSWORD, Standalone

    env = dict(item.split("=", 1) for item in args.env)
    server = Standalone(work, {"CULTURECAST_LOG_FORMAT": "text", **env})
    await asyncio.to_thread(server.start)
    try:
        async with aiohttp.ClientSession() as http:
            admin = await Api(http, server.url).login("admin", ADMIN_PASSWORD)
            org = await admin.ok("POST", "/api/v1/orgs", {"name": "基准"}, expect=201)
            body: dict[str, Any] = {"org_id": org["id"], "title": "时延", "published": True}
            if mode != "standard":
                body["latency_mode"] = mode
            event = await admin.ok("POST", "/api/v1/live", body, expect=201)
        event_id = event["id"]
        spool = work / "data" / "spool" / "live" / event_id
        store = work / "data" / "objects" / "live" / event_id

        def paths() -> list[tuple[str, str, Path]]:
            found: list[tuple[str, str, Path]] = []
            run = spool / "run-1"  # the bench restarts nothing: one run
            if run.is_dir():
                for d in run.iterdir():
                    if d.is_dir():
                        found.append(("closed", d.name, d / "index.m3u8"))
                        found.append(("listed", d.name, store / d.name / "index.m3u8"))
            return found

        def segment_of(url: str) -> tuple[str, int] | None:
            if mode == "low":
                m = re.search(r"/live/[^/]+/([^/]+)/part_(\d+)_(\d+)\.m4s", url)
                return (m.group(1), int(m.group(2)) * PART_KEY + int(m.group(3))) if m else None
            m = re.search(r"/live/[^/]+/([^/]+)/seg_(\d+)\.ts", url)
            return (m.group(1), int(m.group(2))) if m else None

        rtmp_url = f"rtmp://127.0.0.1:{server.rtmp_port}/live/{event['stream_key']}"
        page_url = f"{server.url}/live/{event_id}"
        result = await measure(
            f"ours: {mode}", rtmp_url, page_url, paths, segment_of, args, work, parts=mode == "low"
        )
        async with aiohttp.ClientSession() as http:
            health = await Api(http, server.url, admin.token).ok(
                "GET", f"/api/v1/live/{event_id}/health"
            )
        result.speed = (health.get("health") or {}).get("transcoder_speed")
        return result
    finally:
        await asyncio.to_thread(server.stop)


NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
load_module {module};
events {{ worker_connections 256; }}
rtmp {{
    server {{
        listen 127.0.0.1:{rtmp_port};
        chunk_size 4096;
        application live {{
            live on;
            record off;
            hls on;
            hls_path {work}/hls;
            hls_fragment 2s;
            hls_playlist_length 20s;
        }}
    }}
}}
http {{
    access_log off;
    client_body_temp_path {work}/tmp-body;
    proxy_temp_path {work}/tmp-proxy;
    fastcgi_temp_path {work}/tmp-fastcgi;
    uwsgi_temp_path {work}/tmp-uwsgi;
    scgi_temp_path {work}/tmp-scgi;
    types {{
        application/vnd.apple.mpegurl m3u8;
        video/mp2t ts;
        text/html html;
        text/javascript js;
    }}
    server {{
        listen 127.0.0.1:{http_port};
        location /hls/ {{ alias {work}/hls/; add_header Cache-Control no-cache; }}
        location /static/ {{ alias {static}/; }}
        location = /player.html {{ alias {work}/player.html; }}
    }}
}}
"""


def start_nginx(work: Path) -> tuple[subprocess.Popen[bytes], int, int]:
    """nginx-rtmp with its own config in ``work``, listening on 127.0.0.1 only."""
    from tests.support.engines import free_port

    if not NGINX_RTMP_MODULE.exists() or shutil.which("nginx") is None:
        raise SystemExit("the reference needs: apt-get install nginx libnginx-mod-rtmp")
    rtmp_port, http_port = free_port(), free_port()
    (work / "hls").mkdir()
    (work / "player.html").write_text(REFERENCE_PAGE)
    conf = work / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            work=work, module=NGINX_RTMP_MODULE, rtmp_port=rtmp_port, http_port=http_port,
            static=STATIC,
        )
    )  # fmt: skip
    with (work / "nginx.log").open("wb") as log:
        nginx = subprocess.Popen(
            ["nginx", "-p", str(work), "-e", str(work / "nginx-error.log"), "-c", str(conf)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return nginx, rtmp_port, http_port


async def run_reference(args: argparse.Namespace, work: Path) -> Result:
    nginx, rtmp_port, http_port = start_nginx(work)
    playlist = work / "hls" / "stream.m3u8"

    def paths() -> list[tuple[str, str, Path]]:
        # nginx-rtmp writes the playlist once the fragment is complete: closed = listed.
        return [("closed", "stream", playlist), ("listed", "stream", playlist)]

    def segment_of(url: str) -> tuple[str, int] | None:
        m = re.search(r"/hls/stream-(\d+)\.ts", url)
        return ("stream", int(m.group(1))) if m else None

    try:
        await asyncio.sleep(0.5)
        if nginx.poll() is not None:
            raise SystemExit(f"nginx exited: {(work / 'nginx-error.log').read_text()}")
        return await measure(
            "nginx-rtmp (reference)", f"rtmp://127.0.0.1:{rtmp_port}/live/stream",
            f"http://127.0.0.1:{http_port}/player.html", paths, segment_of, args, work,
        )  # fmt: skip
    finally:
        nginx.send_signal(signal.SIGQUIT)
        try:
            nginx.wait(10)
        except subprocess.TimeoutExpired:
            nginx.kill()
            nginx.wait()


# ------------------------------------------------------------------ report


def report(results: list[Result], args: argparse.Namespace) -> None:
    print(
        f"glass-to-glass latency, s (1280x720@30 x264 veryfast CBR 2500k, 2 s keyframes; "
        f"{args.joins} viewers joining after {args.join:g} s, each sampled every 200 ms for "
        f"{args.seconds:g} s after {args.settle:g} s of playback)"
    )
    if args.env:
        print("ours with " + " ".join(args.env))
    print(
        f"{'':<24}{'median':>8}{'p10':>8}{'p90':>8}{'n':>6}{'torn':>6}{'stalls':>8}"
        f"{'stalled':>9}{'drift':>7}{'speed':>7}  shown (height: samples)   load"
    )
    for r in results:
        if r.latencies:
            med, p10, p90 = (
                statistics.median(r.latencies),
                quantile(r.latencies, 0.1),
                quantile(r.latencies, 0.9),
            )
        else:
            med = p10 = p90 = float("nan")
        shown = ", ".join(f"{h}p: {n}" for h, n in sorted(r.heights.items(), reverse=True))
        load = "/".join(f"{x:.1f}" for x in r.load)
        print(
            f"{r.name:<24}{med:8.2f}{p10:8.2f}{p90:8.2f}{len(r.latencies):6d}{r.rejected:6d}"
            f"{r.stalls:8d}{r.stalled_s:9.2f}{r.drift:7.2f}"
            f"{f'{r.speed:.2f}' if r.speed is not None else '-':>7}  {shown:<25} {load}"
        )
    print("\nwhere the seconds went (medians per segment, per part in LL, of the rendition), s")
    names = ["closed", "listed", "fetched", "buffered"]
    print(f"{'':<24}{'rendition':>10}" + "".join(f"{n:>10}" for n in names))
    for r in results:
        cells = "".join(f"{r.stages[n]:10.2f}" if n in r.stages else f"{'-':>10}" for n in names)
        print(f"{r.name:<24}{r.rendition:>10}{cells}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--join", type=float, default=10.0, help="publish before the 1st viewer")
    parser.add_argument("--joins", type=int, default=3, help="viewers, one after another")
    parser.add_argument("--settle", type=float, default=4.0, help="playback before sampling")
    parser.add_argument("--seconds", type=float, default=10.0, help="sampled seconds per viewer")
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE",
        help="a setting for culturecast serve (e.g. CULTURECAST_LIVE_LADDER=…), repeatable",
    )  # fmt: skip
    parser.add_argument("--modes", default="standard", help="latency modes, comma-separated")
    parser.add_argument("--no-reference", action="store_true", help="skip nginx-rtmp")
    parser.add_argument("--json", type=Path, help="write the raw figures here")
    parser.add_argument("--keep", type=Path, help="keep the work directories under here")
    args = parser.parse_args()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="g2g-") as tmp:
        root = args.keep or Path(tmp)
        targets: list[tuple[str, Any]] = [
            (f"ours-{mode}", lambda w, m=mode: run_ours(m, args, w))
            for mode in args.modes.split(",")
            if mode
        ]
        if not args.no_reference:
            targets.append(("nginx", lambda w: run_reference(args, w)))
        for name, run in targets:
            work = root / name
            work.mkdir(parents=True, exist_ok=True)
            results.append(await run(work))
    report(results, args)
    if args.json:
        args.json.write_text(
            json.dumps([r.__dict__ for r in results], indent=1, ensure_ascii=False)
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "publish":
        sys.exit(publish(sys.argv[2], Path(sys.argv[3]), float(sys.argv[4])))
    asyncio.run(main())
