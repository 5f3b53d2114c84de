"""The pull policy (no I/O): which URLs an event may pull, and which addresses it may reach.

Only ``rtmp``, ``rtmps``, ``srt``, ``rtsp`` and ``http(s)`` URLs whose path ends in
``.m3u8``; the host is resolved (by the caller, through an injected resolver) and every
address it resolves to must be public, unless ``CULTURECAST_PULL_ALLOW`` lists a network that
covers it. Refusals are sentences an admin can act on (zh-CN and en).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

from culturecast.core.errors import Sentence

type Address = ipaddress.IPv4Address | ipaddress.IPv6Address
type Network = ipaddress.IPv4Network | ipaddress.IPv6Network

SCHEMES = ("rtmp", "rtmps", "srt", "rtsp", "http", "https")
DEFAULT_PORTS = {"rtmp": 1935, "rtmps": 443, "srt": 9710, "rtsp": 554, "http": 80, "https": 443}
PROTOCOLS = {
    "rtmp": "rtmp,tcp",
    "rtmps": "rtmps,tls,tcp",
    "srt": "srt,udp",
    "rtsp": "rtsp,rtp,tcp,udp",
    "http": "http,tcp,hls,crypto,data",
    "https": "https,http,tls,tcp,hls,crypto,data",
}
"""ffmpeg's ``-protocol_whitelist`` per scheme (no ``file``, ``concat`` or ``subfile``)."""
MAX_URL = 2000


@dataclass(frozen=True, slots=True)
class PullUrl:
    """A URL whose form is allowed (its addresses are checked separately)."""

    url: str
    scheme: str
    host: str
    """Without brackets for IPv6."""
    port: int


class PullRefused(ValueError):
    """The URL or its address may not be pulled; ``code`` names why."""

    def __init__(self, code: str, sentence: Sentence) -> None:
        super().__init__(sentence.en)
        self.code = code
        self.sentence = sentence


def parse_allow(text: str | None) -> tuple[Network, ...]:
    """``CULTURECAST_PULL_ALLOW``: comma-separated networks (``10.0.0.0/8,::1/128``)."""
    networks: list[Network] = []
    for part in (text or "").split(","):
        if part.strip():
            networks.append(ipaddress.ip_network(part.strip(), strict=False))
    return tuple(networks)


def check_url(url: str) -> PullUrl:
    """The URL's form: scheme, host, port and (for http) an ``.m3u8`` path."""
    if not isinstance(url, str) or not url.strip() or len(url) > MAX_URL:
        raise PullRefused(
            "invalid_pull_url", Sentence("请填写拉流地址。", "Give the URL to pull from.")
        )
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise PullRefused(
            "invalid_pull_url", Sentence("拉流地址格式不正确。", "The pull URL is malformed.")
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise PullRefused(
            "unsupported_pull_scheme",
            Sentence(
                f"不支持 {scheme or '无'} 协议的拉流，"
                "仅支持 rtmp、rtmps、srt、rtsp 和 http(s) 的 .m3u8。",
                f"Pulling over {scheme or 'no scheme'} is not supported: use rtmp, rtmps, srt, "
                "rtsp, or an http(s) URL ending in .m3u8.",
            ),
        )
    if scheme in ("http", "https") and not parts.path.lower().endswith(".m3u8"):
        raise PullRefused(
            "unsupported_pull_scheme",
            Sentence(
                "http(s) 拉流地址必须是 .m3u8 播放列表。",
                "An http(s) pull URL must be an HLS playlist ending in .m3u8.",
            ),
        )
    host = parts.hostname or ""
    if not host or any(c in host for c in " \t|;"):
        raise PullRefused(
            "invalid_pull_url", Sentence("拉流地址缺少主机名。", "The pull URL has no host.")
        )
    return PullUrl(url, scheme, host, port or DEFAULT_PORTS[scheme])


def check_fetch_url(url: str) -> PullUrl:
    """A URL an HLS source's playlist names (a variant, a segment, a key, a redirect's
    ``Location``): only ``http(s)`` with a host; its addresses are checked like the source's."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        port, parts = None, urlsplit("")
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme not in ("http", "https") or not host or any(c in host for c in " \t|;"):
        raise PullRefused(
            "hls_url_refused",
            Sentence(
                f"播放列表中的地址 {url[:200]} 不是 http(s) 地址，已拒绝拉取。",
                f"The playlist names {url[:200]}, which is not an http(s) URL; not fetched.",
            ),
        )
    return PullUrl(url, scheme, host, port or DEFAULT_PORTS[scheme])


def literal(host: str) -> Address | None:
    """The address a host names by itself, including the forms ``inet_aton`` accepts
    (``2130706433``, ``0x7f000001``, ``127.1``, ``0177.0.0.1``); None for a DNS name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    try:
        numbers = [
            int(p, 0) if not (p.startswith("0") and p[1:2].isdigit()) else int(p, 8) for p in parts
        ]
    except ValueError:
        return None
    # inet_aton: a.b.c.d, a.b.c (c is 16 bits), a.b (b is 24 bits), a (32 bits).
    limits = {1: [32], 2: [8, 24], 3: [8, 8, 16], 4: [8, 8, 8, 8]}[len(numbers)]
    value = 0
    for number, bits in zip(numbers, limits, strict=True):
        if number < 0 or number >= 1 << bits:
            return None
        value = (value << bits) | number
    return ipaddress.IPv4Address(value)


def _kind(address: Address) -> tuple[str, str] | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _kind(address.ipv4_mapped)
    if address.is_loopback:
        return "本机回环", "loopback"
    if address.is_link_local:
        return (
            "链路本地（含云主机元数据服务）",
            "link-local (this includes cloud metadata services)",
        )
    if address.is_unspecified:
        return "未指定", "unspecified"
    if address.is_multicast:
        return "组播", "multicast"
    if address.is_private or address.is_reserved or not address.is_global:
        return "内网或保留", "private or reserved"
    return None


def check_address(address: Address, allow: Sequence[Network]) -> None:
    """Refuse an address that is not public unless ``allow`` covers it."""
    kind = _kind(address)
    if kind is None:
        return
    if any(address.version == n.version and address in n for n in allow):
        return
    zh, en = kind
    raise PullRefused(
        "pull_address_refused",
        Sentence(
            f"拉流地址解析到{zh}地址 {address}，出于安全不允许拉取；"
            "如确需拉取，请运维在 CULTURECAST_PULL_ALLOW 中加入该网段。",
            f"The pull URL resolves to {address}, a {en} address, which is not pulled for "
            "safety; an operator can allow its network in CULTURECAST_PULL_ALLOW.",
        ),
    )


def check_addresses(addresses: Iterable[str], allow: Sequence[Network]) -> list[Address]:
    """Every address the host resolved to must pass (one bad answer refuses all)."""
    parsed = [ipaddress.ip_address(a.split("%", 1)[0]) for a in addresses]
    if not parsed:
        raise PullRefused(
            "pull_host_unknown",
            Sentence("拉流地址的主机名无法解析。", "The pull URL's host name does not resolve."),
        )
    for address in parsed:
        check_address(address, allow)
    return parsed


def pinned(pull: PullUrl, address: Address) -> str:
    """The URL with its host replaced by the checked address, so ffmpeg connects to what was
    checked (no second resolution). ``https`` keeps its name (TLS needs it for SNI and the
    certificate); it is checked right before the start instead."""
    if pull.scheme in ("https", "rtmps"):
        return pull.url
    parts = urlsplit(pull.url)
    host = f"[{address}]" if address.version == 6 else str(address)
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@" if userinfo else ""
    netloc += f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(SplitResult(parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def pull_input_args(pull: PullUrl, url: str, *, timeout_s: float = 10.0) -> list[str]:
    """ffmpeg input options: only the scheme's protocols, timeouts on connect and read."""
    micro = str(int(timeout_s * 1_000_000))
    args = ["-protocol_whitelist", PROTOCOLS[pull.scheme]]
    if pull.scheme in ("http", "https"):
        args += ["-rw_timeout", micro, "-reconnect", "0"]
        if pull.scheme == "http" and url != pull.url:
            args += ["-headers", f"Host: {urlsplit(pull.url).netloc.rpartition('@')[2]}\r\n"]
    elif pull.scheme == "rtsp":
        args += ["-timeout", micro, "-rtsp_transport", "tcp"]
    elif pull.scheme == "srt":
        args += ["-timeout", micro]
    else:
        args += ["-rw_timeout", micro]
    return [*args, "-i", url]
