"""What the targets API shows of a stored target."""

from __future__ import annotations

from culturecast.live.targets.store import view

DOC = {
    "_id": "t1",
    "event_id": "e1",
    "name": "抖音",
    "url": "rtmp://push.example.com/live",
    "key": "secret-key",
    "state": "retrying",
    "since": 10.0,
    "error": {"kind": "connection_refused", "detail": None},
    "bytes_sent": 1234,
    "created_at": 5.0,
}


def test_the_key_is_never_shown_only_that_there_is_one() -> None:
    shown = view(DOC)
    assert "key" not in shown
    assert "secret-key" not in str(shown)
    assert shown["has_key"] is True
    assert view({**DOC, "key": ""})["has_key"] is False


def test_the_stored_error_is_shown_as_sentences() -> None:
    error = view(DOC)["error"]
    assert error["code"] == "connection_refused"
    assert error["en"].startswith("Connection refused by the target address")
    assert error["zh"].startswith("目标地址拒绝连接")
    assert view({**DOC, "error": {"kind": "no-such-kind"}})["error"] is None


def test_off_air_every_target_is_idle_whatever_was_stored() -> None:
    assert view(DOC)["state"] == "retrying"
    stale = view({**DOC, "state": "live"}, event_live=False)
    assert stale["state"] == "idle"
    assert stale["error"] is not None  # what happened last is still readable
