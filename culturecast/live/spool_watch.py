"""Wakes the live packager the moment ffmpeg closes a segment (DESIGN.md § Latency).

ffmpeg's hls muxer with ``temp_file`` renames each finished segment into place, then writes
the playlist that lists it as ``index.m3u8.tmp`` and renames that over ``index.m3u8``. On
Linux the rename is an inotify ``IN_MOVED_TO`` event in the rendition's directory, so the
packager can publish the segment at once instead of finding it on its next look at the
spool (on average half a polling interval later, plus the scan of every rendition).

The variant directories are created by ffmpeg after the run starts, so a watched directory's
new subdirectories are watched as they appear (and a change is signalled then, in case a
playlist landed before the watch did). Where inotify is missing (not Linux) or refused (the
per-user instance or watch limit), :meth:`SpoolWatch.wait` is a plain timer and the packager
polls as before; nothing else changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import errno
import logging
import os
import struct
import sys
from pathlib import Path

log = logging.getLogger("culturecast.live.spool_watch")

# <sys/inotify.h>
_IN_CLOSE_WRITE = 0x00000008
_IN_MOVED_TO = 0x00000080
_IN_CREATE = 0x00000100
_IN_ONLYDIR = 0x01000000
_IN_ISDIR = 0x40000000
_IN_NONBLOCK = os.O_NONBLOCK
_IN_CLOEXEC = os.O_CLOEXEC
_MASK = _IN_MOVED_TO | _IN_CLOSE_WRITE | _IN_CREATE | _IN_ONLYDIR
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then len bytes of name

PLAYLIST_SUFFIX = ".m3u8"
"""Only playlists matter: a segment is published when the playlist naming it appears."""


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.inotify_init1  # noqa: B018 (a missing symbol raises here)
    except (OSError, AttributeError):
        return None
    return libc


class SpoolWatch:
    """Directory trees to watch; :meth:`wait` returns when a playlist in them changed."""

    def __init__(self) -> None:
        self._changed = asyncio.Event()
        self._fd: int | None = None
        self._dirs: dict[int, Path] = {}
        self._libc = _libc()
        if self._libc is None:
            return
        fd = self._libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if fd < 0:
            log.warning(
                "live: inotify unavailable (%s); the packager polls the spool",
                os.strerror(ctypes.get_errno()),
            )
            return
        self._fd = fd
        asyncio.get_running_loop().add_reader(fd, self._read)

    @property
    def active(self) -> bool:
        """Changes are signalled as they happen (inotify), not found by polling."""
        return self._fd is not None

    def add(self, directory: Path) -> None:
        """Watch ``directory`` and every subdirectory it has or gets."""
        if self._fd is None or self._libc is None:
            return
        wd = self._libc.inotify_add_watch(self._fd, os.fsencode(directory), _MASK)
        if wd < 0:
            code = ctypes.get_errno()
            if code not in (errno.ENOENT, errno.ENOTDIR):
                log.warning("live: cannot watch %s (%s); polling it", directory, os.strerror(code))
            return
        self._dirs[wd] = directory
        with contextlib.suppress(OSError):
            for child in directory.iterdir():
                if child.is_dir():
                    self.add(child)

    def _read(self) -> None:
        assert self._fd is not None
        try:
            data = os.read(self._fd, 64 * 1024)
        except BlockingIOError:
            return
        except OSError as exc:
            log.warning("live: inotify read failed (%s); polling the spool", exc)
            self.close()
            self._changed.set()
            return
        offset = 0
        while offset + _EVENT.size <= len(data):
            wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
            offset += _EVENT.size
            name = data[offset : offset + length].rstrip(b"\0").decode(errors="replace")
            offset += length
            parent = self._dirs.get(wd)
            if parent is None:
                continue
            if mask & _IN_ISDIR:
                if mask & (_IN_CREATE | _IN_MOVED_TO):
                    self.add(parent / name)
                    self._changed.set()  # a playlist may have landed before the watch
            elif name.endswith(PLAYLIST_SUFFIX):
                self._changed.set()

    async def wait(self, timeout_s: float) -> bool:
        """Until a playlist changed (True) or ``timeout_s`` passed (False)."""
        try:
            await asyncio.wait_for(self._changed.wait(), timeout_s)
        except TimeoutError:
            return False
        self._changed.clear()
        return True

    def close(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            asyncio.get_running_loop().remove_reader(self._fd)
        os.close(self._fd)
        self._fd = None
        self._dirs.clear()
