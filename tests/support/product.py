"""The whole product as processes, the way an operator runs it: ``culturecast serve`` alone
(standalone), or ``api`` ×2 + ``ingest`` + ``worker`` against Redis, the Mongo wire server and
the S3 server (distributed). Processes are started and stopped by PID; logs go to files that
failing tests print."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from culturecast.storage.database.mongo import MongoDatabase
from culturecast.storage.objects.s3 import S3ObjectStore
from tests.support.engines import S3Endpoint, free_port

ADMIN_PASSWORD = "e2e-admin-pass"
CULTURECAST = str(Path(sys.executable).with_name("culturecast"))
_redis_dbs = itertools.count(1)


@dataclass
class Process:
    """One running ``culturecast`` process."""

    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            [CULTURECAST, *self.args], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        return self

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, wait; returns the exit code (kills and fails loudly past ``timeout``)."""
        assert self.popen is not None
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
                raise AssertionError(f"{self.name} ignored SIGTERM for {timeout}s") from None
        return self.popen.returncode

    def wait_exit(self, timeout: float) -> int:
        assert self.popen is not None
        return self.popen.wait(timeout=timeout)

    def wait_for_log(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log:
                return
            assert self.popen is not None
            if self.popen.poll() is not None:
                raise AssertionError(f"{self.name} exited:\n{self.log[-3000:]}")
            time.sleep(0.1)
        raise AssertionError(f"{self.name} never logged {text!r}:\n{self.log[-3000:]}")


def wait_ready(url: str, proc: Process, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.popen is not None
        if proc.popen.poll() is not None:
            raise AssertionError(f"{proc.name} exited early:\n{proc.log[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"{proc.name} not ready after {timeout}s:\n{proc.log[-3000:]}")


SMALL_LADDERS: Mapping[str, str] = {
    # Small ladders and the fastest presets: two CPU cores are shared by everyone's tests.
    "CULTURECAST_LIVE_PRESET": "ultrafast",
    "CULTURECAST_VOD_PRESET": "ultrafast",
    "CULTURECAST_LIVE_LADDER": "360p:640x360:800,240p:426x240:400,audio:64",
    "CULTURECAST_VOD_LADDER": "360p:640x360:800,audio:64",
}
"""Settings of an e2e server that transcodes as little as a test needs."""


def base_env() -> dict[str, str]:
    """The test runner's environment without any CultureCast setting of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CULTURECAST_")}
    env["CULTURECAST_LOG_FORMAT"] = "text"
    return env


@dataclass
class Standalone:
    """``culturecast serve`` on a data dir; restartable."""

    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    process: Process | None = None

    def __post_init__(self) -> None:
        self.http_port = free_port()
        self.rtmp_port = free_port()
        self.env = {
            **base_env(),
            "CULTURECAST_DATA_DIR": str(self.workdir / "data"),
            "CULTURECAST_HTTP_HOST": "127.0.0.1",
            "CULTURECAST_HTTP_PORT": str(self.http_port),
            "CULTURECAST_RTMP_PORT": str(self.rtmp_port),
            "CULTURECAST_ADMIN_PASSWORD": ADMIN_PASSWORD,
            **self.env,
        }

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self) -> Standalone:
        self.process = Process("serve", ["serve"], self.env, self.workdir / "serve.log").start()
        wait_ready(self.url, self.process)
        return self

    def stop(self) -> int:
        assert self.process is not None
        return self.process.stop()


@contextmanager
def serving(workdir: Path, env: Mapping[str, str] | None = None) -> Iterator[Standalone]:
    """A started standalone server on ``workdir``, stopped afterwards unless the test stopped
    it itself."""
    server = Standalone(workdir, env=dict(env or {})).start()
    try:
        yield server
    finally:
        if server.process and server.process.popen and server.process.popen.poll() is None:
            server.stop()


@dataclass
class Distributed:
    """Two api processes, one ingest, one worker, on real engines."""

    workdir: Path
    redis_url: str
    mongo_url: str
    s3: S3Endpoint
    apis: list[Process] = field(default_factory=list)
    ingest: Process | None = None
    worker: Process | None = None

    def __post_init__(self) -> None:
        n = next(_redis_dbs) % 16
        tag = f"e2e{os.getpid()}x{n}x{int(time.time() * 1000) % 100000}"
        redis = self.redis_url.rsplit("/", 1)[0] + f"/{n}"
        self.env = {
            **base_env(),
            "CULTURECAST_DATA_DIR": str(self.workdir / "data"),
            "CULTURECAST_HTTP_HOST": "127.0.0.1",
            "CULTURECAST_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "CULTURECAST_MONGO_URL": self.mongo_url,
            "CULTURECAST_MONGO_DB": tag,
            "CULTURECAST_REDIS_URL": redis,
            "CULTURECAST_S3_URL": self.s3.url,
            "CULTURECAST_S3_ACCESS_KEY": self.s3.access_key,
            "CULTURECAST_S3_SECRET_KEY": self.s3.secret_key,
            "CULTURECAST_S3_BUCKET": tag.lower(),
            "CULTURECAST_S3_REGION": self.s3.region,
        }
        self.api_ports = [free_port(), free_port()]
        self.ingest_port = free_port()
        self.rtmp_port = free_port()

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{p}" for p in self.api_ports]

    @property
    def ingest_url(self) -> str:
        return f"http://127.0.0.1:{self.ingest_port}"

    def start(self) -> Distributed:
        self.worker = Process("worker", ["worker"], self.env, self.workdir / "worker.log").start()
        for i, port in enumerate(self.api_ports):
            env = {**self.env, "CULTURECAST_HTTP_PORT": str(port)}
            self.apis.append(Process(f"api{i}", ["api"], env, self.workdir / f"api{i}.log").start())
            # The first api creates the admin; start the second once it is ready so the
            # two do not race for the first admin's user name.
            wait_ready(self.urls[i], self.apis[i])
        env = {
            **self.env,
            "CULTURECAST_INGEST_HTTP_PORT": str(self.ingest_port),
            "CULTURECAST_RTMP_PORT": str(self.rtmp_port),
        }
        self.ingest = Process("ingest", ["ingest"], env, self.workdir / "ingest.log").start()
        wait_ready(self.ingest_url, self.ingest)
        self.worker.wait_for_log("ready.", timeout=60)
        return self

    def object_store(self) -> S3ObjectStore:
        """The processes' object store, for a test to put or read objects directly."""
        return S3ObjectStore(
            self.s3.url,
            self.s3.access_key,
            self.s3.secret_key,
            self.env["CULTURECAST_S3_BUCKET"],
            self.s3.region,
        )

    async def database(self) -> MongoDatabase:
        """The processes' database, for a test to write or read documents directly."""
        return await MongoDatabase.open(
            self.env["CULTURECAST_MONGO_URL"], self.env["CULTURECAST_MONGO_DB"]
        )

    def processes(self) -> list[Process]:
        return [p for p in [*self.apis, self.ingest, self.worker] if p is not None]

    def stop(self) -> dict[str, int]:
        return {p.name: p.stop() for p in self.processes()}

    def logs(self) -> str:
        return "\n".join(f"===== {p.name}\n{p.log[-4000:]}" for p in self.processes())
