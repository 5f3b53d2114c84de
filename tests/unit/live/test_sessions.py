"""The lifecycle as a table: state, input → decisions, new state. No clock, no sleeps."""

from __future__ import annotations

import pytest

from culturecast.live.sessions import (
    MAX_RESTARTS,
    CancelGraceTimer,
    DisconnectPublisher,
    EndPlaylists,
    Notify,
    Persist,
    QueueReplay,
    Session,
    StartGraceTimer,
    StartTranscoder,
    Status,
    StopReason,
    StopTranscoder,
)


def kinds(decisions: list[object]) -> list[str]:
    return [type(d).__name__ for d in decisions]


def live_session(now: float = 100.0, grace: float = 60.0) -> Session:
    s = Session("ev", grace_s=grace)
    s.publish_started(now)
    return s


def test_first_publish_goes_live_starts_the_transcoder_without_discontinuity() -> None:
    s = Session("ev")
    d = s.publish_started(100.0)
    assert kinds(d) == ["Persist", "StartTranscoder", "Notify"]
    assert d[1] == StartTranscoder(discontinuity=False)
    assert isinstance(d[0], Persist)
    assert d[0].fields["started_at"] == 100.0
    assert s.status is Status.LIVE
    assert s.publishing


def test_publisher_drop_waits_in_reconnecting_for_the_grace_period() -> None:
    s = live_session(grace=60.0)
    d = s.publisher_left(130.0)
    assert kinds(d) == ["StopTranscoder", "Persist", "StartGraceTimer", "Notify"]
    assert StartGraceTimer(190.0) in d
    assert Notify(Status.RECONNECTING) in d
    assert s.status is Status.RECONNECTING
    assert s.tick(189.9) == []
    assert s.status is Status.RECONNECTING


def test_republish_within_grace_continues_the_same_event_with_a_discontinuity() -> None:
    s = live_session(now=100.0)
    s.publisher_left(130.0)
    d = s.publish_started(140.0)
    assert kinds(d) == ["CancelGraceTimer", "Persist", "StartTranscoder", "Notify"]
    assert StartTranscoder(discontinuity=True) in d
    assert isinstance(d[1], Persist)
    assert "started_at" not in d[1].fields
    assert s.started_at == 100.0
    assert s.status is Status.LIVE


def test_grace_expiry_ends_the_event_when_the_publisher_left() -> None:
    s = live_session(now=100.0, grace=3.0)
    s.publisher_left(130.0)
    d = s.tick(133.0)
    assert kinds(d) == ["EndPlaylists", "Persist", "QueueReplay", "Notify"]
    persist = d[1]
    assert isinstance(persist, Persist)
    assert persist.fields["ended_at"] == 130.0
    assert persist.fields["duration"] == 30.0
    assert persist.fields["stop_reason"] == "grace_expired"
    assert s.status is Status.ENDED
    assert s.stop_reason is StopReason.GRACE_EXPIRED
    assert s.tick(500.0) == []


def test_stop_while_live_disconnects_then_stops_then_closes_playlists_then_replays() -> None:
    s = live_session()
    d = s.stop(150.0)
    assert kinds(d) == [
        "DisconnectPublisher", "StopTranscoder", "EndPlaylists", "Persist", "QueueReplay", "Notify",
    ]  # fmt: skip
    assert isinstance(d[0], DisconnectPublisher)
    assert d[0].code == "event_stopped"
    assert s.stop(151.0) == []


def test_stop_while_reconnecting_cancels_the_timer() -> None:
    s = live_session()
    s.publisher_left(120.0)
    d = s.stop(125.0)
    assert CancelGraceTimer() in d
    assert EndPlaylists() in d
    assert QueueReplay() in d
    assert StopTranscoder() not in d


def test_stopping_a_scheduled_event_ends_it_without_a_replay() -> None:
    s = Session("ev")
    d = s.stop(10.0)
    assert kinds(d) == ["Persist", "Notify"]


def test_transcoder_crash_restarts_with_discontinuity_and_backs_off() -> None:
    s = live_session()
    first = s.transcoder_exited(101.0)
    assert first == [StartTranscoder(discontinuity=True, delay_s=0.0)]
    second = s.transcoder_exited(102.0)
    assert isinstance(second[0], StartTranscoder)
    assert second[0].delay_s == 0.25
    assert s.status is Status.LIVE
    assert s.publishing


def test_a_transcoder_that_keeps_dying_drops_the_publisher() -> None:
    s = live_session()
    for i in range(MAX_RESTARTS):
        assert kinds(s.transcoder_exited(101.0 + i)) == ["StartTranscoder"]
    d = s.transcoder_exited(120.0)
    assert kinds(d) == ["DisconnectPublisher"]


def test_transcoder_exit_after_a_stop_is_not_a_crash() -> None:
    s = live_session()
    s.publisher_left(110.0)
    assert s.transcoder_exited(111.0) == []


def test_disabling_on_air_ends_the_event() -> None:
    s = live_session()
    d = s.set_disabled(True, 150.0)
    assert isinstance(d[-1], Notify)
    assert d[-1].status is Status.ENDED
    assert s.stop_reason is StopReason.DISABLED


def test_publish_on_an_ended_event_is_a_bug_in_admission() -> None:
    s = live_session()
    s.stop(110.0)
    with pytest.raises(ValueError, match="publish_started"):
        s.publish_started(120.0)


def test_resumed_live_event_counts_as_reconnecting() -> None:
    s = Session.resume("ev", Status.LIVE, started_at=5.0)
    assert s.status is Status.RECONNECTING
    assert not s.publishing
