"""What a source did, as staff read it on the event."""

from __future__ import annotations

from culturecast.core.errors import Sentence
from culturecast.live.sources import status


def test_skips_are_kept_latest_first_bounded_and_shown_in_both_languages() -> None:
    s = status.SourceStatus()
    for n in range(status.MAX_SKIPS + 5):
        s.skip(n, f"r{n}", "playout_item_missing", Sentence(f"节目 r{n} 已删除", f"r{n} gone"), n)
    view = status.view(s.stored())
    assert view is not None
    assert len(view["skipped"]) == status.MAX_SKIPS
    assert view["skipped"][-1]["resource_id"] == f"r{status.MAX_SKIPS + 4}"
    assert (
        view["skipped"][-1]["message"]
        == f"节目 r{status.MAX_SKIPS + 4} 已删除 (r{status.MAX_SKIPS + 4} gone)"
    )
    assert view["error"] is None
    assert status.view(None) is None


def test_giving_up_names_the_attempts_and_the_last_reason() -> None:
    last = status.note(
        "pull_address_refused", Sentence("解析到 127.0.0.2", "resolves to 127.0.0.2"), 1
    )
    sentence = status.gave_up(3, last)
    assert "3" in sentence.zh
    assert "127.0.0.2" in sentence.zh
    assert "3 times" in sentence.en
    assert "127.0.0.2" in sentence.en
