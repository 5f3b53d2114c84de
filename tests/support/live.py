"""Live test helpers: real publishers (ffmpeg, GStreamer) sending lavfi/test sources."""

from __future__ import annotations

import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import urllib3


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
    # librtmp takes options inside the URL string ("rtmp://… live=1"), quoted for gst-launch.
    location = f"location={url}" if sink == "rtmp2sink" else f'location="{url} live=1"'
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
        "!", sink, location,
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


class StoreReader:
    """Reads what the server published: through ``/media/…`` when the delivery route answers,
    else straight from the object store (local directory or S3) the server writes to."""

    def __init__(
        self,
        *,
        objects_dir: Path | None = None,
        s3: tuple[str, str, str, str, str] | None = None,
        http_base: str | None = None,
    ) -> None:
        self.objects_dir = objects_dir
        self.http_base = http_base
        self._minio = None
        self._bucket = ""
        # Our own pool, so close() can drop its sockets: a pool left to the garbage collector
        # leaves them unclosed, and their ResourceWarning fails whichever test is running then.
        self._http = urllib3.PoolManager()
        if s3 is not None:
            from urllib.parse import urlsplit

            import minio

            url, access, secret, bucket, region = s3
            parts = urlsplit(url)
            self._minio = minio.Minio(
                parts.netloc,
                access,
                secret,
                secure=parts.scheme == "https",
                region=region,
                http_client=self._http,
            )
            self._bucket = bucket

    def __enter__(self) -> StoreReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the S3 client's pooled connections."""
        self._http.clear()

    def get(self, key: str) -> bytes | None:
        import urllib.error
        import urllib.request

        if self.http_base is not None:
            try:
                with urllib.request.urlopen(f"{self.http_base}/media/{key}", timeout=5) as r:
                    return bytes(r.read())
            except urllib.error.HTTPError as exc:
                if exc.code != 404:
                    raise
        if self.objects_dir is not None:
            path = self.objects_dir / key
            return path.read_bytes() if path.is_file() else None
        assert self._minio is not None
        try:
            resp = self._minio.get_object(self._bucket, key)
        except Exception:
            return None
        try:
            return bytes(resp.read())
        finally:
            resp.close()
            resp.release_conn()

    def text(self, key: str) -> str | None:
        data = self.get(key)
        return data.decode() if data is not None else None

    def download_rendition(self, prefix: str, playlist: str, dest: Path) -> Path:
        """Copy a playlist and every segment it names (resolving ``../``) under ``dest``,
        keeping the key layout, so ffprobe reads local files only."""
        import posixpath

        text = self.text(f"{prefix}/{playlist}")
        assert text is not None, f"{prefix}/{playlist} missing"
        target = dest / prefix / playlist
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        for line in text.splitlines():
            if line and not line.startswith("#"):
                key = posixpath.normpath(
                    posixpath.join(posixpath.dirname(f"{prefix}/{playlist}"), line)
                )
                data = self.get(key)
                assert data is not None, key
                out = dest / key
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(data)
        return target


def ffmpeg_pids_for(event_id: str) -> list[int]:
    """PIDs of the transcoders of one event (their command names its spool directory)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"ffmpeg") and any(event_id.encode() in a for a in cmd):
            pids.append(int(proc.name))
    return pids
