"""Media test helpers: small generated media files and a tus 1.0 client that can break off
mid-body, as a phone on a bad network does."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from tests.support.api import Api

TUS = {"Tus-Resumable": "1.0.0"}


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, capture_output=True)


def make_video(
    path: Path, seconds: float, size: str = "640x360", fps: int = 10, kbps: int = 800
) -> Path:
    """H.264 High (yuv420p) + AAC in MP4: test pattern with a tone."""
    if not path.exists():
        run(
            [
                "ffmpeg", "-v", "error", "-y",
                "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}:duration={seconds}",
                "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
                "-c:v", "libx264", "-preset", "ultrafast", "-profile:v", "high",
                "-pix_fmt", "yuv420p", "-b:v", f"{kbps}k", "-maxrate", f"{kbps}k",
                "-bufsize", f"{kbps * 2}k", "-g", str(fps * 2),
                "-c:a", "aac", "-b:a", "64k", "-shortest", str(path),
            ]
        )  # fmt: skip
    return path


def make_mp3(path: Path, seconds: float, kbps: int = 64) -> Path:
    """Mono MP3 of a sine tone."""
    if not path.exists():
        run(
            [
                "ffmpeg", "-v", "error", "-y",
                "-f", "lavfi", "-i", f"sine=frequency=300:duration={seconds}",
                "-ac", "1", "-c:a", "libmp3lame", "-b:a", f"{kbps}k", str(path),
            ]
        )  # fmt: skip
    return path


def make_huge_claim(path: Path) -> Path:
    """An AVI whose headers claim a 100000×100000 picture (rawvideo, one 16×16 frame)."""
    import struct

    small = path.with_suffix(".small.avi")
    run(
        [
            "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=s=16x16:d=1:r=5",
            "-c:v", "rawvideo", "-pix_fmt", "yuv420p", str(small),
        ]
    )  # fmt: skip
    data = bytearray(small.read_bytes())
    avih = data.find(b"avih") + 8
    struct.pack_into("<II", data, avih + 32, 100_000, 100_000)
    strf = data.find(b"strf") + 8
    struct.pack_into("<ii", data, strf + 4, 100_000, 100_000)
    path.write_bytes(bytes(data))
    small.unlink()
    return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def ffprobe(path_or_url: str) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-of", "json", "-show_streams", "-show_format", path_or_url],
        check=True,
        capture_output=True,
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


class TusClient:
    """Just enough tus 1.0 to upload, break off and resume."""

    def __init__(self, session: aiohttp.ClientSession, base: str, token: str) -> None:
        self.session = session
        self.base = base.rstrip("/")
        self.auth = {"Authorization": f"Bearer {token}", **TUS}

    async def create(self, length: int, **meta: str) -> str:
        headers = {**self.auth, "Upload-Length": str(length)}
        if meta:
            headers["Upload-Metadata"] = metadata(**meta)
        async with self.session.post(f"{self.base}/api/v1/uploads", headers=headers) as resp:
            assert resp.status == 201, await resp.text()
            location = resp.headers["Location"]
        return self.base + location if location.startswith("/") else location

    async def offset(self, url: str) -> int:
        async with self.session.head(url, headers=self.auth) as resp:
            assert resp.status == 200, resp.status
            return int(resp.headers["Upload-Offset"])

    async def patch(self, url: str, offset: int, data: bytes | AsyncIterator[bytes]) -> int:
        headers = {
            **self.auth,
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        }
        body = io.BytesIO(data) if isinstance(data, bytes) else data
        async with self.session.patch(url, headers=headers, data=body) as resp:
            assert resp.status == 204, (resp.status, await resp.text())
            return int(resp.headers["Upload-Offset"])

    async def upload(self, path: Path, chunk: int = 8 << 20, **meta: str) -> str:
        """Create and send the whole file in PATCHes of ``chunk`` bytes; returns the id."""
        size = await asyncio.to_thread(os.path.getsize, path)
        url = await self.create(size, filename=path.name, **meta)
        offset = 0
        with path.open("rb") as handle:
            while offset < size:
                handle.seek(offset)
                offset = await self.patch(url, offset, handle.read(chunk))
        return url.rsplit("/", 1)[1]

    async def send_half_and_break(self, url: str, path: Path, upto: int) -> None:
        """Send the first ``upto`` bytes of a PATCH declared as the whole file, then drop the
        connection (the server sees the body break off)."""
        size = await asyncio.to_thread(os.path.getsize, path)
        host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        target = "/" + url.split("//", 1)[1].split("/", 1)[1]
        head = (
            f"PATCH {target} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: {self.auth['Authorization']}\r\nTus-Resumable: 1.0.0\r\n"
            "Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n"
            f"Content-Length: {size}\r\n\r\n"
        )
        writer.write(head.encode())
        with path.open("rb") as handle:
            sent = 0
            while sent < upto:
                piece = handle.read(min(1 << 20, upto - sent))
                writer.write(piece)
                await writer.drain()
                sent += len(piece)
        # Let the server read what was sent, then hang up without sending the rest.
        await asyncio.sleep(0.5)
        writer.close()
        await writer.wait_closed()
        del reader


async def upload_resource(api: Api, path: Path, org_id: str, body: dict[str, Any]) -> Any:
    """Send ``path`` over tus into ``org_id`` and create the resource ``body`` describes from
    it (``POST /api/v1/resources``, 201); returns the created resource."""
    upload_id = await TusClient(api.session, api.base, str(api.token)).upload(path, org_id=org_id)
    return await api.ok("POST", "/api/v1/resources", {"upload_id": upload_id, **body}, expect=201)
