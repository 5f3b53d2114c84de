"""The ``media.process`` job: an uploaded original becomes HLS renditions, poster, thumbnails.

Steps, each of which may refuse the file with a reason (``failure: {code, message}``):

1. Fetch the original to a private work directory (the local store's file is used in place)
   and hash it (SHA-256 over the stored bytes, the checksum the uploader can compare).
2. Probe with ffprobe: only a local path, ``-protocol_whitelist file``, the container
   whitelist and probe limits (``transcode.probe``), under a time limit; validate caps on
   size, duration and resolution. Playlists and concat lists never get past the whitelist,
   so neither ffprobe nor ffmpeg ever opens a URL or another file named inside an upload.
3. Transcode: video → one ffmpeg, one decode, ``split`` to the ABR ladder; audio → AAC HLS,
   remuxed when already AAC-LC, loudness-normalised on request. Progress from ``-progress``
   goes to the job record and the resource at most once a second; ffmpeg is killed past a
   generous multiple of the duration.
4. Poster and thumbnail sprite (video), our own master playlist (``transcode.master``).
5. Upload everything under ``vod/<resource_id>/`` (segments immutable for a year, playlists
   an hour), then mark the resource ready in one update.

Idempotent: every attempt starts by clearing ``vod/<resource_id>/`` and its own work
directory; a failure removes partial outputs, so nothing is ever half-published. A resource
deleted meanwhile has its outputs removed and the job ends quietly.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import hashlib
import json
import logging
import math
import re
import shutil
import signal
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from culturecast.core import hls
from culturecast.core.covers import is_cover_key
from culturecast.core.text import without_paths
from culturecast.jobs.port import JobContext
from culturecast.media.catalogue.lifecycle import ResourceLifecycle, ResourceStatus
from culturecast.media.catalogue.service import RESOURCES
from culturecast.storage.database.port import Database, Document
from culturecast.storage.objects.port import ObjectStore
from culturecast.transcode.command import (
    FFMPEG_MASTER_NAME,
    EncoderSettings,
    audio_hls_command,
    poster_command,
    thumbnails_command,
    vod_hls_command,
)
from culturecast.transcode.ladder import DEFAULT_VOD_LADDER, Ladder, plan_audio, plan_ladder
from culturecast.transcode.master import build_master
from culturecast.transcode.probe import (
    MediaRejected,
    ProbeLimits,
    SourceInfo,
    check_input_path,
    parse_probe,
    probe_command,
    probe_failure,
    validate_source,
)
from culturecast.transcode.progress import ProgressParser

log = logging.getLogger(__name__)

_INVALID_SIZE = re.compile(r"Picture size (\d+)x(\d+) is invalid")


@dataclass(frozen=True, slots=True)
class ProcessingSettings:
    """Knobs of the processing job (constructor parameters; defaults for production)."""

    limits: ProbeLimits = field(default_factory=ProbeLimits)
    ladder: Ladder = DEFAULT_VOD_LADDER
    encoder: EncoderSettings = field(default_factory=EncoderSettings)
    ffprobe: str = "ffprobe"
    segment_s: float = 6.0
    audio_kbps: int = 128
    probe_timeout_s: float = 60.0
    time_limit_factor: float = 10.0
    """ffmpeg is killed after this many times the media's duration (plus a minute)."""
    progress_interval_s: float = 1.0
    thumbnails: int = 20


def _die_with_parent() -> None:
    # Linux: ffmpeg is killed when the worker dies (kill -9), so a redelivered job never
    # competes with an orphan of its previous attempt.
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Processor:
    """Runs ``media.process`` for one resource id."""

    def __init__(
        self,
        database: Database,
        objects: ObjectStore,
        work_dir: Path,
        settings: ProcessingSettings | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._resources = ResourceLifecycle(database.collection(RESOURCES), clock)
        self._objects = objects
        self._work = work_dir
        self._settings = settings or ProcessingSettings()
        self._clock = clock

    async def __call__(self, ctx: JobContext, payload: Mapping[str, Any]) -> None:
        resource_id = str(payload["resource_id"])
        doc = await self._resources.get(resource_id)
        if doc is None:
            log.info("resource %s is gone; nothing to process", resource_id)
            return
        if doc["status"] == ResourceStatus.READY:
            return
        prefix = f"vod/{resource_id}/"
        await self._clear(prefix)
        await self._resources.start(resource_id)
        work = self._work / f"{resource_id}-{ctx.attempt}"
        try:
            # Inside the try: a work directory that cannot be made fails the resource with a
            # reason instead of leaving it "processing" for ever.
            await asyncio.to_thread(shutil.rmtree, work, True)
            await asyncio.to_thread(work.mkdir, parents=True)
            await self._process(ctx, doc, work)
        except MediaRejected as exc:
            await self._fail(resource_id, prefix, exc.code, exc.message, exc.message_zh)
            raise RuntimeError(f"{exc.code}: {exc.message}") from None
        except asyncio.CancelledError:
            raise
        except Exception:
            # The exception's words (paths, library internals) go to the log through the job
            # runner, not to the person who uploaded the file.
            await self._fail(
                resource_id,
                prefix,
                "processing_failed",
                "Processing failed because of a server error. Retry, or upload the file again.",
                "处理失败,请重试或重新上传文件。",
            )
            raise
        finally:
            await asyncio.to_thread(shutil.rmtree, work, True)

    async def _fail(
        self, resource_id: str, prefix: str, code: str, message: str, message_zh: str
    ) -> None:
        log.info("resource %s failed: %s: %s", resource_id, code, message)
        await self._clear(prefix)
        await self._resources.fail(resource_id, code, message, message_zh)

    async def _clear(self, prefix: str) -> None:
        """Remove what an earlier attempt left under ``prefix``, except the cover staff
        uploaded (``core/covers.py``): it is theirs, not processing's."""
        found = await self._objects.list(prefix)
        if not any(is_cover_key(prefix, info.key) for info in found):
            await self._objects.delete_prefix(prefix)
            return
        for info in found:
            if not is_cover_key(prefix, info.key):
                await self._objects.delete(info.key)

    async def _process(self, ctx: JobContext, doc: Document, work: Path) -> None:
        resource_id = doc["_id"]
        s = self._settings
        path, sha256, size = await self._fetch(doc, work)
        await self._resources.note(resource_id, original_sha256=sha256)
        if size == 0:
            raise MediaRejected("empty", "The file is empty.", "文件为空。")
        source = await self._probe(path, size)
        kind = doc.get("kind") or ("video" if source.has_video else "audio")
        if kind == "video" and not source.has_video:
            raise MediaRejected(
                "no_video",
                "The file has no video stream; create the resource as audio.",
                "文件中没有视频,请以音频资源创建。",
            )
        if kind == "audio" and not source.has_audio:
            raise MediaRejected("no_audio", "The file has no audio stream.", "文件中没有音频。")
        out = work / "out"
        out.mkdir()
        duration = source.duration_s or 0.0
        report = self._reporter(ctx, resource_id)
        if kind == "video":
            planned = plan_ladder(s.ladder, source, segment_s=s.segment_s)
            command = vod_hls_command(
                planned,
                source,
                str(path),
                str(out),
                s.segment_s,
                limits=s.limits,
                settings=s.encoder,
            )
        else:
            loudnorm = bool(doc.get("loudnorm"))
            planned = [plan_audio(source, kbps=s.audio_kbps, loudnorm=loudnorm)]
            command = audio_hls_command(
                source,
                str(path),
                str(out),
                loudnorm,
                kbps=s.audio_kbps,
                segment_s=s.segment_s,
                limits=s.limits,
                settings=s.encoder,
            )
        await self._run_ffmpeg(command, duration, lambda p: report(5 + p * 0.85))
        poster_key = thumbnails_key = None
        thumbs: dict[str, Any] | None = None
        if kind == "video":
            poster = out / "poster.jpg"
            await self._run_ffmpeg(
                poster_command(source, str(path), str(poster), limits=s.limits, settings=s.encoder),
                duration,
            )
            if source.duration_s:
                sprite = out / "thumbnails.jpg"
                await self._run_ffmpeg(
                    thumbnails_command(
                        source,
                        str(path),
                        str(sprite),
                        count=s.thumbnails,
                        limits=s.limits,
                        settings=s.encoder,
                    ),
                    duration,
                )
                thumbnails_key = f"vod/{resource_id}/thumbnails.jpg"
                thumbs = {
                    "count": s.thumbnails,
                    "columns": 5,
                    "interval_s": duration / s.thumbnails,
                }
            poster_key = f"vod/{resource_id}/poster.jpg"
        (out / "master.m3u8").write_text(build_master(planned))
        (out / FFMPEG_MASTER_NAME).unlink(missing_ok=True)
        await report(92)
        await self._upload(resource_id, out)
        renditions = [
            {
                "name": r.name,
                "kind": r.kind,
                "width": r.width,
                "height": r.height,
                "bandwidth": r.bandwidth,
                "video_kbps": r.video_kbps,
                "audio_kbps": r.audio_kbps,
                "passthrough": r.passthrough,
                "audio_copy": r.audio_copy,
            }
            for r in planned
        ]
        done = await self._resources.ready(
            resource_id,
            {
                "kind": kind,
                "duration_s": source.duration_s,
                "hls_master_key": f"vod/{resource_id}/master.m3u8",
                "poster_key": poster_key,
                "thumbnails_key": thumbnails_key,
                "thumbnails": thumbs,
                "renditions": renditions,
                "source": {k: v for k, v in asdict(source).items() if v is not None},
            },
        )
        if done is None:
            # Deleted (or changed) while we worked: publish nothing.
            await self._objects.delete_prefix(f"vod/{resource_id}/")
        await ctx.report_progress(100)

    def _reporter(self, ctx: JobContext, resource_id: str) -> Callable[[float], Awaitable[None]]:
        last = [0.0]

        async def report(percent: float) -> None:
            now = self._clock()
            if now - last[0] < self._settings.progress_interval_s:
                return
            last[0] = now
            value = round(min(99.0, max(0.0, percent)), 1)
            await ctx.report_progress(value)
            await self._resources.progress(resource_id, value)

        return report

    async def _fetch(self, doc: Document, work: Path) -> tuple[Path, str, int]:
        """The original as a local file, its SHA-256 and size."""
        key = doc["original_key"]
        local = await self._objects.local_path(key)
        if local is not None:
            resolved = local.resolve()
            digest, size = await asyncio.to_thread(_hash_file, resolved)
            return resolved, digest, size
        target = work / "original"
        digest_obj = hashlib.sha256()
        size = 0
        with target.open("wb") as handle:
            async for chunk in self._objects.stream(key):
                digest_obj.update(chunk)
                size += len(chunk)
                await asyncio.to_thread(handle.write, chunk)
        return target, digest_obj.hexdigest(), size

    async def _probe(self, path: Path, size: int) -> SourceInfo:
        s = self._settings
        is_file = await asyncio.to_thread(path.is_file)
        check_input_path(str(path), [str(path.parent)], is_file)
        proc = await asyncio.create_subprocess_exec(
            *probe_command(str(path), s.limits, s.ffprobe),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            preexec_fn=_die_with_parent,
        )
        try:
            stdout, stderr = await asyncio.wait_for(proc.communicate(), s.probe_timeout_s)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise MediaRejected(
                "probe_timeout",
                "Reading the file took too long; it is probably not audio or video.",
                "读取文件超时,可能不是音频或视频。",
            ) from None
        err = stderr.decode("utf-8", "replace")
        if m := _INVALID_SIZE.search(err):
            w, h = int(m[1]), int(m[2])
            raise MediaRejected(
                "resolution_too_large",
                f"The picture claims {w}×{h}; the limit is "
                f"{s.limits.max_width}×{s.limits.max_height}.",
                f"画面 {w}×{h} 超过上限 {s.limits.max_width}×{s.limits.max_height}。",
            )
        if proc.returncode != 0:
            raise probe_failure(proc.returncode or 1, err)
        try:
            data = json.loads(stdout)
        except ValueError:
            raise probe_failure(1, err) from None
        return validate_source(parse_probe(data), s.limits, size)

    async def _run_ffmpeg(
        self,
        command: list[str],
        duration_s: float,
        on_percent: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        limit = 60.0 + self._settings.time_limit_factor * max(duration_s, 1.0)
        proc = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            preexec_fn=_die_with_parent,
        )
        parser = ProgressParser()
        stderr_tail = bytearray()

        async def read_progress() -> None:
            assert proc.stdout is not None
            while chunk := await proc.stdout.read(4096):
                for block in parser.feed(chunk):
                    percent = block.percent(duration_s)
                    if percent is not None and on_percent is not None:
                        await on_percent(percent)

        async def read_errors() -> None:
            assert proc.stderr is not None
            while chunk := await proc.stderr.read(4096):
                stderr_tail.extend(chunk)
                del stderr_tail[:-8192]

        try:
            await asyncio.wait_for(
                asyncio.gather(read_progress(), read_errors(), proc.wait()), limit
            )
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise MediaRejected(
                "time_limit",
                f"Transcoding took longer than {math.ceil(limit)} s and was stopped.",
                "转码超时,已停止。",
            ) from None
        except BaseException:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            raise
        if proc.returncode != 0:
            tail = stderr_tail.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise MediaRejected(
                "transcode_failed",
                f"ffmpeg could not convert the file (exit {proc.returncode}): "
                + without_paths(" | ".join(tail)),
                "转码失败,文件可能已损坏。",
            )

    async def _upload(self, resource_id: str, out: Path) -> None:
        # Segments first, playlists last: a playlist never names a segment not yet stored.
        files = await asyncio.to_thread(_output_files, out)
        for path in files:
            rel = path.relative_to(out).as_posix()
            await self._objects.put_file(
                f"vod/{resource_id}/{rel}",
                path,
                hls.content_type(rel),
                hls.vod_cache_control(rel),
            )


def _output_files(out: Path) -> list[Path]:
    files = sorted(p for p in out.rglob("*") if p.is_file())
    files.sort(key=lambda p: p.suffix == ".m3u8")
    return files


def _hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
