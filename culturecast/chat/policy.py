"""The comment policy: may this person post this text in this room now?

``CommentPolicy.check(user, room, raw_text, now)`` answers ``Accepted(text,
masked)`` or ``Refused(code)``. It does no I/O and takes the time as a
parameter; the Socket.IO layer calls it and performs the outcome.

Checks run in this order; the first that fails decides:

1. ``bad_payload`` — the text is not a ``str`` (a dict, bytes, ``None`` ...).
2. ``login_required`` — no identity (guests arrive here already named).
3. ``not_live`` — the event is not live ("只有直播时才能进行评论"). Before
   ``chat_closed`` because it is the truer reason when both hold.
4. ``chat_closed`` — a moderator closed the chat.
5. ``banned``, then ``muted`` — until their timestamps.
6. ``rate_limited`` — the per-user token bucket. It is spent by every attempt
   that gets this far, accepted or not, and comes before the content checks,
   so a flood costs little work and nobody can probe the word list at speed.
7. ``too_long`` if the raw text exceeds ``max_raw_length`` (before
   normalising, so a megabyte of zero-width spaces is not even read), then
   normalisation; ``empty``, ``too_long`` (``max_length`` code points).
8. ``link_not_allowed`` — links, unless their domain is allowed.
9. ``sensitive`` — when the action is ``refuse``; with ``mask`` the words are
   masked and the comment goes on.
10. ``slow_mode`` — one message per user per N seconds (moderators exempt).
11. ``duplicate`` — the same user, the same normalised text, within the window.
12. ``rate_limited`` — the room's cap on everyone together.

``not_joined`` and ``not_allowed`` are decided by the Socket.IO layer (room
membership, moderator rights) before it asks this policy anything.

Only an accepted comment is recorded by the slow mode, duplicate window and room
cap, so a refused attempt does not count against the person's next message.

Moderation state (mutes, bans) is plain data on the room: user id → until
(seconds, same clock as ``now``; ``math.inf`` for ever).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from culturecast.chat.events import RefusalCode, refusal_message
from culturecast.chat.limits import (
    DEFAULT_MAX_ENTRIES,
    DuplicateWindow,
    RoomCap,
    SlowMode,
    TokenBuckets,
)
from culturecast.chat.normalize import MAX_LENGTH, matching_form, normalize, text_length
from culturecast.chat.words import DEFAULT_MASK, SensitiveAction, SensitiveWordFilter

DEFAULT_GUEST_NAME: Final = "文化爱好者"


@dataclass(frozen=True, slots=True)
class ChatUser:
    """Who is sending, as the Socket.IO layer established it."""

    id: str
    """Stable user id (for guests, a per-session id)."""
    name: str = DEFAULT_GUEST_NAME
    """Display name."""
    is_guest: bool = False
    """A guest nickname rather than a logged-in account."""
    is_moderator: bool = False
    """May moderate this room; moderators are exempt from slow mode."""


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    """Tunable comment rules; the defaults are the product's."""

    max_length: int = MAX_LENGTH
    """Longest comment, in code points after normalisation."""
    max_raw_length: int = 2_000
    """Longest raw text even looked at (normalisation can shrink text a lot)."""
    sensitive_words: tuple[str, ...] = ()
    """The sensitive-word list (operators load it from configuration)."""
    extra_folds: tuple[tuple[str, str], ...] = ()
    """More (traditional, simplified) character folds for the word filter."""
    sensitive_action: SensitiveAction = "mask"
    """``mask`` the words and accept, or ``refuse`` the comment."""
    mask_char: str = DEFAULT_MASK
    """What each masked character becomes."""
    allow_links: bool = False
    """Accept any link; otherwise only links into ``allowed_domains``."""
    allowed_domains: tuple[str, ...] = ()
    """Domains (and their subdomains) links may point to, e.g. ``whg.gov.cn``."""
    user_rate: float = 0.5
    """Messages per second one user may send on average (across rooms)."""
    user_burst: float = 5
    """Messages one user may send at once before the rate applies."""
    duplicate_window: float = 30.0
    """Seconds during which the same user may not repeat the same text."""
    room_rate: float = 20.0
    """Messages per second a whole room carries on average."""
    room_burst: float = 60
    """Messages a room may carry at once before its rate applies."""
    max_tracked_users: int = DEFAULT_MAX_ENTRIES
    """Bound on per-user entries each limit keeps (see ``limits``)."""

    def __post_init__(self) -> None:
        # Settings come from operators; fail at start-up, naming the setting.
        if self.max_length < 1 or self.max_raw_length < self.max_length:
            raise ValueError("max_length must be >= 1 and max_raw_length >= max_length")
        if self.sensitive_action not in ("mask", "refuse"):
            raise ValueError(
                f"sensitive_action must be 'mask' or 'refuse', not {self.sensitive_action!r}"
            )
        if len(self.mask_char) != 1:
            # One character per masked character keeps the length rule true.
            raise ValueError("mask_char must be exactly one character")


@dataclass(frozen=True, slots=True)
class Accepted:
    """The comment may be posted, as ``text``."""

    text: str
    """Normalised text, sensitive words masked: what is stored and broadcast."""
    masked: bool = False
    """Whether any sensitive word was masked."""


@dataclass(frozen=True, slots=True)
class Refused:
    """The comment may not be posted."""

    code: RefusalCode
    """The stable reason, sent as ``refused {code, message}``."""
    retry_after: float | None = None
    """Seconds until trying again can succeed, when that is known."""

    def message(self, lang: str = "zh-CN") -> str:
        """The sentence shown to the person."""
        return refusal_message(self.code, lang)


type Verdict = Accepted | Refused


@dataclass(slots=True)
class RoomLimits:
    """Per-room limiter state; created with the room, dropped with it."""

    slow_mode: SlowMode
    duplicates: DuplicateWindow
    cap: RoomCap


@dataclass(slots=True)
class RoomState:
    """What the policy needs to know about one live event's chat room."""

    event_id: str
    """The live event the room belongs to."""
    live: bool
    """Whether the event is live (``live`` or ``reconnecting``) now."""
    limits: RoomLimits
    """Rate-limit state of the room (from :meth:`CommentPolicy.new_room`)."""
    open: bool = True
    """Whether moderators left the chat open."""
    slow_mode_seconds: float = 0.0
    """Slow mode interval set by moderators; 0 is off."""
    muted: dict[str, float] = field(default_factory=dict)
    """User id → muted until (timestamp)."""
    banned: dict[str, float] = field(default_factory=dict)
    """User id → banned until (timestamp; ``math.inf`` for ever)."""


# -- links ---------------------------------------------------------------------

# Top-level domains common in Chinese chat spam, plus the Chinese IDN ones.
# A list, not "any letters", so "Mr.Smith" or "node.js" are not links.
_ASCII_TLDS: Final = (
    "com|net|org|cn|hk|tw|mo|io|co|me|cc|tv|info|biz|xyz|top|vip|club|site|online|shop|"
    "store|app|dev|link|live|life|fun|ltd|wang|ren|win|work|pro|mobi|name|asia|edu|gov|"
    "int|uk|us|ru|de|jp|kr|sg|fr|au|ca|in|ly|gl|to|su|la|ws|tk|ml|ga|cf|gq"
)
_IDN_TLDS: Final = "中国|中國|公司|网络|網絡|在线|网址|网店|商城|商店|集团|我爱你|移动|手机"
_DOT: Final = r"[.。．｡]"
_LINK_RE: Final = re.compile(
    rf"""
    (?:https?|ftp)://(?P<url_host>[^\s/?#]+)          # scheme://host...
    | (?<![a-z0-9.-])(?P<www_host>www{_DOT}[\w-]+(?:{_DOT}[\w-]+)*)   # www.anything
    | (?<![a-z0-9.-])(?P<ascii_host>(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?{_DOT})+
        (?:{_ASCII_TLDS}))(?![a-z0-9-])                # bare example.com, qq@example.com
    | (?<![\w.-])(?P<idn_host>(?:\w(?:[\w-]{{0,61}}\w)?{_DOT})+
        (?:{_IDN_TLDS}))(?![\w-])                      # bare 例子.中国
    | (?<![\d.])(?P<ip_host>\d{{1,3}}(?:{_DOT}\d{{1,3}}){{3}})(?![\d.])  # 1.2.3.4
    """,
    re.IGNORECASE | re.VERBOSE,
)


def _canonical_host(host: str) -> str:
    host = host.rsplit("@", 1)[-1]  # drop user:password@
    host = host.split(":", 1)[0]  # drop :port
    host = re.sub(_DOT, ".", host)
    return host.strip(".").lower()


def find_link_hosts(text: str) -> list[str]:
    """The host of every link-like thing in ``text`` (URLs, ``www.``, bare domains, IPs)."""
    hosts: list[str] = []
    for m in _LINK_RE.finditer(text):
        host = next(g for g in m.groups() if g is not None)
        hosts.append(_canonical_host(host))
    return hosts


def host_allowed(host: str, allowed_domains: Iterable[str]) -> bool:
    """Whether ``host`` is one of ``allowed_domains`` or a subdomain of one."""
    for domain in allowed_domains:
        domain = _canonical_host(domain)
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


# -- the policy ------------------------------------------------------------------


class CommentPolicy:
    """All comment rules together; one instance per process, rooms passed in."""

    def __init__(
        self, config: PolicyConfig, *, word_filter: SensitiveWordFilter | None = None
    ) -> None:
        self.config = config
        self.words = word_filter or SensitiveWordFilter(
            config.sensitive_words, extra_folds=dict(config.extra_folds)
        )
        # Per user across rooms: one person spamming several rooms is one person.
        self._user_buckets = TokenBuckets(
            config.user_rate, config.user_burst, max_entries=config.max_tracked_users
        )
        self._allowed_domains = tuple(_canonical_host(d) for d in config.allowed_domains)

    def new_room(self, event_id: str, *, live: bool) -> RoomState:
        """A fresh room state with limiter state sized by this policy's config."""
        limits = RoomLimits(
            slow_mode=SlowMode(max_entries=self.config.max_tracked_users),
            duplicates=DuplicateWindow(
                self.config.duplicate_window, max_entries=self.config.max_tracked_users
            ),
            cap=RoomCap(self.config.room_rate, self.config.room_burst),
        )
        return RoomState(event_id=event_id, live=live, limits=limits)

    def check(
        self,
        user: ChatUser | None,
        room: RoomState,
        raw_text: object,
        now: float,
        *,
        slowed: bool = False,
    ) -> Verdict:
        """Decide on one comment; an accepted one is recorded by the limits. ``slowed``: the
        shared counters say this user already posted within the slow-mode window (on any
        process); it is weighed at step 10 like the local slow-mode limit."""
        config = self.config
        if not isinstance(raw_text, str):
            return Refused(RefusalCode.BAD_PAYLOAD)
        if user is None:
            return Refused(RefusalCode.LOGIN_REQUIRED)
        if not room.live:
            return Refused(RefusalCode.NOT_LIVE)
        if not room.open:
            return Refused(RefusalCode.CHAT_CLOSED)
        until = room.banned.get(user.id)
        if until is not None and now < until:
            return Refused(RefusalCode.BANNED, None if math.isinf(until) else until - now)
        until = room.muted.get(user.id)
        if until is not None and now < until:
            return Refused(RefusalCode.MUTED, until - now)

        wait = self._user_buckets.retry_after(user.id, now)
        if wait is not None:
            return Refused(RefusalCode.RATE_LIMITED, wait)
        self._user_buckets.record(user.id, now)

        if len(raw_text) > config.max_raw_length:
            return Refused(RefusalCode.TOO_LONG)
        text = normalize(raw_text)
        if not text:
            return Refused(RefusalCode.EMPTY)
        if text_length(text) > config.max_length:
            return Refused(RefusalCode.TOO_LONG)

        # Stored as typed (NFC); links and repeats are found on the NFKC form.
        normalized = matching_form(text)
        if not config.allow_links:
            for host in find_link_hosts(normalized):
                if not host_allowed(host, self._allowed_domains):
                    return Refused(RefusalCode.LINK_NOT_ALLOWED)

        masked = False
        if config.sensitive_action == "refuse":
            if self.words.contains(text):
                return Refused(RefusalCode.SENSITIVE)
        else:
            text, matches = self.words.mask(text, config.mask_char)
            masked = bool(matches)

        limits = room.limits
        if not user.is_moderator and room.slow_mode_seconds > 0:
            if slowed:
                return Refused(RefusalCode.SLOW_MODE)
            wait = limits.slow_mode.retry_after(user.id, room.slow_mode_seconds, now)
            if wait is not None:
                return Refused(RefusalCode.SLOW_MODE, wait)
        wait = limits.duplicates.retry_after(user.id, normalized, now)
        if wait is not None:
            return Refused(RefusalCode.DUPLICATE, wait)
        wait = limits.cap.retry_after(now)
        if wait is not None:
            return Refused(RefusalCode.RATE_LIMITED, wait)

        limits.slow_mode.record(user.id, room.slow_mode_seconds, now)
        limits.duplicates.record(user.id, normalized, now)
        limits.cap.record(now)
        return Accepted(text, masked)
