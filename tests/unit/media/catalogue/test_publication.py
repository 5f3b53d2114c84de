"""Which episodes follow their series' publish (发布全部) or unpublish, and why the others
stay as they were (``media/catalogue/publication.py``)."""

from __future__ import annotations

from typing import Any

import pytest

from culturecast.core.errors import has_cjk
from culturecast.media.catalogue.publication import held_from_publish, held_from_unpublish


def episode(status: str, **fields: Any) -> dict[str, Any]:
    return {"_id": "r1", "title": "第1回", "status": status, "published": False, **fields}


def test_a_ready_episode_is_published_with_its_series() -> None:
    assert held_from_publish(episode("ready")) is None
    assert held_from_publish(episode("ready", published=True)) is None


def test_a_failed_episode_is_held_with_its_own_failure_in_both_languages() -> None:
    failure = {
        "code": "not_media",
        "message": "The file could not be read as audio or video.",
        "message_zh": "无法将文件识别为音频或视频。",
    }
    held = held_from_publish(episode("failed", failure=failure))
    assert held is not None
    assert held.code == "resource_failed"
    assert "无法将文件识别为音频或视频" in held.sentence.zh
    assert "could not be read as audio or video" in held.sentence.en
    assert not has_cjk(held.sentence.en)
    assert held.view() == {
        "code": "resource_failed",
        "zh": held.sentence.zh,
        "en": held.sentence.en,
        "message": f"{held.sentence.zh} ({held.sentence.en})",
    }


def test_a_failure_without_sentences_is_named_by_its_code() -> None:
    held = held_from_publish(episode("failed", failure={"code": "too_long", "message": ""}))
    assert held is not None
    assert "too_long" in held.sentence.zh
    assert "too_long" in held.sentence.en


def test_an_english_sentence_never_carries_the_chinese_one() -> None:
    failure = {"code": "not_media", "message": "无法识别", "message_zh": "无法识别"}
    held = held_from_publish(episode("failed", failure=failure))
    assert held is not None
    assert not has_cjk(held.sentence.en)
    assert "not_media" in held.sentence.en


def test_a_processing_episode_is_held_with_how_far_it_is() -> None:
    held = held_from_publish(episode("processing", progress=45.6))
    assert held is not None
    assert held.code == "resource_processing"
    assert "45%" in held.sentence.zh
    assert "45%" in held.sentence.en


@pytest.mark.parametrize("published", [False, True])
def test_an_uploaded_episode_waits_for_processing(published: bool) -> None:
    held = held_from_publish(episode("uploaded", published=published))
    assert held is not None
    assert held.code == "resource_processing"
    assert "排队" in held.sentence.zh


def test_a_replay_follows_its_live_event_not_its_series() -> None:
    replay = episode("ready", live_event_id="e1")
    held = held_from_publish(replay)
    assert held is not None
    assert held.code == "replay_follows_event"
    # Already public with its event: nothing to hold.
    assert held_from_publish({**replay, "published": True}) is None
    held = held_from_unpublish({**replay, "published": True})
    assert held is not None
    assert held.code == "replay_follows_event"
    assert held_from_unpublish(replay) is None


@pytest.mark.parametrize("status", ["uploaded", "processing", "ready", "failed"])
def test_every_other_episode_is_unpublished_with_its_series(status: str) -> None:
    assert held_from_unpublish(episode(status, published=True)) is None
