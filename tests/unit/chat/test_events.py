"""The chat's wire names and refusal sentences."""

from __future__ import annotations

from culturecast.chat.events import (
    NAMESPACE,
    REFUSAL_MESSAGES,
    ClientEvent,
    RefusalCode,
    ServerEvent,
    refused_payload,
)


def test_wire_names_match_the_design() -> None:
    assert NAMESPACE == "/chat"
    assert {e.value for e in ClientEvent} == {
        "join", "send", "like", "delete", "mute", "ban", "pin", "close", "open", "slow",
        "sanctions",
    }  # fmt: skip
    assert {e.value for e in ServerEvent} == {
        "history", "message", "deleted", "likes", "viewers", "pinned", "chat_state", "refused",
        "sanctions",
    }  # fmt: skip


def test_every_refusal_code_has_both_sentences() -> None:
    assert set(REFUSAL_MESSAGES) == set(RefusalCode)
    for sentence in REFUSAL_MESSAGES.values():
        assert sentence.zh
        assert sentence.en
        assert sentence.zh != sentence.en


def test_refused_payload_is_zh_cn_first_and_english_on_request() -> None:
    assert refused_payload(RefusalCode.NOT_LIVE) == {
        "code": "not_live",
        "message": "只有直播时才能进行评论",
    }
    assert refused_payload(RefusalCode.NOT_LIVE, "en-US")["message"] == (
        "comments are open only during the live show"
    )
