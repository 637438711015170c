"""What each source shares with the others: sentences also carried elsewhere, and its own."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from digest.analyze.prepare import Prepared
from digest.analyze.similarity import (MARGIN, STOPWORDS, cosine, idf, pair_products, tfidf,
                                       tfidf_entries)
from digest.analyze.summarize import CITE_SHARED, CITE_SIMILARITY
from digest.models import Article, Citation, SourceCoverage

MIN_TERMS = 3  # sentences with fewer content words (labels, fragments) are not counted
MAX_SENTENCES = 300  # per article: all pairs are scored at once, so this bounds the memory


def source_coverage(members: Sequence[Article],
                    prepared: Prepared | None = None) -> tuple[SourceCoverage, ...]:
    """Return, per article, how many of its sentences another source also carries
    (of its first MAX_SENTENCES with enough content words)."""
    prepared = Prepared() if prepared is None else prepared
    stem, stems = prepared.lexicon.stem, prepared.lexicon.stems
    sents = [(i, s, e, [stems[w] if w in stems else stem(w)
                        for w in prepared.words(a.text, s, e) if w not in STOPWORDS])
             for i, a in enumerate(members)
             for s, e in prepared.sentences(a.text)[:MAX_SENTENCES]]
    sents = [x for x in sents if len(set(x[3])) >= MIN_TERMS]
    shared = _shared(sents, idf(x[3] for x in sents))
    out = []
    for i, a in enumerate(members):
        mine = [n for n, x in enumerate(sents) if x[0] == i]
        unique = tuple(Citation(a.id, sents[n][1], sents[n][2]) for n in mine if not shared[n])
        out.append(SourceCoverage(a.id, len(mine), len(mine) - len(unique), unique))
    return tuple(out)


def _shared(sents: list, weights: dict[str, float]) -> list[bool]:
    """Return, per sentence, whether another article has a sentence close enough to carry it.

    A sentence is carried by one that shares min(CITE_SHARED, its terms) distinct terms and
    whose TF-IDF cosine reaches CITE_SIMILARITY; all pairs are scored at once, and `cosine`
    settles the pairs within MARGIN of the threshold.
    """
    n = len(sents)
    doc, term, value = tfidf_entries([x[3] for x in sents], weights)
    dots, counts = pair_products(doc, term, value, n)
    article = np.array([x[0] for x in sents], dtype=np.int64)
    need = np.minimum(CITE_SHARED, np.bincount(doc, minlength=n))
    candidate = (counts >= need[:, None]) & (article[:, None] != article[None, :])
    shared = (candidate & (dots >= CITE_SIMILARITY + MARGIN)).any(axis=1)
    close = candidate & (np.abs(dots - CITE_SIMILARITY) < MARGIN) & ~shared[:, None]
    vectors: dict[int, dict[str, float]] = {}
    for i, j in zip(*np.nonzero(close)):
        if not shared[i] and cosine(_vector(i, sents, weights, vectors),
                                    _vector(j, sents, weights, vectors)) >= CITE_SIMILARITY:
            shared[i] = True
    return shared.tolist()


def _vector(i: int, sents: list, weights: dict[str, float],
            memo: dict[int, dict[str, float]]) -> dict[str, float]:
    """Return the TF-IDF vector of sentence `i`, memoised in `memo`."""
    if i not in memo:
        memo[i] = tfidf(sents[i][3], weights)
    return memo[i]
