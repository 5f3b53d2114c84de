"""Every sentence a person reads in English is English only, and in Chinese is Chinese: the
pages' catalogue, the chat's refusals, the categories and the API's fixed sentences."""

from __future__ import annotations

import pytest

from culturecast.chat.events import REFUSAL_MESSAGES
from culturecast.core.categories import LABELS
from culturecast.core.errors import Sentence, has_cjk
from culturecast.media.views.errors import LoginRequired, RateLimited, UnknownItem, UnknownSession
from culturecast.media.views.items import UNAVAILABLE_MESSAGES
from culturecast.server.web import i18n

LANGUAGE_SWITCH = {"lang.other", "lang.other_label"}
"""The switch names the other language in that language (中文 on the English page)."""


def test_the_page_catalogue_keeps_each_language_to_itself() -> None:
    zh, en = i18n.CATALOGUES["zh-CN"], i18n.CATALOGUES["en"]
    for key in zh.keys() - LANGUAGE_SWITCH:
        assert not has_cjk(en[key]), (key, en[key])
        # A zh-CN entry without Chinese is a name or a format shared by both (CultureCast, kbps).
        assert has_cjk(zh[key]) or zh[key] == en[key], (key, zh[key])


def test_chat_refusals_and_categories_keep_each_language_to_itself() -> None:
    for code, sentence in REFUSAL_MESSAGES.items():
        assert has_cjk(sentence.zh), code
        assert not has_cjk(sentence.en), code
    for zh, en in LABELS.values():
        assert has_cjk(zh), zh
        assert not has_cjk(en), en


@pytest.mark.parametrize(
    "error",
    [
        UnknownItem("live"),
        UnknownItem("resource"),
        UnknownItem(),
        UnknownSession(),
        LoginRequired(),
        RateLimited(),
    ],
)
def test_playback_errors_keep_each_language_to_itself(error: UnknownItem) -> None:
    assert not has_cjk(error.message_in("en"))
    assert has_cjk(error.message_in("zh-CN"))
    assert error.message_in(None) == f"{error.message_in('zh-CN')} ({error.message_in('en')})"


def test_not_playable_reasons_keep_each_language_to_itself() -> None:
    for reason, sentence in UNAVAILABLE_MESSAGES.items():
        assert isinstance(sentence, Sentence)
        assert has_cjk(sentence.zh), reason
        assert not has_cjk(sentence.en), reason
