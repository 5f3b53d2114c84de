"""Real headless Chromium for the web tests: Debian's ``/usr/bin/chromium`` driven by the
``playwright`` Python package (its own browser download is not used, and cannot be fetched
here). Every page opened through :func:`open_page` records console errors and uncaught
exceptions, which the tests assert are empty."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, async_playwright

CHROMIUM = os.environ.get("CULTURECAST_TEST_CHROMIUM", "/usr/bin/chromium")
# This machine has no network but the package registries: without the background-networking
# switches Chromium keeps trying Google's hosts. Autoplay is allowed so playback tests need no
# click; a phone needs the viewer's tap, which the page asks for.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 (once per test, before any I/O loop work)
        pytest.fail(
            f"no Chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium; "
            "scripts/bootstrap --dev does) or set CULTURECAST_TEST_CHROMIUM"
        )
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Watched:
    """A page and what went wrong on it."""

    context: BrowserContext
    page: Page
    errors: list[str] = field(default_factory=list)

    async def goto(self, url: str, ready: str | None = None) -> None:
        """Open ``url``; with ``ready``, wait until the page module says it has loaded
        (``<html data-ready="<page>">``)."""
        await self.page.goto(url)
        if ready:
            await self.page.wait_for_selector(f'html[data-ready="{ready}"]', timeout=15_000)

    def errors_except(self, *statuses: int) -> list[str]:
        """The errors, less the browser's own log line for API responses with one of
        ``statuses`` that the test provoked on purpose (the page handled them)."""
        expected = tuple(f"the server responded with a status of {s} " for s in statuses)
        return [e for e in self.errors if not any(x in e for x in expected)]

    async def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        await self.page.screenshot(path=str(path), full_page=True)
        return path


async def open_page(browser: Browser, width: int = 1280, height: int = 800) -> Watched:
    mobile = width < 600
    context = await browser.new_context(
        viewport={"width": width, "height": height},
        is_mobile=mobile,
        has_touch=mobile,
        device_scale_factor=2 if mobile else 1,
        locale="zh-CN",
    )
    page = await context.new_page()
    watched = Watched(context, page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.errors.append(f"console: {message.text} ({message.location})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: watched.errors.append(f"uncaught: {exc}"))
    return watched
