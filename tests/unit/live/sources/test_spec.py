"""The ``source`` of a new event: who may pull, and what is refused before any connection."""

from __future__ import annotations

import pytest

from culturecast.core.access import Principal, Role
from culturecast.live.errors import InvalidEvent
from culturecast.live.sources import pull
from culturecast.live.sources.spec import PullForbidden, PullRefusedError, checked_source

ADMIN = Principal("u1", "admin", Role.ORG_ADMIN, "county")
EDITOR = Principal("u2", "editor", Role.EDITOR, "county")


def public(host: str) -> list[str]:
    address = pull.literal(host)
    return [str(address)] if address is not None else ["93.184.215.14"]


def test_push_is_the_default() -> None:
    assert checked_source(EDITOR, None, resolve=public, allow=()) == {"type": "push"}


def test_editor_may_not_pull() -> None:
    with pytest.raises(PullForbidden) as caught:
        checked_source(
            EDITOR, {"type": "pull", "url": "rtmp://example.org/a/b"}, resolve=public, allow=()
        )
    assert caught.value.status == 403


def test_loopback_refused_without_allow_and_accepted_with_it() -> None:
    body = {"type": "pull", "url": "rtmp://127.0.0.1:1935/live/show"}
    with pytest.raises(PullRefusedError) as caught:
        checked_source(ADMIN, body, resolve=public, allow=())
    assert caught.value.code == "pull_address_refused"
    allow = pull.parse_allow("127.0.0.0/8")
    assert checked_source(ADMIN, body, resolve=public, allow=allow)["url"] == body["url"]


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "concat:a|b", "http://169.254.169.254/x.m3u8"]
)
def test_dangerous_urls_refused(url: str) -> None:
    with pytest.raises(PullRefusedError):
        checked_source(ADMIN, {"type": "pull", "url": url}, resolve=public, allow=())


def test_playout_list() -> None:
    got = checked_source(
        EDITOR, {"type": "playout", "items": ["a", "b"], "loop": True}, resolve=public, allow=()
    )
    assert got == {"type": "playout", "items": ["a", "b"], "loop": True}
    with pytest.raises(InvalidEvent):
        checked_source(EDITOR, {"type": "playout", "items": []}, resolve=public, allow=())
