"""Who may publish: each refusal has a named reason (PeerTube's habit, STYLE.md).

Pure decisions over facts the service looked up; the ingest sends the message to the
encoder (OBS shows it), logs it and records it for the event's refusals API. Messages are
zh-CN first, then English, because OBS shows the text as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from culturecast.live.sessions import Status

APP_NAME = "live"
"""The RTMP application: ``rtmp://HOST:PORT/live/<stream key>``."""

VIDEO_CODECS = frozenset({"h264"})
"""Video the ladder can pass through or decode (every HLS player plays H.264)."""
AUDIO_CODECS = frozenset({"aac", "mp3"})
"""Audio we accept: AAC (copied when AAC-LC) and MP3 (re-encoded to AAC)."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a publish was refused."""

    code: str
    """Stable code (API, logs, tests)."""
    message: str
    """A sentence the broadcaster can act on."""


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What admission needs to know about the event a key belongs to."""

    event_id: str
    """The event."""
    status: Status
    """Its stored status."""
    disabled: bool
    """Staff disabled it."""
    publishing: bool
    """A publisher is already connected to it (in this or another ingest process)."""


def wrong_app(app: str) -> Refusal | None:
    """Refuse an RTMP application other than ``live``."""
    if app == APP_NAME:
        return None
    return Refusal(
        "wrong_app",
        f"推流地址应为 rtmp://服务器/{APP_NAME}，而不是 /{app or '(空)'}。"
        f"The server URL must end in /{APP_NAME}, not /{app or '(empty)'}.",
    )


def unknown_key() -> Refusal:
    """No event has this key."""
    return Refusal(
        "unknown_stream_key",
        "推流码无效，请从直播活动页面复制推流码。"
        "Unknown stream key: copy the key from the live event's page.",
    )


def stale_key() -> Refusal:
    """The key was valid once but has been rotated."""
    return Refusal(
        "stale_stream_key",
        "推流码已更换，请在 OBS 中填写新的推流码。"
        "This stream key was replaced: enter the new key in OBS.",
    )


def decide(event: EventFacts) -> Refusal | None:
    """Admit (None) or refuse a publish to a known event."""
    if event.status is Status.ENDED:
        return Refusal(
            "event_ended",
            "该直播已结束，请创建新的直播活动。"
            "This live event has ended: create a new event to go live again.",
        )
    if event.disabled:
        return Refusal(
            "event_disabled",
            "该直播已被停用，请联系管理员。This live event is disabled: ask its organizer.",
        )
    if event.publishing:
        return Refusal(
            "already_publishing",
            "该推流码正在推流中，同一时间只能有一路推流。"
            "Someone is already publishing with this key; only one publisher at a time.",
        )
    return None


def check_codec(kind: str, codec: str) -> Refusal | None:
    """Refuse codecs we cannot put into HLS for every player (after ``CodecIdentified``)."""
    allowed = VIDEO_CODECS if kind == "video" else AUDIO_CODECS
    if codec in allowed:
        return None
    wanted = "H.264" if kind == "video" else "AAC"
    return Refusal(
        "unsupported_codec",
        f"不支持的{'视频' if kind == 'video' else '音频'}编码 {codec}，请在编码器中选择 {wanted}。"
        f"Unsupported {kind} codec {codec}: set the encoder to {wanted}.",
    )


def ingest_full(limit: int) -> Refusal:
    """The ingest process already holds its maximum of connections."""
    return Refusal(
        "ingest_busy",
        f"推流服务器繁忙（已有 {limit} 路连接），请稍后重试。"
        f"The ingest server is full ({limit} connections); try again shortly.",
    )


def address_full(limit: int) -> Refusal:
    """One address already holds its maximum of connections that are not publishing."""
    return Refusal(
        "too_many_connections",
        f"来自同一地址的未推流连接过多（最多 {limit} 路），请稍后重试。"
        f"Too many connections from this address that are not publishing (at most {limit}); "
        "try again shortly.",
    )
