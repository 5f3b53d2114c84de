"""Figures of the live data screen (数据大屏, ``/screen/<org_id>``) straight from the counters,
never from the database: what every api process adds, so every process reads the same.

Writers (``ViewsService._account`` through the write-behind buffer, so no extra round trip per
beat): per organization of the item's path and CST day, the hash
``views:rt:<day>:org:<org>`` with

- ``plays`` and ``watch_s``;
- ``t:<terminal>`` / ``d:<device>`` / ``p:<province>`` plays;
- ``i:<type>:<id>`` plays (top items) and ``l:<event id>`` plays of live shows (which shows
  to ask the presence sets for their concurrent viewers).

Items' titles are kept at each start under ``views:rt:title:<type>:<id>``. Each start also
publishes a masked line on ``views:activity`` (province and city, terminal, title — never who)
for the ticker. Distinct viewers come from the existing ``views:uniq:<day>:org:<org>`` sets.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from culturecast.core.calendar import cst_day
from culturecast.media.views import state
from culturecast.media.views.audience import Device, split_region_key
from culturecast.media.views.policy import Terminal
from culturecast.storage.counters.port import Counters

__all__ = [
    "ACTIVITY_CHANNEL",
    "activity_line",
    "read_realtime",
    "realtime_fields",
    "realtime_key",
    "title_key",
]

ACTIVITY_CHANNEL = "views:activity"
RT_TTL_S = 3 * 24 * 3600
TOP_ITEMS = 10

TERMINAL_ZH = {
    "web": "电脑网页",
    "mobile_h5": "手机网页",
    "wechat": "微信",
    "app": "客户端",
    "tv": "电视",
}


def realtime_key(day: str, org_id: str) -> str:
    return f"views:rt:{day}:org:{org_id}"


def title_key(item_type: str, item_id: str) -> str:
    return f"views:rt:title:{item_type}:{item_id}"


def realtime_fields(
    *,
    item_type: str,
    item_id: str,
    terminal: str,
    device: str,
    region: str,
    plays: int,
    watch_seconds: float,
    is_live: bool,
) -> dict[str, float]:
    """What one session start or beat adds to each organization's realtime hash."""
    fields: dict[str, float] = {}
    if watch_seconds:
        fields["watch_s"] = watch_seconds
    if plays:
        fields["plays"] = plays
        fields[f"t:{terminal}"] = plays
        fields[f"d:{device}"] = plays
        parsed = split_region_key(region)
        if parsed is not None:
            fields[f"p:{parsed.province}"] = plays
        fields[f"i:{item_type}:{item_id}"] = plays
        if is_live:
            fields[f"l:{item_id}"] = plays
    return fields


def activity_line(
    *, org_path: tuple[str, ...], at: float, region: str, terminal: str, title: str
) -> bytes:
    """The ticker's masked line: 江苏省苏州市 一位观众通过手机网页观看了《…》."""
    parsed = split_region_key(region)
    where = "" if parsed is None else parsed.province + parsed.city
    how = TERMINAL_ZH.get(terminal, terminal)
    text = f"{where} 一位观众通过{how}观看了《{title}》".strip()
    return json.dumps(
        {"org_path": list(org_path), "at": at, "text": text}, ensure_ascii=False
    ).encode()


def _split(fields: Mapping[str, float], prefix: str) -> dict[str, int]:
    return {k[len(prefix) :]: int(v) for k, v in fields.items() if k.startswith(prefix)}


async def _day_summary(counters: Counters, day: str, org_id: str) -> dict[str, Any]:
    fields = await counters.hgetall(realtime_key(day, org_id))
    return {
        "day": day,
        "plays": int(fields.get("plays", 0)),
        "watch_hours": round(fields.get("watch_s", 0.0) / 3600, 3),
        "unique_viewers": await counters.unique_count(state.org_uniques_key(day, org_id)),
    }


async def read_realtime(
    counters: Counters, org_id: str, now: float, window_s: float
) -> dict[str, Any]:
    """The screen's figures of ``org_id``'s subtree at ``now``."""
    today, yesterday = cst_day(now), cst_day(now - 86400)
    fields = await counters.hgetall(realtime_key(today, org_id))
    live_now: list[dict[str, Any]] = []
    for event_id in _split(fields, "l:"):
        presence = state.presence_key("live", event_id)
        viewers = await counters.presence_count(presence, now - window_s)
        if viewers:
            title = await counters.get_flag(title_key("live", event_id))
            live_now.append({"event_id": event_id, "title": title or "", "viewers": viewers})
    live_now.sort(key=lambda s: (-int(s["viewers"]), str(s["event_id"])))
    items = sorted(_split(fields, "i:").items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_ITEMS]
    top_items = []
    for key, plays in items:
        item_type, _, item_id = key.partition(":")
        title = await counters.get_flag(title_key(item_type, item_id))
        top_items.append(
            {"item_type": item_type, "item_id": item_id, "title": title or "", "plays": plays}
        )
    terminals = _split(fields, "t:")
    devices = _split(fields, "d:")
    provinces = sorted(_split(fields, "p:").items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "org_id": org_id,
        "at": now,
        "live_now": live_now,
        "today": await _day_summary(counters, today, org_id),
        "yesterday": await _day_summary(counters, yesterday, org_id),
        "provinces": [{"province": p, "plays": n} for p, n in provinces],
        "terminals": {str(t): terminals.get(str(t), 0) for t in Terminal},
        "devices": {str(d): devices.get(str(d), 0) for d in Device},
        "top_items": top_items,
    }
