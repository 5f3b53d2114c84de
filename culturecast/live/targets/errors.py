"""Errors of the targets API (stable codes; sentences in zh-CN and en)."""

from __future__ import annotations

from culturecast.core.errors import Sentence
from culturecast.live.errors import LiveError


class InvalidTarget(LiveError):
    """A field of a target body is unusable; the instance code names which
    (``invalid_target_name``, ``invalid_target_url``, ``unsupported_target_scheme``,
    ``invalid_target_key``)."""

    status = 400
    code = "invalid_target"


class TargetNotFound(LiveError):
    """No such target on this event."""

    status = 404
    code = "live_target_not_found"

    def __init__(self) -> None:
        super().__init__(Sentence("转推目标不存在。", "Push target not found."))


class TooManyTargets(LiveError):
    """The event has as many targets as allowed."""

    status = 409
    code = "too_many_targets"

    def __init__(self, limit: int) -> None:
        super().__init__(
            Sentence(
                f"每场直播最多 {limit} 个转推目标，请先删除不用的目标。",
                f"An event has at most {limit} push targets: remove one you no longer use.",
            )
        )
