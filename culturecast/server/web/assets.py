"""Static files (CSS, ES modules, vendored libraries) held in memory and served under a
content-hashed path, so they can be cached for a year and a new release is fetched at once.

The version is one hash over the whole static tree and sits in the path (``/static/<version>/
js/home.js``), not in a query string: ES modules import each other by relative URLs
(``./core.js``), which then resolve inside the same versioned directory. The tree is about
2 MB, read once per process; DESIGN.md § Delivery measured in-memory responses at ~10× the
speed of FileResponse, and every viewer's first page load fetches these files.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

# What may be served, and as what. Anything else in the tree (READMEs) stays private.
CONTENT_TYPES: Final[dict[str, str]] = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".txt": "text/plain",
    ".json": "application/json",
}
_MIN_GZIP_BYTES: Final = 1024

IMMUTABLE: Final = "public, max-age=31536000, immutable"
"""RFC 9111 §5.2.2.1 max-age one year; RFC 8246 immutable: never revalidate a hashed path."""


@dataclass(slots=True)
class Asset:
    """One static file."""

    body: bytes
    """The file's bytes."""
    content_type: str
    """Its MIME type (charset utf-8 is added for text)."""
    etag: str
    """A strong validator: a hash of ``body``, quoted (RFC 9110 §8.8.3)."""
    _gzipped: bytes | None = field(default=None, repr=False)

    def gzipped(self) -> bytes | None:
        """The body gzip-compressed, made on first use; None when not worth it. ECharts is
        1.1 MB and 0.36 MB gzipped: a big difference on a phone."""
        if len(self.body) < _MIN_GZIP_BYTES:
            return None
        if self._gzipped is None:
            # mtime=0: the same bytes on every api process, so caches and ETags agree.
            self._gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self._gzipped


class StaticAssets:
    """The static tree of one release: ``url(path)`` for templates, ``get(path)`` to serve."""

    def __init__(self, root: Path, prefix: str = "/static") -> None:
        self._prefix = prefix.rstrip("/")
        self._files: dict[str, Asset] = {}
        whole = hashlib.sha256()
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            content_type = CONTENT_TYPES.get(path.suffix)
            if content_type is None:
                continue
            rel = path.relative_to(root).as_posix()
            body = path.read_bytes()
            digest = hashlib.sha256(body).hexdigest()
            whole.update(f"{rel}\0{digest}\0".encode())
            self._files[rel] = Asset(body, content_type, f'"{digest[:32]}"')
        self.version = whole.hexdigest()[:12]
        """Changes whenever any served file changes."""

    def url(self, path: str) -> str:
        """The cacheable URL of ``path`` (relative to the static root); raises ``KeyError``
        for a file that does not exist, so a template naming one fails its render test."""
        if path not in self._files:
            raise KeyError(f"no static file {path!r}")
        return f"{self._prefix}/{self.version}/{path}"

    def get(self, path: str) -> Asset | None:
        """The file at ``path`` or None. Only names read at start exist, so ``..`` and
        absolute paths cannot reach outside the tree."""
        return self._files.get(path)

    def paths(self) -> list[str]:
        """Every servable path, sorted."""
        return sorted(self._files)
