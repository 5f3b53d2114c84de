"""The ``source`` of ``POST /api/v1/live`` (DESIGN.md § Interfaces), checked (no I/O: the
caller passes a resolver): ``{"type": "push"}`` (default), ``{"type": "pull", "url": …}``
for organization and platform admins only, ``{"type": "playout", "items": [ids], "loop"}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from culturecast.core.access import Caller, Role
from culturecast.core.errors import Forbidden, Sentence
from culturecast.live.errors import InvalidEvent
from culturecast.live.sources import pull
from culturecast.live.sources.playout import MAX_ITEMS

type Resolver = Callable[[str], Sequence[str]]


class PullForbidden(Forbidden):
    status = 403
    code = "pull_forbidden"

    def __init__(self) -> None:
        super().__init__(
            Sentence(
                "只有机构管理员可以创建拉流直播。",
                "Only organization admins may create an event that pulls a URL.",
            )
        )


class PullRefusedError(InvalidEvent):
    """The pull URL or the address it resolves to is refused (the instance code says why)."""

    def __init__(self, refused: pull.PullRefused) -> None:
        super().__init__(refused.sentence)
        self.code = refused.code


def checked_source(
    caller: Caller,
    source: Mapping[str, Any] | None,
    *,
    resolve: Resolver,
    allow: Sequence[pull.Network],
) -> dict[str, Any]:
    """The stored ``source`` of a new event, or the refusal."""
    kind = (source or {}).get("type", "push")
    if source is None or kind == "push":
        return {"type": "push"}
    if kind == "pull":
        if caller.role not in (Role.ORG_ADMIN, Role.PLATFORM_ADMIN):
            raise PullForbidden()
        try:
            parsed = pull.check_url(source.get("url", ""))
            pull.check_addresses(resolve(parsed.host), allow)
        except pull.PullRefused as refused:
            raise PullRefusedError(refused) from None
        return {"type": "pull", "url": parsed.url}
    if kind == "playout":
        items = source.get("items")
        if (
            not isinstance(items, list)
            or not 1 <= len(items) <= MAX_ITEMS
            or not all(isinstance(i, str) and 0 < len(i) <= 64 for i in items)
        ):
            raise InvalidEvent(
                Sentence(
                    f"录播列表须包含 1 到 {MAX_ITEMS} 个节目。",
                    f"A playout list holds 1 to {MAX_ITEMS} resource ids.",
                )
            )
        return {"type": "playout", "items": list(items), "loop": bool(source.get("loop"))}
    raise InvalidEvent(
        Sentence("直播来源须为 push、pull 或 playout。", "The source is push, pull or playout.")
    )
