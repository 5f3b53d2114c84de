"""What a new ffmpeg must be fed to start cleanly mid-stream, and the first-GOP probe.

A decoder can only start on a keyframe, after the decoder configuration (AVC and AAC
sequence headers). So the ingest keeps the latest sequence headers, the metadata tag and
every tag since the last keyframe; a restarted ffmpeg gets exactly that first
(:meth:`GopBuffer.replay`), starts on a keyframe and loses at most the frames it was
working on. Pure: tags in, bytes out.

:class:`FirstGop` holds the stream back until the keyframe interval is known (the second
keyframe, or as long as a copied rung's keyframes may be apart without one), because the
plan — pass the top rung through or not — depends on it
(``transcode.ladder.copy_fits_segments``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from culturecast.live.rtmp import flv
from culturecast.transcode.ladder import MAX_CUT_COPY_KEYFRAME_S

MAX_GOP_BYTES = 32 * 1024 * 1024
"""Beyond this the GOP is not kept (a keyframe interval of minutes is not worth memory)."""


@dataclass(slots=True)
class GopBuffer:
    """Sequence headers, metadata and the current GOP, as FLV tags."""

    metadata: bytes | None = None
    """The latest onMetaData tag (framed)."""
    video_header: bytes | None = None
    """The latest AVC sequence header tag (framed)."""
    audio_header: bytes | None = None
    """The latest AAC sequence header tag (framed)."""
    gop: list[bytes] = field(default_factory=list)
    """Framed tags since the last keyframe, keyframe first."""
    gop_bytes: int = 0
    """Size of ``gop``."""
    has_video: bool = False
    """A video tag was seen."""
    has_audio: bool = False
    """An audio tag was seen."""

    def add(self, tag_type: int, timestamp: int, data: bytes) -> bytes:
        """Record one tag; returns it framed for the FLV stream."""
        framed = flv.encode_tag(tag_type, timestamp, data)
        if tag_type == flv.TAG_SCRIPT:
            self.metadata = framed
            return framed
        if tag_type == flv.TAG_VIDEO:
            self.has_video = True
        elif tag_type == flv.TAG_AUDIO:
            self.has_audio = True
        if flv.is_sequence_header(tag_type, data):
            if tag_type == flv.TAG_VIDEO:
                self.video_header = framed
            else:
                self.audio_header = framed
            return framed
        if tag_type == flv.TAG_VIDEO and flv.is_keyframe(data):
            self.gop = [framed]
            self.gop_bytes = len(framed)
        elif self.gop or not self.has_video:
            # Audio-only streams: keep a short tail so a restart has something to start on.
            if not self.has_video and len(self.gop) > 200:
                self.gop.pop(0)
            if self.gop_bytes + len(framed) <= MAX_GOP_BYTES:
                self.gop.append(framed)
                self.gop_bytes += len(framed)
        return framed

    def header(self) -> bytes:
        """The FLV file header for what was seen."""
        return flv.encode_header(has_audio=self.has_audio, has_video=self.has_video)

    def prelude(self) -> bytes:
        """FLV header, metadata and sequence headers: what precedes any media tag."""
        parts = [self.header()]
        for tag in (self.metadata, self.video_header, self.audio_header):
            if tag is not None:
                parts.append(tag)
        return b"".join(parts)

    def replay(self) -> bytes:
        """Everything a new ffmpeg needs before the live tags: header, metadata, sequence
        headers, then the GOP from its keyframe."""
        return self.prelude() + b"".join(self.gop)


@dataclass(slots=True)
class FirstGop:
    """Measures the first GOP before the transcoder starts."""

    segment_s: float
    """HLS segment length; a keyframe interval must fit it for pass-through."""
    first_keyframe_ms: int | None = None
    """Timestamp of the first keyframe."""
    keyframe_interval_s: float | None = None
    """Known once the second keyframe arrived (or None if it did not in time)."""
    frames: int = 0
    """Video frames since the first keyframe."""
    video_bytes: int = 0
    """Video payload bytes since the first keyframe."""
    last_ms: int = 0
    """Latest media timestamp seen."""
    done: bool = False
    """Enough is known to plan."""
    first_tag_ms: int | None = None
    """Timestamp of the first media tag (audio-only streams wait on this)."""

    def add(self, tag_type: int, timestamp: int, data: bytes) -> bool:
        """Record a tag; True once planning can start."""
        if self.done or tag_type not in (flv.TAG_AUDIO, flv.TAG_VIDEO):
            return self.done
        if flv.is_sequence_header(tag_type, data):
            return False
        if self.first_tag_ms is None:
            self.first_tag_ms = timestamp
        self.last_ms = max(self.last_ms, timestamp)
        if tag_type == flv.TAG_VIDEO:
            keyframe = flv.is_keyframe(data)
            if self.first_keyframe_ms is None:
                if not keyframe:
                    return False
                self.first_keyframe_ms = timestamp
            elif keyframe and timestamp > self.first_keyframe_ms:
                self.keyframe_interval_s = (timestamp - self.first_keyframe_ms) / 1000
                self.done = True
                return True
            self.frames += 1
            self.video_bytes += len(data)
        start = self.first_keyframe_ms if self.first_keyframe_ms is not None else self.first_tag_ms
        # No second keyframe within a segment, nor within the longest interval a copied rung
        # may be cut by time (plus a frame's slack): no pass-through, which is all the
        # planner needs to know.
        wait_s = max(self.segment_s, MAX_CUT_COPY_KEYFRAME_S)
        if self.last_ms - start > wait_s * 1000 + 100:
            self.done = True
        return self.done

    @property
    def span_s(self) -> float:
        """Media time covered since the first keyframe."""
        if self.first_keyframe_ms is None:
            return 0.0
        return max(0.0, (self.last_ms - self.first_keyframe_ms) / 1000)

    @property
    def fps(self) -> float | None:
        """Frames per second measured over the first GOP."""
        span = self.keyframe_interval_s or self.span_s
        return self.frames / span if span > 0 and self.frames > 1 else None

    @property
    def video_kbps(self) -> float | None:
        """Video bit rate measured over the first GOP."""
        span = self.keyframe_interval_s or self.span_s
        return self.video_bytes * 8 / 1000 / span if span > 0 else None
