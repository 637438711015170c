"""Token features for grouping: content stems, capitalised names, numbers, a title line."""
from __future__ import annotations

import re

from digest.analyze.similarity import STOPWORDS, stem, words

# A run of capitalised words ("Lindsay Lohan", "Betty Ford Center", "IBF"), possessive allowed.
_CAPS = re.compile(r"[A-Z][\w&.'’-]*(?:[ \t]+[A-Z][\w&.'’-]*)*")
# Numbers with what is glued to them: "6.1", "52-3", "MS08-078", "90-day", "2013".
_NUMBER = re.compile(r"\b\w*\d[\w.,:/-]*")
_DIGIT = re.compile(r"\d")
_TRAIL = ".,:;/-'’"
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3})")


def entities(text: str, memo: dict[str, list[str]] | None = None) -> list[str]:
    """Return lower-cased capitalised words and multi-word names of `text`, stopwords dropped.

    `memo` caches the tokens of each capitalised run across calls.
    """
    memo = {} if memo is None else memo
    out: list[str] = []
    for run in _CAPS.findall(text):
        tokens = memo.get(run)
        if tokens is None:
            tokens = memo[run] = _run_tokens(run)
        out.extend(tokens)
    return out


def _run_tokens(run: str) -> list[str]:
    """Return the tokens one capitalised run adds: its words, then the whole name if several."""
    parts = [w.strip(_TRAIL) for w in run.split()]
    parts = [_base(w) for w in parts if w and w.lower() not in STOPWORDS]
    return parts + [" ".join(parts)] if len(parts) > 1 else parts


def _base(word: str) -> str:
    """Return `word` lower-cased without a possessive ending."""
    w = word.lower()
    return w[:-2] if w.endswith(("'s", "’s")) else w


def numbers(text: str) -> list[str]:
    """Return the number-like tokens of `text` ("6.1", "52-3", "2013"), thousands commas removed."""
    out = []
    for token in _number_tokens(text):
        token = token.strip(_TRAIL).lower()
        if "," in token:
            token = _THOUSANDS.sub("", token)
        if token:
            out.append(token)
    return out


def _number_tokens(text: str) -> list[str]:
    """Return _NUMBER.findall(text), four times faster: the pattern is tried only on the
    whitespace-delimited pieces that hold a digit (no match crosses whitespace, and a
    piece's ends are word boundaries exactly as in the whole text)."""
    found: list[str] = []
    end, n = 0, len(text)
    for m in _DIGIT.finditer(text):
        i = m.start()
        if i < end:
            continue  # in the piece just done
        start = i
        while start > end and not text[start - 1].isspace():
            start -= 1
        end = i + 1
        while end < n and not text[end].isspace():
            end += 1
        found += _NUMBER.findall(text[start:end])
    return found


def title_line(title: str, text: str) -> str:
    """Return the title, else the first line of the text (often a headline)."""
    if title.strip():
        return title.strip()
    return text.strip().split("\n", 1)[0] if text.strip() else ""


def word_stems(text: str, memo: dict[str, str] | None = None) -> list[str]:
    """Return the content stems of `text` (stopwords removed); `memo` caches stems across calls."""
    memo = {} if memo is None else memo
    content = [w for w in words(text) if w not in STOPWORDS]
    for w in set(content).difference(memo):
        memo[w] = stem(w)
    return [memo[w] for w in content]
