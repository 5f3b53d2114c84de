"""Static files: content-hashed URLs, nothing outside the tree, gzip that is stable."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from culturecast.server.web.assets import StaticAssets


def _tree(root: Path, files: dict[str, bytes]) -> StaticAssets:
    for name, body in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(body)
    return StaticAssets(root)


def test_the_version_changes_with_any_file_and_only_then(tmp_path: Path) -> None:
    a = _tree(tmp_path / "a", {"js/x.js": b"1", "css/y.css": b"2"})
    b = _tree(tmp_path / "b", {"js/x.js": b"1", "css/y.css": b"2"})
    c = _tree(tmp_path / "c", {"js/x.js": b"1", "css/y.css": b"3"})
    assert a.version == b.version != c.version
    assert a.url("js/x.js") == f"/static/{a.version}/js/x.js"


def test_only_known_types_inside_the_tree_are_served(tmp_path: Path) -> None:
    assets = _tree(tmp_path, {"js/x.js": b"1", "README.md": b"private", "t.txt": b"licence"})
    assert assets.paths() == ["js/x.js", "t.txt"]
    for path in ("README.md", "../x.js", "/etc/passwd", "js/../js/x.js"):
        assert assets.get(path) is None
    with pytest.raises(KeyError):
        assets.url("js/missing.js")


def test_gzip_is_made_once_and_identical_across_processes(tmp_path: Path) -> None:
    body = b"console.log(1);\n" * 500
    one = _tree(tmp_path / "1", {"a.js": body, "small.js": b"x"})
    two = _tree(tmp_path / "2", {"a.js": body})
    first = one.get("a.js")
    assert first is not None
    packed = first.gzipped()
    assert packed is not None
    assert gzip.decompress(packed) == body
    assert first.gzipped() is packed
    other = two.get("a.js")
    assert other is not None
    assert other.gzipped() == packed
    assert other.etag == first.etag
    small = one.get("small.js")
    assert small is not None
    assert small.gzipped() is None


def test_the_shipped_tree_has_the_vendored_libraries_and_their_licences() -> None:
    from culturecast.server.web.pages import create_pages

    paths = create_pages().assets.paths()
    for name in (
        "hls.min.js",
        "socket.io.min.js",
        "echarts.min.js",
        "echarts-china.js",
        "qrcode.esm.js",
    ):
        assert f"vendor/{name}" in paths
    licences = [p for p in paths if p.startswith("vendor/") and "LICENSE" in p]
    assert len(licences) >= 5
