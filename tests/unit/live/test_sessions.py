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
    StandDown,
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


def test_an_event_left_on_air_waits_for_its_publisher_until_a_grace_from_now() -> None:
    s = Session.resume("ev", Status.LIVE, grace_s=60.0, started_at=10.0)
    d = s.left_on_air(500.0, left_at=None, deadline=None)
    assert d == [
        Persist({"status": "reconnecting", "reconnect_deadline": 560.0}),
        StartGraceTimer(560.0),
    ]
    assert s.status is Status.RECONNECTING
    ended = s.tick(560.0)
    assert isinstance(ended[1], Persist)
    assert ended[1].fields["ended_at"] == 500.0  # no one knew when it left: adopted then


def test_an_adopted_event_keeps_its_stored_deadline_and_leaving_time() -> None:
    s = Session.resume("ev", Status.RECONNECTING, grace_s=60.0, started_at=10.0)
    d = s.left_on_air(500.0, left_at=450.0, deadline=470.0)
    assert StartGraceTimer(470.0) in d
    ended = s.tick(500.0)
    assert kinds(ended) == ["EndPlaylists", "Persist", "QueueReplay", "Notify"]
    assert isinstance(ended[1], Persist)
    assert (ended[1].fields["ended_at"], ended[1].fields["duration"]) == (450.0, 440.0)


def test_a_publisher_back_on_an_adopted_event_continues_the_show() -> None:
    s = Session.resume("ev", Status.LIVE, started_at=10.0, runs=1)
    s.left_on_air(500.0, left_at=None, deadline=None)
    d = s.publish_started(510.0)
    assert kinds(d) == ["CancelGraceTimer", "Persist", "StartTranscoder", "Notify"]
    assert StartTranscoder(discontinuity=True) in d


def test_an_event_ended_elsewhere_drops_publisher_transcoder_and_stream() -> None:
    s = live_session()
    d = s.ended_elsewhere()
    assert kinds(d) == ["DisconnectPublisher", "StopTranscoder", "StandDown"]
    assert isinstance(d[0], DisconnectPublisher)
    assert d[0].code == "event_ended"
    assert d[-1] == StandDown()
    assert s.status is Status.ENDED
    assert not s.live
    assert s.stop(200.0) == []


def test_an_event_no_ingest_holds_ends_when_its_publisher_left_and_gets_a_replay() -> None:
    s = Session.resume("ev", Status.RECONNECTING, started_at=100.0, left_at=130.0)
    d = s.abandoned(200.0, StopReason.STOPPED)
    # No playlists to close here: the replay job closes them.
    assert kinds(d) == ["Persist", "QueueReplay", "Notify"]
    assert d[0] == Persist(
        {
            "status": "ended",
            "ended_at": 130.0,
            "stop_reason": "stopped",
            "reconnect_deadline": None,
            "duration": 30.0,
        }
    )
    assert d[-1] == Notify(Status.ENDED)
    assert s.abandoned(300.0, StopReason.STOPPED) == []


def test_an_event_no_ingest_holds_that_was_live_ends_now() -> None:
    s = Session.resume("ev", Status.LIVE, started_at=100.0)
    d = s.abandoned(200.0, StopReason.DISABLED)
    assert isinstance(d[0], Persist)
    assert (d[0].fields["ended_at"], d[0].fields["stop_reason"]) == (200.0, "disabled")


def test_live_means_on_air_with_a_publisher() -> None:
    s = Session("ev")
    assert not s.live
    s.publish_started(1.0)
    assert s.live
    s.publisher_left(2.0)
    assert not s.live
