"""Stream health for the broadcaster (DESIGN.md § Live): what arrives and how the
transcoder keeps up. Pure accumulation; every input takes ``now`` (wall seconds) and the
media timestamps the encoder sent (milliseconds)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

LATE_THRESHOLD_S = 2.0
"""Media arriving this much later than real time counts as late (the uplink cannot keep up)."""


@dataclass(slots=True)
class HealthMeter:
    """Rolling figures over the last ``window_s`` seconds."""

    window_s: float = 5.0
    """Width of the rate window."""
    _bytes: deque[tuple[float, int]] = field(default_factory=deque)
    _frames: deque[float] = field(default_factory=deque)
    _last_keyframe_ms: int | None = None
    keyframe_interval_s: float | None = None
    """Media time between the last two keyframes."""
    width: int | None = None
    """Picture width (metadata or SPS)."""
    height: int | None = None
    """Picture height."""
    video_codec: str | None = None
    """Incoming video codec."""
    audio_codec: str | None = None
    """Incoming audio codec."""
    transcoder_speed: float | None = None
    """ffmpeg's speed relative to real time (below 1 means it falls behind)."""
    transcoder_fps: float | None = None
    """ffmpeg's frames per second."""
    transcoder_drops: int = 0
    """Frames ffmpeg dropped, summed over runs."""
    _run_drops: int = 0
    dropped_tags: int = 0
    """Tags we discarded (before the first keyframe, or while the transcoder was full)."""
    late_s: float = 0.0
    """How far media time lags behind wall time since the first tag (uplink too slow)."""
    late_events: int = 0
    """How many times the lag crossed :data:`LATE_THRESHOLD_S`."""
    timestamp_jumps: int = 0
    """Timestamps that went backwards."""
    transcoder_restarts: int = 0
    """ffmpeg restarts (crashes) since the publisher connected."""
    encode_speed: float | None = None
    """Media seconds encoded per wall second over the last 10 s (overload's measure)."""
    shed_rungs: list[str] = field(default_factory=list)
    """Renditions not encoded now because the transcoder fell behind (their playlists carry
    a smaller rendition's segments meanwhile)."""
    ladder_sheds: int = 0
    """Times a rung was shed since the publisher connected."""
    ladder_restores: int = 0
    """Times a shed rung came back."""
    origin: tuple[float, int] | None = None
    """Wall time and media timestamp of the first media tag (benchmarks measure lag from it)."""
    _late: bool = False
    _last_ts: int | None = None
    total_bytes: int = 0
    """Bytes received from the publisher."""

    def on_bytes(self, count: int, now: float) -> None:
        """``count`` bytes arrived from the publisher."""
        self.total_bytes += count
        self._bytes.append((now, count))
        self._trim(now)

    def on_tag(self, tag_type: int, timestamp_ms: int, keyframe: bool, now: float) -> None:
        """An audio (8) or video (9) tag arrived."""
        if self.origin is None:
            self.origin = (now, timestamp_ms)
        if tag_type != 9:
            return
        if self._last_ts is not None and timestamp_ms < self._last_ts:
            self.timestamp_jumps += 1
        self._last_ts = timestamp_ms
        self._frames.append(now)
        if keyframe:
            if self._last_keyframe_ms is not None and timestamp_ms > self._last_keyframe_ms:
                self.keyframe_interval_s = (timestamp_ms - self._last_keyframe_ms) / 1000
            self._last_keyframe_ms = timestamp_ms
        wall0, media0 = self.origin
        self.late_s = max(0.0, (now - wall0) - (timestamp_ms - media0) / 1000)
        late = self.late_s > LATE_THRESHOLD_S
        if late and not self._late:
            self.late_events += 1
        self._late = late
        self._trim(now)

    def on_dropped(self, count: int = 1) -> None:
        """We discarded ``count`` tags."""
        self.dropped_tags += count

    def on_progress(self, speed: float | None, fps: float | None, drop_frames: int) -> None:
        """One ffmpeg ``-progress`` block of the current run."""
        self.transcoder_speed = speed
        self.transcoder_fps = fps
        self.transcoder_drops += max(0, drop_frames - self._run_drops)
        self._run_drops = drop_frames

    def on_transcoder_restart(self) -> None:
        """A new ffmpeg run started after a crash (its counters start at 0)."""
        self.transcoder_restarts += 1
        self._run_drops = 0

    def on_ladder(self, speed: float | None, shed: list[str], sheds: int, restores: int) -> None:
        """The overload rule's figures (:mod:`culturecast.live.overload`)."""
        self.encode_speed = None if speed is None else round(speed, 3)
        self.shed_rungs = list(shed)
        self.ladder_sheds = sheds
        self.ladder_restores = restores

    def _trim(self, now: float) -> None:
        horizon = now - self.window_s
        while self._bytes and self._bytes[0][0] < horizon:
            self._bytes.popleft()
        while self._frames and self._frames[0] < horizon:
            self._frames.popleft()

    def bitrate_kbps(self, now: float) -> float:
        """Incoming bit rate over the window."""
        self._trim(now)
        return round(sum(n for _, n in self._bytes) * 8 / 1000 / self.window_s, 1)

    def fps(self, now: float) -> float:
        """Incoming video frames per second over the window."""
        self._trim(now)
        return round(len(self._frames) / self.window_s, 2)

    def snapshot(self, now: float) -> dict[str, Any]:
        """Every figure, as stored on the event and returned by the health endpoint."""
        return {
            "at": now,
            "bitrate_kbps": self.bitrate_kbps(now),
            "fps": self.fps(now),
            "keyframe_interval_s": self.keyframe_interval_s,
            "width": self.width,
            "height": self.height,
            "video_codec": self.video_codec,
            "audio_codec": self.audio_codec,
            "transcoder_speed": self.transcoder_speed,
            "transcoder_fps": self.transcoder_fps,
            "transcoder_dropped_frames": self.transcoder_drops,
            "transcoder_restarts": self.transcoder_restarts,
            "encode_speed": self.encode_speed,
            "shed_rungs": list(self.shed_rungs),
            "ladder_sheds": self.ladder_sheds,
            "ladder_restores": self.ladder_restores,
            "dropped_tags": self.dropped_tags,
            "late_s": round(self.late_s, 3),
            "late_events": self.late_events,
            "timestamp_jumps": self.timestamp_jumps,
            "bytes_received": self.total_bytes,
        }
