"""Fixtures: real ffprobe answers (ffmpeg 5.1 on lavfi-made files) stored under data/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"


def probe_json(name: str) -> dict[str, Any]:
    """The stored ``ffprobe -of json -show_streams -show_format`` answer for ``name``."""
    result: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text())
    return result
