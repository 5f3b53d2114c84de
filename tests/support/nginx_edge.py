"""The project's media edge as an operator runs it: Debian's nginx with
``deploy/nginx/culturecast.conf.template`` rendered the documented way
(``culturecast-upstream.envsh`` sourced, then ``envsubst``) and included inside ``http {}``,
on 127.0.0.1 in front of the api processes. Started and stopped by PID."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.support.engines import free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "nginx"
TEMPLATE = DEPLOY / "culturecast.conf.template"
VARIABLES = (
    "CULTURECAST_EDGE_LISTEN",
    "CULTURECAST_API_UPSTREAM",
    "CULTURECAST_EDGE_CACHE_DIR",
    "CULTURECAST_SIGNING_SECRET",
    "CULTURECAST_EDGE_OBJECTS_SERVER",
    "CULTURECAST_EDGE_OBJECTS_ORIGIN",
    "CULTURECAST_EDGE_OBJECTS_HOST",
)
"""The names README.md's envsubst renders: the four set by the operator, the three that
``culturecast-upstream.envsh`` derives from the optional CULTURECAST_EDGE_OBJECTS_URL."""


def render(
    upstreams: list[str], listen: str, cache_dir: Path, secret: str, objects_url: str = ""
) -> str:
    """The template rendered as README.md's bare-metal steps render it; ``objects_url``: the
    bucket the edge reads public objects from itself (empty: every miss through the api)."""
    env = {
        "PATH": "/usr/bin:/bin",
        "CULTURECAST_EDGE_LISTEN": listen,
        "CULTURECAST_API_UPSTREAM": " ".join(upstreams),
        "CULTURECAST_EDGE_CACHE_DIR": str(cache_dir),
        "CULTURECAST_SIGNING_SECRET": secret,
        "CULTURECAST_EDGE_OBJECTS_URL": objects_url,
    }
    names = " ".join(f"${{{name}}}" for name in VARIABLES)
    script = f". {DEPLOY / 'culturecast-upstream.envsh'} && envsubst '{names}' < {TEMPLATE}"
    return subprocess.run(
        ["sh", "-c", script], env=env, check=True, capture_output=True, text=True
    ).stdout


class NginxEdge:
    """nginx with the rendered edge configuration, in front of ``upstreams`` (host:port)."""

    def __init__(
        self,
        workdir: Path,
        upstreams: list[str],
        secret: str,
        connections: int = 1024,
        objects_url: str = "",
    ) -> None:
        """``connections``: nginx's worker_connections; a websocket viewer holds two.
        ``objects_url``: CULTURECAST_EDGE_OBJECTS_URL (empty: unset)."""
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        cache = workdir / "cache"
        cache.mkdir(exist_ok=True)
        (workdir / "culturecast.conf").write_text(
            render(upstreams, f"127.0.0.1:{self.port}", cache, secret, objects_url)
        )
        temp = "\n".join(
            f"    {kind}_temp_path {workdir}/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        self.conf = workdir / "nginx.conf"
        self.conf.write_text(
            f"""
daemon off;
master_process off;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
worker_rlimit_nofile {2 * connections + 64};
events {{ worker_connections {connections}; }}
http {{
    access_log {workdir}/access.log;
{temp}
    include {workdir}/culturecast.conf;
}}
"""
        )
        self.popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20) -> NginxEdge:
        log = (self.dir / "nginx.out").open("ab")
        self.popen = subprocess.Popen(
            [NGINX, "-p", str(self.dir), "-c", str(self.conf)], stdout=log, stderr=log
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise AssertionError(f"nginx exited:\n{self.log}")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=2):
                    return self
            except urllib.error.HTTPError:
                return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        raise AssertionError(f"nginx not answering after {timeout}s:\n{self.log}")

    @property
    def log(self) -> str:
        parts = []
        for name in ("nginx.out", "error.log"):
            path = self.dir / name
            if path.exists():
                parts.append(path.read_text(errors="replace")[-3000:])
        return "\n".join(parts)

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGQUIT)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
