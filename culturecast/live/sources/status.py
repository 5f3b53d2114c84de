"""What a pull or playout source did, as stored on its event and shown to staff (no I/O).

The runner keeps one :class:`SourceStatus` per feed and writes it whole to the event's
``source_status`` after each change (one writer: the ingest that holds the feed). Staff read
it in the event's staff view: the last error (why a pull was refused, did not connect, or
gave up), the item on air, and the items a playout skipped, each with its reason in zh-CN and
en.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from culturecast.core.errors import Sentence

MAX_SKIPS = 20
"""Skipped items kept (the latest)."""


def note(code: str, sentence: Sentence, at: float, **extra: Any) -> dict[str, Any]:
    return {"code": code, "zh": sentence.zh, "en": sentence.en, "at": at, **extra}


@dataclass(slots=True)
class SourceStatus:
    """The stored form is :meth:`stored`."""

    error: dict[str, Any] | None = None
    attempts: int = 0
    """Failed pull attempts in a row (0 once the source delivers)."""
    item: dict[str, Any] | None = None
    """The playout item on air: ``{position, resource_id, round}``."""
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def fail(self, code: str, sentence: Sentence, at: float) -> None:
        self.error = note(code, sentence, at)

    def skip(
        self, position: int, resource_id: str, code: str, sentence: Sentence, at: float
    ) -> None:
        self.skipped = [
            *self.skipped,
            note(code, sentence, at, position=position, resource_id=resource_id),
        ][-MAX_SKIPS:]

    def stored(self) -> dict[str, Any]:
        return {
            "error": self.error,
            "attempts": self.attempts,
            "item": self.item,
            "skipped": list(self.skipped),
        }


def view(stored: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The staff view's ``source_status``: each note with ``message`` in both languages."""
    if not isinstance(stored, Mapping):
        return None

    def shown(n: Any) -> dict[str, Any] | None:
        if not isinstance(n, Mapping):
            return None
        message = str(Sentence(str(n.get("zh", "")), str(n.get("en", ""))))
        return {**n, "message": message}

    return {
        "error": shown(stored.get("error")),
        "attempts": int(stored.get("attempts") or 0),
        "item": stored.get("item"),
        "skipped": [s for s in map(shown, stored.get("skipped") or []) if s is not None],
    }


GAVE_UP = "pull_gave_up"
NOT_CONNECTED = "pull_not_connected"
ITEM_FAILED = "playout_item_failed"


def gave_up(attempts: int, last: Mapping[str, Any] | None) -> Sentence:
    zh = f"（最后一次：{last['zh']}）" if last else ""
    en = f" (last: {last['en']})" if last else ""
    return Sentence(
        f"拉流地址连续 {attempts} 次无法拉取，已停止重试，直播已结束{zh}。",
        f"The pull source failed {attempts} times in a row; stopped retrying and ended the "
        f"event{en}.",
    )


def not_connected(detail: str) -> Sentence:
    return Sentence(
        "无法从拉流地址读取直播流，稍后重试。",
        f"The stream could not be read from the pull URL; retrying ({detail or 'no output'}).",
    )


def item_failed(resource_id: str, detail: str) -> Sentence:
    return Sentence(
        f"节目 {resource_id} 播放失败，已跳过。",
        f"Item {resource_id} could not be played; skipped ({detail or 'no output'}).",
    )
