"""The pull policy: which URLs and which addresses an event may pull."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

import pytest

from culturecast.live.sources import pull
from culturecast.live.sources.pull import PullRefused

NO_ALLOW = pull.parse_allow("")


def resolver(table: dict[str, list[str]]) -> Callable[[str], list[str]]:
    """A stand-in DNS: names to the addresses they resolve to."""

    def resolve(host: str) -> list[str]:
        address = pull.literal(host)
        return [str(address)] if address is not None else table.get(host, [])

    return resolve


DNS = resolver(
    {
        "example.org": ["93.184.215.14"],
        "internal.example.org": ["10.1.2.3"],
        "mixed.example.org": ["93.184.215.14", "192.168.1.5"],
        "v6.example.org": ["2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
        "v6local.example.org": ["fd00::1"],
    }
)


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("file:///etc/passwd", "unsupported_pull_scheme"),
        ("concat:a.ts|b.ts", "unsupported_pull_scheme"),
        ("subfile,,start,0,end,0,,:/etc/passwd", "unsupported_pull_scheme"),
        ("gopher://example.org/", "unsupported_pull_scheme"),
        ("http://example.org/video.mp4", "unsupported_pull_scheme"),
        ("https://example.org/live", "unsupported_pull_scheme"),
        ("rtmp:///live/x", "invalid_pull_url"),
        ("", "invalid_pull_url"),
        ("rtmp://example.org:99999/live", "invalid_pull_url"),
    ],
)
def test_form_refused(url: str, code: str) -> None:
    with pytest.raises(PullRefused) as caught:
        pull.check_url(url)
    assert caught.value.code == code
    assert caught.value.sentence.zh
    assert caught.value.sentence.en


@pytest.mark.parametrize(
    ("url", "port"),
    [
        ("rtmp://example.org/live/show", 1935),
        ("rtmps://example.org/live/show", 443),
        ("srt://example.org:9000?streamid=x", 9000),
        ("rtsp://cam.example.org/stream1", 554),
        ("http://example.org/live/master.m3u8", 80),
        ("https://example.org/live/master.m3u8?token=a", 443),
        ("HTTPS://example.org/LIVE/MASTER.M3U8", 443),
    ],
)
def test_form_accepted(url: str, port: int) -> None:
    assert pull.check_url(url).port == port


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("rtmp://127.0.0.1/live/x", "loopback"),
        ("rtmp://localhost.localdomain/live/x", None),  # unknown name: no address
        ("http://2130706433/live.m3u8", "loopback"),
        ("http://0x7f000001/live.m3u8", "loopback"),
        ("http://0177.0.0.1/live.m3u8", "loopback"),
        ("http://127.1/live.m3u8", "loopback"),
        ("http://169.254.169.254/latest.m3u8", "link-local"),
        ("rtsp://[::1]/cam", "loopback"),
        ("rtsp://[fe80::1]/cam", "link-local"),
        ("rtsp://[::ffff:127.0.0.1]/cam", "loopback"),
        ("rtmp://0.0.0.0/live/x", "unspecified"),
        ("rtmp://[::]/live/x", "unspecified"),
        ("srt://239.1.1.1:9000", "multicast"),
        ("rtmp://10.0.0.8/live/x", "private"),
        ("rtmp://172.16.5.5/live/x", "private"),
        ("rtmp://192.168.0.2/live/x", "private"),
        ("rtmp://100.64.0.1/live/x", "private"),
        ("rtmp://internal.example.org/live/x", "private"),
        ("rtmp://mixed.example.org/live/x", "private"),
        ("rtmp://v6local.example.org/live/x", "private"),
    ],
)
def test_address_refused(url: str, kind: str | None) -> None:
    parsed = pull.check_url(url)
    with pytest.raises(PullRefused) as caught:
        pull.check_addresses(DNS(parsed.host), NO_ALLOW)
    if kind is None:
        assert caught.value.code == "pull_host_unknown"
    else:
        assert caught.value.code == "pull_address_refused"
        assert kind in caught.value.sentence.en
        assert "CULTURECAST_PULL_ALLOW" in caught.value.sentence.en


@pytest.mark.parametrize(
    "url",
    [
        "rtmp://example.org/live/x",
        "rtmp://93.184.215.14/live/x",
        "rtsp://v6.example.org/cam",
        "rtsp://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/cam",
    ],
)
def test_public_accepted(url: str) -> None:
    parsed = pull.check_url(url)
    assert pull.check_addresses(DNS(parsed.host), NO_ALLOW)


def test_allow_covers_a_network() -> None:
    allow = pull.parse_allow(" 127.0.0.0/8, 10.1.0.0/16 ,::1/128")
    for host in ("127.0.0.1", "10.1.2.3", "::1"):
        pull.check_addresses([host], allow)
    with pytest.raises(PullRefused):
        pull.check_addresses(["10.2.0.1"], allow)
    with pytest.raises(PullRefused):
        pull.check_addresses(["169.254.169.254"], allow)


def test_pinned_url_connects_to_the_checked_address() -> None:
    parsed = pull.check_url("rtmp://user:pw@example.org:1936/live/show?x=1")
    url = pull.pinned(parsed, ipaddress.ip_address("93.184.215.14"))
    assert url == "rtmp://user:pw@93.184.215.14:1936/live/show?x=1"
    v6 = pull.pinned(
        pull.check_url("rtsp://v6.example.org/cam"), ipaddress.ip_address("2001:db8::1")
    )
    assert v6 == "rtsp://[2001:db8::1]/cam"
    http = pull.check_url("http://example.org/a/master.m3u8")
    pinned = pull.pinned(http, ipaddress.ip_address("93.184.215.14"))
    args = pull.pull_input_args(http, pinned)
    assert args[-2:] == ["-i", "http://93.184.215.14/a/master.m3u8"]
    assert "Host: example.org\r\n" in args
    whitelist = args[args.index("-protocol_whitelist") + 1]
    assert "file" not in whitelist.split(",")
    assert "concat" not in whitelist.split(",")
    assert "-rw_timeout" in args


def test_a_url_a_playlist_names_is_http_or_https_with_a_host() -> None:
    assert pull.check_fetch_url("https://cdn.example/a/seg1.ts").port == 443
    assert pull.check_fetch_url("http://2130706433:81/x.ts").host == "2130706433"
    for url in ("file:///etc/passwd", "data:text/plain,x", "skd://key", "http:///x.ts", "x.ts"):
        with pytest.raises(PullRefused) as refused:
            pull.check_fetch_url(url)
        assert refused.value.code == "hls_url_refused"
        assert "http(s)" in refused.value.sentence.zh
