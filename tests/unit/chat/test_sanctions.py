"""The moderators' list of sanctions in force: expired and lifted ones are left out."""

from __future__ import annotations

from culturecast.chat.sanctions import in_force


def test_expired_sanctions_are_omitted_and_permanent_ones_come_last() -> None:
    docs = [
        {"user_id": "u1", "nickname": "老李", "kind": "ban", "until": None},
        {"user_id": "u2", "nickname": "王阿姨", "kind": "mute", "until": 1_000.0},  # expired
        {"user_id": "u3", "nickname": "小张", "kind": "mute", "until": 2_000.0},
        {"user_id": "u4", "nickname": None, "kind": "mute", "until": 0.0},  # lifted (0)
    ]
    assert in_force(docs, now=1_000.0) == [
        {"user_id": "u3", "nickname": "小张", "kind": "mute", "until": "1970-01-01T00:33:20+00:00"},
        {"user_id": "u1", "nickname": "老李", "kind": "ban", "until": None},
    ]


def test_a_user_who_never_commented_is_listed_by_id() -> None:
    docs = [{"user_id": "u9", "kind": "ban", "until": None}]
    assert in_force(docs, now=0.0)[0]["nickname"] == "u9"
