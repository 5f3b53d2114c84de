# ruff: noqa: E501  (ffmpeg's lines are quoted as ffmpeg writes them)
"""The push target's rules without a process: states, backoff, what ffmpeg's last words mean,
and which bodies are refused (time is a parameter; nothing sleeps)."""

from __future__ import annotations

import pytest

from culturecast.core.errors import has_cjk
from culturecast.live.targets.errors import InvalidTarget
from culturecast.live.targets.model import (
    MAX_KEY_REJECTIONS,
    STABLE_S,
    ErrorKind,
    TargetError,
    TargetMachine,
    TargetState,
    backoff_s,
    classify,
    push_command,
    push_url,
    redact,
    validate,
)

REFUSED = TargetError(ErrorKind.REFUSED)
REJECTED = TargetError(ErrorKind.KEY_REJECTED)


def test_backoff_doubles_from_one_second_up_to_a_minute() -> None:
    assert [backoff_s(n) for n in range(1, 10)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert backoff_s(10_000) == 60


def test_a_target_goes_connecting_then_live_when_bytes_flow() -> None:
    m = TargetMachine()
    assert m.state is TargetState.IDLE
    assert m.start(10.0)
    assert (m.state, m.since) == (TargetState.CONNECTING, 10.0)
    assert not m.start(10.5)  # one run at a time
    assert m.flowing(11.0)
    assert (m.state, m.since) == (TargetState.LIVE, 11.0)
    assert not m.flowing(12.0)
    assert m.since == 11.0


def test_failed_runs_retry_with_growing_backoff_and_come_back_live() -> None:
    m = TargetMachine()
    m.start(0.0)
    m.flowing(1.0)
    now = 5.0
    waits = []
    for _ in range(4):
        assert m.exited(REFUSED, now) is TargetState.RETRYING
        assert m.error == REFUSED
        assert m.retry_at is not None
        waits.append(m.retry_at - now)
        assert not m.due(m.retry_at - 0.01)
        assert not m.retry(m.retry_at - 0.01)
        now = m.retry_at
        assert m.retry(now)
        assert m.state is TargetState.CONNECTING
    assert waits == [1, 2, 4, 8]
    assert m.flowing(now + 0.5)
    assert m.state is TargetState.LIVE
    assert m.error == REFUSED  # the last error stays readable


def test_a_run_live_long_enough_starts_the_backoff_again() -> None:
    m = TargetMachine()
    m.start(0.0)
    for t in (1.0, 2.0, 4.0):
        m.exited(REFUSED, t)
        m.retry(m.retry_at or 0.0)
    m.flowing(100.0)
    m.exited(TargetError(ErrorKind.DROPPED), 100.0 + STABLE_S)
    assert m.retry_at == 100.0 + STABLE_S + 1


def test_a_key_rejected_three_times_in_a_row_fails_for_good() -> None:
    m = TargetMachine()
    m.start(0.0)
    now = 0.0
    for i in range(MAX_KEY_REJECTIONS):
        state = m.exited(REJECTED, now)
        if i < MAX_KEY_REJECTIONS - 1:
            assert state is TargetState.RETRYING
            now = m.retry_at or now
            m.retry(now)
    assert m.state is TargetState.FAILED
    assert m.error is not None
    assert m.error.kind is ErrorKind.KEY_REJECTED
    assert not m.due(now + 3600)


def test_another_error_between_rejections_restarts_their_count() -> None:
    m = TargetMachine()
    m.start(0.0)
    for error in (REJECTED, REJECTED, REFUSED, REJECTED, REJECTED):
        assert m.exited(error, 0.0) is TargetState.RETRYING
        m.retry(m.retry_at or 0.0)


def test_an_unusable_url_fails_at_once() -> None:
    m = TargetMachine()
    m.start(0.0)
    assert m.exited(TargetError(ErrorKind.UNSUPPORTED), 1.0) is TargetState.FAILED


def test_stop_goes_idle_and_a_new_show_starts_afresh() -> None:
    m = TargetMachine()
    m.start(0.0)
    for _ in range(MAX_KEY_REJECTIONS):
        m.exited(REJECTED, 1.0)
        m.retry(m.retry_at or 0.0)
    m.stop(50.0)
    assert (m.state, m.since, m.retry_at) == (TargetState.IDLE, 50.0, None)
    assert m.error is not None  # what went wrong last show is still there
    assert m.start(60.0)
    assert m.state is TargetState.CONNECTING
    assert (m.error, m.failures, m.rejections) == (None, 0, 0)


def test_exit_while_idle_or_retrying_changes_nothing() -> None:
    m = TargetMachine()
    assert m.exited(REFUSED, 1.0) is TargetState.IDLE
    m.start(2.0)
    m.exited(REFUSED, 3.0)
    retry_at = m.retry_at
    assert m.exited(REFUSED, 3.5) is TargetState.RETRYING
    assert m.retry_at == retry_at


# ------------------------------------------------------------------ classification

# ffmpeg 5.1's own words for each case (loglevel warning).
CASES = [
    (
        [
            "[tcp @ 0x5563] Connection to tcp://127.0.0.1:1?tcp_nodelay=0 failed: Connection refused",
            "[rtmp @ 0x5563] Cannot open connection tcp://127.0.0.1:1?tcp_nodelay=0",
            "rtmp://127.0.0.1:1/live/abc: Connection refused",
        ],
        ErrorKind.REFUSED,
    ),
    (
        [
            "[tcp @ 0x56] Failed to resolve hostname nonexistent.invalid: Name or service not known",
            "rtmp://nonexistent.invalid/live/abc: Input/output error",
        ],
        ErrorKind.DNS,
    ),
    (
        [
            "[srt @ 0x55] Connection to srt://127.0.0.1:1?streamid=x failed: Input/output error",
            "srt://127.0.0.1:1?streamid=x: Input/output error",
        ],
        ErrorKind.TIMEOUT,
    ),
    (
        ["[tcp @ 0x55] Connection to tcp://10.0.0.1:1935 failed: Connection timed out"],
        ErrorKind.TIMEOUT,
    ),
    (
        ["[tls @ 0x55] Error in the pull function.", "[tls @ 0x55] TLS handshake failed"],
        ErrorKind.TLS,
    ),
    (
        [
            "[flv @ 0x55] Failed to update header",
            "Error writing trailer of rtmp://h/live/k: Broken pipe",
        ],
        ErrorKind.DROPPED,
    ),
    (["[NULL @ 0x55] Unable to find a suitable output format for 'x'"], ErrorKind.UNSUPPORTED),
    (["rtmp://h/live: Protocol not found"], ErrorKind.UNSUPPORTED),
]


@pytest.mark.parametrize(("lines", "kind"), CASES)
def test_ffmpeg_output_is_classified(lines: list[str], kind: ErrorKind) -> None:
    assert classify(lines, 1).kind is kind


def test_a_refused_key_keeps_the_receivers_words() -> None:
    error = classify(
        [
            "[rtmp @ 0x56] Server error: 推流码无效，请从直播活动页面复制推流码。Unknown stream key.",
            "rtmp://127.0.0.1:18742/live/wrong: Operation not permitted",
            "Error closing file rtmp://127.0.0.1:18742/live/wrong: Broken pipe",
        ],
        1,
    )
    assert error.kind is ErrorKind.KEY_REJECTED
    assert error.detail is not None
    assert "Unknown stream key" in error.detail
    assert "推流码无效" in error.sentence.zh
    assert not has_cjk(error.sentence.en)  # the receiver's Chinese stays in the zh sentence
    assert "Stream key rejected" in error.sentence.en


def test_the_english_sentence_quotes_english_words() -> None:
    error = classify(["[rtmp @ 0x1] Server error: Authentication failed"], 1)
    assert error.kind is ErrorKind.KEY_REJECTED
    assert "(Authentication failed)" in error.sentence.en


def test_unknown_output_quotes_ffmpeg_and_silence_is_a_dropped_connection() -> None:
    error = classify(["something odd happened", "[out#0 @ 0x1] weird: Bad thing"], 1)
    assert (error.kind, error.detail) == (ErrorKind.OTHER, "weird: Bad thing")
    assert classify([], 0).kind is ErrorKind.DROPPED
    assert classify([], -9).detail == "exit -9"


def test_every_error_has_both_languages() -> None:
    for kind in ErrorKind:
        view = TargetError(kind).view()
        assert view["code"] == kind.value
        assert has_cjk(view["zh"])
        assert not has_cjk(view["en"])
        assert view["message"] == f"{view['zh']} ({view['en']})"


# ------------------------------------------------------------------ validation and command


def test_a_good_target_is_accepted_trimmed() -> None:
    target = validate("  抖音 ", "rtmp://push.example.com/live", "stream-1?sign=ab&t=2")
    assert (target.name, target.url, target.key) == (
        "抖音",
        "rtmp://push.example.com/live",
        "stream-1?sign=ab&t=2",
    )
    assert validate("b", "rtmps://a.example:443/app", "").key == ""
    assert validate("c", "srt://1.2.3.4:9000", "k").url == "srt://1.2.3.4:9000"


@pytest.mark.parametrize(
    ("name", "url", "key", "code"),
    [
        ("", "rtmp://h/live", "k", "invalid_target_name"),
        ("x" * 101, "rtmp://h/live", "k", "invalid_target_name"),
        ("a\nb", "rtmp://h/live", "k", "invalid_target_name"),
        (None, "rtmp://h/live", "k", "invalid_target_name"),
        ("a", "http://h/live", "k", "unsupported_target_scheme"),
        ("a", "file:///etc/passwd", "", "unsupported_target_scheme"),
        ("a", "concat:rtmp://h/a|rtmp://h/b", "", "unsupported_target_scheme"),
        ("a", "rtmp://h/li ve", "k", "invalid_target_url"),
        ("a", "rtmp:///live", "k", "invalid_target_url"),
        ("a", "rtmp://h:99999/live", "k", "invalid_target_url"),
        ("a", "srt://h", "k", "invalid_target_url"),
        ("a", "rtmp://h/" + "x" * 1000, "k", "invalid_target_url"),
        ("a", "rtmp://h/live", "has space", "invalid_target_key"),
        ("a", "rtmp://h/live", "中文", "invalid_target_key"),
        ("a", "rtmp://h/live", "k" * 501, "invalid_target_key"),
        ("a", "rtmp://h/live", 5, "invalid_target_key"),
    ],
)
def test_bad_targets_are_refused_with_a_stable_code(
    name: object, url: object, key: object, code: str
) -> None:
    with pytest.raises(InvalidTarget) as caught:
        validate(name, url, key)
    assert caught.value.code == code
    assert caught.value.status == 400
    assert caught.value.sentence is not None
    assert has_cjk(caught.value.sentence.zh)
    assert not has_cjk(caught.value.sentence.en)


def test_the_key_joins_the_url_as_the_receiver_expects() -> None:
    assert push_url("rtmp://h/live/", "k1") == "rtmp://h/live/k1"
    assert push_url("rtmp://h/live", "") == "rtmp://h/live"
    assert push_url("srt://h:9000", "k") == "srt://h:9000?streamid=k"
    assert push_url("srt://h:9000?latency=200", "k") == "srt://h:9000?latency=200&streamid=k"


def test_the_push_command_copies_flv_from_stdin() -> None:
    assert push_command("rtmp://h/live", "k", ffmpeg="ff") == [
        "ff", "-hide_banner", "-nostdin", "-loglevel", "warning", "-nostats",
        "-progress", "pipe:1", "-stats_period", "1",
        "-f", "flv", "-protocol_whitelist", "pipe", "-i", "pipe:0",
        "-map", "0", "-c", "copy", "-rw_timeout", "15000000",
        "-protocol_whitelist", "rtmp,rtmps,tcp,tls",
        "-flvflags", "no_duration_filesize", "-f", "flv", "rtmp://h/live/k",
    ]  # fmt: skip
    srt = push_command("srt://h:9000", "k")
    assert srt[-3:] == ["-f", "mpegts", "srt://h:9000?streamid=k"]
    assert "srt,udp" in srt


def test_redact_hides_the_key() -> None:
    assert (
        redact("rtmp://h/live/secret: Broken pipe", "secret") == "rtmp://h/live/****: Broken pipe"
    )
    assert redact("abc", "") == "abc"
