"""Content categories of resources, series and live events: a closed list with stable codes
and zh-CN/en labels (``GET /api/v1/categories``).

The seeds' own words (DESIGN.md § Media resources): 影视 film, 戏曲 opera, 音乐 music,
评书 storytelling, 讲座 lectures, 展演 performances, 微视频 micro-videos, 有声书 audiobooks.
The API stores and returns the code; it accepts the code or either label on input.
"""

from __future__ import annotations

from enum import StrEnum

from culturecast.core.errors import Sentence


class Category(StrEnum):
    FILM = "film"
    OPERA = "opera"
    MUSIC = "music"
    STORYTELLING = "storytelling"
    LECTURE = "lecture"
    PERFORMANCE = "performance"
    MICRO_VIDEO = "micro_video"
    AUDIOBOOK = "audiobook"
    OTHER = "other"


LABELS: dict[Category, tuple[str, str]] = {
    Category.FILM: ("影视", "Film"),
    Category.OPERA: ("戏曲", "Opera"),
    Category.MUSIC: ("音乐", "Music"),
    Category.STORYTELLING: ("评书", "Storytelling"),
    Category.LECTURE: ("讲座", "Lecture"),
    Category.PERFORMANCE: ("展演", "Performance"),
    Category.MICRO_VIDEO: ("微视频", "Micro-video"),
    Category.AUDIOBOOK: ("有声书", "Audiobook"),
    Category.OTHER: ("其他", "Other"),
}
"""(zh-CN, en) label of each category."""

_BY_NAME: dict[str, Category] = {}
for _category, (_zh, _en) in LABELS.items():
    _BY_NAME[_category.value] = _category
    _BY_NAME[_zh] = _category
    _BY_NAME[_en.casefold()] = _category


def parse_category(value: str) -> Category:
    """The category named by its code or either label; ``ValueError`` listing the codes."""
    found = _BY_NAME.get(value.strip()) or _BY_NAME.get(value.strip().casefold())
    if found is None:
        choices = ", ".join(f"{c.value} ({LABELS[c][0]})" for c in Category)
        raise ValueError(f"unknown category {value!r}; use one of {choices}")
    return found


def unknown_category(value: str) -> Sentence:
    """The sentence refusing a category that :func:`parse_category` does not know."""
    return Sentence(
        "分类无效，请使用：" + "、".join(f"{c.value}（{LABELS[c][0]}）" for c in Category) + "。",
        "Unknown category; use one of " + ", ".join(c.value for c in Category) + ".",
    )


def label(category: str) -> dict[str, str]:
    """``{"zh": ..., "en": ...}`` for a stored category (its code, or a label stored before
    codes were: ``"评书"``); empty labels for anything else."""
    found = _BY_NAME.get(category)
    zh, en = LABELS[found] if found is not None else ("", "")
    return {"zh": zh, "en": en}


def categories() -> list[dict[str, str]]:
    """Every category with its labels, in display order."""
    return [{"code": c.value, "zh": LABELS[c][0], "en": LABELS[c][1]} for c in Category]
