"""Serving HLS objects: ``GET /media/{key}`` and ``GET /media/t/{token}/{key}``.

Only keys under ``live/``, ``vod/`` and ``series/`` are served (never ``originals/`` or upload
tails), and only while the item they belong to — the live event of ``live/<event_id>/…`` (its
replay too), the resource of ``vod/<resource_id>/…``, the series of ``series/<id>/…`` (its
uploaded cover) — may be seen: every request asks the
:data:`Gate` the composition root gives, the one place that decides (the visibility rule:
public items to anyone; a draft only through a playback token of its own staff, kept out of
shared caches; otherwise 404 as for an unknown key). Signed, expiring URLs plug in there.
The token variant exists so a playlist's relative URIs carry the playback session token down
to every segment: each such request is reported (fire-and-forget) as a heartbeat of that
session, which counts players without our JavaScript (DESIGN.md § Views).

Speed (DESIGN.md § Delivery): playlists and small hot segments are answered from a bounded
in-memory cache with a 1 s lifetime, so a crowd arriving at once hits memory; larger local
files go out with sendfile (``web.FileResponse``); S3 objects are streamed through or, when
configured, redirected to a presigned URL. ETag/If-None-Match (304) and single byte ranges
(RFC 9110 §14: 206, 416) are supported.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from aiohttp import web
from multidict import CIMultiDict

from culturecast.core import hls, llhls
from culturecast.core.referer import REFUSED, RefererRefused
from culturecast.media import signing
from culturecast.media.blocking import PartWaiter
from culturecast.storage.errors import InvalidRange, ObjectNotFound
from culturecast.storage.objects.keys import check_key
from culturecast.storage.objects.port import ObjectInfo, ObjectStore
from culturecast.transcode.command import PLAYLIST_NAME

log = logging.getLogger(__name__)

SERVED_PREFIXES = ("live/", "vod/", "series/")
_DIGITS = re.compile(r"[0-9]+")
"""RFC 9110 §14.1.2 1*DIGIT: ASCII only (``str.isdigit`` also takes "１" and "²")."""

LIVE_PLAYLIST_MEMORY_S = 0.25
"""How long a live playlist stays in the memory cache. It changes with every segment (1 s by
default) and a viewer's player finds a new segment only in a playlist it is sent, so a 1 s
cache would hide each segment for up to a second (half of one on average); a quarter second
still answers a crowd from memory, at four store reads a second per playlist."""


def memory_ttl(key: str, ttl_s: float) -> float:
    """Seconds ``key`` may be answered from the memory cache (``ttl_s`` for most objects)."""
    if key.startswith("live/") and key.endswith(".m3u8"):
        return min(ttl_s, LIVE_PLAYLIST_MEMORY_S)
    return ttl_s


type MediaCallback = Callable[[str, str], Awaitable[None] | None]


class Access(Enum):
    """What the gate allows for one media request."""

    DENIED = "denied"
    """404, as for a key that does not exist."""
    PUBLIC = "public"
    """Served with the object's own caching (segments for a year)."""
    PRIVATE = "private"
    """Served to the requester only (:data:`culturecast.core.hls.PRIVATE_CACHE`)."""


type RefererCheck = Callable[[str, str, str | None], Awaitable[bool]]
"""``check(key, referer, host)``: may a page at ``referer`` play object ``key`` (防盗链)?"""


class Gate(Protocol):
    """Who may have which object: the one place that decides (the composition root's)."""

    async def __call__(self, key: str, token: str | None) -> Access:
        """May this request (``token`` of ``/media/t/<token>/…``, or None) have ``key``?"""
        ...

    def peek(self, key: str, referer: str | None, host: str | None) -> bool:
        """Without waiting: True only when ``key``'s item is already known to be public and
        a page at ``referer`` (if any) may play it — the crowd's case, answered with no
        coroutine; False means "ask" (``__call__`` and the referer check)."""
        ...


def item_of(key: str) -> tuple[str, str] | None:
    """The item an object key belongs to: ``("live", event_id)`` for ``live/<event_id>/…``
    (the live stream and its replay), ``("resource", resource_id)`` for ``vod/<id>/…``,
    ``("series", series_id)`` for ``series/<id>/…`` (a series' cover)."""
    kind, _, rest = key.partition("/")
    item_id, slash, _ = rest.partition("/")
    if not slash or not item_id:
        return None
    if kind == "live":
        return "live", item_id
    if kind == "vod":
        return "resource", item_id
    if kind == "series":
        return "series", item_id
    return None


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """RFC 9110 §14.1.2: the one byte range ``(start, end)`` (inclusive) of ``header`` for an
    object of ``size`` bytes; None when the header is absent, malformed or asks for several
    ranges (the whole object is then sent, which §14.2 allows). ``ValueError`` when the range
    is syntactically fine but unsatisfiable (→ 416)."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    first, last = first.strip(), last.strip()
    if not first:
        # Suffix range: the last N bytes.
        if not _DIGITS.fullmatch(last):
            return None
        length = int(last)
        if length == 0 or size == 0:
            raise ValueError("empty suffix range")
        return max(0, size - length), size - 1
    if not _DIGITS.fullmatch(first) or (last and not _DIGITS.fullmatch(last)):
        return None
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        raise ValueError("range starts past the end")
    return start, min(end, size - 1)


def content_type(key: str, stored: str) -> str:
    """By the key's suffix (:mod:`culturecast.core.hls`), else as stored."""
    return hls.content_type(key, stored or hls.DEFAULT_TYPE)


def servable(key: str) -> bool:
    try:
        check_key(key)
    except ValueError:
        return False
    return key.startswith(SERVED_PREFIXES)


@dataclass(slots=True)
class _Entry:
    body: bytes
    etag: str
    content_type: str
    cache_control: str
    expires: float
    headers: CIMultiDict[str] = field(init=False)
    """The public response's headers, built once: a hit copies them (in C)."""

    def __post_init__(self) -> None:
        self.headers = CIMultiDict(_headers(self.content_type, self.cache_control, self.etag))


class HotCache:
    """A bounded LRU of small objects, each kept ``ttl_s`` seconds (time is a parameter)."""

    def __init__(self, max_bytes: int, ttl_s: float) -> None:
        self._max = max_bytes
        self._ttl = ttl_s
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0

    def get(self, key: str, now: float) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= now:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, key: str, entry: _Entry) -> None:
        if len(entry.body) > self._max:
            return
        if key in self._entries:
            self._drop(key)
        self._entries[key] = entry
        self._bytes += len(entry.body)
        while self._bytes > self._max:
            oldest = next(iter(self._entries))
            self._drop(oldest)

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key)
        self._bytes -= len(entry.body)

    @property
    def size_bytes(self) -> int:
        return self._bytes


class Delivery:
    """The media routes, bound to one object store."""

    def __init__(
        self,
        objects: ObjectStore,
        *,
        gate: Gate | None = None,
        on_media_request: MediaCallback | None = None,
        cache_bytes: int = 64 << 20,
        cache_ttl_s: float = 1.0,
        small_object_bytes: int = 512 * 1024,
        presign: bool = False,
        presign_ttl_s: int = 300,
        clock: Callable[[], float] = time.monotonic,
        parts: PartWaiter | None = None,
        signing_secret: str | None = None,
        wall_clock: Callable[[], float] = time.time,
        referer_check: RefererCheck | None = None,
    ) -> None:
        self._objects = objects
        self._parts = parts
        """Low-latency events: blocking playlist reloads wait on it (None: answered at once)."""
        self._gate = gate
        self._callback = on_media_request
        self._cache = HotCache(cache_bytes, cache_ttl_s)
        self._ttl = cache_ttl_s
        self._small = small_object_bytes
        self._presign = presign
        self._presign_ttl = presign_ttl_s
        self._clock = clock
        self._secret = signing_secret
        self._wall = wall_clock
        self._referer_check = referer_check
        self._tasks: set[asyncio.Future[None]] = set()
        self._pending: dict[str, str] = {}
        self._reporter: asyncio.Future[None] | None = None
        self._flights: dict[str, asyncio.Future[_Entry | ObjectInfo]] = {}

    async def plain(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, request.match_info["key"], None)

    async def signed(self, request: web.Request) -> web.StreamResponse:
        """``/media/s/<signature>/<expires>/<key>`` (:mod:`culturecast.media.signing`): an
        item that is not public, served privately while the signature holds."""
        key = request.match_info["key"]
        if self._secret is None:
            raise web.HTTPNotFound(reason="no such media object")
        match = request.match_info
        verdict = signing.verify(self._secret, key, match["sig"], match["expires"], self._wall())
        if verdict is not signing.Verdict.VALID:
            raise signing.refusal(verdict)
        return await self._serve(request, key, None, signed=True)

    async def with_token(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info["key"]
        response = await self._serve(request, key, request.match_info["token"])
        if self._callback is not None:
            self._notify(request.match_info["token"], key)
        return response

    def report(self, token: str, key: str) -> None:
        """Report a media request served elsewhere (the nginx edge's ``auth_request``)."""
        if self._callback is not None:
            self._notify(token, key)

    def _notify(self, token: str, key: str) -> None:
        # The hot path only notes the token (a dict store); one task per loop turn reports
        # what was noted, once per token, so a crowd costs no task per request.
        self._pending[token] = key
        if self._reporter is None:
            self._reporter = asyncio.ensure_future(self._report())
            self._tasks.add(self._reporter)
            self._reporter.add_done_callback(self._done)

    async def _report(self) -> None:
        assert self._callback is not None
        await asyncio.sleep(0)
        pending, self._pending = self._pending, {}
        self._reporter = None
        for token, key in pending.items():
            try:
                result = self._callback(token, key)
                if result is not None:
                    await result
            except Exception:
                log.exception("on_media_request failed")

    def _done(self, task: asyncio.Future[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("on_media_request failed: %s", task.exception())

    def hot(self, request: web.BaseRequest, key: str) -> web.Response | None:
        """The crowd's request, answered without waiting: ``key`` is in the memory cache, its
        item is already known to be public (and a page at the request's referer may play it)
        and this is no blocking playlist reload. None: the request needs the whole route.
        (``with_token`` reports a token's request besides; a caller of this does it with
        :meth:`report`.)"""
        entry = self._cache.get(key, self._clock())
        if entry is None:
            return None
        referer = request.headers.get("Referer")
        if self._gate is not None and not self._gate.peek(
            key, referer, request.host if referer else None
        ):
            return None
        if self._parts is not None and request.query_string and key.endswith(".m3u8"):
            return None
        # Only servable keys are ever cached, so a hit needs no second key check.
        return self._from_memory(request, entry)

    async def _serve(
        self, request: web.Request, key: str, token: str | None, *, signed: bool = False
    ) -> web.StreamResponse:
        answered = self.hot(request, key)
        if answered is not None:
            return answered
        entry = self._cache.get(key, self._clock())
        referer = request.headers.get("Referer")
        if entry is None and not servable(key):
            raise web.HTTPNotFound(reason="no such media object")
        access = Access.PUBLIC if self._gate is None else await self._gate(key, token)
        if access is Access.DENIED and signed:
            access = Access.PRIVATE
        if access is Access.DENIED:
            raise web.HTTPNotFound(reason="no such media object")
        if (
            referer
            and self._referer_check is not None
            and not await self._referer_check(key, referer, request.host)
        ):
            raise RefererRefused(REFUSED)
        private = access is Access.PRIVATE
        if self._parts is not None and key.startswith("live/") and key.endswith(".m3u8"):
            try:
                asked = llhls.blocking_query(dict(request.query))
            except ValueError as exc:
                raise web.HTTPBadRequest(reason=str(exc)) from None
            if asked is not None:
                return await self._blocking(request, key, asked, private)
        if entry is None:
            try:
                found = await self._lookup(key)
            except ObjectNotFound:
                found = await self._hinted_part(key)
            if isinstance(found, _Entry):
                entry = found
            else:
                ctype = content_type(key, found.content_type)
                cache_control = found.cache_control or hls.DEFAULT_CACHE
                if private:
                    cache_control = hls.PRIVATE_CACHE
                etag = f'"{found.etag.strip(chr(34))}"'
                return await self._large(request, key, found.size, ctype, cache_control, etag)
        return self._from_memory(request, entry, private)

    async def _blocking(
        self, request: web.Request, key: str, asked: tuple[int, int | None], private: bool
    ) -> web.StreamResponse:
        """Hold an ``_HLS_msn``/``_HLS_part`` reload until the playlist has that part (the
        packager's announcement wakes it), at most three target durations."""
        assert self._parts is not None
        msn, part = asked
        started = time.monotonic()
        while True:
            wake = self._parts.next_part(key)
            try:
                body = await self._objects.get(key)
            except ObjectNotFound:
                raise web.HTTPNotFound(reason="no such media object") from None
            edge = llhls.edge_of(body.decode("utf-8", "replace"))
            waited = time.monotonic() - started
            decision = llhls.reload_decision(edge, msn, part, waited_s=waited)
            if decision is llhls.Reload.TOO_FAR:
                raise web.HTTPBadRequest(reason="_HLS_msn is too far in the future")
            if decision is not llhls.Reload.WAIT:
                break
            target = edge.target_s if edge is not None else 1.0
            left = llhls.TIMEOUT_TARGETS * target - waited
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), max(0.01, left))
        etag = f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'
        entry = _Entry(body, etag, hls.PLAYLIST_TYPE, hls.LIVE_PLAYLIST_CACHE, 0.0)
        return self._from_memory(request, entry, private)

    async def _hinted_part(self, key: str) -> _Entry | ObjectInfo:
        """A live part that is not stored: the preload-hinted one is held until the
        packager announces it (then read again); any other is 404."""
        where = llhls.part_of(key) if self._parts is not None and key.startswith("live/") else None
        if where is None or self._parts is None:
            raise web.HTTPNotFound(reason="no such media object")
        folder, msn, part = where
        playlist = folder + PLAYLIST_NAME
        started = time.monotonic()
        while True:
            wake = self._parts.next_part(playlist)
            try:
                text = (await self._objects.get(playlist)).decode("utf-8", "replace")
            except ObjectNotFound:
                raise web.HTTPNotFound(reason="no such media object") from None
            edge = llhls.edge_of(text)
            waited = time.monotonic() - started
            decision = llhls.part_decision(edge, msn, part, waited_s=waited)
            if decision is llhls.Reload.ANSWER:
                try:
                    return await self._lookup(key)
                except ObjectNotFound:
                    raise web.HTTPNotFound(reason="no such media object") from None
            if decision is not llhls.Reload.WAIT or edge is None:
                raise web.HTTPNotFound(reason="no such media object")
            left = llhls.TIMEOUT_TARGETS * edge.target_s - waited
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), max(0.01, left))

    async def _lookup(self, key: str) -> _Entry | ObjectInfo:
        """The object from the store: a small one as a cached entry, a large one's facts.
        Concurrent misses for one key share one store read (a crowd asking for a playlist
        that just expired would otherwise each read it)."""
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.ensure_future(self._fetch(key))
            self._flights[key] = flight
            flight.add_done_callback(lambda _: self._flights.pop(key, None))
        return await asyncio.shield(flight)

    async def _fetch(self, key: str) -> _Entry | ObjectInfo:
        info = await self._objects.stat(key)
        if info.size > self._small:
            return info
        body = await self._objects.get(key)
        ctype = content_type(key, info.content_type)
        cache_control = info.cache_control or hls.DEFAULT_CACHE
        etag = f'"{info.etag.strip(chr(34))}"'
        expires = self._clock() + memory_ttl(key, self._ttl)
        entry = _Entry(body, etag, ctype, cache_control, expires)
        self._cache.put(key, entry)
        return entry

    def _from_memory(
        self, request: web.BaseRequest, entry: _Entry, private: bool = False
    ) -> web.Response:
        asked = request.headers
        if not private and "Range" not in asked and "If-None-Match" not in asked:
            return web.Response(body=entry.body, headers=entry.headers)
        cache_control = hls.PRIVATE_CACHE if private else entry.cache_control
        headers = _headers(entry.content_type, cache_control, entry.etag)
        if _not_modified(request, entry.etag):
            return web.Response(status=304, headers=headers)
        size = len(entry.body)
        try:
            span = parse_range(asked.get("Range"), size)
        except ValueError:
            return _unsatisfiable(headers, size)
        if span is None:
            return web.Response(body=entry.body, headers=headers)
        start, end = span
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        return web.Response(status=206, body=entry.body[start : end + 1], headers=headers)

    async def _large(
        self,
        request: web.Request,
        key: str,
        size: int,
        ctype: str,
        cache_control: str,
        etag: str,
    ) -> web.StreamResponse:
        headers = _headers(ctype, cache_control, etag)
        if _not_modified(request, etag):
            return web.Response(status=304, headers=headers)
        try:
            span = parse_range(request.headers.get("Range"), size)
        except ValueError:
            return _unsatisfiable(headers, size)
        path = await self._objects.local_path(key)
        if path is not None:
            start, end = span if span is not None else (0, size - 1)
            if span is None:
                # sendfile: the kernel copies the file to the socket.
                return web.FileResponse(path, headers=headers)
            with path.open("rb") as handle:
                handle.seek(start)
                body = await asyncio.to_thread(handle.read, end - start + 1)
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
            return web.Response(status=206, body=body, headers=headers)
        if self._presign:
            url = await self._objects.presign_get(key, self._presign_ttl)
            if url is not None:
                raise web.HTTPFound(url, headers={"Cache-Control": "no-store"})
        if span is not None:
            start, end = span
            try:
                body = await self._objects.get_range(key, start, end)
            except InvalidRange:
                return _unsatisfiable(headers, size)
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
            return web.Response(status=206, body=body, headers=headers)
        stream = web.StreamResponse(headers=headers)
        stream.content_length = size
        await stream.prepare(request)
        if request.method != "HEAD":
            async for chunk in self._objects.stream(key):
                await stream.write(chunk)
        await stream.write_eof()
        return stream

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()


def _headers(ctype: str, cache_control: str, etag: str) -> dict[str, str]:
    return {
        "Content-Type": ctype,
        "Cache-Control": cache_control,
        "ETag": etag,
        "Accept-Ranges": "bytes",
        # hls.js players on other origins (a WeChat page, an embed) fetch with CORS.
        "Access-Control-Allow-Origin": "*",
    }


def _not_modified(request: web.BaseRequest, etag: str) -> bool:
    # RFC 9110 §13.1.2: weak comparison; "*" matches any current representation.
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or etag in tags


def _unsatisfiable(headers: dict[str, str], size: int) -> web.Response:
    headers = {**headers, "Content-Range": f"bytes */{size}"}
    headers.pop("Content-Type", None)
    return web.Response(status=416, headers=headers)
