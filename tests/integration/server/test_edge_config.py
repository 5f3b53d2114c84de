"""The edge's configuration as an operator renders it (README.md § Media delivery and the edge):
``culturecast-upstream.envsh`` sourced, then ``envsubst``; Debian's ``nginx -t`` accepts what
comes out, with and without CULTURECAST_EDGE_OBJECTS_URL, and a malformed URL stops the
rendering with a message naming the variable."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.nginx_edge import DEPLOY, NGINX, render

ENVSH = DEPLOY / "culturecast-upstream.envsh"


def nginx_accepts(tmp_path: Path, rendered: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "culturecast.conf").write_text(rendered)
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n    include {tmp_path}/culturecast.conf;\n}}\n"
    )
    return subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("objects_url", "server", "origin"),
    [
        ("", "127.0.0.1:8081", "http://culturecast_api/media/$cc_via"),
        (
            "http://10.0.0.5:9000/culturecast/",
            "10.0.0.5:9000",
            "http://culturecast_objects/culturecast/",
        ),
        (
            "http://localhost:9000/media-bucket",
            "localhost:9000",
            "http://culturecast_objects/media-bucket/",
        ),
    ],
)
def test_the_rendered_edge_is_valid_nginx_and_names_its_object_origin(
    tmp_path: Path, objects_url: str, server: str, origin: str
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    rendered = render(
        ["127.0.0.1:8081", "127.0.0.1:8082"], "127.0.0.1:18980", cache, "s" * 32, objects_url
    )
    assert "${" not in rendered
    assert f"upstream culturecast_objects {{\n    server {server};" in rendered
    assert f"    public  {origin};" in rendered
    checked = nginx_accepts(tmp_path, rendered)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


@pytest.mark.parametrize(
    "objects_url",
    [
        "https://s3.example.cn/culturecast/",
        "http://minio:9000/",
        "minio:9000/culturecast",
        "http:///b/",
    ],
)
def test_a_malformed_object_store_url_stops_the_rendering_with_a_message(
    objects_url: str,
) -> None:
    done = subprocess.run(
        ["sh", "-c", f". {ENVSH} && echo rendered"],
        env={
            "PATH": "/usr/bin:/bin",
            "CULTURECAST_API_UPSTREAM": "127.0.0.1:8081",
            "CULTURECAST_EDGE_OBJECTS_URL": objects_url,
        },
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "rendered" not in done.stdout
    assert "CULTURECAST_EDGE_OBJECTS_URL must be http://host:port/bucket/" in done.stderr
    assert objects_url in done.stderr
