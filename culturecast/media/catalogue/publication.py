"""Publishing a series with its episodes in one step (发布全部), pure: which episodes follow
the series, and why the others do not.

``POST /api/v1/series/{id}/publish`` publishes the series and every episode that is
``ready``; the rest are reported, each with its reason in both languages, and left as they
were:

- a *failed* episode never becomes public (the single-publish rule, 409 ``resource_failed``);
- an episode still *uploaded* or *processing* is not published yet: the manager publishes the
  series again once it is ready (publishing a processing item alone means "public once
  ready", which a batch should not decide for dozens of episodes at once);
- a *replay* (``live_event_id``) is published exactly while its live event is public
  (``replay_follows_event``), so a series neither publishes nor unpublishes it.

``…/unpublish`` takes the series and every published episode off the site, replays apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from culturecast.core.errors import Sentence, has_cjk
from culturecast.media.catalogue.lifecycle import ResourceStatus


@dataclass(frozen=True, slots=True)
class Held:
    """Why an episode does not follow its series' publish or unpublish."""

    code: str
    """``resource_failed``, ``resource_processing`` or ``replay_follows_event``."""
    sentence: Sentence
    """The reason with the episode's own facts (its failure, its progress)."""

    def view(self) -> dict[str, str]:
        """What the API shows: ``code``, ``zh``, ``en`` and ``message`` (both)."""
        return {
            "code": self.code,
            "zh": self.sentence.zh,
            "en": self.sentence.en,
            "message": str(self.sentence),
        }


def _failed(doc: Mapping[str, Any]) -> Held:
    failure = doc.get("failure") or {}
    code = str(failure.get("code") or "")
    zh_detail = str(failure.get("message_zh") or "").strip().rstrip("。.") or code
    en_detail = str(failure.get("message") or "").strip().rstrip(".")
    if not en_detail or has_cjk(en_detail):
        en_detail = code  # the English sentence carries no Chinese characters
    zh = f"处理失败（{zh_detail or '原因不明'}），未发布；请重新处理或重新上传。"
    en = (
        f"Not published: its processing failed ({en_detail or 'no reason given'}); retry its "
        "processing or upload it again."
    )
    return Held("resource_failed", Sentence(zh, en))


def _processing(doc: Mapping[str, Any]) -> Held:
    if doc.get("status") == ResourceStatus.UPLOADED:
        return Held(
            "resource_processing",
            Sentence(
                "已上传，正在排队处理，处理完成后请再发布一次。",
                "Uploaded and waiting for processing; publish the series again once it is ready.",
            ),
        )
    percent = int(doc.get("progress") or 0)
    return Held(
        "resource_processing",
        Sentence(
            f"仍在处理中（{percent}%），处理完成后请再发布一次。",
            f"Still processing ({percent}%); publish the series again once it is ready.",
        ),
    )


def _replay() -> Held:
    return Held(
        "replay_follows_event",
        Sentence(
            "这是直播回看，随直播一起发布或撤下，请发布或撤下直播本身。",
            "This is a replay: it follows its live event; publish or unpublish the event instead.",
        ),
    )


def held_from_publish(doc: Mapping[str, Any]) -> Held | None:
    """Why ``doc`` stays unpublished when its series is published; None: it is published
    (or already was)."""
    if doc.get("live_event_id"):
        return None if doc.get("published") else _replay()
    status = doc.get("status")
    if status == ResourceStatus.READY:
        return None
    if status == ResourceStatus.FAILED:
        return _failed(doc)
    return _processing(doc)


def held_from_unpublish(doc: Mapping[str, Any]) -> Held | None:
    """Why ``doc`` stays published when its series is unpublished; None: it is unpublished
    (or already was)."""
    if doc.get("live_event_id") and doc.get("published"):
        return _replay()
    return None
