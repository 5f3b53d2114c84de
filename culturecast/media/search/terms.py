"""The search terms of a resource and the ranking of hits, without I/O.

Each searchable field (title, series title, performer and tags, and the start of the description) is
folded (case, full-width forms, spaces and punctuation dropped) and written three ways: its
characters (三国演义), its full pinyin (sanguoyanyi) and its initials (sgyy). Every suffix of
each form that starts at a character (a syllable, for pinyin) is a term, so a query matches a
field when it is a prefix of one of its terms — ``国演``, ``guoyan``, ``gyy`` all find
三国演义 — and the index answers by a prefix range on an ordered key, never scanning rows.

Ranking: title before series and performer before description; within a field an exact match
(the whole field) before a match at its start before one inside it.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final

from pypinyin import Style, lazy_pinyin

MAX_FIELD_CHARS: Final = 40
"""Characters of a field indexed (a title longer than this is found by its first 40)."""
DESCRIPTION_CHARS: Final = 30
"""Characters of the description indexed (characters only, no pinyin)."""
MAX_QUERY_CHARS: Final = 40


class Field(IntEnum):
    """Where a term comes from; higher ranks first."""

    DESCRIPTION = 1
    PERFORMER = 2
    SERIES = 3
    TITLE = 4


class Place(IntEnum):
    """How a query met a field; higher ranks first."""

    INSIDE = 1
    START = 2
    EXACT = 3


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    field: Field
    start: bool
    """The term is the whole field from its first character (a match is at the start)."""
    whole: str
    """The field's folded form the term belongs to (an exact match equals it)."""


def fold(text: str) -> str:
    """Lower case, full-width folded (NFKC), letters and digits and CJK only."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def _pinyin_forms(text: str) -> tuple[list[str], list[str]]:
    """Per character of ``text`` (already folded): its syllable and its initial (a letter or
    digit stands for itself)."""
    syllables: list[str] = []
    initials: list[str] = []
    for ch in text:
        syllable, initial = _char_pinyin(ch)
        syllables.append(syllable)
        initials.append(initial)
    return syllables, initials


@functools.lru_cache(maxsize=32_768)
def _char_pinyin(ch: str) -> tuple[str, str]:
    """One character's syllable and initial (pypinyin is slow per call and a catalogue uses a
    few thousand distinct characters, so each is looked up once)."""
    if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf":
        syllable = lazy_pinyin(ch)[0]
        initial = lazy_pinyin(ch, style=Style.FIRST_LETTER)[0]
        return fold(syllable) or ch, fold(initial)[:1] or ch
    return ch, ch


def field_terms(text: str, field: Field) -> list[Term]:
    """Every term of one field."""
    folded = fold(text)[: DESCRIPTION_CHARS if field is Field.DESCRIPTION else MAX_FIELD_CHARS]
    if not folded:
        return []
    forms = [list(folded)]
    if field is not Field.DESCRIPTION:
        forms.extend(_pinyin_forms(folded))
    out: list[Term] = []
    for parts in forms:
        whole = "".join(parts)
        for i in range(len(parts)):
            out.append(Term("".join(parts[i:]), field, i == 0, whole))
    return out


def resource_terms(doc: dict[str, Any], series_title: str | None = None) -> list[Term]:
    """The terms of a resource document (``title``, ``performer``, ``description``), with the
    title of its series; one per distinct text (the best field kept)."""
    terms: list[Term] = []
    terms += field_terms(str(doc.get("title") or ""), Field.TITLE)
    if series_title:
        terms += field_terms(series_title, Field.SERIES)
    terms += field_terms(str(doc.get("performer") or ""), Field.PERFORMER)
    for tag in doc.get("tags") or []:
        if isinstance(tag, str):
            terms += field_terms(tag, Field.PERFORMER)
    terms += field_terms(str(doc.get("description") or ""), Field.DESCRIPTION)
    best: dict[str, Term] = {}
    for term in terms:
        kept = best.get(term.text)
        if kept is None or (term.field, term.start) > (kept.field, kept.start):
            best[term.text] = term
    return list(best.values())


def query_key(q: str) -> str:
    """The folded query a prefix of terms is looked up by ('' when nothing is left)."""
    return fold(q)[:MAX_QUERY_CHARS]


def place(term_start: bool, whole: str, key: str) -> Place:
    """How a query ``key`` that is a prefix of a term met its field."""
    if term_start and whole == key:
        return Place.EXACT
    return Place.START if term_start else Place.INSIDE


def score(field: Field, where: Place) -> int:
    """Rank of a hit: the field first, then the place."""
    return int(field) * 10 + int(where)
