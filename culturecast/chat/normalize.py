"""Normalise comment text before it is checked, stored and shown.

Text is stored and shown *as typed*: Chinese full-width punctuation ("唱得真好！",
"文明发言，共享精彩！") is part of what a person wrote. Only matching (the word
filter, link detection, the duplicate rule) reads the compatibility-folded form,
:func:`matching_form` (NFKC: ``ｅｘａｍｐｌｅ．ｃｏｍ`` → ``example.com``).

What normalisation does, in order, repeated until nothing changes:

1. Unicode NFC: canonically equivalent spellings (``e`` + combining acute, ``é``)
   become one, and nothing visible changes.
2. Control characters (Cc), format characters (Cf: zero-width space/joiners,
   BOM, bidi embeddings/overrides/isolates, Unicode tags) and lone surrogates
   (Cs) are removed: they are invisible, so they only serve to hide words from
   the filter or to flip the direction of everyone else's screen. Tab, newline
   and the other whitespace controls become spaces instead. (A cost accepted:
   emoji ZWJ sequences such as 👨‍👩‍👧 fall apart into their parts.)
3. Every run of whitespace becomes one space; leading and trailing spaces go.

Removing a character can bring a base letter next to a combining mark that NFKC
would compose (NFC), so the steps repeat until a fixed point; ``normalize`` is
therefore idempotent (a property test checks it).

Length is counted in code points *after* normalisation (:func:`text_length`).
That is what a person perceives for Chinese, Latin and digits, and for text
with combining marks or emoji modifiers it counts more than a person sees,
never less, so the stored size of a 200-character comment is strictly bounded
(grapheme clusters would let one "character" carry thousands of stacked marks).
"""

from __future__ import annotations

import unicodedata
from typing import Final

MAX_LENGTH: Final = 200
"""Default maximum comment length, in code points after normalisation."""

_REMOVED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs"})
_MAX_PASSES: Final = 8


def _strip_invisible(text: str) -> str:
    out: list[str] = []
    for ch in text:
        if ch.isspace():
            # Whitespace controls (\t, \n, \r, \x1c-\x1f, \x85) read as a space.
            out.append(" ")
        elif unicodedata.category(ch) not in _REMOVED_CATEGORIES:
            out.append(ch)
    return "".join(out)


def _one_pass(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _strip_invisible(text)
    return " ".join(text.split())


def normalize(text: str) -> str:
    """The stored form of a comment: NFC, invisible characters removed, spaces collapsed."""
    for _ in range(_MAX_PASSES):
        again = _one_pass(text)
        if again == text:
            return again
        text = again
    # Not reached for any input we know of: each pass after the first can only
    # remove characters or compose marks. Bounded anyway so no input can spin.
    return text


def matching_form(text: str) -> str:
    """``normalize(text)`` compatibility-folded (NFKC), for matching only, never shown.

    Full-width letters, digits and punctuation read as ASCII here, so
    ``ｅｘａｍｐｌｅ．ｃｏｍ`` is a link and "好！" repeats "好!".
    """
    return normalize(unicodedata.normalize("NFKC", normalize(text)))


def text_length(normalized: str) -> int:
    """Length of normalised text as the length rule counts it: code points."""
    return len(normalized)
