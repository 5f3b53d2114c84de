"""Who moderates; what payloads are accepted (pure rules). Who reads a room: the live
package's rule, tests/unit/live/test_visibility.py."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from culturecast.chat import payloads
from culturecast.chat.access import EventView, is_moderator
from culturecast.chat.events import RefusalCode


@dataclass(frozen=True)
class Who:
    user_id: str
    username: str
    role: str
    org_id: str | None


EVENT = EventView("e1", "county", ("county", "city", "province"), "live", 100.0)


@pytest.mark.parametrize(
    ("who", "moderates"),
    [
        (None, False),
        (Who("u", "u", "viewer", "county"), False),
        (Who("u", "u", "viewer", "other"), False),
        (Who("u", "u", "editor", "city"), True),  # a parent organization's staff
        (Who("u", "u", "org_admin", "village"), False),  # below: not the event's subtree
        (Who("u", "u", "editor", "other"), False),
        (Who("u", "u", "platform_admin", None), True),
    ],
)
def test_moderators_are_the_staff_of_the_events_subtree(who: Who | None, moderates: bool) -> None:
    assert is_moderator(who, EVENT) is moderates


def test_live_means_live_or_reconnecting_and_offsets_count_from_the_start() -> None:
    assert not EventView("e2", "county", ("county",), "ended").live
    assert EventView("e3", "o", ("o",), "reconnecting").live
    assert EVENT.offset_of(160.5) == 60.5
    assert EVENT.offset_of(50.0) == 0.0


@pytest.mark.parametrize(
    ("parse", "data", "code"),
    [
        (payloads.parse_send, {"text": "x" * 2001}, RefusalCode.TOO_LONG),
        (payloads.parse_send, {"text": b"x"}, RefusalCode.BAD_PAYLOAD),
        (payloads.parse_send, ["text"], RefusalCode.BAD_PAYLOAD),
        (payloads.parse_join, {"event_id": ""}, RefusalCode.BAD_PAYLOAD),
        (payloads.parse_join, {"event_id": "a/b"}, RefusalCode.BAD_PAYLOAD),
        (payloads.parse_like, {"count": 0}, RefusalCode.BAD_PAYLOAD),
        (payloads.parse_like, {"count": 2.5e9}, RefusalCode.BAD_PAYLOAD),
        (payloads.parse_mute, {"user_id": "u", "seconds": float("nan")}, RefusalCode.BAD_PAYLOAD),
        (payloads.parse_mute, {"user_id": "u", "seconds": False}, RefusalCode.BAD_PAYLOAD),
        (payloads.parse_slow_mode, {"seconds": 1.5}, RefusalCode.BAD_PAYLOAD),
        (payloads.parse_slow_mode, {"seconds": 3601}, RefusalCode.BAD_PAYLOAD),
        (payloads.parse_nothing, {"x": 1}, RefusalCode.BAD_PAYLOAD),
        (payloads.parse_auth, {"token": "t", "guest": "g"}, RefusalCode.BAD_PAYLOAD),
        (payloads.parse_auth, "token", RefusalCode.BAD_PAYLOAD),
    ],
)
def test_bad_payloads_are_refused_with_a_code(
    parse: object, data: object, code: RefusalCode
) -> None:
    with pytest.raises(payloads.PayloadError) as info:
        parse(data)  # type: ignore[operator]
    assert info.value.code is code


def test_good_payloads_parse() -> None:
    assert payloads.parse_like(None) == payloads.Like(1)
    assert payloads.parse_like({"count": 3}) == payloads.Like(3)
    assert payloads.parse_ban({"user_id": "u1"}) == payloads.Sanction("u1", None)
    assert payloads.parse_mute({"user_id": "u1", "seconds": 60}) == payloads.Sanction("u1", 60.0)
    assert payloads.parse_auth(None) == payloads.Auth()
    assert payloads.parse_auth({"guest": "张", "lang": "en"}) == payloads.Auth(
        guest="张", lang="en"
    )
