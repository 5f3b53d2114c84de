"""Structured logs: one JSON object per line on stderr (or plain text for developers)."""

from __future__ import annotations

import json
import logging
import sys
import time

from aiohttp import web
from aiohttp.web_log import AccessLogger

from culturecast.server.metrics import MEDIA_PATH_PREFIX

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", ...extra fields, "exc"}``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = (
                    value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
                )
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, fmt: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's access log is one line per request; keep it, at INFO, in the same format.
    logging.getLogger("aiohttp.access").setLevel(level)


ACCESS_LOG_FORMAT = '%a "%r" %s %b %Tf'
"""One access-log line: client, request line, status, bytes, seconds."""


class AccessLog(AccessLogger):
    """aiohttp's access log without the media path: a line per playlist and segment would
    cost more than serving one from memory, and ``/metrics`` counts them per status."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if request.path.startswith(MEDIA_PATH_PREFIX):
            return
        super().log(request, response, time)
