"""Viewers per province and city (an IP database the test writes itself) and per device
family, through the real API: the client address from X-Forwarded-For only behind a trusted
proxy, the device from the user agent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from culturecast.chat.service import likes_key
from culturecast.server.context import SERVICES
from culturecast.server.settings import SettingsError, load_settings
from tests.integration.server.conftest import ADMIN_PASSWORD
from tests.integration.views.conftest import (
    START,
    FakeClock,
    Stack,
    add_live,
    add_resource,
    make_tree,
    org_path,
    start_stack,
)
from tests.support.geoip import write_mmdb
from tests.support.xdb import write_xdb

pytestmark = pytest.mark.integration

NETWORKS = {
    "1.0.1.0/24": ("江苏省", "苏州市"),
    "1.0.2.0/24": ("江苏省", "南京市"),
    "14.0.0.0/24": ("广东省", "广州市"),
    "27.0.0.0/24": ("浙江省", "杭州市"),
    # The test's own peer address: where a forged header would leave the viewer.
    "127.0.0.0/8": ("上海市", "上海市"),
}

WECHAT_ANDROID = (
    "Mozilla/5.0 (Linux; Android 13; M2012K11AC Build/TKQ1.220829.002; wv) AppleWebKit/537.36"
    " (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36"
    " MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN"
)
WECHAT_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.45(0x18002d2b) NetType/WIFI"
    " Language/zh_CN"
)
HARMONY = (
    "Mozilla/5.0 (Phone; OpenHarmony 4.2) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/114.0.0.0 Safari/537.36 ArkWeb/4.1.6.1 Mobile HuaweiBrowser/5.0.4.300"
)
TV_BOX = (
    "Mozilla/5.0 (Linux; Android 9; MiBOX4 Build/PI; wv) AppleWebKit/537.36 (KHTML, like"
    " Gecko) Version/4.0 Chrome/74.0.3729.136 Mobile Safari/537.36"
)
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/120.0.0.0 Safari/537.36"
)

# (address, user agent, seconds watched): seven viewers from three provinces.
VIEWERS = [
    ("1.0.1.1", WECHAT_ANDROID, 30),
    ("1.0.1.2", WECHAT_ANDROID, 0),
    ("1.0.1.3", WECHAT_IOS, 15),
    ("1.0.2.9", HARMONY, 0),
    ("14.0.0.5", TV_BOX, 45),
    ("14.0.0.6", CHROME, 0),
    ("27.0.0.7", CHROME, 0),
]


def headers_of(number: int, address: str, user_agent: str, forwarded: bool) -> dict[str, str]:
    headers = {"Cookie": f"cc_did=regionviewer{number:08d}", "User-Agent": user_agent}
    if forwarded:
        headers["X-Forwarded-For"] = address
    return headers


async def start(stack: Stack, item: str, headers: dict[str, str]) -> str:
    status, body = await stack.api.call(
        "POST",
        "/api/v1/play",
        {"item_type": "live" if item.startswith("show") else "resource", "item_id": item},
        headers=headers,
    )
    assert status == 201, body
    return str(body["session_id"])


async def beats(stack: Stack, session_id: str, seconds: int, headers: dict[str, str]) -> None:
    """Beats every 15 s for ``seconds``; the clock is put back afterwards, so the next viewer
    starts at the same time."""
    for seq, t in enumerate(range(15, seconds + 1, 15), start=1):
        stack.clock.advance(15)
        status, answer = await stack.api.call(
            "POST",
            "/api/v1/views/heartbeat",
            {"session_id": session_id, "state": "playing", "seq": seq, "position_s": t},
            headers=headers,
        )
        assert status == 204, answer
    stack.clock.advance(-(seconds // 15) * 15)


async def watch(
    stack: Stack, number: int, address: str, user_agent: str, seconds: int, forwarded: bool
) -> None:
    headers = headers_of(number, address, user_agent, forwarded)
    await beats(stack, await start(stack, "r1", headers), seconds, headers)


def compact(regions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        p["province"]: (
            p["plays"],
            p["watch_seconds"],
            {c["city"]: (c["plays"], c["watch_seconds"]) for c in p["cities"]},
        )
        for p in regions
    }


async def run(
    data_dir: Path, clock: FakeClock, database: Path, trusted: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    env = {"CULTURECAST_GEOIP_DB": str(database)}
    if trusted is not None:
        env["CULTURECAST_TRUSTED_PROXIES"] = trusted
    async for stack in start_stack(data_dir, clock, **env):
        admin = await stack.api.login("admin", ADMIN_PASSWORD)
        orgs = await make_tree(admin, ["测试省", "测试县"])
        await add_resource(stack, "r1", org_path(orgs))
        for number, (address, user_agent, seconds) in enumerate(VIEWERS):
            await watch(stack, number, address, user_agent, seconds, forwarded=True)
        await stack.flush()
        org = await admin.ok("GET", f"/api/v1/stats/orgs/{orgs[0]}?from=2024-03-10&to=2024-03-10")
        item = await admin.ok(
            "GET", "/api/v1/stats/items/resource/r1?from=2024-03-10&to=2024-03-10"
        )
        return org, item
    raise AssertionError("no stack")


@pytest.mark.parametrize("suffix", [".mmdb", ".xdb"])
async def test_viewers_of_three_provinces_per_province_and_city(
    data_dir: Path, clock: FakeClock, tmp_path: Path, suffix: str
) -> None:
    # The same networks as a MaxMind database and as an ip2region one: the same figures.
    write = write_mmdb if suffix == ".mmdb" else write_xdb
    database = write(tmp_path / f"cn{suffix}", NETWORKS)
    org, item = await run(data_dir, clock, database, trusted="127.0.0.1/32")
    expected = {
        "江苏省": (4, 45.0, {"苏州市": (3, 45.0), "南京市": (1, 0.0)}),
        "广东省": (2, 45.0, {"广州市": (2, 45.0)}),
        "浙江省": (1, 0.0, {"杭州市": (1, 0.0)}),
    }
    assert compact(org["by_region"]) == expected
    assert compact(item["by_region"]) == expected
    assert [p["province"] for p in org["by_region"]] == ["江苏省", "广东省", "浙江省"]
    devices = {d: (f["plays"], f["watch_seconds"]) for d, f in org["by_device"].items()}
    assert devices == {
        "android": (2, 30.0),
        "ios": (1, 15.0),
        "harmonyos": (1, 0.0),
        "windows": (2, 0.0),
        "macos": (0, 0.0),
        "linux": (0, 0.0),
        "tv": (1, 45.0),
        "other": (0, 0.0),
    }
    assert item["by_device"] == org["by_device"]


async def test_a_forged_forwarded_for_from_an_untrusted_peer_is_ignored(
    data_dir: Path, clock: FakeClock, tmp_path: Path
) -> None:
    mmdb = write_mmdb(tmp_path / "cn.mmdb", NETWORKS)
    # Our proxies are elsewhere: the test's own address (127.0.0.1) is the client.
    org, _ = await run(data_dir, clock, mmdb, trusted="10.0.0.0/8")
    assert compact(org["by_region"]) == {"上海市": (7, 90.0, {"上海市": (7, 90.0)})}


async def test_without_a_database_regions_are_absent(data_dir: Path, clock: FakeClock) -> None:
    async for stack in start_stack(data_dir, clock, CULTURECAST_TRUSTED_PROXIES="127.0.0.1"):
        admin = await stack.api.login("admin", ADMIN_PASSWORD)
        orgs = await make_tree(admin, ["测试省"])
        await add_resource(stack, "r1", org_path(orgs))
        await watch(stack, 1, "1.0.1.1", CHROME, 15, forwarded=True)
        await stack.flush()
        org = await admin.ok("GET", f"/api/v1/stats/orgs/{orgs[0]}?from=2024-03-10&to=2024-03-10")
        assert org["by_region"] == []
        assert org["by_device"]["windows"]["plays"] == 1
        assert org["totals"]["plays"] == 1


def test_bad_settings_name_the_variable(tmp_path: Path) -> None:
    base = {"CULTURECAST_DATA_DIR": str(tmp_path)}
    with pytest.raises(SettingsError, match=r"CULTURECAST_TRUSTED_PROXIES.*'10\.0\.0\.999'"):
        load_settings({**base, "CULTURECAST_TRUSTED_PROXIES": "10.0.0.0/8,10.0.0.999"})
    with pytest.raises(SettingsError, match=r"CULTURECAST_GEOIP_DB.*not a readable file"):
        load_settings({**base, "CULTURECAST_GEOIP_DB": str(tmp_path / "none.mmdb")})
    with pytest.raises(SettingsError, match=r"CULTURECAST_GEOIP_DB.*\.mmdb or \.xdb"):
        load_settings({**base, "CULTURECAST_GEOIP_DB": str(tmp_path)})


async def test_live_show_report_equals_hand_computed_figures(
    data_dir: Path, clock: FakeClock, tmp_path: Path
) -> None:
    mmdb = write_mmdb(tmp_path / "cn.mmdb", NETWORKS)
    env = {"CULTURECAST_GEOIP_DB": str(mmdb), "CULTURECAST_TRUSTED_PROXIES": "127.0.0.1"}
    async for stack in start_stack(data_dir, clock, **env):
        admin = await stack.api.login("admin", ADMIN_PASSWORD)
        orgs = await make_tree(admin, ["测试省", "测试县"])
        await add_live(stack, "show1", org_path(orgs))
        # Viewers: 苏州 on WeChat Android 45 s (effective: > 30 s), 苏州 on iOS 15 s,
        # 广州 on a TV box 0 s. All three start at once: peak 3 at the start.
        viewers = [
            (headers_of(1, "1.0.1.1", WECHAT_ANDROID, True), 45),
            (headers_of(2, "1.0.1.3", WECHAT_IOS, True), 15),
            (headers_of(3, "14.0.0.5", TV_BOX, True), 0),
        ]
        sessions = [await start(stack, "show1", headers) for headers, _ in viewers]
        await stack.views.drain()
        for session_id, (headers, seconds) in zip(sessions, viewers, strict=True):
            await beats(stack, session_id, seconds, headers)
        await stack.flush()
        for n in range(4):
            await stack.insert(
                "chat_messages",
                {"_id": f"m{n}", "event_id": "show1", "deleted": n == 3, "at": clock()},
            )
        await stack.app[SERVICES].engines.counters.incr(likes_key("show1"), 12)
        report = await admin.ok("GET", "/api/v1/stats/live/show1/report")
        assert {k: report[k] for k in SUMMARY_KEYS} == {
            "event_id": "show1",
            "title": "越剧《梁祝》直播",
            "peak_viewers": 3,
            "plays": 3,
            "unique_viewers": 3,
            "watch_seconds": 60.0,
            "average_watch_seconds": 20.0,
            "effective": 1,
            "comments": 3,
            "likes": 12,
            "from": "2024-03-10",
            "to": "2024-03-10",
        }
        assert report["peak_at"] == START
        assert compact(report["by_region"]) == {
            "江苏省": (2, 60.0, {"苏州市": (2, 60.0)}),
            "广东省": (1, 0.0, {"广州市": (1, 0.0)}),
        }
        devices = {d: f["plays"] for d, f in report["by_device"].items() if f["plays"]}
        assert devices == {"android": 1, "ios": 1, "tv": 1}
        status, body = await admin.call("GET", "/api/v1/stats/live/show1/report?format=csv")
        assert status == 200
        text = body.decode("utf-8")
        assert text.startswith("\ufeff")
        assert "平均观看时长(秒) average_watch_seconds,20.0" in text
        assert "城市 city,江苏省 苏州市,,2,60.0,1" in text
        # Nobody else reads it.
        status, _ = await stack.api.call("GET", "/api/v1/stats/live/show1/report")
        assert status == 401
        status, _ = await admin.call("GET", "/api/v1/stats/live/nothing/report")
        assert status == 404


SUMMARY_KEYS = [
    "event_id",
    "title",
    "peak_viewers",
    "plays",
    "unique_viewers",
    "watch_seconds",
    "average_watch_seconds",
    "effective",
    "comments",
    "likes",
    "from",
    "to",
]
