"""The comment policy: each refusal a commenter can meet, and acceptance."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from culturecast.chat.events import RefusalCode
from culturecast.chat.policy import (
    Accepted,
    ChatUser,
    CommentPolicy,
    PolicyConfig,
    Refused,
    RoomState,
    find_link_hosts,
    host_allowed,
)

ALICE = ChatUser("u-alice", "阿丽")
BOB = ChatUser("u-bob", "老白")
MOD = ChatUser("u-mod", "管理员", is_moderator=True)
CONFIG = PolicyConfig(sensitive_words=("敏感词", "spam"), user_burst=100, room_burst=1000)


@pytest.fixture
def policy() -> CommentPolicy:
    return CommentPolicy(CONFIG)


@pytest.fixture
def room(policy: CommentPolicy) -> RoomState:
    return policy.new_room("ev1", live=True)


def code(verdict: Accepted | Refused) -> RefusalCode | None:
    return verdict.code if isinstance(verdict, Refused) else None


def test_plain_comment_is_accepted_normalised(policy: CommentPolicy, room: RoomState) -> None:
    verdict = policy.check(ALICE, room, "  太精彩了！\u200b ", 0.0)
    assert verdict == Accepted("太精彩了！", masked=False)  # as typed, issue 14


@pytest.mark.parametrize("payload", [None, 42, b"bytes", {"text": "hi"}, ["hi"]])
def test_non_string_payload_is_bad_payload(
    policy: CommentPolicy, room: RoomState, payload: object
) -> None:
    assert code(policy.check(ALICE, room, payload, 0.0)) == RefusalCode.BAD_PAYLOAD


def test_no_identity_needs_login(policy: CommentPolicy, room: RoomState) -> None:
    assert code(policy.check(None, room, "你好", 0.0)) == RefusalCode.LOGIN_REQUIRED


def test_event_not_live_refuses_with_the_live_only_sentence(policy: CommentPolicy) -> None:
    room = policy.new_room("ev1", live=False)
    verdict = policy.check(ALICE, room, "你好", 0.0)
    assert isinstance(verdict, Refused)
    assert verdict.code == RefusalCode.NOT_LIVE
    assert verdict.message() == "只有直播时才能进行评论"
    assert verdict.message("en") == "comments are open only during the live show"


def test_not_live_wins_over_closed(policy: CommentPolicy) -> None:
    room = policy.new_room("ev1", live=False)
    room.open = False
    assert code(policy.check(ALICE, room, "你好", 0.0)) == RefusalCode.NOT_LIVE


def test_closed_chat_refuses(policy: CommentPolicy, room: RoomState) -> None:
    room.open = False
    assert code(policy.check(ALICE, room, "你好", 0.0)) == RefusalCode.CHAT_CLOSED
    room.open = True
    assert isinstance(policy.check(ALICE, room, "你好", 0.0), Accepted)


def test_muted_user_is_refused_until_the_mute_ends(policy: CommentPolicy, room: RoomState) -> None:
    room.muted[ALICE.id] = 160.0  # what the service sets for a 60 s mute at 100.0
    verdict = policy.check(ALICE, room, "你好", 130.0)
    assert verdict == Refused(RefusalCode.MUTED, retry_after=30.0)
    assert isinstance(policy.check(BOB, room, "你好", 130.0), Accepted)
    assert isinstance(policy.check(ALICE, room, "你好", 160.0), Accepted)


def test_banned_user_is_refused_without_a_retry_time(
    policy: CommentPolicy, room: RoomState
) -> None:
    room.banned[ALICE.id] = math.inf  # a ban without seconds
    assert policy.check(ALICE, room, "你好", 1e9) == Refused(RefusalCode.BANNED, None)


@pytest.mark.parametrize("text", ["", "   ", "\u200b\u200d", "\t\n"])
def test_empty_after_normalisation_is_refused(
    policy: CommentPolicy, room: RoomState, text: str
) -> None:
    assert code(policy.check(ALICE, room, text, 0.0)) == RefusalCode.EMPTY


def test_length_limit_is_200_after_normalisation(policy: CommentPolicy, room: RoomState) -> None:
    assert isinstance(policy.check(ALICE, room, "戏" * 200, 0.0), Accepted)
    assert code(policy.check(BOB, room, "戏" * 201, 0.0)) == RefusalCode.TOO_LONG


def test_invisible_padding_does_not_count_towards_length(
    policy: CommentPolicy, room: RoomState
) -> None:
    assert isinstance(policy.check(ALICE, room, "戏\u200b" * 200, 0.0), Accepted)


def test_huge_raw_text_is_refused_without_normalising(
    policy: CommentPolicy, room: RoomState
) -> None:
    verdict = policy.check(ALICE, room, "\u200b" * 1_000_000 + "好", 0.0)
    assert code(verdict) == RefusalCode.TOO_LONG


@pytest.mark.parametrize(
    "text",
    [
        "看 https://example.com/x",
        "http://1.2.3.4:8080",
        "去 www.example.org 看",
        "去www.abc看",
        "去example.com看",
        "EXAMPLE.COM",
        "ｅｘａｍｐｌｅ．ｃｏｍ",  # full-width, folded by normalisation
        "访问 例子.中国",
        "访问 例子。中国",
        "加我 12345@qq.com",
    ],
)
def test_links_are_refused(policy: CommentPolicy, room: RoomState, text: str) -> None:
    assert code(policy.check(ALICE, room, text, 0.0)) == RefusalCode.LINK_NOT_ALLOWED


@pytest.mark.parametrize(
    "text", ["3.14 真好", "Mr.Smith 演得好", "e.g. 这段", "node.js", "好的.谢谢", "第1.2节"]
)
def test_dotted_text_that_is_not_a_link_passes(
    policy: CommentPolicy, room: RoomState, text: str
) -> None:
    assert isinstance(policy.check(ALICE, room, text, 0.0), Accepted)


def test_allowed_domains_and_their_subdomains_pass() -> None:
    policy = CommentPolicy(replace(CONFIG, allowed_domains=("whg.gov.cn",)))
    room = policy.new_room("ev1", live=True)
    assert isinstance(policy.check(ALICE, room, "报名 https://www.whg.gov.cn/a", 0.0), Accepted)
    assert isinstance(policy.check(ALICE, room, "见 whg.gov.cn", 1.0), Accepted)
    verdict = policy.check(ALICE, room, "见 evilwhg.gov.cn", 2.0)
    assert code(verdict) == RefusalCode.LINK_NOT_ALLOWED


def test_links_can_be_allowed_altogether() -> None:
    policy = CommentPolicy(replace(CONFIG, allow_links=True))
    room = policy.new_room("ev1", live=True)
    assert isinstance(policy.check(ALICE, room, "https://example.com", 0.0), Accepted)


def test_link_hosts_are_canonical() -> None:
    assert find_link_hosts("https://User:pw@Foo.Example.COM:8443/p?q") == ["foo.example.com"]
    assert host_allowed("a.b.example.com", ["Example.com"])
    assert not host_allowed("example.com.evil.io", ["example.com"])


def test_sensitive_words_are_masked_by_default(policy: CommentPolicy, room: RoomState) -> None:
    verdict = policy.check(ALICE, room, "这是 敏*感*词 吗", 0.0)
    assert verdict == Accepted("这是 ＊＊＊＊＊ 吗", masked=True)


def test_sensitive_words_refused_when_configured() -> None:
    policy = CommentPolicy(replace(CONFIG, sensitive_action="refuse"))
    room = policy.new_room("ev1", live=True)
    assert code(policy.check(ALICE, room, "敏感詞", 0.0)) == RefusalCode.SENSITIVE
    assert isinstance(policy.check(ALICE, room, "敏捷", 0.0), Accepted)


def test_user_rate_limit_refuses_a_burst_then_recovers() -> None:
    policy = CommentPolicy(replace(CONFIG, user_rate=1.0, user_burst=3))
    room = policy.new_room("ev1", live=True)
    verdicts = [policy.check(ALICE, room, f"第{i}条", 0.0) for i in range(4)]
    assert [code(v) for v in verdicts] == [None, None, None, RefusalCode.RATE_LIMITED]
    assert verdicts[3] == Refused(RefusalCode.RATE_LIMITED, retry_after=1.0)
    assert isinstance(policy.check(ALICE, room, "又来了", 1.0), Accepted)


def test_user_rate_limit_spans_rooms() -> None:
    policy = CommentPolicy(replace(CONFIG, user_rate=0.1, user_burst=1))
    room1 = policy.new_room("ev1", live=True)
    room2 = policy.new_room("ev2", live=True)
    assert isinstance(policy.check(ALICE, room1, "hi", 0.0), Accepted)
    assert code(policy.check(ALICE, room2, "hi", 0.0)) == RefusalCode.RATE_LIMITED


def test_slow_mode_refuses_until_the_interval_passes(
    policy: CommentPolicy, room: RoomState
) -> None:
    room.slow_mode_seconds = 10
    assert isinstance(policy.check(ALICE, room, "一", 0.0), Accepted)
    assert policy.check(ALICE, room, "二", 4.0) == Refused(RefusalCode.SLOW_MODE, 6.0)
    assert isinstance(policy.check(BOB, room, "三", 4.0), Accepted)
    assert isinstance(policy.check(ALICE, room, "二", 10.0), Accepted)


def test_moderators_are_exempt_from_slow_mode(policy: CommentPolicy, room: RoomState) -> None:
    room.slow_mode_seconds = 60
    assert isinstance(policy.check(MOD, room, "公告一", 0.0), Accepted)
    assert isinstance(policy.check(MOD, room, "公告二", 1.0), Accepted)


def test_duplicate_within_window_is_refused(policy: CommentPolicy, room: RoomState) -> None:
    assert isinstance(policy.check(ALICE, room, "好!", 0.0), Accepted)
    # Same text after normalisation (full-width "！", extra spaces).
    assert policy.check(ALICE, room, " 好！ ", 10.0) == Refused(RefusalCode.DUPLICATE, 20.0)
    assert isinstance(policy.check(BOB, room, "好!", 10.0), Accepted)
    assert isinstance(policy.check(ALICE, room, "好!", 30.0), Accepted)


def test_refused_attempt_does_not_start_slow_mode_or_duplicates(
    policy: CommentPolicy, room: RoomState
) -> None:
    room.slow_mode_seconds = 10
    assert code(policy.check(ALICE, room, "https://x.com", 0.0)) == RefusalCode.LINK_NOT_ALLOWED
    assert isinstance(policy.check(ALICE, room, "好", 1.0), Accepted)


def test_room_cap_limits_everyone_together() -> None:
    policy = CommentPolicy(replace(CONFIG, room_rate=1.0, room_burst=2))
    room = policy.new_room("ev1", live=True)
    users = [ChatUser(f"u{i}") for i in range(3)]
    verdicts = [policy.check(u, room, "好", 0.0) for u in users]
    assert [code(v) for v in verdicts] == [None, None, RefusalCode.RATE_LIMITED]
    assert isinstance(policy.check(users[2], room, "好", 1.0), Accepted)


@pytest.mark.parametrize(
    "bad",
    [
        {"max_length": 0},
        {"max_raw_length": 10},
        {"mask_char": "**"},
        {"sensitive_action": "drop"},
    ],
)
def test_nonsense_config_fails_at_start(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"max_length|mask_char|sensitive_action"):
        PolicyConfig(**bad)  # type: ignore[arg-type]


@settings(max_examples=300)
@given(st.text(max_size=400))
def test_accepted_text_is_never_longer_than_the_limit(text: str) -> None:
    policy = CommentPolicy(replace(CONFIG, user_burst=10**9, room_burst=10**9))
    room = policy.new_room("ev1", live=True)
    verdict = policy.check(ALICE, room, text, 0.0)
    if isinstance(verdict, Accepted):
        assert 1 <= len(verdict.text) <= 200
    else:
        assert isinstance(verdict.code, RefusalCode)
