"""Device families from real user agents, the client address behind trusted proxies only,
and region keys."""

from __future__ import annotations

import pytest

from culturecast.core.addresses import client_ip, parse_networks
from culturecast.media.views.audience import (
    Device,
    Region,
    device_from_user_agent,
    region_key,
    split_region_key,
)
from culturecast.media.views.geoip import NoGeo, open_geoip, xdb_region

UAS = [
    # WeChat's built-in browser on Android (Xiaomi).
    (
        "Mozilla/5.0 (Linux; Android 13; M2012K11AC Build/TKQ1.220829.002; wv) AppleWebKit/537.36"
        " (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065"
        " MMWEBSDK/20231202 MMWEBID/2247 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64"
        " Weixin NetType/WIFI Language/zh_CN ABI/arm64",
        Device.ANDROID,
    ),
    # WeChat on iOS.
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.45(0x18002d2b) NetType/WIFI"
        " Language/zh_CN",
        Device.IOS,
    ),
    # HarmonyOS NEXT browser (Huawei Mate 60).
    (
        "Mozilla/5.0 (Phone; OpenHarmony 4.2) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/114.0.0.0 Safari/537.36 ArkWeb/4.1.6.1 Mobile HuaweiBrowser/5.0.4.300",
        Device.HARMONYOS,
    ),
    # HarmonyOS 2–4 phones still say Android, and name HarmonyOS.
    (
        "Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN00; HMSCore 6.13.0.302)"
        " AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.88 HuaweiBrowser/14.0.5.303"
        " Mobile Safari/537.36",
        Device.HARMONYOS,
    ),
    # A Xiaomi TV box (小米盒子).
    (
        "Mozilla/5.0 (Linux; Android 9; MiBOX4 Build/PI; wv) AppleWebKit/537.36 (KHTML, like"
        " Gecko) Version/4.0 Chrome/74.0.3729.136 Mobile Safari/537.36",
        Device.TV,
    ),
    # A smart TV's browser.
    (
        "Mozilla/5.0 (Linux; Android 9; Hisense SmartTV) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/79.0.3945.136 Safari/537.36",
        Device.TV,
    ),
    # Desktop Chrome on Windows.
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/120.0.0.0 Safari/537.36",
        Device.WINDOWS,
    ),
    # Desktop Safari on macOS.
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like"
        " Gecko) Version/17.2 Safari/605.1.15",
        Device.MACOS,
    ),
    # Firefox on Linux.
    (
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
        Device.LINUX,
    ),
    # An iPad's native player (AVFoundation).
    ("AppleCoreMedia/1.0.0.21C62 (iPad; U; CPU OS 17_2 like Mac OS X; zh_cn)", Device.IOS),
    # ExoPlayer in an Android app.
    ("ExoPlayerLib/2.18.1 (Linux; Android 11) ", Device.ANDROID),
    ("curl/8.5.0", Device.OTHER),
    ("", Device.OTHER),
    (None, Device.OTHER),
]


@pytest.mark.parametrize(("user_agent", "device"), UAS)
def test_device_families_of_real_user_agents(user_agent: str | None, device: Device) -> None:
    assert device_from_user_agent(user_agent) is device


TRUSTED = parse_networks("10.0.0.0/8, 192.168.1.1, ::1")


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.9", None, "203.0.113.9"),
        # An untrusted peer's header is ignored, whatever it says.
        ("203.0.113.9", "1.0.1.1", "203.0.113.9"),
        # Our proxy appended the address it saw; the client's own claim (left) is not believed.
        ("10.0.0.2", "1.0.1.1, 198.51.100.7", "198.51.100.7"),
        # Two of our proxies in a row.
        ("10.0.0.2", "198.51.100.7, 10.0.0.3", "198.51.100.7"),
        ("192.168.1.1", "198.51.100.7:4431", "198.51.100.7"),
        ("::1", "[2001:db8::5]:443", "2001:db8::5"),
        # A malformed hop: nothing further left is believed.
        ("10.0.0.2", "1.0.1.1, garbage, 10.0.0.3", "10.0.0.3"),
        ("10.0.0.2", "", "10.0.0.2"),
        ("::ffff:203.0.113.9", None, "203.0.113.9"),
        (None, "1.0.1.1", "unknown"),
    ],
)
def test_client_address_believes_trusted_proxies_only(
    peer: str | None, forwarded: str | None, client: str
) -> None:
    assert client_ip(peer, forwarded, TRUSTED) == client


def test_networks_are_validated() -> None:
    networks = parse_networks("10.0.0.1/8，127.0.0.1")
    assert [str(n) for n in networks] == ["10.0.0.0/8", "127.0.0.1/32"]
    with pytest.raises(ValueError, match=r"'10\.0\.0\.300'"):
        parse_networks("10.0.0.0/8, 10.0.0.300")
    with pytest.raises(ValueError, match="no networks"):
        parse_networks(" , ")


def test_region_keys() -> None:
    assert region_key(Region("江苏省", "苏州市")) == "江苏省|苏州市"
    assert region_key(Region("Prov.$x", "")) == "Provx|"
    assert region_key(None) == ""
    assert split_region_key("江苏省|苏州市") == Region("江苏省", "苏州市")
    assert split_region_key("") is None


def test_ip2region_texts() -> None:
    assert xdb_region("中国|江苏省|苏州市|电信|CN") == Region("江苏省", "苏州市")
    assert xdb_region("中国|0|江苏省|苏州市|电信") == Region("江苏省", "苏州市")
    assert xdb_region("中国|0|北京|0|联通") == Region("北京")
    assert xdb_region("美国|0|0|0|0") == Region("美国")
    assert xdb_region("中国|0|0|0|0") is None
    assert xdb_region("0|0|0|内网IP|内网IP") is None


def test_no_database_no_regions() -> None:
    assert isinstance(open_geoip(None), NoGeo)
    assert open_geoip(None).region("1.0.1.1") is None
