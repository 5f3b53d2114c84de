"""nginx-rtmp (Debian's ``libnginx-mod-rtmp``) run by a test as a real RTMP platform: it
receives pushes (recording them) and serves what is published to it to pullers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from tests.support.engines import free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
RTMP_MODULE = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")


class NginxRtmp:
    """nginx-rtmp on 127.0.0.1, recording every published stream under ``record/``."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.port = free_port()
        self.records = workdir / "record"
        self.records.mkdir(parents=True, exist_ok=True)
        os.chmod(self.records, 0o777)
        self.conf = workdir / "nginx.conf"
        self.conf.write_text(
            f"""
load_module {RTMP_MODULE};
daemon off;
master_process off;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log info;
events {{ worker_connections 64; }}
rtmp {{
    server {{
        listen 127.0.0.1:{self.port};
        application live {{
            live on;
            record all;
            record_path {self.records};
            record_unique on;
        }}
    }}
}}
"""
        )
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> NginxRtmp:
        log = (self.dir / "nginx.out").open("ab")
        self.popen = subprocess.Popen(
            [NGINX, "-p", str(self.dir), "-c", str(self.conf)], stdout=log, stderr=log
        )
        log.close()
        return self

    def kill(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait()

    def recordings(self) -> list[Path]:
        return sorted(p for p in self.records.glob("*.flv") if p.stat().st_size > 0)
