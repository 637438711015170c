"""Token features for grouping: content stems, capitalised names, numbers, a title line."""
from __future__ import annotations

import re

from digest.analyze.similarity import STOPWORDS, stem, words

# A run of capitalised words ("Lindsay Lohan", "Betty Ford Center", "IBF"), possessive allowed.
_CAPS = re.compile(r"[A-Z][\w&.'’-]*(?:[ \t]+[A-Z][\w&.'’-]*)*")
# Numbers with what is glued to them: "6.1", "52-3", "MS08-078", "90-day", "2013".
_NUMBER = re.compile(r"\b\w*\d[\w.,:/-]*")
_TRAIL = ".,:;/-'’"


def entities(text: str) -> list[str]:
    """Return lower-cased capitalised words and multi-word names of `text`, stopwords dropped."""
    out: list[str] = []
    for match in _CAPS.finditer(text):
        parts = [w.strip(_TRAIL) for w in match.group().split()]
        parts = [_base(w) for w in parts if w and w.lower() not in STOPWORDS]
        out.extend(parts)
        if len(parts) > 1:
            out.append(" ".join(parts))
    return out


def _base(word: str) -> str:
    """Return `word` lower-cased without a possessive ending."""
    w = word.lower()
    return w[:-2] if w.endswith(("'s", "’s")) else w


def numbers(text: str) -> list[str]:
    """Return the number-like tokens of `text` ("6.1", "52-3", "2013"), thousands commas removed."""
    out = []
    for match in _NUMBER.finditer(text):
        token = match.group().strip(_TRAIL).lower()
        out.append(re.sub(r"(?<=\d),(?=\d{3})", "", token))
    return [t for t in out if t]


def title_line(title: str, text: str) -> str:
    """Return the title, else the first line of the text (often a headline)."""
    if title.strip():
        return title.strip()
    return text.strip().split("\n", 1)[0] if text.strip() else ""


def word_stems(text: str, memo: dict[str, str] | None = None) -> list[str]:
    """Return the content stems of `text` (stopwords removed); `memo` caches stems across calls."""
    memo = {} if memo is None else memo
    out = []
    for w in words(text):
        if w not in STOPWORDS:
            if w not in memo:
                memo[w] = stem(w)
            out.append(memo[w])
    return out
