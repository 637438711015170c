"""Shared text-similarity helpers: tokens, stems, shingles, TF-IDF cosine."""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import Iterable, Mapping, Sequence

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it
its itself just me more most my myself no nor not now of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours yourself
yourselves said says say told according one two new mr mrs ms s t
""".split())

# Longest first so that "ations" wins over "s"; a light stand-in for Porter stemming,
# grouped by last letter so most words need one dict look-up.
_SUFFIXES = ("ational", "ations", "ation", "ments", "ment", "ness", "ings", "ing", "ied",
             "ies", "ers", "er", "est", "ed", "ly", "es", "s")
_BY_LAST = {c: tuple(x for x in _SUFFIXES if x[-1] == c) for c in {x[-1] for x in _SUFFIXES}}


def words(text: str) -> list[str]:
    """Return the lower-cased word tokens of `text`."""
    return _WORD.findall(text.lower().replace("’", "'"))


def stem(word: str) -> str:
    """Return a crude stem of `word` (suffix stripping, stems of at least three letters)."""
    if len(word) <= 3 or word[-1] not in _BY_LAST or not word.isalpha():
        return word
    for suffix in _BY_LAST[word[-1]]:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_stems(text: str) -> list[str]:
    """Return the stems of the non-stopwords of `text`."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


def shingles(text: str, size: int = 5) -> set[tuple[str, ...]]:
    """Return the set of `size`-word shingles of `text` (whitespace tokens: copies match)."""
    ws = text.lower().split()
    if len(ws) < size:
        return {tuple(ws)} if ws else set()
    return set(zip(*(ws[k:] for k in range(size))))


def containment(a: set, b: set) -> float:
    """Return |a & b| / min(|a|, |b|): near 1 when one text copies the other."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def idf(documents: Iterable[Iterable[str]]) -> dict[str, float]:
    """Return smoothed inverse document frequencies over token documents."""
    df: Counter[str] = Counter()
    n = 0
    for doc in documents:
        df.update(set(doc))
        n += 1
    return {t: math.log((1 + n) / (1 + c)) + 1.0 for t, c in df.items()}


def tfidf(tokens: Sequence[str], weights: Mapping[str, float]) -> dict[str, float]:
    """Return the L2-normalised TF-IDF vector of `tokens` as a sparse dict."""
    vec = {t: c * weights.get(t, 1.0) for t, c in Counter(tokens).items()}
    norm = math.sqrt(sum(v * v for v in vec.values()))
    return {t: v / norm for t, v in vec.items()} if norm else {}


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Return the dot product of two normalised sparse vectors."""
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())
