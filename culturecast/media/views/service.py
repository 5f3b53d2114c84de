"""Playback sessions: ``play`` starts one, heartbeats (and media requests carrying its token)
account it, and the figures go to the counters through the write-behind buffer.

Identity. A session has a random token (24 bytes, URL-safe) that goes into its media URLs, and
a session id that is a hash of the token: the server stores neither the token nor anything
from which it follows, and a leaked session id does not open the media URLs. Either one
authorizes heartbeats for that session only. The viewer is the signed-in user (``u:<id>``),
else the device id of the ``cc_did`` cookie (``d:<id>``), so "the same viewer and item within
30 min count once" holds without signing in.

State. Sessions live in the counters port (``state.py``), where every api process sees them;
each beat is applied by compare-and-set, so when two processes race on one session exactly
one applies its beat to a given state and the other re-reads and applies its own on top. A
process keeps the sessions it last wrote in a small cache, so a beat normally costs one
round trip (the swap).

Live shows. A live session's beats are accounted against its show's end (``onair.py``): the
first beat after the end accounts the time up to it, and every beat from then on is refused
with ``ShowEnded``; such beats never count the session as a concurrent viewer.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import logging
import math
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import msgspec

from culturecast.core.calendar import cst_day, cst_day_end, cst_day_start
from culturecast.core.coalesce import Coalesced
from culturecast.media.views import state
from culturecast.media.views.buffer import CounterBuffer, read_peak
from culturecast.media.views.errors import (
    LoginRequired,
    NotPlayable,
    RateLimited,
    ShowEnded,
    UnknownItem,
    UnknownSession,
)
from culturecast.media.views.items import (
    UNAVAILABLE_MESSAGES,
    ItemResolver,
    PlayableItem,
    Unavailable,
)
from culturecast.media.views.limits import AddressLimiter
from culturecast.media.views.onair import OnAirShows
from culturecast.media.views.policy import (
    BeatRejection,
    Heartbeat,
    ItemType,
    PeakTracker,
    PlaybackSession,
    Terminal,
    ViewDeltas,
    ViewRules,
    apply_heartbeat,
    check_heartbeat,
    prior_play_of,
    start_session,
)
from culturecast.media.views.realtime import (
    ACTIVITY_CHANNEL,
    activity_line,
    read_realtime,
    realtime_fields,
    title_key,
)
from culturecast.storage.counters.port import Counters, Subscription

log = logging.getLogger("culturecast.views")

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")
_SWAP_ATTEMPTS = 8
_IDENTITY_REFRESH_S = 3600.0


@dataclass(frozen=True, slots=True)
class ViewsConfig:
    """Tunables of view counting (the definitions themselves are in ``rules``)."""

    rules: ViewRules = field(default_factory=ViewRules)
    """The view definitions' thresholds."""
    drain_interval_s: float = 1.0
    """How often buffered figures are written to the counters; 0 writes on every beat."""
    flush_interval_s: float = 60.0
    """How often the counters are flushed into daily statistics in the database."""
    plays_per_minute: int = 60
    """Session starts allowed per client address per minute."""
    beats_per_minute: int = 1200
    """Heartbeats allowed per client address per minute (a school behind one address)."""
    token_touch_interval_s: float = 5.0
    """Media requests carrying a token count as a heartbeat at most this often per session."""
    session_cache_size: int = 100_000
    """Sessions this process remembers to save a read per beat."""
    media_prefix: str = "/media/t"
    """Where media is served with a session token: ``<prefix>/<token>/<key>``."""
    live_status_refresh_s: float = 1.0
    """How long this process trusts that a live show is on air before reading its event
    again (a status notice tells it at once; this bounds the cost of a lost notice). 0 reads
    the event on every beat of a live session."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is watching, for plays' dedupe and distinct viewers."""

    id: str
    """``u:<user id>`` or ``d:<device id>``."""
    signed_in: bool
    """Whether a user is signed in."""


@dataclass(frozen=True, slots=True)
class PlayStarted:
    """A started session, as ``POST /api/v1/play`` returns it."""

    session_id: str
    token: str
    master_url: str
    heartbeat_interval_s: float
    item: PlayableItem
    play_counted: bool


class BeatOutcome(StrEnum):
    """What became of one beat (also the ``outcome`` label on ``/metrics``)."""

    ACCEPTED = "accepted"
    """Accounted."""
    IGNORED = "ignored"
    """Stale or out of order (or, for a media request, not counted)."""
    SHOW_ENDED = "show_ended"
    """A beat of a live session whose show has ended: the time up to the end is accounted
    (by the first such beat), nothing after it."""


def session_id_of(token: str) -> str:
    """The session id belonging to a token (a hash: the id does not reveal the token)."""
    digest = hashlib.sha256(token.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:22]


def is_token(value: str) -> bool:
    return bool(_TOKEN.match(value))


def is_session_id(value: str) -> bool:
    return bool(_SESSION_ID.match(value))


_TITLE_TTL_S = 2 * 24 * 3600


class ViewsService:
    """Starts and accounts playback sessions."""

    def __init__(
        self,
        counters: Counters,
        resolver: ItemResolver,
        clock: Callable[[], float],
        config: ViewsConfig | None = None,
    ) -> None:
        self.config = config or ViewsConfig()
        self.rules = self.config.rules
        self._counters = counters
        self._resolver = resolver
        self._clock = clock
        self.buffer = CounterBuffer(counters, self.rules)
        self._shows = OnAirShows(resolver, self.config.live_status_refresh_s)
        # The crowd's plays of one item share a read (the next that starts after each asked).
        self._items: Coalesced[tuple[ItemType, str], PlayableItem | None] = Coalesced(
            lambda key: resolver.resolve(*key)
        )
        self._play_limit = AddressLimiter(counters, "play", self.config.plays_per_minute)
        self._beat_limit = AddressLimiter(counters, "beat", self.config.beats_per_minute)
        # The stored text of each session this process last wrote, with its decoded record:
        # the text is what the compare-and-set compares, the record saves a decode per beat.
        # ... and when this process last wrote the session's identity key (see state.py).
        self._cache: OrderedDict[str, tuple[str, state.SessionRecord, float]] = OrderedDict()
        self._day = ("", 0.0, 0.0)  # the CST day last accounted, and its [start, end)
        self._session_ttl = state.ttl_seconds(self.rules.session_expiry_seconds + 60)
        # Rewritten at most every _IDENTITY_REFRESH_S by a process beating the session, the
        # identity outlives the progress key written after it (which lives _session_ttl).
        self._identity_ttl = self._session_ttl + 2 * int(_IDENTITY_REFRESH_S)
        # No drain loop: figures go to the counters on every beat (tests, a single process).
        self._write_through = self.config.drain_interval_s <= 0
        self.media_requests_seen = 0
        """Token-carrying media requests handled so far (counted or not)."""
        self.sessions_started = 0
        """Playback sessions this process started (for /metrics)."""
        self.beats: collections.Counter[tuple[str, str]] = collections.Counter()
        """Beats by (source, outcome) for /metrics. ``heartbeat``: ``accepted``, ``ignored``
        (stale or out of order), ``show_ended`` (a live session whose show has ended, answered
        409) or ``unknown`` (no such session, or expired, answered 404); ``media`` (a request
        carrying a session token): ``accepted`` (counted as a beat) or ``ignored`` (too soon
        after the last, an unknown token, or a show that has ended)."""

    # -- starting ---------------------------------------------------------------------------

    async def play(
        self,
        item_type: ItemType,
        item_id: str,
        terminal: Terminal,
        viewer: Viewer,
        address: str,
        may_preview: Callable[[PlayableItem], bool] = lambda item: False,
        *,
        device: str = "other",
        region: str = "",
    ) -> PlayStarted:
        """Start a session for ``viewer`` (refused: unknown item, not playable, sign-in). An
        item that is not public plays only where ``may_preview(item)`` (its staff)."""
        now = self._clock()
        if not await self._play_limit.hit(address, now):
            raise RateLimited()
        item = await self._items.get((item_type, item_id))
        if item is None:
            raise UnknownItem(item_type.value)
        if not item.public and not may_preview(item):
            # A draft is, to anyone but its staff, what an unknown id is (issue 18).
            raise UnknownItem(item_type.value)
        if item.unavailable is None and item.master_key is None:
            item = replace(item, unavailable=Unavailable.NOT_READY)
        if item.unavailable is not None:
            raise NotPlayable(item.unavailable, UNAVAILABLE_MESSAGES[item.unavailable])
        if not item.public and not viewer.signed_in:
            raise LoginRequired()

        token = secrets.token_urlsafe(24)
        session_id = session_id_of(token)
        session, deltas = await self._start(session_id, item, terminal, viewer, now)
        record = state.SessionRecord(
            session=session,
            org_path=item.org_path,
            is_live=item.is_live,
            device=device,
            region=region,
        )
        await self._counters.set_value(
            state.identity_key(session_id), state.encode_identity(record), self._identity_ttl
        )
        raw = state.encode_progress(session)
        await self._counters.set_value(state.session_key(session_id), raw, self._session_ttl)
        self._remember(session_id, raw, record, now)
        if item.is_live:
            self._shows.on_air(item.item_id, now)
        self._account(record, deltas, now, on_air=item.is_live)
        await self._announce(item, record, now)
        self.sessions_started += 1
        if self._write_through:
            await self.drain()
        return PlayStarted(
            session_id=session_id,
            token=token,
            master_url=f"{self.config.media_prefix}/{token}/{item.master_key}",
            heartbeat_interval_s=self.rules.heartbeat_interval_seconds,
            item=item,
            play_counted=session.play_counted,
        )

    async def _announce(self, item: PlayableItem, record: state.SessionRecord, now: float) -> None:
        """The data screen's title of the item, and a masked ticker line (``realtime.py``)."""
        try:
            await self._counters.set_value(
                title_key(item.item_type, item.item_id), item.title, _TITLE_TTL_S
            )
            line = activity_line(
                org_path=item.org_path,
                at=now,
                region=record.region,
                terminal=record.session.terminal,
                title=item.title,
            )
            await self._counters.publish(ACTIVITY_CHANNEL, line)
        except Exception:  # the screen is not worth failing a play for
            log.exception("data screen not told of a play")

    async def _start(
        self,
        session_id: str,
        item: PlayableItem,
        terminal: Terminal,
        viewer: Viewer,
        now: float,
    ) -> tuple[PlaybackSession, ViewDeltas]:
        key = state.prior_key(item.item_type, item.item_id, viewer.id)
        for _ in range(_SWAP_ATTEMPTS):
            raw_prior = await self._counters.get_flag(key)
            session, deltas = start_session(
                session_id=session_id,
                item_type=item.item_type,
                item_id=item.item_id,
                org_id=item.org_id,
                category=item.category,
                terminal=terminal,
                viewer_id=viewer.id,
                duration=item.duration_s,
                prior=state.decode_prior(raw_prior),
                now=now,
                rules=self.rules,
            )
            if not session.play_counted:
                return session, deltas
            # Only one of two simultaneous starts by one viewer counts the play.
            remembered = state.encode_prior(prior_play_of(session))
            ttl = state.ttl_seconds(self.rules.play_dedupe_seconds)
            if await self._counters.swap_value(key, raw_prior, remembered, ttl):
                return session, deltas
        log.warning("play dedupe of %s not settled after %d tries", key, _SWAP_ATTEMPTS)
        return session, deltas

    # -- heartbeats -------------------------------------------------------------------------

    def session_id_for(self, session_id: str | None, token: str | None) -> str:
        """The session a beat names by id or token (malformed ones name no session)."""
        if token is not None:
            if not is_token(token):
                raise UnknownSession()
            return session_id_of(token)
        if session_id is None or not is_session_id(session_id):
            raise UnknownSession()
        return session_id

    def admit_beats(self, address: str, count: int) -> None:
        """Count ``count`` heartbeats from ``address``; RateLimited over the limit."""
        if not self._beat_limit.hit_local(address, self._clock(), count):
            raise RateLimited()

    async def heartbeat(self, session_id: str, beat: Heartbeat) -> bool:
        """Account one beat now: True when accepted, False when ignored as stale or out of
        order; UnknownSession when the session does not exist or has expired; ShowEnded when
        it is a live session whose show has ended (after accounting the time up to the end)."""
        try:
            outcome = await self._beat(session_id, beat, self._clock())
        except UnknownSession:
            self.beats["heartbeat", "unknown"] += 1
            raise
        self.beats["heartbeat", str(outcome)] += 1
        if self._write_through:
            await self.drain()
        if outcome is BeatOutcome.SHOW_ENDED:
            raise ShowEnded()
        return outcome is BeatOutcome.ACCEPTED

    async def viewer_of(self, token: str) -> str | None:
        """The viewer (``u:<user id>`` or ``d:<device id>``) of the playback session a token
        names, or None (malformed, unknown or expired); reads only."""
        if not is_token(token):
            return None
        session_id = session_id_of(token)
        cached = self._cache.get(session_id)
        record = cached[1] if cached is not None else (await self._load(session_id))[1]
        return None if record is None else record.session.viewer_id

    async def touch_by_token(self, token: str, key: str, now: float | None = None) -> bool:
        """A media request (playlist or segment ``key``) carrying a session token counts as a
        heartbeat — state playing, position unknown — so players without our JavaScript (TV
        boxes, native apps) are counted. At most one per ``token_touch_interval_s``; unknown or
        expired tokens are ignored (the media is still served). True when it counted."""
        try:
            counted = await self._touch(token, now)
        finally:
            self.media_requests_seen += 1
        self.beats["media", "accepted" if counted else "ignored"] += 1
        return counted

    async def _touch(self, token: str, now: float | None) -> bool:
        if not is_token(token):
            return False
        when = self._clock() if now is None else now
        session_id = session_id_of(token)
        cached = self._cache.get(session_id)
        if cached is not None:
            record = cached[1]
            if 0 <= when - record.session.last_beat_at < self.config.token_touch_interval_s:
                return False
        try:
            outcome = await self._beat(session_id, Heartbeat(), when)
        except UnknownSession:
            return False
        if self._write_through:
            await self.drain()
        return outcome is BeatOutcome.ACCEPTED

    async def _beat(self, session_id: str, beat: Heartbeat, now: float) -> BeatOutcome:
        key = state.session_key(session_id)
        cached = self._cache.get(session_id)
        raw: str | None
        record: state.SessionRecord | None
        if cached is not None:
            raw, record, written = cached
        else:
            raw, record, written = await self._load(session_id)
        for _ in range(_SWAP_ATTEMPTS):
            if raw is None or record is None:
                self._cache.pop(session_id, None)
                raise UnknownSession()
            ended_at: float | None = None
            if record.is_live:
                known, ended_at = self._shows.cached(record.session.item_id, now)
                if not known:
                    ended_at = await self._shows.read(record.session.item_id, now)
            rejection = check_heartbeat(record.session, beat, now, self.rules, ended_at)
            if rejection is BeatRejection.EXPIRED:
                self._cache.pop(session_id, None)
                await self._counters.delete(key, state.identity_key(session_id))
                raise UnknownSession()
            if rejection is BeatRejection.SHOW_ENDED:
                return BeatOutcome.SHOW_ENDED
            if rejection is not None:
                return BeatOutcome.IGNORED
            session, deltas = apply_heartbeat(record.session, beat, self.rules, now, ended_at)
            updated = msgspec.structs.replace(record, session=session)
            if now - written >= _IDENTITY_REFRESH_S:
                await self._counters.set_value(
                    state.identity_key(session_id),
                    state.encode_identity(updated),
                    self._identity_ttl,
                )
                written = now
            new_raw = state.encode_progress(session)
            if await self._counters.swap_value(key, raw, new_raw, self._session_ttl):
                self._remember(session_id, new_raw, updated, written)
                if deltas.effective or deltas.completions:  # rare: skip the coroutine
                    deltas = await self._claim(session, deltas, now)
                self._account(updated, deltas, now, on_air=ended_at is None)
                return BeatOutcome.ACCEPTED if ended_at is None else BeatOutcome.SHOW_ENDED
            # Another process changed the session since this one saw it: start again from now.
            raw, record, _ = await self._load(session_id)
        log.warning("session %s not updated after %d tries", session_id, _SWAP_ATTEMPTS)
        return BeatOutcome.IGNORED

    async def _load(self, session_id: str) -> tuple[str | None, state.SessionRecord | None, float]:
        """The stored progress text, the record, and when this process last wrote the identity
        (never: the first accepted beat here rewrites it, renewing its expiry)."""
        raw = await self._counters.get_flag(state.session_key(session_id))
        if raw is None:
            return None, None, -math.inf
        whole = state.decode_record(raw)  # written whole, before the split: still counts
        if whole is not None:
            return raw, whole, -math.inf
        base = state.decode_identity(await self._counters.get_flag(state.identity_key(session_id)))
        return raw, None if base is None else state.with_progress(base, raw), -math.inf

    async def _claim(self, session: PlaybackSession, deltas: ViewDeltas, now: float) -> ViewDeltas:
        """Count a play's effective view and completion once among the sessions continuing it
        (policy: "counted at most once between them"), via the remembered prior play."""
        if not (deltas.effective or deltas.completions):
            return deltas
        if now - session.play_at >= self.rules.play_dedupe_seconds:
            return deltas  # no later session can continue this play any more
        key = state.prior_key(session.item_type, session.item_id, session.viewer_id)
        for _ in range(_SWAP_ATTEMPTS):
            raw = await self._counters.get_flag(key)
            prior = state.decode_prior(raw)
            if prior is None or prior.at != session.play_at:
                return deltas
            effective = bool(deltas.effective) and not prior.effective_counted
            completion = bool(deltas.completions) and not prior.completion_counted
            claimed = replace(
                prior,
                effective_counted=prior.effective_counted or bool(deltas.effective),
                completion_counted=prior.completion_counted or bool(deltas.completions),
            )
            ttl = state.ttl_seconds(session.play_at + self.rules.play_dedupe_seconds - now)
            if claimed == prior or await self._counters.swap_value(
                key, raw, state.encode_prior(claimed), ttl
            ):
                return replace(deltas, effective=int(effective), completions=int(completion))
        return deltas

    # -- accounting -------------------------------------------------------------------------

    def _account(
        self, record: state.SessionRecord, deltas: ViewDeltas, now: float, *, on_air: bool
    ) -> None:
        """Buffer the figures; ``on_air``: a live session's show is on air at ``now``, so the
        session is a concurrent viewer."""
        session = record.session
        day = self._cst_day(now)
        self.buffer.add_figures(
            day=day,
            item_type=session.item_type,
            item_id=session.item_id,
            org_path=record.org_path,
            category=session.category,
            terminal=session.terminal,
            deltas=deltas,
            device=record.device,
            region=record.region,
        )
        self.buffer.add_realtime(
            day,
            record.org_path,
            realtime_fields(
                item_type=session.item_type,
                item_id=session.item_id,
                terminal=session.terminal,
                device=record.device,
                region=record.region,
                plays=deltas.plays,
                watch_seconds=deltas.watch_seconds,
                is_live=record.is_live,
            ),
        )
        self.buffer.add_viewer(
            day=day,
            item_type=session.item_type,
            item_id=session.item_id,
            org_path=record.org_path,
            viewer=session.viewer_id,
        )
        if record.is_live and on_air:
            self.buffer.touch(session.item_type, session.item_id, session.session_id, now)

    def _cst_day(self, now: float) -> str:
        """``cst_day(now)``, computed once per day (China has no daylight saving time, so a
        CST day is always 86 400 s long)."""
        day, start, end = self._day
        if not start <= now < end:
            day = cst_day(now)
            self._day = (day, cst_day_start(day), cst_day_end(day))
        return day

    def _remember(
        self, session_id: str, raw: str, record: state.SessionRecord, identity_written: float
    ) -> None:
        cache = self._cache
        cache[session_id] = (raw, record, identity_written)
        cache.move_to_end(session_id)
        while len(cache) > self.config.session_cache_size:
            cache.popitem(last=False)

    async def drain(self) -> None:
        """Write buffered figures to the counters and share heartbeat counts per address."""
        await self.buffer.drain()
        await self._beat_limit.sync(self._clock())

    # -- live figures -----------------------------------------------------------------------

    async def on_live_status(self, event_id: str, status: str) -> None:
        """A live event's status changed (a notice from the live package, in every process):
        read it again on its next beat, so a show that ended stops counting at once."""
        self._shows.forget(event_id)

    async def realtime(self, org_id: str) -> dict[str, Any]:
        """The data screen's figures of ``org_id`` now (``realtime.py``), after writing what
        this process holds, so they include it."""
        await self.buffer.drain()
        return await read_realtime(
            self._counters, org_id, self._clock(), self.rules.concurrent_window_seconds
        )

    async def activity(self) -> Subscription:
        """A subscription to the masked activity lines of every process."""
        return await self._counters.subscribe(ACTIVITY_CHANNEL)

    async def concurrent(self, item_type: ItemType, item_id: str) -> int:
        """在线人数 now: sessions of the item with a beat in the last 30 s."""
        since = self._clock() - self.rules.concurrent_window_seconds
        return await self._counters.presence_count(state.presence_key(item_type, item_id), since)

    async def peak(self, item_type: ItemType, item_id: str) -> PeakTracker:
        """The peak concurrent viewers of the item and when it was first reached."""
        return await read_peak(self._counters, item_type, item_id)
