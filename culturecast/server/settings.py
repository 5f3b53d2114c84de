"""Settings: read once from the environment at the entry point, validated, frozen.

Nothing else in the code reads ``os.environ``. A bad value stops the start with a
:class:`SettingsError` naming the variable. Unset engine URLs select the embedded twins
(SQLite, a local directory, in-memory counters, the in-process job runner).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from culturecast.core.addresses import Network, parse_networks
from culturecast.transcode.ladder import Ladder, parse_ladder

PREFIX = "CULTURECAST_"


class SettingsError(Exception):
    """A setting is missing, malformed or unusable; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem


@dataclass(frozen=True, slots=True)
class S3Settings:
    """Where media is stored in distributed mode."""

    url: str
    """Endpoint, ``http(s)://host:port`` (CULTURECAST_S3_URL)."""
    access_key: str
    """CULTURECAST_S3_ACCESS_KEY."""
    secret_key: str
    """CULTURECAST_S3_SECRET_KEY."""
    bucket: str
    """CULTURECAST_S3_BUCKET (default ``culturecast``)."""
    region: str
    """CULTURECAST_S3_REGION (default ``us-east-1``)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting of every process. Field docs name the variable and the default."""

    data_dir: Path
    """CULTURECAST_DATA_DIR (default ``./data``): SQLite file, local objects, spool."""
    http_host: str = "0.0.0.0"
    """CULTURECAST_HTTP_HOST: address the web/API server binds."""
    http_port: int = 8080
    """CULTURECAST_HTTP_PORT."""
    rtmp_port: int = 1935
    """CULTURECAST_RTMP_PORT: RTMP ingest (standalone and ingest processes)."""
    ingest_http_port: int = 8081
    """CULTURECAST_INGEST_HTTP_PORT: health endpoints of an ``ingest`` process."""
    public_url: str = ""
    """CULTURECAST_PUBLIC_URL: how viewers reach us (default ``http://<host>:<port>``)."""
    admin_user: str = "admin"
    """CULTURECAST_ADMIN_USER: the first platform admin, created at first start."""
    admin_password: str | None = None
    """CULTURECAST_ADMIN_PASSWORD: its password (default: generated and printed once)."""
    mongo_url: str | None = None
    """CULTURECAST_MONGO_URL (unset: embedded SQLite)."""
    mongo_db: str = "culturecast"
    """CULTURECAST_MONGO_DB."""
    signing_secret: str | None = None
    """CULTURECAST_SIGNING_SECRET: signs expiring media URLs for staff previews, shared with
    the nginx edge (unset: no signed URLs)."""
    redis_url: str | None = None
    """CULTURECAST_REDIS_URL (unset: in-memory counters and the in-process job runner)."""
    s3: S3Settings | None = None
    """CULTURECAST_S3_* (unset: a directory under the data dir)."""
    token_ttl_s: int = 7 * 24 * 3600
    """CULTURECAST_TOKEN_TTL: API token lifetime in seconds."""
    max_body_bytes: int = 1 << 20
    """CULTURECAST_MAX_BODY_BYTES: largest JSON body accepted (uploads are separate)."""
    job_visibility_timeout_s: int = 6 * 3600
    """CULTURECAST_JOB_VISIBILITY_TIMEOUT: Celery redelivers an unacknowledged job after
    this long; longer than the longest job."""
    login_attempts: int = 10
    """CULTURECAST_LOGIN_ATTEMPTS: failed logins per user name per 15 minutes."""
    log_level: str = "INFO"
    """CULTURECAST_LOG_LEVEL: DEBUG, INFO, WARNING or ERROR."""
    log_format: str = "json"
    """CULTURECAST_LOG_FORMAT: ``json`` (one object per line) or ``text``."""
    shutdown_timeout_s: float = 30.0
    """CULTURECAST_SHUTDOWN_TIMEOUT: how long SIGTERM waits for in-flight work."""
    live_ladder: Ladder | None = None
    """CULTURECAST_LIVE_LADDER: live renditions, ``name:WxH:kbps[:audio_kbps],…,audio:kbps``
    (unset: 1080p/720p/480p/360p/240p + 64k audio), always capped at the source."""
    live_segment_s: float = 1.0
    """CULTURECAST_LIVE_SEGMENT_SECONDS: live HLS segment length. 1 s: players sit two
    segments behind the live edge, so the segment length sets most of the latency (DESIGN.md
    § Latency, standard mode ≤ 5 s); an encoder's 2 s keyframes are still copied."""
    live_latency_mode: str = "standard"
    """CULTURECAST_LIVE_LATENCY_MODE: the latency mode of new live events, ``standard``
    (1 s segments, ≤ 5 s) or ``low`` (LL-HLS parts and blocking reload, ≤ 2 s)."""
    live_preset: str = "veryfast"
    """CULTURECAST_LIVE_PRESET: x264 preset of live renditions that are re-encoded."""
    live_max_connections: int = 200
    """CULTURECAST_LIVE_MAX_CONNECTIONS: open RTMP connections per ingest process."""
    live_max_connections_per_address: int = 10
    """CULTURECAST_LIVE_MAX_CONNECTIONS_PER_ADDRESS: RTMP connections that are not publishing
    from one IPv4 address or IPv6 /64 (0: no cap, for an ingest behind a TCP proxy)."""
    vod_ladder: Ladder | None = None
    """CULTURECAST_VOD_LADDER: VOD renditions (same format; unset: 1080p/720p/480p/360p)."""
    vod_preset: str = "veryfast"
    """CULTURECAST_VOD_PRESET: x264 preset of VOD renditions."""
    upload_max_bytes: int = 20 << 30
    """CULTURECAST_UPLOAD_MAX_BYTES: largest upload (default 20 GiB)."""
    upload_ttl_s: int = 24 * 3600
    """CULTURECAST_UPLOAD_TTL: unfinished uploads are removed after this many seconds."""
    views_flush_interval_s: float = 60.0
    """CULTURECAST_VIEWS_FLUSH_INTERVAL: seconds between flushes of view counters into daily
    statistics (a crash loses at most this much)."""
    chat_reserved_names: tuple[str, ...] | None = None
    """CULTURECAST_CHAT_RESERVED_NAMES: comma-separated nicknames no guest may take, besides
    every user's name (unset: 管理员, 官方, 主持人, admin, administrator, 系统, … — see
    ``chat/names.py``)."""
    geoip_db: Path | None = None
    """CULTURECAST_GEOIP_DB: an offline IP database (``.mmdb`` or ip2region ``.xdb``) for
    viewers' provinces and cities (unset: figures per region are absent)."""
    trusted_proxies: tuple[Network, ...] = ()
    """CULTURECAST_TRUSTED_PROXIES: comma-separated networks of our reverse proxies; only
    from these is ``X-Forwarded-For`` believed (unset: the peer address is the client's)."""
    pull_allow: tuple[Network, ...] = ()
    """CULTURECAST_PULL_ALLOW: comma-separated networks pull sources may reach although they
    are loopback, private or link-local (unset: only public addresses are pulled)."""
    srt_port: int | None = None
    """CULTURECAST_SRT_PORT: the SRT ingest (``srt://HOST:PORT?streamid=<stream key>``);
    unset: no SRT. Needs PyGObject and GStreamer's ``srtsrc`` (the ``srt`` extra)."""
    srt_passphrase: str | None = None
    """CULTURECAST_SRT_PASSPHRASE: encrypt SRT (AES); callers must give the same one."""
    pull_attempts: int = 8
    """CULTURECAST_PULL_ATTEMPTS: failed attempts in a row (1, 2, 4 … 60 s apart) after which
    a pull source that never went on air gives up and ends its event."""

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "culturecast.sqlite"

    @property
    def objects_dir(self) -> Path:
        return self.data_dir / "objects"

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.http_host in ("0.0.0.0", "::", "") else self.http_host
        return f"http://{host}:{self.http_port}"

    @property
    def rtmp_url(self) -> str:
        host = urlsplit(self.base_url).hostname or "127.0.0.1"
        return f"rtmp://{host}:{self.rtmp_port}/live"

    @property
    def engines(self) -> dict[str, str]:
        """Which adapter each port uses."""
        return {
            "database": "mongodb" if self.mongo_url else "sqlite",
            "objects": "s3" if self.s3 else "local",
            "counters": "redis" if self.redis_url else "memory",
        }


def _port(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(name, f"must be a port number 1–65535, got {raw!r}") from None
    if not 1 <= value <= 65535:
        raise SettingsError(name, f"must be a port number 1–65535, got {value}")
    return value


def _positive[N: (int, float)](kind: type[N], what: str) -> Callable[[str, str], N]:
    """A parser of positive numbers of ``kind``; errors say ``what`` is expected."""

    def parse(name: str, raw: str) -> N:
        try:
            value = kind(raw)
        except ValueError:
            raise SettingsError(name, f"must be {what}, got {raw!r}") from None
        if value <= 0:
            raise SettingsError(name, f"must be {what}, got {value}")
        return value

    return parse


_positive_int = _positive(int, "a positive whole number")
_positive_float = _positive(float, "a positive number")


def _url(name: str, raw: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in schemes:
        allowed = ", ".join(f"{s}://" for s in schemes)
        raise SettingsError(name, f"unsupported URL scheme in {raw!r}; expected {allowed}")
    if not parts.netloc and parts.scheme != "unix":
        raise SettingsError(name, f"URL {raw!r} names no host")
    return raw


def _secret(name: str, raw: str) -> str:
    if len(raw) < 16:
        raise SettingsError(name, "must be at least 16 characters (a random string)")
    return raw


def _choice(name: str, raw: str, choices: tuple[str, ...]) -> str:
    value = raw.upper() if name.endswith("LOG_LEVEL") else raw.lower()
    if value not in choices:
        raise SettingsError(name, f"must be one of {', '.join(choices)}, got {raw!r}")
    return value


_PARSERS: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    "HTTP_HOST": ("http_host", lambda n, v: v),
    "HTTP_PORT": ("http_port", _port),
    "RTMP_PORT": ("rtmp_port", _port),
    "INGEST_HTTP_PORT": ("ingest_http_port", _port),
    "PUBLIC_URL": ("public_url", lambda n, v: _url(n, v, ("http", "https"))),
    "ADMIN_USER": ("admin_user", lambda n, v: v),
    "ADMIN_PASSWORD": ("admin_password", lambda n, v: v),
    "MONGO_URL": ("mongo_url", lambda n, v: _url(n, v, ("mongodb", "mongodb+srv"))),
    "MONGO_DB": ("mongo_db", lambda n, v: v),
    "SIGNING_SECRET": ("signing_secret", _secret),
    "REDIS_URL": ("redis_url", lambda n, v: _url(n, v, ("redis", "rediss", "unix"))),
    "TOKEN_TTL": ("token_ttl_s", _positive_int),
    "MAX_BODY_BYTES": ("max_body_bytes", _positive_int),
    "JOB_VISIBILITY_TIMEOUT": ("job_visibility_timeout_s", _positive_int),
    "LOGIN_ATTEMPTS": ("login_attempts", _positive_int),
    "LOG_LEVEL": ("log_level", lambda n, v: _choice(n, v, ("DEBUG", "INFO", "WARNING", "ERROR"))),
    "LOG_FORMAT": ("log_format", lambda n, v: _choice(n, v, ("json", "text"))),
    "SHUTDOWN_TIMEOUT": ("shutdown_timeout_s", _positive_float),
}
X264_PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
)


def _ladder(name: str, raw: str) -> Ladder:
    try:
        return parse_ladder(raw)
    except ValueError as exc:
        raise SettingsError(name, str(exc)) from None


def _segment(name: str, raw: str) -> float:
    value = _positive_float(name, raw)
    if not 1 <= value <= 10:
        raise SettingsError(name, f"must be 1–10 seconds, got {value:g}")
    return value


def _count(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(name, f"must be a whole number, 0 or more, got {raw!r}") from None
    if value < 0:
        raise SettingsError(name, f"must be a whole number, 0 or more, got {value}")
    return value


_PARSERS.update(
    {
        "LIVE_LADDER": ("live_ladder", _ladder),
        "LIVE_SEGMENT_SECONDS": ("live_segment_s", _segment),
        "LIVE_PRESET": ("live_preset", lambda n, v: _choice(n, v, X264_PRESETS)),
        "LIVE_LATENCY_MODE": ("live_latency_mode", lambda n, v: _choice(n, v, ("standard", "low"))),
        "LIVE_MAX_CONNECTIONS": ("live_max_connections", _positive_int),
        "LIVE_MAX_CONNECTIONS_PER_ADDRESS": ("live_max_connections_per_address", _count),
        "VOD_LADDER": ("vod_ladder", _ladder),
        "VOD_PRESET": ("vod_preset", lambda n, v: _choice(n, v, X264_PRESETS)),
        "UPLOAD_MAX_BYTES": ("upload_max_bytes", _positive_int),
        "UPLOAD_TTL": ("upload_ttl_s", _positive_int),
        "VIEWS_FLUSH_INTERVAL": ("views_flush_interval_s", _positive_float),
    }
)


def _names(name: str, raw: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in raw.replace("，", ",").split(",") if n.strip())
    if not names:
        raise SettingsError(name, f"must be comma-separated names, got {raw!r}")
    return names


_PARSERS["CHAT_RESERVED_NAMES"] = ("chat_reserved_names", _names)


def _geoip_db(name: str, raw: str) -> Path:
    path = Path(raw).expanduser().absolute()
    if path.suffix.lower() not in (".mmdb", ".xdb"):
        raise SettingsError(name, f"must name a .mmdb or .xdb file, got {raw!r}")
    if not path.is_file():
        raise SettingsError(name, f"{path} is not a readable file")
    return path


def _networks(name: str, raw: str) -> tuple[Network, ...]:
    try:
        return parse_networks(raw)
    except ValueError as exc:
        raise SettingsError(name, f"must be comma-separated IP networks: {exc}") from None


_PARSERS["GEOIP_DB"] = ("geoip_db", _geoip_db)
_PARSERS["TRUSTED_PROXIES"] = ("trusted_proxies", _networks)
_PARSERS["PULL_ALLOW"] = ("pull_allow", _networks)
_PARSERS["PULL_ATTEMPTS"] = ("pull_attempts", _positive_int)
_PARSERS["SRT_PORT"] = ("srt_port", _port)


def _srt_passphrase(name: str, raw: str) -> str:
    if not 10 <= len(raw) <= 79:
        raise SettingsError(name, "must be 10 to 79 characters (SRT's passphrase rule)")
    return raw


_PARSERS["SRT_PASSPHRASE"] = ("srt_passphrase", _srt_passphrase)
_S3_KEYS = ("S3_URL", "S3_ACCESS_KEY", "S3_SECRET_KEY", "S3_BUCKET", "S3_REGION")
_IGNORED_PREFIXES = ("CULTURECAST_TEST_",)


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Build the settings from an environment mapping (``os.environ`` at the entry point)."""
    known = {PREFIX + k for k in (*_PARSERS, *_S3_KEYS, "DATA_DIR")}
    for name in environ:
        if name.startswith(PREFIX) and name not in known and not name.startswith(_IGNORED_PREFIXES):
            raise SettingsError(name, "unknown setting (see the README's settings reference)")

    values: dict[str, Any] = {}
    for key, (attr, parse) in _PARSERS.items():
        raw = environ.get(PREFIX + key)
        if raw is not None and raw != "":
            values[attr] = parse(PREFIX + key, raw)

    s3_url = environ.get(PREFIX + "S3_URL")
    if s3_url:
        s3 = S3Settings(
            url=_url(PREFIX + "S3_URL", s3_url, ("http", "https")),
            access_key=_required(environ, "S3_ACCESS_KEY"),
            secret_key=_required(environ, "S3_SECRET_KEY"),
            bucket=environ.get(PREFIX + "S3_BUCKET") or "culturecast",
            region=environ.get(PREFIX + "S3_REGION") or "us-east-1",
        )
        _check_bucket(s3.bucket)
        values["s3"] = s3

    raw_dir = environ.get(PREFIX + "DATA_DIR") or "data"
    values["data_dir"] = Path(raw_dir).expanduser().absolute()
    return Settings(**values)


def _required(environ: Mapping[str, str], key: str) -> str:
    value = environ.get(PREFIX + key)
    if not value:
        raise SettingsError(PREFIX + key, "required when CULTURECAST_S3_URL is set")
    return value


def _check_bucket(bucket: str) -> None:
    # S3 bucket naming rules: 3–63 lowercase letters, digits, dots, hyphens.
    ok = 3 <= len(bucket) <= 63 and all(c.islower() or c.isdigit() or c in ".-" for c in bucket)
    if not ok:
        raise SettingsError(PREFIX + "S3_BUCKET", f"{bucket!r} is not a valid S3 bucket name")


def prepare_data_dir(settings: Settings) -> None:
    """Create the data dir and prove it writable, or stop with a SettingsError naming it."""
    name = PREFIX + "DATA_DIR"
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=settings.data_dir, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise SettingsError(name, f"{settings.data_dir} is not writable ({exc.strerror})") from exc


def from_os_environ() -> Settings:
    """The entry point's one read of the process environment."""
    return load_settings(os.environ)
