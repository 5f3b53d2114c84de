"""The gate between ffmpeg and an ``http(s)://…m3u8`` pull source.

ffmpeg's HLS demuxer follows every URL a playlist names, and redirects, without asking:
a source URL that passed the pull policy could still lead it to ``169.254.169.254`` or a
loopback address. So ffmpeg reads the source through this gate, a small HTTP server on
``127.0.0.1`` (one per attempt, behind a random path): the gate fetches each URL itself —
checked with the same policy as the source URL (form, every address the host resolves to,
``CULTURECAST_PULL_ALLOW``), each redirect hop checked again, the connection pinned to the
checked address — and hands ffmpeg playlists rewritten to name only the gate
(``hls_rewrite.py``). A refused URL is answered 403 and reported through ``on_refused``;
nothing connects to it.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import socket
from collections.abc import Callable, Sequence
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from culturecast.core.errors import Sentence
from culturecast.live.service import AsyncResolver
from culturecast.live.sources import hls_rewrite, pull

log = logging.getLogger("culturecast.live.sources")

MAX_REDIRECTS = 5
MAX_URLS = 100_000
"""URLs one gate hands out at most (a live playlist names new segments all the time)."""
CHUNK = 64 * 1024


class _Pinned(AbstractResolver):
    """aiohttp's resolver for the gate: only the addresses the policy checked for a host
    (anything else is refused), so the connection reaches exactly what was checked."""

    def __init__(self) -> None:
        self.pins: dict[str, list[pull.Address]] = {}

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = self.pins.get(host)
        if not addresses:
            raise OSError(f"{host} was not checked by the pull policy")
        return [
            ResolveResult(
                hostname=host,
                host=str(a),
                port=port,
                family=socket.AF_INET6 if a.version == 6 else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for a in addresses
        ]

    async def close(self) -> None:
        return None


class HlsGate:
    """One pull attempt's gate; :meth:`start` gives the URL ffmpeg reads."""

    def __init__(
        self,
        source_url: str,
        *,
        resolve: AsyncResolver,
        allow: Sequence[pull.Network],
        on_refused: Callable[[pull.PullRefused], None],
        timeout_s: float = 10.0,
        resuming: bool = False,
    ) -> None:
        self.resolve = resolve
        self.resuming = resuming
        """A retry of a source that was on air: an ended playlist is not aired again."""
        self.ended = False
        """A media playlist said ``#EXT-X-ENDLIST``: the source's show is over."""
        self.allow = tuple(allow)
        self.on_refused = on_refused
        self.timeout_s = timeout_s
        self.token = secrets.token_urlsafe(16)
        self.urls: list[str] = [source_url]
        self._index: dict[str, int] = {source_url: 0}
        self._pinned = _Pinned()
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.ServerRunner | None = None
        self._base = ""

    async def start(self) -> str:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(resolver=self._pinned, use_dns_cache=False),
            timeout=aiohttp.ClientTimeout(sock_connect=self.timeout_s, sock_read=self.timeout_s),
            auto_decompress=True,
        )
        self._runner = web.ServerRunner(web.Server(self._handle), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self._base = f"http://127.0.0.1:{port}/{self.token}"
        return self.local(self.urls[0])

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def local(self, url: str) -> str:
        """The gate's address for ``url`` (its file name kept: ffmpeg's HLS demuxer looks at
        the extension)."""
        n = self._index.get(url)
        if n is None:
            if len(self.urls) >= MAX_URLS:
                self.urls, self._index = self.urls[:1], {self.urls[0]: 0}
            n = self._index[url] = len(self.urls)
            self.urls.append(url)
        name = PurePosixPath(urlsplit(url).path).name or "index"
        return f"{self._base}/{n}/{name}"

    # ------------------------------------------------------------ serving ffmpeg

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        parts = request.path.strip("/").split("/")
        if len(parts) < 2 or parts[0] != self.token or not parts[1].isdigit():
            return web.Response(status=404)
        n = int(parts[1])
        if n >= len(self.urls):
            return web.Response(status=404)
        try:
            return await self._relay(request, self.urls[n])
        except pull.PullRefused as refused:
            log.warning("live: pull gate refused %s: %s", self.urls[n][:200], refused.sentence.en)
            self.on_refused(refused)
            return web.Response(status=403, text=refused.sentence.en)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.info("live: pull gate could not fetch %s: %s", self.urls[n][:200], exc)
            return web.Response(status=502)

    async def _relay(self, request: web.BaseRequest, url: str) -> web.StreamResponse:
        assert self._session is not None
        headers = {"Range": request.headers["Range"]} if "Range" in request.headers else {}
        for _hop in range(MAX_REDIRECTS + 1):
            await self._check(url)
            async with self._session.get(url, allow_redirects=False, headers=headers) as answer:
                if answer.status in (301, 302, 303, 307, 308) and "Location" in answer.headers:
                    url = urljoin(url, answer.headers["Location"])
                    continue
                return await self._answer(request, url, answer)
        raise pull.PullRefused(
            "hls_too_many_redirects",
            Sentence(
                f"拉流地址重定向超过 {MAX_REDIRECTS} 次，已停止。",
                f"The pull source redirected more than {MAX_REDIRECTS} times; stopped.",
            ),
        )

    async def _check(self, url: str) -> None:
        """The URL's form and every address of its host; the connection is pinned to them."""
        parsed = pull.check_fetch_url(url)
        literal = pull.literal(parsed.host)
        names = [str(literal)] if literal is not None else await self.resolve(parsed.host)
        self._pinned.pins[parsed.host] = pull.check_addresses(names, self.allow)

    async def _answer(
        self, request: web.BaseRequest, url: str, answer: aiohttp.ClientResponse
    ) -> web.StreamResponse:
        if answer.status >= 400:
            return web.Response(status=answer.status)
        head = await answer.content.read(CHUNK)
        if hls_rewrite.is_playlist(head.decode("utf-8", "replace")):
            body = head + await answer.content.read(hls_rewrite.MAX_PLAYLIST - len(head))
            decoded = body.decode("utf-8", "replace")
            if hls_rewrite.has_ended(decoded):
                self.ended = True
                if self.resuming:
                    return web.Response(status=410)
            text = hls_rewrite.rewrite(decoded, url, self.local)
            return web.Response(text=text, content_type="application/vnd.apple.mpegurl")
        response = web.StreamResponse(status=answer.status)
        for name in ("Content-Type", "Content-Range"):
            if name in answer.headers:
                response.headers[name] = answer.headers[name]
        await response.prepare(request)
        with contextlib.suppress(ConnectionResetError):
            await response.write(head)
            async for chunk in answer.content.iter_chunked(CHUNK):
                await response.write(chunk)
            await response.write_eof()
        return response


def gate_input_args(local_url: str, *, timeout_s: float = 10.0) -> list[str]:
    """ffmpeg's input through the gate: plain http to 127.0.0.1 only."""
    micro = str(int(timeout_s * 1_000_000))
    return [
        "-re",  # an ended (VOD) playlist airs in real time, not as fast as it downloads
        "-protocol_whitelist",
        "http,tcp,hls,crypto",
        "-rw_timeout",
        micro,
        "-reconnect",
        "0",
        "-i",
        local_url,
    ]
