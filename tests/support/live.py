"""Live test helpers: real publishers (ffmpeg, GStreamer) sending lavfi/test sources."""

from __future__ import annotations

import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


def ffmpeg_publish_command(
    url: str,
    *,
    size: str = "640x360",
    rate: int = 30,
    gop: int = 60,
    seconds: float | None = None,
    video_kbps: int = 600,
    vcodec: str = "libx264",
) -> list[str]:
    """What the issue's publisher sends: testsrc2 + sine, x264 ultrafast, AAC, FLV."""
    duration = ["-t", f"{seconds:g}"] if seconds else []
    return [
        "ffmpeg", "-hide_banner", "-loglevel", "warning", "-nostdin", "-re",
        "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        *duration,
        "-c:v", vcodec, "-preset", "ultrafast", "-g", str(gop), "-keyint_min", str(gop),
        "-sc_threshold", "0", "-b:v", f"{video_kbps}k", "-maxrate", f"{video_kbps}k",
        "-bufsize", f"{video_kbps * 2}k", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "96k",
        "-f", "flv", url,
    ]  # fmt: skip


def gstreamer_publish_command(url: str, *, sink: str = "rtmp2sink") -> list[str]:
    """GStreamer: rtmp2sink (its own RTMP) or rtmpsink (librtmp, the family OBS uses)."""
    location = f"location={url}" if sink == "rtmp2sink" else f"location={url} live=1"
    return [
        "gst-launch-1.0", "-q",
        "videotestsrc", "is-live=true", "pattern=smpte",
        "!", "video/x-raw,width=640,height=360,framerate=30/1",
        "!", "x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=60",
        "bitrate=600",
        "!", "video/x-h264,profile=main",
        "!", "h264parse",
        "!", "queue", "!", "mux.",
        "audiotestsrc", "is-live=true", "wave=sine",
        "!", "audioconvert", "!", "audioresample",
        "!", "audio/x-raw,rate=48000,channels=2",
        "!", "avenc_aac", "bitrate=96000",
        "!", "aacparse", "!", "queue", "!", "mux.",
        "flvmux", "name=mux", "streamable=true",
        "!", sink, *location.split(" "),
    ]  # fmt: skip


@dataclass
class Publisher:
    """A running publisher process with its log."""

    command: list[str]
    log: Path = field(
        default_factory=lambda: Path(tempfile.mkstemp(prefix="publisher-", suffix=".log")[1])
    )
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Publisher:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        return self

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait(self, timeout: float) -> int:
        assert self.popen is not None
        return self.popen.wait(timeout=timeout)

    def stop(self) -> None:
        """End like an encoder's Stop button (SIGINT: ffmpeg sends FCUnpublish)."""
        if self.alive:
            assert self.popen is not None
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()

    def kill(self) -> None:
        """End like a dropped network: the socket just closes."""
        if self.alive:
            assert self.popen is not None
            self.popen.kill()
            self.popen.wait()
