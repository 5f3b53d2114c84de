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


ROOT = WEB.parent.parent  # culturecast/
_KEY = r"[a-z_]+(?:\.[a-z0-9_]+)+"
_PREFIX = r"[a-z_]+(?:\.[a-z0-9_]+)*\."
FAMILIES = {
    # A family of keys looked up with a suffix from data: t(`error.${code}`), t("role." ~ role).
    "category.": "a resource's category code (core/categories.py)",
    "chat.refused.": "a chat refusal's code (chat/events.py)",
    "error.": "an API error's code, or the client's own (network, unknown)",
    "level.": "an organization's level, 1 to 5",
    "live.status.": "a live event's status",
    "res_status.": "a resource's processing status",
    "role.": "a user's role",
    "targets.state.": "a push target's state (live/targets/model.py)",
    "terminal.": "a view terminal (media/views/policy.py)",
}


def _sources() -> dict[str, str]:
    """What uses the catalogue: the templates, the scripts (not vendored ones) and the page
    code in Python."""
    paths = [
        *(WEB / "templates").glob("*.html"),
        *(p for p in (WEB / "static" / "js").rglob("*.js")),
        *(p for p in WEB.glob("*.py") if p.name != "i18n.py"),
    ]
    return {str(p.relative_to(ROOT)): p.read_text() for p in paths}


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for name, text in _sources().items():
        if name.endswith(".py"):
            found = set(re.findall(rf"""["']({_KEY})["']""", text))
            keys |= {k for k in found if not k.endswith((".html", ".js"))}
        else:
            keys |= set(re.findall(rf"""\bt\(\s*["']({_KEY}|{_PREFIX})["']""", text))
    return keys


def _mentioned_keys() -> set[str]:
    """Every quoted text shaped like a key: keys also travel as arguments (a field label, a
    shelf's empty text) before a ``t()`` call shows them."""
    keys: set[str] = set()
    for text in _sources().values():
        keys |= set(re.findall(rf"""["'`]({_KEY})["'`]""", text))
    return keys


def _families() -> set[str]:
    found: set[str] = set()
    for text in _sources().values():
        found |= set(re.findall(rf"`({_PREFIX})\$\{{", text))  # `error.${code}`
        found |= set(re.findall(rf"""["']({_PREFIX})["']\s*~""", text))  # "role." ~ role
    return found


def test_every_key_the_templates_and_scripts_use_exists() -> None:
    used = _used_keys()
    assert len(used) > 80  # the scan finds the calls (a broken regex would pass vacuously)
    prefixes = {k for k in used if k.endswith(".")}  # t("role." ~ role): a family of keys
    for lang in i18n.LANGS:
        known = i18n.CATALOGUES[lang].keys()
        assert used - prefixes - known == set(), lang
        for prefix in prefixes | _families():
            assert any(k.startswith(prefix) for k in known), (lang, prefix)


def test_every_key_of_the_catalogue_is_used() -> None:
    """A key nothing shows is dead text that still has to be translated and kept true."""
    families = _families()
    assert families == set(FAMILIES)  # a new family is a decision: name where its suffix is from
    used = _mentioned_keys()
    unused = {
        key
        for key in i18n.CATALOGUES["zh-CN"]
        if key not in used and not key.startswith(tuple(families))
    }
    assert unused == set()


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
