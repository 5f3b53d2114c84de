"""The message catalogue: complete in both languages, and every key the pages use exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from culturecast.server.web import i18n

WEB = Path(i18n.__file__).parent


def test_every_message_has_both_languages_with_the_same_placeholders() -> None:
    zh, en = i18n.CATALOGUES["zh-CN"], i18n.CATALOGUES["en"]
    assert zh.keys() == en.keys()
    for key in zh:
        assert zh[key].strip(), key
        assert en[key].strip(), key
        assert i18n.placeholders(zh[key]) == i18n.placeholders(en[key]), key


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for path in (WEB / "templates").glob("*.html"):
        keys |= set(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", path.read_text()))
    for path in (WEB / "static" / "js").rglob("*.js"):
        keys |= set(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", path.read_text()))
    return keys


def test_every_key_the_templates_and_scripts_use_exists() -> None:
    used = _used_keys()
    assert len(used) > 80  # the scan finds the calls (a broken regex would pass vacuously)
    known = i18n.CATALOGUES["en"].keys()
    prefixes = {k for k in used if k.endswith(".")}  # t("role." ~ role): a family of keys
    assert used - prefixes - known == set()
    for prefix in prefixes:
        assert any(k.startswith(prefix) for k in known), prefix


def test_category_labels_exist() -> None:
    for _code, key in i18n.CATEGORIES:
        assert key in i18n.CATALOGUES["zh-CN"]


@pytest.mark.parametrize(
    ("query", "cookie", "expected"),
    [
        (None, None, "zh-CN"),
        ("en", None, "en"),
        ("EN-us", None, "en"),
        ("zh", "en", "zh-CN"),
        (None, "en", "en"),
        ("klingon", "en", "en"),
        ("klingon", None, "zh-CN"),
        ("", "zh-CN", "zh-CN"),
    ],
)
def test_query_beats_cookie_beats_chinese(
    query: str | None, cookie: str | None, expected: str
) -> None:
    assert i18n.choose_lang(query, cookie) == expected


def test_translate_fills_placeholders_and_refuses_unknown_keys() -> None:
    assert i18n.translate("zh-CN", "chat.viewers", n=12) == "12人在看"
    assert i18n.translate("en", "chat.viewers", n=12) == "12 watching"
    with pytest.raises(KeyError):
        i18n.translate("en", "no.such.key")
