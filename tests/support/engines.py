"""Real engines for integration and e2e tests, each started as its own process on 127.0.0.1:
redis-server, moto's S3 server and mongoeco's MongoDB wire server. When
``CULTURECAST_TEST_MONGO_URL`` / ``CULTURECAST_TEST_S3_URL`` are set, a real MongoDB / MinIO is
used instead of the stand-in."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes] | None, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"engine process exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass(frozen=True)
class S3Endpoint:
    url: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError("redis-server is not installed (scripts/bootstrap --dev installs it)")
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [
            exe,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop_process(proc)


@contextmanager
def s3_server() -> Iterator[S3Endpoint]:
    if url := os.environ.get("CULTURECAST_TEST_S3_URL"):
        yield S3Endpoint(
            url,
            os.environ.get("CULTURECAST_TEST_S3_ACCESS_KEY", "minioadmin"),
            os.environ.get("CULTURECAST_TEST_S3_SECRET_KEY", "minioadmin"),
        )
        return
    port = free_port()
    exe = Path(sys.executable).with_name("moto_server")
    proc = subprocess.Popen(
        [str(exe), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc)
        yield S3Endpoint(f"http://127.0.0.1:{port}", "testing", "testing")
    finally:
        stop_process(proc)


def reset_s3(endpoint: S3Endpoint) -> None:
    """Forget every bucket of a moto server (no-op against a real store)."""
    if "CULTURECAST_TEST_S3_URL" in os.environ:
        return
    req = urllib.request.Request(f"{endpoint.url}/moto-api/reset", method="POST")
    urllib.request.urlopen(req, timeout=10).close()


@contextmanager
def mongo_server(workdir: Path) -> Iterator[str]:
    if url := os.environ.get("CULTURECAST_TEST_MONGO_URL"):
        yield url
        return
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.mongo_wire_server",
            "--port",
            str(port),
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        wait_for_port(port, proc)
        yield f"mongodb://127.0.0.1:{port}/?directConnection=true"
    finally:
        stop_process(proc)
