from __future__ import annotations

import pytest

from culturecast.live import admission
from culturecast.live.admission import EventFacts
from culturecast.live.sessions import Status


@pytest.mark.parametrize(
    ("facts", "code"),
    [
        (EventFacts("e", Status.SCHEDULED, False, False), None),
        (EventFacts("e", Status.RECONNECTING, False, False), None),
        (EventFacts("e", Status.ENDED, False, False), "event_ended"),
        (EventFacts("e", Status.SCHEDULED, True, False), "event_disabled"),
        (EventFacts("e", Status.LIVE, False, True), "already_publishing"),
        (EventFacts("e", Status.ENDED, True, True), "event_ended"),
    ],
)
def test_decide(facts: EventFacts, code: str | None) -> None:
    refusal = admission.decide(facts)
    assert (refusal.code if refusal else None) == code
    if refusal:
        assert refusal.message  # zh-CN then English
        assert any("\u4e00" <= c <= "\u9fff" for c in refusal.message)


@pytest.mark.parametrize(
    ("kind", "codec", "ok"),
    [
        ("video", "h264", True),
        ("video", "hevc", False),
        ("video", "av1", False),
        ("video", "vp6", False),
        ("audio", "aac", True),
        ("audio", "mp3", True),
        ("audio", "opus", False),
        ("audio", "nellymoser", False),
    ],
)
def test_codecs(kind: str, codec: str, ok: bool) -> None:
    refusal = admission.check_codec(kind, codec)
    assert (refusal is None) is ok
    if refusal:
        assert refusal.code == "unsupported_codec"
        assert codec in refusal.message


def test_wrong_app_names_the_expected_path() -> None:
    assert admission.wrong_app("live") is None
    refusal = admission.wrong_app("app")
    assert refusal is not None
    assert "/live" in refusal.message
