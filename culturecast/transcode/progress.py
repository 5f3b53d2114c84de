"""ffmpeg ``-progress`` output, parsed incrementally.

ffmpeg writes blocks of ``key=value`` lines, each block closed by ``progress=continue`` (or
``progress=end`` for the last one). Reads from a pipe arrive in arbitrary chunks, so
:class:`ProgressParser` keeps the unfinished line between calls to :meth:`feed`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Progress:
    """One ``-progress`` block."""

    out_time_s: float | None
    """Output position in seconds (``out_time_us``, else ``out_time_ms``, else ``out_time``)."""
    frame: int | None = None
    """Frames written so far."""
    fps: float | None = None
    """Encoding speed in frames per second."""
    speed: float | None = None
    """Encoding speed relative to real time (``1.5x`` → 1.5)."""
    total_size: int | None = None
    """Bytes written so far."""
    bitrate_kbps: float | None = None
    """Output bit rate so far."""
    drop_frames: int = 0
    """Frames dropped (live: the encoder cannot keep up)."""
    dup_frames: int = 0
    """Frames duplicated."""
    ended: bool = False
    """``progress=end``: ffmpeg finished."""

    def percent(self, duration_s: float | None) -> float | None:
        """Percent done (0–100) for an input of ``duration_s``; ``None`` if unknowable."""
        if self.ended:
            return 100.0
        if not duration_s or duration_s <= 0 or self.out_time_s is None:
            return None
        return max(0.0, min(100.0, self.out_time_s / duration_s * 100.0))


def _number[N: (int, float)](kind: type[N], value: str | None) -> N | None:
    """``value`` as ``kind`` (``int`` or ``float``); None when absent or malformed."""
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    return _number(int, value)


def _float(value: str | None) -> float | None:
    return _number(float, value)


def _clock(value: str | None) -> float | None:
    """``HH:MM:SS.micro`` → seconds; ffmpeg writes a leading ``-`` before the first frame."""
    if value is None or value.startswith("-"):
        return None
    parts = value.split(":")
    if len(parts) != 3:
        return None
    try:
        return int(parts[0]) * 3600 + int(parts[1]) * 60 + float(parts[2])
    except ValueError:
        return None


def _block(values: dict[str, str], ended: bool) -> Progress:
    # out_time_ms is in microseconds too (a long-standing ffmpeg quirk), so both divide by 1e6.
    micros = _int(values.get("out_time_us"))
    if micros is None:
        micros = _int(values.get("out_time_ms"))
    out_time = micros / 1_000_000 if micros is not None and micros >= 0 else None
    if out_time is None:
        out_time = _clock(values.get("out_time"))
    speed = values.get("speed", "").strip()
    bitrate = values.get("bitrate", "").strip()
    return Progress(
        out_time_s=out_time,
        frame=_int(values.get("frame")),
        fps=_float(values.get("fps")),
        speed=_float(speed[:-1]) if speed.endswith("x") else None,
        total_size=_int(values.get("total_size")),
        bitrate_kbps=_float(bitrate[: -len("kbits/s")]) if bitrate.endswith("kbits/s") else None,
        drop_frames=_int(values.get("drop_frames")) or 0,
        dup_frames=_int(values.get("dup_frames")) or 0,
        ended=ended,
    )


@dataclass(slots=True)
class ProgressParser:
    """Feed it chunks of ffmpeg's ``-progress`` output; get completed blocks back."""

    _pending: str = ""
    _values: dict[str, str] = field(default_factory=dict)

    def feed(self, chunk: bytes | str) -> list[Progress]:
        """Consume ``chunk`` and return the blocks it completed, oldest first."""
        text = chunk.decode("utf-8", "replace") if isinstance(chunk, bytes) else chunk
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        done: list[Progress] = []
        for raw in lines:
            line = raw.strip()
            if "=" not in line:
                continue
            key, _, value = line.partition("=")
            key, value = key.strip(), value.strip()
            if key == "progress":
                done.append(_block(self._values, ended=value == "end"))
                self._values = {}
            else:
                self._values[key] = value
        return done
