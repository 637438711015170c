"""Shared text-similarity helpers: tokens, stems, shingles, TF-IDF cosine."""
from __future__ import annotations

import functools
import math
import re
from collections import Counter
from typing import Iterable, Mapping, Sequence

import numpy as np

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


# Vectorised cosines are summed in another order than `cosine`: they decide only when
# further than this from a threshold, and `cosine` decides the rest, so results match.
MARGIN = 1e-9


def tfidf_entries(docs: Sequence[Sequence[str]], weights: Mapping[str, float]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (doc, term id, value) of the `tfidf` vectors of `docs`, sorted by doc then term."""
    vocab: dict[str, int] = {}
    ids = [vocab.setdefault(t, len(vocab)) for tokens in docs for t in tokens]
    size = max(len(vocab), 1)
    doc = np.repeat(np.arange(len(docs), dtype=np.int64), [len(tokens) for tokens in docs])
    codes, counts = np.unique(doc * size + np.array(ids, dtype=np.int64), return_counts=True)
    d, term = codes // size, codes % size
    value = counts * np.array([weights.get(t, 1.0) for t in vocab] or [1.0])[term]
    norm = np.sqrt(np.bincount(d, value * value, minlength=len(docs)))
    return d, term, value / norm[d] if len(d) else value


# Documents x distinct terms up to which pair_products multiplies dense matrices (32 MB of
# float64): on the bench's stories (up to 8 articles, some 250 sentences and 2,500 terms)
# the products took a third of the time of listing every pair of entries that share a term.
DENSE_CELLS = 4_000_000


@functools.cache  # once per process (a forked worker inherits the limit)
def _one_blas_thread() -> object:
    """Keep this process's BLAS (numpy's matrix products) to one thread, from the first
    product on: builds run one process per core, and OpenBLAS's idle threads spin, which
    doubled the CPU time of the whole analysis beside it (threadpoolctl reaches the BLAS
    numpy loaded, whenever numpy was imported; an environment variable would be read only
    at that import)."""
    from threadpoolctl import threadpool_limits
    return threadpool_limits(1, user_api="blas")


def pair_products(doc: np.ndarray, term: np.ndarray, value: np.ndarray, n: int,
                  dense_cells: int = DENSE_CELLS) -> tuple[np.ndarray, np.ndarray]:
    """Return n x n matrices of (approximate) dot products and of shared distinct terms,
    from `tfidf_entries` (one entry per document and term)."""
    if not len(doc):
        return np.zeros((n, n)), np.zeros((n, n), dtype=np.int64)
    used, column = np.unique(term, return_inverse=True)
    if n * len(used) <= dense_cells:
        x = np.zeros((n, len(used)))
        x[doc, column] = value
        b = np.zeros((n, len(used)))
        b[doc, column] = 1.0
        _one_blas_thread()
        return x @ x.T, (b @ b.T).astype(np.int64)  # counts: exact in float64
    order = np.argsort(term, kind="stable")
    doc, term, value = doc[order], term[order], value[order]
    sizes = np.bincount(term)
    size = sizes[term]  # per entry: how many entries share its term
    start = (np.cumsum(sizes) - sizes)[term]
    left = np.repeat(np.arange(len(doc)), size)
    right = np.repeat(start, size) + np.arange(len(left)) - np.repeat(np.cumsum(size) - size, size)
    code = doc[left] * n + doc[right]
    dots = np.bincount(code, value[left] * value[right], minlength=n * n).reshape(n, n)
    shared = np.bincount(code, minlength=n * n).reshape(n, n)
    return dots, shared
