"""View-counting policy: the figures of DESIGN.md § "Views and statistics", as pure code.

Definitions (every threshold is a field of `ViewRules`; defaults in brackets)
==============================================================================

A *playback session* starts when a player asks to play an item (a live stream
or a resource) and gets a session id. The player then sends *heartbeats*
[every 15 s] carrying its state (playing, paused, buffering, ended), its
position and a sequence number. Segment and playlist requests carrying the
session token count as heartbeats too (state playing, no position, no
sequence), so TV boxes and native players without our JavaScript are counted.

play (观看人次/点击量)
    One per session start. The same viewer and item within [30 min] of the
    play last counted for them count once: the later session *continues* that
    play, so the play's effective view and completion are still counted at
    most once between them (and 播完率 cannot exceed 100 %). The window runs
    from the counted play, not from every session start, so a viewer who
    comes back every 20 minutes counts once every 40 minutes, not never again.

watch time (浏览/学习时长)
    Heartbeat-accounted seconds. An accepted heartbeat adds the time since the
    previous accepted heartbeat (the session start for the first one), at most
    [2 ×] the heartbeat interval, and only if the player was playing during
    that interval, i.e. the state it last reported was playing (a session
    starts playing; players report a pause at once, so the state last reported
    is the state in force). A session never accrues more than the wall-clock
    time since it started, whatever its beats and seeks claim; a live session
    accrues at most [4 h], and nothing after its show ended: watch time of a
    live session never exceeds the time the show was on air while the session
    existed. Once a beat has accounted the time up to the end, the session's
    later beats are ignored (a replay is watched in a new session).

effective view (有效观看)
    The session's own watch time passes a threshold, strictly:
    on a mobile-H5 terminal, more than [30 s] (seed 004: 手机微网站 单次学习时长
    超过30秒), whatever the item; otherwise for live, more than [30 s]; for a
    resource, more than [20 %] of its duration (seed 004: 超过视频总时长的20%).
    A resource of unknown duration is judged like live. Counted once per play.
    *Effective watch time* (有效学习时长, seed 004) is the watch time of
    sessions that are effective views, all of it from the session's start.

completion (播完)
    The session reached [90 %] of the resource's duration (its furthest
    position, or an ended state) *and* its watch time is at least what playing
    that far takes at the fastest speed players offer [2×]: [45 %] of the
    duration. A position is the player's claim and can be sent by anyone;
    watch time is bounded by the wall clock, so a completion costs real time
    (DESIGN.md's "reached 90 % of the duration" is read this way). Positions
    that are not finite or are negative are ignored, and a position beyond the
    duration counts as the end. Live sessions have no duration and never
    complete. Counted once per play. 播完率 = completions / plays.

concurrent viewers (在线人数)
    Sessions with a heartbeat in the last [30 s], inclusive, of a show on air:
    a show that has ended has none, and beats after its end are not counted.
    The peak and the time it was first reached are kept per stream.

unique viewers (观看人数)
    Distinct viewer ids per item per China Standard Time day, counted on the
    session's start and on every accepted heartbeat.

day and month
    Figures are bucketed by China Standard Time (UTC+8, no daylight saving):
    the day starts at 16:00 UTC of the previous calendar day (``core/calendar.py``).

Heartbeats are ignored (nothing changes, nothing is counted) when the session
has expired (no accepted beat for [5 min]), when the live show it watched has
ended and its time up to the end is accounted, when they arrive with a time
before the last accepted one, or when their sequence number is not above the
last accepted one (replayed or out of order).

Times are seconds since the Unix epoch (UTC), passed in by the caller; nothing
here reads a clock or does I/O.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "NO_CHANGE",
    "BeatRejection",
    "Heartbeat",
    "ItemType",
    "PeakTracker",
    "PlaybackSession",
    "PlayerState",
    "PriorPlay",
    "Terminal",
    "ViewDeltas",
    "ViewRules",
    "apply_heartbeat",
    "check_heartbeat",
    "completion_rate",
    "has_completed",
    "is_effective",
    "is_expired",
    "prior_play_of",
    "should_count_play",
    "start_session",
    "terminal_from_user_agent",
]


class ItemType(StrEnum):
    """What is being played; the wire values of `POST /api/v1/play`."""

    LIVE = "live"
    RESOURCE = "resource"


class Terminal(StrEnum):
    """Where the viewer watches; figures are kept per terminal (DESIGN.md)."""

    WEB = "web"
    MOBILE_H5 = "mobile_h5"
    WECHAT = "wechat"
    APP = "app"
    TV = "tv"


class PlayerState(StrEnum):
    """The player state a heartbeat reports."""

    PLAYING = "playing"
    PAUSED = "paused"
    BUFFERING = "buffering"
    ENDED = "ended"


class BeatRejection(StrEnum):
    """Why a heartbeat was ignored."""

    EXPIRED = "expired"
    """No beat was accepted for `ViewRules.session_expiry_seconds`; start a new session."""
    STALE = "stale"
    """The beat's time is before the last accepted beat's."""
    OUT_OF_ORDER = "out_of_order"
    """The beat's sequence number is not above the last accepted one (replayed or reordered)."""
    SHOW_ENDED = "show_ended"
    """The live show the session watched has ended and the session's time up to the end is
    accounted; a replay is watched in a new session."""


@dataclass(frozen=True, slots=True)
class ViewRules:
    """Every threshold of the view definitions; the defaults are DESIGN.md's."""

    play_dedupe_seconds: float = 30 * 60
    """The same viewer and item within this long of their counted play count one play."""
    heartbeat_interval_seconds: float = 15
    """How often players are asked to send a heartbeat."""
    heartbeat_tolerance_factor: float = 2
    """A beat adds at most this many heartbeat intervals of watch time (late beats, lost beats)."""
    session_expiry_seconds: float = 5 * 60
    """A session with no accepted beat for this long is over; later beats are ignored."""
    live_watch_cap_seconds: float = 4 * 3600
    """A live session accrues at most this much watch time (seed 004: 超过4小时按4小时计入)."""
    effective_vod_percent: float = 20
    """A resource view is effective when watch time is more than this percent of the duration."""
    effective_live_seconds: float = 30
    """A live view is effective when watch time is more than this."""
    effective_mobile_h5_seconds: float = 30
    """On `seconds_rule_terminals`, a view is effective when watch time is more than this."""
    seconds_rule_terminals: frozenset[Terminal] = field(default=frozenset({Terminal.MOBILE_H5}))
    """Terminals judged by `effective_mobile_h5_seconds` for every item (seed 004: 手机微网站)."""
    completion_percent: float = 90
    """A resource session completes when it reaches this percent of the duration."""
    completion_max_speed: float = 2
    """A completion also needs watch time of at least `completion_percent` of the duration
    divided by this: the fastest playback speed players offer (our player: 0.75–2×)."""
    concurrent_window_seconds: float = 30
    """A session is a concurrent viewer if its last beat is at most this old."""

    def __post_init__(self) -> None:
        positive = {
            "play_dedupe_seconds": self.play_dedupe_seconds,
            "heartbeat_interval_seconds": self.heartbeat_interval_seconds,
            "heartbeat_tolerance_factor": self.heartbeat_tolerance_factor,
            "session_expiry_seconds": self.session_expiry_seconds,
            "live_watch_cap_seconds": self.live_watch_cap_seconds,
            "concurrent_window_seconds": self.concurrent_window_seconds,
        }
        for name, value in positive.items():
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"ViewRules.{name} must be a positive number, got {value!r}")
        for name, value in {
            "effective_live_seconds": self.effective_live_seconds,
            "effective_mobile_h5_seconds": self.effective_mobile_h5_seconds,
        }.items():
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"ViewRules.{name} must be zero or more, got {value!r}")
        for name, value in {
            "effective_vod_percent": self.effective_vod_percent,
            "completion_percent": self.completion_percent,
        }.items():
            if not (math.isfinite(value) and 0 <= value <= 100):
                raise ValueError(f"ViewRules.{name} must be between 0 and 100, got {value!r}")
        if not (math.isfinite(self.completion_max_speed) and self.completion_max_speed >= 1):
            raise ValueError(
                "ViewRules.completion_max_speed must be 1 or more, "
                f"got {self.completion_max_speed!r}"
            )

    @property
    def heartbeat_tolerance_seconds(self) -> float:
        """The most watch time one heartbeat can add."""
        return self.heartbeat_interval_seconds * self.heartbeat_tolerance_factor


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """What a player (or a segment request carrying the session token) reports."""

    state: PlayerState = PlayerState.PLAYING
    """The player's state now; it holds until the next beat."""
    position: float | None = None
    """Playback position in seconds, if the player reports one."""
    seq: int | None = None
    """Increasing per session when sent by our player; None for segment requests."""


@dataclass(frozen=True, slots=True)
class ViewDeltas:
    """The additive view figures: what the counters must add after a session start or a
    heartbeat, and (as ``rollup.Figures``) the sum over any set of sessions."""

    plays: int = 0
    """Plays (观看人次) to add: 1 on a counted session start."""
    watch_seconds: float = 0.0
    """Watch time (学习时长) to add."""
    effective: int = 0
    """Effective views (有效观看) to add: 1 once per play."""
    completions: int = 0
    """Completions (播完) to add: 1 once per play."""
    effective_watch_seconds: float = 0.0
    """Effective watch time (有效学习时长) to add: all of a session's watch time once it is
    effective, then every later accrual."""

    def __add__(self, other: ViewDeltas) -> ViewDeltas:
        return ViewDeltas(
            plays=self.plays + other.plays,
            watch_seconds=self.watch_seconds + other.watch_seconds,
            effective=self.effective + other.effective,
            completions=self.completions + other.completions,
            effective_watch_seconds=self.effective_watch_seconds + other.effective_watch_seconds,
        )

    @property
    def is_zero(self) -> bool:
        """True when the counters have nothing to add."""
        return self == NO_CHANGE

    @property
    def completion_rate(self) -> float:
        """播完率 = completions / plays, a fraction; 0.0 without plays."""
        return completion_rate(self.completions, self.plays)


NO_CHANGE = ViewDeltas()
"""The deltas of an ignored heartbeat."""


@dataclass(frozen=True, slots=True)
class PriorPlay:
    """What is remembered of a viewer's last counted play of an item, for the dedupe window."""

    at: float
    """When the play was counted."""
    effective_counted: bool = False
    """Its effective view has been counted (by any session continuing it)."""
    completion_counted: bool = False
    """Its completion has been counted (by any session continuing it)."""


@dataclass(frozen=True, slots=True)
class PlaybackSession:
    """One player's playback of one item, as far as counting is concerned."""

    session_id: str
    """The id handed to the player."""
    item_type: ItemType
    """Live stream or resource."""
    item_id: str
    """The stream's or resource's id."""
    org_id: str
    """The organization owning the item; figures roll up its ancestors."""
    category: str
    """The item's category (戏曲, 评书, …)."""
    terminal: Terminal
    """Where the viewer watches."""
    viewer_id: str
    """The logged-in user's id, or the anonymous device id."""
    started_at: float
    """When the session started (epoch seconds)."""
    last_beat_at: float
    """When the last heartbeat was accepted (the start until then)."""
    duration: float | None
    """The resource's duration in seconds; None for live or when unknown."""
    play_at: float
    """When the play this session counts under was counted (its start, or an earlier session's)."""
    state: PlayerState = PlayerState.PLAYING
    """The state last reported; a session starts playing."""
    last_seq: int | None = None
    """The sequence number of the last accepted beat that had one."""
    watched_seconds: float = 0.0
    """Watch time accrued so far."""
    max_position: float = 0.0
    """The furthest position reached, clamped to the duration."""
    play_counted: bool = False
    """This session's start counted a play (not a continuation within the dedupe window)."""
    effective_counted: bool = False
    """The effective view of this session's play has been counted."""
    completion_counted: bool = False
    """The completion of this session's play has been counted."""


# -- plays ---------------------------------------------------------------------


def should_count_play(last_play_at: float | None, now: float, rules: ViewRules) -> bool:
    """Whether a session start counts a play, given the viewer's last counted play of the item.

    Exactly `play_dedupe_seconds` later counts again: "within 30 min" excludes the 30th minute.
    """
    return last_play_at is None or now - last_play_at >= rules.play_dedupe_seconds


def start_session(
    *,
    session_id: str,
    item_type: ItemType,
    item_id: str,
    org_id: str,
    category: str,
    terminal: Terminal,
    viewer_id: str,
    duration: float | None,
    prior: PriorPlay | None,
    now: float,
    rules: ViewRules,
) -> tuple[PlaybackSession, ViewDeltas]:
    """Start a session; `prior` is the viewer's last counted play of this item, if remembered.

    Within the dedupe window the session continues the prior play: no play is counted and the
    prior play's effective view and completion are not counted again.
    """
    counted = should_count_play(None if prior is None else prior.at, now, rules)
    usable_duration = (
        duration
        if item_type is ItemType.RESOURCE
        and duration is not None
        and math.isfinite(duration)
        and duration > 0
        else None
    )
    continued = None if counted else prior
    session = PlaybackSession(
        session_id=session_id,
        item_type=item_type,
        item_id=item_id,
        org_id=org_id,
        category=category,
        terminal=terminal,
        viewer_id=viewer_id,
        started_at=now,
        last_beat_at=now,
        duration=usable_duration,
        play_at=now if continued is None else continued.at,
        play_counted=counted,
        effective_counted=continued is not None and continued.effective_counted,
        completion_counted=continued is not None and continued.completion_counted,
    )
    return session, ViewDeltas(plays=1 if counted else 0)


def prior_play_of(session: PlaybackSession) -> PriorPlay:
    """What to remember of the session's play for the dedupe window (until `play_at` + window)."""
    return PriorPlay(
        at=session.play_at,
        effective_counted=session.effective_counted,
        completion_counted=session.completion_counted,
    )


# -- heartbeats ----------------------------------------------------------------


def is_expired(session: PlaybackSession, now: float, rules: ViewRules) -> bool:
    """Whether the session has gone without an accepted beat for too long."""
    return now - session.last_beat_at > rules.session_expiry_seconds


def check_heartbeat(
    session: PlaybackSession,
    beat: Heartbeat,
    now: float,
    rules: ViewRules,
    show_ended_at: float | None = None,
) -> BeatRejection | None:
    """Why the beat would be ignored, or None when it is accepted.

    `show_ended_at` is when the live show the session watches went off air (None while it
    is on air, and for resources): the first beat from then on is accepted, to account the
    time up to the end, and later ones are ignored.
    """
    if is_expired(session, now, rules):
        return BeatRejection.EXPIRED
    if show_ended_at is not None and session.last_beat_at >= show_ended_at:
        return BeatRejection.SHOW_ENDED
    if now < session.last_beat_at:
        return BeatRejection.STALE
    if beat.seq is not None and session.last_seq is not None and beat.seq <= session.last_seq:
        return BeatRejection.OUT_OF_ORDER
    return None


def is_effective(
    item_type: ItemType,
    terminal: Terminal,
    watched_seconds: float,
    duration: float | None,
    rules: ViewRules,
) -> bool:
    """Whether a session with this much watch time is an effective view (strictly more than)."""
    if terminal in rules.seconds_rule_terminals:
        return watched_seconds > rules.effective_mobile_h5_seconds
    if item_type is ItemType.LIVE or duration is None or duration <= 0:
        return watched_seconds > rules.effective_live_seconds
    # Multiplied out rather than divided, so 20 s of 100 s is exactly 20 %, not 20.000000001.
    return watched_seconds * 100 > rules.effective_vod_percent * duration


def has_completed(
    item_type: ItemType,
    max_position: float,
    duration: float | None,
    rules: ViewRules,
    *,
    watched_seconds: float | None = None,
) -> bool:
    """Whether a session that reached `max_position` having watched `watched_seconds` has
    completed the item: the position at or beyond `completion_percent` of the duration, and
    the watch time at least what playing that far takes at `completion_max_speed`. Without
    `watched_seconds`, only the position is judged (the point a player has to reach)."""
    if item_type is ItemType.LIVE or duration is None or duration <= 0:
        return False
    target = rules.completion_percent * duration
    # Multiplied out, as in is_effective: 900 s of 1000 s is exactly 90 %.
    if max_position * 100 < target:
        return False
    return watched_seconds is None or watched_seconds * 100 * rules.completion_max_speed >= target


def apply_heartbeat(
    session: PlaybackSession,
    beat: Heartbeat,
    rules: ViewRules,
    now: float,
    show_ended_at: float | None = None,
) -> tuple[PlaybackSession, ViewDeltas]:
    """Account one heartbeat: the updated session and what the counters must add.

    `show_ended_at`: when the live show went off air (see `check_heartbeat`); no time after
    it accrues. An ignored beat returns the same session and `NO_CHANGE`.
    """
    if check_heartbeat(session, beat, now, rules, show_ended_at) is not None:
        return session, NO_CHANGE

    # The time the session may have watched up to: now, or the show's end if it came first.
    until = now if show_ended_at is None else min(now, show_ended_at)
    accrued = 0.0
    if session.state is PlayerState.PLAYING:
        accrued = max(0.0, min(until - session.last_beat_at, rules.heartbeat_tolerance_seconds))
    # Each accrual is bounded by its own gap, so this only bites through rounding; it is the
    # definition, though, so it is stated rather than implied.
    watched = min(session.watched_seconds + accrued, until - session.started_at)
    if session.item_type is ItemType.LIVE:
        watched = min(watched, rules.live_watch_cap_seconds)
    watched = max(watched, session.watched_seconds)

    max_position = session.max_position
    if beat.position is not None and math.isfinite(beat.position) and beat.position >= 0:
        position = beat.position
        if session.duration is not None:
            position = min(position, session.duration)
        max_position = max(max_position, position)
    if beat.state is PlayerState.ENDED and session.duration is not None:
        max_position = session.duration

    was_effective = is_effective(
        session.item_type, session.terminal, session.watched_seconds, session.duration, rules
    )
    now_effective = is_effective(
        session.item_type, session.terminal, watched, session.duration, rules
    )
    effective_watch = 0.0
    if now_effective:
        effective_watch = watched - session.watched_seconds if was_effective else watched
    count_effective = now_effective and not session.effective_counted
    count_completion = (
        has_completed(
            session.item_type, max_position, session.duration, rules, watched_seconds=watched
        )
        and not session.completion_counted
    )

    # Built field by field rather than with dataclasses.replace, which introspects the fields
    # on every call: this runs once per heartbeat (see bench/bench_heartbeats.py).
    updated = PlaybackSession(
        session_id=session.session_id,
        item_type=session.item_type,
        item_id=session.item_id,
        org_id=session.org_id,
        category=session.category,
        terminal=session.terminal,
        viewer_id=session.viewer_id,
        started_at=session.started_at,
        last_beat_at=now,
        duration=session.duration,
        play_at=session.play_at,
        state=beat.state,
        last_seq=beat.seq if beat.seq is not None else session.last_seq,
        watched_seconds=watched,
        max_position=max_position,
        play_counted=session.play_counted,
        effective_counted=session.effective_counted or count_effective,
        completion_counted=session.completion_counted or count_completion,
    )
    deltas = ViewDeltas(
        watch_seconds=watched - session.watched_seconds,
        effective=1 if count_effective else 0,
        completions=1 if count_completion else 0,
        effective_watch_seconds=effective_watch,
    )
    return updated, deltas


def completion_rate(completions: int, plays: int) -> float:
    """播完率 as a fraction (0.7179 for 71.79 %); 0.0 when nothing was played."""
    if plays <= 0:
        return 0.0
    return completions / plays


# -- concurrent viewers ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PeakTracker:
    """The highest concurrent-viewer count seen and when it was first reached."""

    value: int = 0
    """The peak count."""
    at: float | None = None
    """When the peak was first reached; None before any viewer."""

    def update(self, count: int, now: float) -> PeakTracker:
        """The tracker after observing `count` viewers at `now` (a tie keeps the earlier time)."""
        if count > self.value:
            return PeakTracker(value=count, at=now)
        return self


# -- terminals -----------------------------------------------------------------------

_APP = re.compile(r"CultureCastApp", re.IGNORECASE)
_WECHAT = re.compile(r"MicroMessenger", re.IGNORECASE)
# Smart TVs and boxes; most of them also say "Android" or "Linux", so they are tried first.
# "AFT…" is Amazon's Fire TV model prefix (AFTS, AFTMM) and is matched case-sensitively as a
# word so that it cannot hit inside ordinary words.
_TV = re.compile(
    r"SMART-?TV|Tizen|Web0S|webOS\.TV|BRAVIA|MiTV|MiBOX|TV ?Box|HbbTV|Android ?TV|GoogleTV"
    r"|Apple ?TV|CrKey|Roku",
    re.IGNORECASE,
)
_FIRE_TV = re.compile(r"\bAFT[A-Z0-9]+\b")
_MOBILE = re.compile(r"Android|iPhone|iPod|iPad|HarmonyOS|Mobile", re.IGNORECASE)


def terminal_from_user_agent(user_agent: str | None, explicit: Terminal | None = None) -> Terminal:
    """The terminal a request comes from: the client's own claim, else guessed from its UA.

    Our app says "CultureCastApp"; WeChat's browser says "MicroMessenger" (and also Android or
    iPhone, so it is tried before mobile); TVs and boxes often say Android too, so they are
    tried before mobile as well. Anything else is the web.
    """
    if explicit is not None:
        return explicit
    ua = user_agent or ""
    if _APP.search(ua):
        return Terminal.APP
    if _WECHAT.search(ua):
        return Terminal.WECHAT
    if _TV.search(ua) or _FIRE_TV.search(ua):
        return Terminal.TV
    if _MOBILE.search(ua):
        return Terminal.MOBILE_H5
    return Terminal.WEB
