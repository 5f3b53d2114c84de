"""Push targets, the pure part: validation of ``{name, url, key}``, the ffmpeg command of one
push, the state machine of one target, and what ffmpeg's last words mean for an admin.

No I/O; time is a parameter.

States (DESIGN.md § Interfaces of the second round)::

    idle ──start──▶ connecting ──bytes flow──▶ live
      ▲                 │  ▲                     │
      │                 ▼  │ (backoff elapsed)   │ ffmpeg exits
      └──stop──── retrying ◀──────────────────────┘
                    │
                    ▼ retrying cannot help
                  failed

Backoff: 1, 2, 4 … 60 s after the 1st, 2nd, 3rd … consecutive failed run; a run that stayed
live for :data:`STABLE_S` starts the count again. A target goes ``failed`` (and stops trying
until the event goes live again or the target is added anew) when retrying cannot help:

- the URL cannot be used by ffmpeg at all (unsupported protocol), at once;
- the receiver rejected the stream key :data:`MAX_KEY_REJECTIONS` times in a row — one
  rejection may be a platform's hiccup, three are a wrong key, and hammering a platform with
  a wrong key gets an account throttled.

Everything else (refused connection, DNS, timeout, a dropped connection) keeps retrying at
most every 60 s while the event is live: a receiver that is down comes back by itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from urllib.parse import urlsplit

from culturecast.core.errors import Sentence, has_cjk
from culturecast.live.targets.errors import InvalidTarget

SCHEMES: Final = ("rtmp", "rtmps", "srt")
"""The protocols a target may use."""
MAX_NAME: Final = 100
MAX_URL: Final = 1000
MAX_KEY: Final = 500
MAX_TARGETS: Final = 10
"""Targets per event (each is a process and an upstream connection)."""
BACKOFF_MAX_S: Final = 60.0
STABLE_S: Final = 30.0
"""A run live this long resets the backoff."""
MAX_KEY_REJECTIONS: Final = 3
DETAIL_MAX: Final = 200
"""Characters of a receiver's or ffmpeg's own words kept in an error."""


class TargetState(StrEnum):
    IDLE = "idle"
    """The event is not live (or the target was just added and waits for it)."""
    CONNECTING = "connecting"
    """ffmpeg runs and has not sent media yet."""
    LIVE = "live"
    """Media flows to the receiver."""
    RETRYING = "retrying"
    """The last run failed; the next starts after the backoff."""
    FAILED = "failed"
    """Retrying cannot help (see the module docstring); ``error`` says why."""


class ErrorKind(StrEnum):
    """Why a push ended, as an admin can act on it (the ``error.code`` of a target)."""

    REFUSED = "connection_refused"
    KEY_REJECTED = "key_rejected"
    DNS = "dns_failure"
    TIMEOUT = "timeout"
    TLS = "tls_failure"
    UNSUPPORTED = "unsupported_url"
    DROPPED = "connection_dropped"
    OTHER = "push_failed"


_SENTENCES: Final = {
    ErrorKind.REFUSED: Sentence(
        "目标地址拒绝连接：请检查推流地址和端口，并确认接收平台已开启直播间。",
        "Connection refused by the target address: check the push URL and its port, and that"
        " the receiving platform's live room is open.",
    ),
    ErrorKind.KEY_REJECTED: Sentence(
        "目标平台拒绝了推流码：请在该平台重新复制推流码，删除此目标后重新添加。",
        "Stream key rejected by the target: copy the key again from that platform, then"
        " remove this target and add it again.",
    ),
    ErrorKind.DNS: Sentence(
        "无法解析目标地址的域名：请检查推流地址的拼写。",
        "The target's host name cannot be resolved (DNS failure): check the spelling of the"
        " push URL.",
    ),
    ErrorKind.TIMEOUT: Sentence(
        "目标地址没有应答（超时）：请检查地址、端口和防火墙。",
        "The target did not answer in time: check the URL, the port and any firewall between.",
    ),
    ErrorKind.TLS: Sentence(
        "与目标地址的加密连接（TLS）失败：请确认地址应以 rtmps:// 还是 rtmp:// 开头。",
        "The encrypted (TLS) connection to the target failed: check whether the URL should"
        " start with rtmps:// or rtmp://.",
    ),
    ErrorKind.UNSUPPORTED: Sentence(
        "推流地址无法使用：只支持 rtmp://、rtmps:// 和 srt:// 地址。",
        "The push URL cannot be used: only rtmp://, rtmps:// and srt:// URLs work.",
    ),
    ErrorKind.DROPPED: Sentence(
        "目标平台断开了连接：请检查推流码和该平台的直播间设置。",
        "The target closed the connection: check the stream key and the platform's live"
        " room settings.",
    ),
    ErrorKind.OTHER: Sentence("推流失败。", "The push failed."),
}


@dataclass(frozen=True, slots=True)
class TargetError:
    """The last error of a target."""

    kind: ErrorKind
    detail: str | None = None
    """The receiver's or ffmpeg's own words (a receiver's refusal text, ffmpeg's last line)."""

    @property
    def sentence(self) -> Sentence:
        base = _SENTENCES[self.kind]
        if not self.detail:
            return base
        zh = f"{base.zh}（{self.detail}）"
        # The English sentence carries no Chinese characters: a bilingual receiver's words
        # (another CultureCast's) are shown in the Chinese one only.
        en = base.en if has_cjk(self.detail) else f"{base.en} ({self.detail})"
        return Sentence(zh, en)

    def view(self) -> dict[str, str]:
        """What the API shows: ``code``, ``zh``, ``en`` and ``message`` (both)."""
        sentence = self.sentence
        return {
            "code": self.kind.value,
            "zh": sentence.zh,
            "en": sentence.en,
            "message": str(sentence),
        }


# ------------------------------------------------------------------ classification

_PATTERNS: Final[list[tuple[ErrorKind, re.Pattern[str]]]] = [
    (
        ErrorKind.UNSUPPORTED,
        re.compile(
            r"protocol not found|protocol not supported|protocol .* not on whitelist"
            r"|unable to find a suitable output format|unknown url scheme",
            re.I,
        ),
    ),
    (
        ErrorKind.KEY_REJECTED,
        # RTMP: the receiver's _error / onStatus (librtmp-style "Server error: …"), EPERM is
        # what ffmpeg makes of it; SRT: the listener rejected the stream id.
        re.compile(
            r"server error|operation not permitted|publish\.badname|connect\.rejected"
            r"|unauthori[sz]ed|forbidden|authentication failed|connection rejected"
            r"|reject(ed)? by peer|permission denied",
            re.I,
        ),
    ),
    (
        ErrorKind.DNS,
        re.compile(
            r"failed to resolve hostname|name or service not known|name resolution"
            r"|no address associated|nodename nor servname",
            re.I,
        ),
    ),
    (ErrorKind.REFUSED, re.compile(r"connection refused", re.I)),
    (ErrorKind.TIMEOUT, re.compile(r"timed out|timeout|connection to srt://.* failed", re.I)),
    (ErrorKind.TLS, re.compile(r"\btls\b|\bssl\b|certificate|gnutls", re.I)),
    (
        ErrorKind.DROPPED,
        re.compile(
            r"broken pipe|connection reset|end of file|error writing trailer"
            r"|error closing file|error in the push function",
            re.I,
        ),
    ),
]
_SERVER_SAYS: Final = re.compile(r"server error:\s*(.+)", re.I)
_PREFIX: Final = re.compile(r"^\[[^\]]*\]\s*")
"""ffmpeg's ``[rtmp @ 0x…] `` prefix."""


def classify(stderr: Sequence[str], exit_code: int | None) -> TargetError:
    """What ended a push, from ffmpeg's last stderr lines (oldest first) and its exit code.
    The first kind in the order above whose pattern any line matches wins: a refused key is
    reported as such even if ffmpeg then also says "broken pipe"."""
    lines = [_PREFIX.sub("", line).strip() for line in stderr if line.strip()]
    for kind, pattern in _PATTERNS:
        if any(pattern.search(line) for line in lines):
            detail = None
            if kind is ErrorKind.KEY_REJECTED:
                for line in lines:
                    said = _SERVER_SAYS.search(line)
                    if said:
                        detail = said.group(1).strip()[:DETAIL_MAX]
                        break
            return TargetError(kind, detail)
    if not lines:
        # Nothing said: ffmpeg ended cleanly or was killed; either way the push is gone.
        detail = None if exit_code in (0, None) else f"exit {exit_code}"
        return TargetError(ErrorKind.DROPPED, detail)
    return TargetError(ErrorKind.OTHER, lines[-1][:DETAIL_MAX])


# ------------------------------------------------------------------ the state machine


def backoff_s(failures: int) -> float:
    """Seconds before the next try after ``failures`` consecutive failed runs (≥ 1)."""
    return min(BACKOFF_MAX_S, float(2 ** max(0, min(failures - 1, 16))))


@dataclass(slots=True)
class TargetMachine:
    """One target's state while its event is on air in this process."""

    state: TargetState = TargetState.IDLE
    since: float | None = None
    """When ``state`` was entered."""
    error: TargetError | None = None
    """The last error (kept through ``live`` and ``idle``, so an admin can read what
    happened; cleared when a new show starts)."""
    failures: int = 0
    """Consecutive failed runs."""
    rejections: int = 0
    """Consecutive runs that ended with the key rejected."""
    retry_at: float | None = None
    """When the next run may start (``retrying`` only)."""
    live_since: float | None = None

    def _enter(self, state: TargetState, now: float) -> None:
        if state is not self.state or self.since is None:
            self.since = now
        self.state = state

    def start(self, now: float) -> bool:
        """The event went live: begin a run. False when one is already under way."""
        if self.state in (TargetState.CONNECTING, TargetState.LIVE, TargetState.RETRYING):
            return False
        self.failures = self.rejections = 0
        self.error = None
        self.retry_at = None
        self._enter(TargetState.CONNECTING, now)
        return True

    def flowing(self, now: float) -> bool:
        """ffmpeg reports bytes written to the receiver; True when this made it ``live``."""
        if self.state is not TargetState.CONNECTING:
            return False
        self._enter(TargetState.LIVE, now)
        self.live_since = now
        return True

    def exited(self, error: TargetError, now: float) -> TargetState:
        """The run ended on its own (not stopped): ``retrying`` with a backoff, or
        ``failed``."""
        if self.state not in (TargetState.CONNECTING, TargetState.LIVE):
            return self.state
        if self.live_since is not None and now - self.live_since >= STABLE_S:
            self.failures = 0
        self.live_since = None
        self.failures += 1
        self.rejections = self.rejections + 1 if error.kind is ErrorKind.KEY_REJECTED else 0
        self.error = error
        if error.kind is ErrorKind.UNSUPPORTED or self.rejections >= MAX_KEY_REJECTIONS:
            self.retry_at = None
            self._enter(TargetState.FAILED, now)
        else:
            self.retry_at = now + backoff_s(self.failures)
            self._enter(TargetState.RETRYING, now)
        return self.state

    def due(self, now: float) -> bool:
        """The backoff is over: the next run may start."""
        retrying = self.state is TargetState.RETRYING
        return retrying and self.retry_at is not None and now >= self.retry_at

    def retry(self, now: float) -> bool:
        """Begin the next run once :meth:`due`."""
        if not self.due(now):
            return False
        self.retry_at = None
        self._enter(TargetState.CONNECTING, now)
        return True

    def stop(self, now: float) -> None:
        """The event left the air (or the target is removed)."""
        self.retry_at = None
        self.live_since = None
        self._enter(TargetState.IDLE, now)


# ------------------------------------------------------------------ validation and command


@dataclass(frozen=True, slots=True)
class NewTarget:
    name: str
    url: str
    key: str


_VISIBLE_ASCII: Final = re.compile(r"^[\x21-\x7e]*$")


def _bad_url(sentence: Sentence, code: str = "invalid_target_url") -> InvalidTarget:
    return InvalidTarget(sentence, code=code)


def validate(name: object, url: object, key: object) -> NewTarget:
    """A target body, checked: :class:`InvalidTarget` with a stable code otherwise."""
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
        raise InvalidTarget(
            Sentence(
                f"请填写目标名称（1 到 {MAX_NAME} 个字符），例如“抖音”。",
                f"The target needs a name of 1 to {MAX_NAME} characters, such as “Douyin”.",
            ),
            code="invalid_target_name",
        )
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        raise InvalidTarget(
            Sentence(
                "目标名称不能含有控制字符。", "The target name must not hold control characters"
            ),
            code="invalid_target_name",
        )
    if not isinstance(url, str) or not url or len(url) > MAX_URL or not _VISIBLE_ASCII.match(url):
        raise _bad_url(
            Sentence(
                f"推流地址必须是不含空格的网址（最多 {MAX_URL} 个字符）。",
                f"The push URL must be a URL without spaces, of at most {MAX_URL} characters.",
            )
        )
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise _bad_url(
            Sentence(
                "推流地址只能以 rtmp://、rtmps:// 或 srt:// 开头。",
                "The push URL must start with rtmp://, rtmps:// or srt://.",
            ),
            code="unsupported_target_scheme",
        )
    try:
        port = parts.port
    except ValueError:
        port = -1
    if not parts.hostname or port == -1 or (scheme == "srt" and port is None):
        raise _bad_url(
            Sentence(
                "推流地址缺少主机名或端口无效（srt:// 地址必须写明端口）。",
                "The push URL lacks a host name or has an invalid port (an srt:// URL needs"
                " its port).",
            )
        )
    if not isinstance(key, str) or len(key) > MAX_KEY or not _VISIBLE_ASCII.match(key):
        raise InvalidTarget(
            Sentence(
                f"推流码最多 {MAX_KEY} 个字符，不能含有空格或中文（没有推流码时留空）。",
                f"The stream key is at most {MAX_KEY} characters without spaces or non-ASCII"
                " characters (leave it empty when the URL holds it).",
            ),
            code="invalid_target_key",
        )
    return NewTarget(name.strip(), url, key)


def push_url(url: str, key: str) -> str:
    """The address ffmpeg publishes to: RTMP(S) ``<url>/<key>`` (as OBS joins server and
    key), SRT ``<url>?streamid=<key>`` (the key is the stream id, as for our own SRT)."""
    if not key:
        return url
    if url.lower().startswith("srt://"):
        return f"{url}{'&' if '?' in url else '?'}streamid={key}"
    return f"{url.rstrip('/')}/{key}"


def push_command(url: str, key: str, *, ffmpeg: str = "ffmpeg") -> list[str]:
    """One push: FLV from stdin copied (no re-encode) to the receiver, FLV over RTMP(S),
    MPEG-TS over SRT; ``-progress`` on stdout counts the bytes sent."""
    srt = url.lower().startswith("srt://")
    return [
        ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "warning", "-nostats",
        "-progress", "pipe:1", "-stats_period", "1",
        "-f", "flv", "-protocol_whitelist", "pipe", "-i", "pipe:0",
        "-map", "0", "-c", "copy",
        # A receiver that stops reading fails the run within 15 s instead of stalling it.
        "-rw_timeout", "15000000",
        "-protocol_whitelist", "srt,udp" if srt else "rtmp,rtmps,tcp,tls",
        *(["-f", "mpegts"] if srt else ["-flvflags", "no_duration_filesize", "-f", "flv"]),
        push_url(url, key),
    ]  # fmt: skip


def redact(text: str, key: str) -> str:
    """``text`` with the key replaced (logs and errors never show it)."""
    return text.replace(key, "****") if key else text
