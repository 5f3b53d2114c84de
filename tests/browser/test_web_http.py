"""The pages and static files over HTTP (no browser): statuses, languages, cache headers, and
that every static file a page or module names exists."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from culturecast.server.app import create_app
from culturecast.server.settings import load_settings
from culturecast.server.web.assets import IMMUTABLE
from culturecast.server.web.pages import create_pages
from tests.support.engines import free_port

PAGES = ["/", "/admin", "/live/ev1", "/r/res1", "/s/ser1", "/favorites", "/c/camp1", "/schedule"]


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    settings = load_settings(
        {
            "CULTURECAST_DATA_DIR": str(tmp_path),
            "CULTURECAST_ADMIN_PASSWORD": "admin-pass-123",
            "CULTURECAST_RTMP_PORT": str(free_port()),
        }
    )
    # The api role: the pages and the API, without the RTMP ingest.
    server = TestServer(create_app(settings, "api"), host="127.0.0.1")
    await server.start_server()
    # unsafe=True: keep cookies from an IP-address host (127.0.0.1), as browsers do.
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        yield session, str(server.make_url("")).rstrip("/")
    await server.close()


async def test_pages_render_in_chinese_by_default_and_english_on_request(
    site: tuple[aiohttp.ClientSession, str],
) -> None:
    session, base = site
    for path in PAGES:
        async with session.get(base + path) as resp:
            assert resp.status == 200, path
            assert resp.content_type == "text/html"
            assert resp.headers["Cache-Control"] == "no-cache"
            html = await resp.text()
            assert '<html lang="zh-CN"' in html
            assert "文化云" in html
    async with session.get(base + "/?lang=en") as resp:
        html = await resp.text()
        assert '<html lang="en"' in html
        assert "Live now" in html
        assert resp.cookies["cc_lang"].value == "en"
    # The cookie now answers for the plain URL (the session keeps it).
    async with session.get(base + "/admin") as resp:
        assert '<html lang="en"' in await resp.text()
        assert resp.headers["X-Frame-Options"] == "DENY"
    async with session.get(base + "/?lang=zh-CN") as resp:
        assert '<html lang="zh-CN"' in await resp.text()


async def test_an_id_that_cannot_exist_gets_the_not_found_page(
    site: tuple[aiohttp.ClientSession, str],
) -> None:
    session, base = site
    # An organization page names a real organization: an unknown one is not found either.
    for path in ("/live/%3Cscript%3E", "/r/a%20b", "/s/" + "x" * 65, "/o/a%20b", "/o/nosuchorg"):
        async with session.get(base + path) as resp:
            assert resp.status == 404, path
            html = await resp.text()
            assert "页面不存在" in html
            assert "<script>" not in html.split("</head>")[1]


async def test_every_static_file_a_page_names_is_served_for_a_year(
    site: tuple[aiohttp.ClientSession, str],
) -> None:
    session, base = site
    urls: set[str] = set()
    for path in PAGES:
        async with session.get(base + path) as resp:
            urls |= set(re.findall(r'(?:src|href)="(/static/[^"]+)"', await resp.text()))
    assert any(u.endswith("/css/site.css") for u in urls)
    assert any(u.endswith("/js/pages/admin.js") for u in urls)
    for url in urls:
        async with session.get(base + url) as resp:
            assert resp.status == 200, url
            assert resp.headers["Cache-Control"] == IMMUTABLE
            assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_every_module_import_names_a_served_file() -> None:
    assets = create_pages().assets
    paths = set(assets.paths())
    modules = [p for p in paths if p.startswith("js/")]
    assert len(modules) >= 10
    for module in modules:
        asset = assets.get(module)
        assert asset is not None
        text = asset.body.decode()
        for target in re.findall(r'from\s+"(\.{1,2}/[^"]+)"', text):
            resolved = (Path(module).parent / target).as_posix()
            resolved = str(Path(resolved).resolve().relative_to(Path.cwd().resolve()))
            assert resolved in paths, f"{module} imports {target}"
        for target in re.findall(r'loadScript\("(\.{1,2}/[^"]+)"\)', text):
            # loadScript resolves against core.js, in js/
            resolved = str((Path("js") / target).resolve().relative_to(Path.cwd().resolve()))
            assert resolved in paths, f"{module} loads {target}"


async def test_static_files_are_compressed_revalidated_and_versioned(
    site: tuple[aiohttp.ClientSession, str],
) -> None:
    session, base = site
    version = create_pages().assets.version
    url = f"{base}/static/{version}/vendor/echarts.min.js"
    async with session.get(url, headers={"Accept-Encoding": "gzip"}) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Encoding"] == "gzip"
        assert resp.content_type == "text/javascript"
        assert int(resp.headers["Content-Length"]) < 500_000  # 1.1 MB raw
        body = await resp.read()
        assert len(body) > 1_000_000  # decompressed by the client: the whole library
        etag = resp.headers["ETag"]
    async with session.get(url, headers={"If-None-Match": etag}) as resp:
        assert resp.status == 304
    # A page from another release (a rolling deploy) still gets the file, but uncached.
    async with session.get(f"{base}/static/0123456789ab/css/site.css") as resp:
        assert resp.status == 200
        assert resp.headers["Cache-Control"] == "no-cache"
    for bad in ("vendor/nope.js", "vendor/README.md", "..%2F..%2Fpages.py", "js/../../i18n.py"):
        async with session.get(f"{base}/static/{version}/{bad}") as resp:
            assert resp.status == 404, bad
            assert (await resp.json())["error"]["code"] == "not_found"
