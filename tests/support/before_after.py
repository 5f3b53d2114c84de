"""Issue 14's before/after screenshots: one walk-through, run against an earlier revision and
against this checkout, so the two sets show the same moments.

    scripts/screenshots [--before REV] [--out DIR]

For each side a standalone server is started from that side's source tree (an earlier
revision is unpacked with ``git archive``; both run on this checkout's virtualenv), and at
375×812 in Chromium, zh-CN:

1. ``live-ended``: a show pushed by ffmpeg, a comment "唱得真好！" sent from the page, the show
   stopped through the API, the page 8 s later;
2. ``audio-large``: a 45 s 评书 episode (mp3, no cover) on its page in 大字模式, 12 s into it;
3. ``home``: the home page with those two items;
4. ``404``: ``/nosuchpage``;
5. ``stats``: the console's statistics tab, signed in as the first admin (views are flushed
   every 3 s, so the episode's play shows).

Files: ``<out>/before-<name>.png`` and ``<out>/after-<name>.png``. A step the earlier revision
cannot do (a selector it lacks) is reported and skipped, not fatal: the point is to show it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
from playwright.async_api import Browser, Page, ViewportSize

from tests.browser.driver import chromium
from tests.support.api import Api
from tests.support.engines import free_port, stop_process
from tests.support.live import Publisher, ffmpeg_publish_command
from tests.support.media import TusClient, make_mp3
from tests.support.product import ADMIN_PASSWORD, SMALL_LADDERS, Process, base_env, wait_ready

ROOT = Path(__file__).resolve().parents[2]
PHONE: ViewportSize = {"width": 375, "height": 812}


@contextlib.contextmanager
def source_tree(rev: str | None, scratch: Path) -> Iterator[Path]:
    """This checkout (``rev`` None) or ``rev`` unpacked from git into ``scratch``."""
    if rev is None:
        yield ROOT
        return
    tree = scratch / f"src-{rev}"
    tree.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tree, filter="data")
    yield tree


@contextlib.contextmanager
def server(tree: Path, workdir: Path) -> Iterator[tuple[str, int]]:
    """``culturecast serve`` from ``tree``'s sources; yields (web URL, RTMP port)."""
    http, rtmp = free_port(), free_port()
    env = {
        **base_env(),
        **SMALL_LADDERS,
        "PYTHONPATH": str(tree),
        "CULTURECAST_DATA_DIR": str(workdir / "data"),
        "CULTURECAST_HTTP_HOST": "127.0.0.1",
        "CULTURECAST_HTTP_PORT": str(http),
        "CULTURECAST_RTMP_PORT": str(rtmp),
        "CULTURECAST_ADMIN_PASSWORD": ADMIN_PASSWORD,
        # The statistics tab shows the walk-through's own plays a few seconds later.
        "CULTURECAST_VIEWS_FLUSH_INTERVAL": "3",
    }
    log = (workdir / "serve.log").open("ab")
    code = (
        "import sys; from culturecast.server.cli import main; "
        "sys.argv = ['culturecast', 'serve']; main()"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{http}"
    try:
        wait_ready(url, Process(f"serve ({tree.name})", [], env, workdir / "serve.log", proc), 60)
        yield url, rtmp
    finally:
        stop_process(proc)
        log.close()


async def until(check: Any, within: float, what: str) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = await check()
        if value:
            return value
        await asyncio.sleep(0.5)
    raise SystemExit(f"not within {within:g} s: {what}")


@contextlib.asynccontextmanager
async def phone(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=1)
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def step(name: str, action: Any) -> None:
    """Run one shot; a selector the earlier revision lacks is said, not fatal."""
    try:
        await action
    except Exception as exc:  # the walk-through goes on; the line says what failed
        print(f"  {name}: skipped ({type(exc).__name__}: {str(exc).splitlines()[0][:160]})")


async def walk(url: str, rtmp_port: int, side: str, out: Path, work: Path) -> None:
    async with aiohttp.ClientSession() as session, chromium() as browser:
        admin = await Api(session, url).login("admin", ADMIN_PASSWORD)
        org = await admin.ok("POST", "/api/v1/orgs", {"name": "安吉县文化馆"}, expect=201)
        # The 评书 episode first: it transcodes while the show runs.
        mp3 = await asyncio.to_thread(make_mp3, work / "pingshu.mp3", 45)
        upload_id = await TusClient(session, url, str(admin.token)).upload(mp3, org_id=org["id"])
        resource = await admin.ok(
            "POST",
            "/api/v1/resources",
            {
                "upload_id": upload_id,
                "title": "安吉竹乡评话 第1回",
                "category": "storytelling",
                "published": True,
            },
            expect=201,
        )
        event = await admin.ok(
            "POST",
            "/api/v1/live",
            {"org_id": org["id"], "title": "湖剧专场", "category": "opera", "published": True},
            expect=201,
        )
        key = event["stream_key"]
        publisher = Publisher(
            ffmpeg_publish_command(f"rtmp://127.0.0.1:{rtmp_port}/live/{key}")
        ).start()
        try:
            async with phone(browser) as page:
                await page.goto(f"{url}/live/{event['id']}")
                await page.wait_for_function(
                    "(() => { const m = document.querySelector('video, audio');"
                    " return m && m.currentTime > 1; })()",
                    timeout=120_000,
                )

                async def comment() -> None:
                    await page.fill("#chat-text", "唱得真好！", timeout=10_000)
                    await page.click("#chat-form button[type=submit]", timeout=5_000)
                    await page.wait_for_selector("#chat-messages :text('唱得真好')", timeout=10_000)

                await step("comment", comment())
                await asyncio.sleep(4)
                await admin.ok("POST", f"/api/v1/live/{event['id']}/stop")
                await asyncio.sleep(8)
                await page.screenshot(path=str(out / f"{side}-live-ended.png"), full_page=True)
        finally:
            publisher.stop()

        async def ready() -> bool:
            body = await admin.ok("GET", f"/api/v1/resources/{resource['id']}")
            if body["status"] == "failed":
                raise SystemExit(f"the episode failed to process on {side}: {body}")
            return bool(body["status"] == "ready")

        await until(ready, 300, "the 评书 episode processed")
        async with phone(browser) as page:
            await page.goto(f"{url}/r/{resource['id']}")
            await page.wait_for_selector("audio, #media", state="attached", timeout=30_000)
            await step("play", page.evaluate("document.querySelector('audio, #media').play()"))
            await step("大字模式", page.click("#large-font-toggle", timeout=10_000))
            # Listen a while, so the statistics have a play and some listening time.
            await asyncio.sleep(12)
            await page.screenshot(path=str(out / f"{side}-audio-large.png"), full_page=False)
            # The toggle is remembered; turn it off again for the other pages.
            await step("大字模式 off", page.click("#large-font-toggle", timeout=10_000))
        async with phone(browser) as page:
            await page.goto(url + "/")
            await asyncio.sleep(3)
            await page.screenshot(path=str(out / f"{side}-home.png"), full_page=True)
            await page.goto(url + "/nosuchpage")
            await asyncio.sleep(1)
            await page.screenshot(path=str(out / f"{side}-404.png"), full_page=True)
            await page.goto(url + "/admin")
            await page.fill("#login-username", "admin")
            await page.fill("#login-password", ADMIN_PASSWORD)
            await page.click("#login-form button[type=submit]")
            await page.click("#tab-btn-stats", timeout=15_000)
            await asyncio.sleep(2)
            await step("查看", page.click("#stats-form button[type=submit]", timeout=10_000))
            await asyncio.sleep(4)
            await page.screenshot(path=str(out / f"{side}-stats.png"), full_page=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="1c89ef4", help="the earlier revision")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "test-artifacts" / "screenshots" / "before-after"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cc-before-after-") as scratch_name:
        scratch = Path(scratch_name)
        for side, rev in (("before", args.before), ("after", None)):
            work = scratch / side
            work.mkdir()
            print(f"{side}: {rev or 'this checkout'}")
            with source_tree(rev, scratch) as tree, server(tree, work) as (url, rtmp):
                asyncio.run(walk(url, rtmp, side, args.out, work))
    for png in sorted(args.out.glob("*.png")):
        print(f"{png.relative_to(ROOT) if png.is_relative_to(ROOT) else png}")


if __name__ == "__main__":
    main()
