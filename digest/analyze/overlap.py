"""What each source shares with the others: sentences also carried elsewhere, and its own."""
from __future__ import annotations

from collections import defaultdict
from typing import Sequence

from digest.analyze.sentences import split_sentences
from digest.analyze.similarity import content_stems, cosine, idf, tfidf
from digest.analyze.summarize import CITE_SHARED, CITE_SIMILARITY
from digest.models import Article, Citation, SourceCoverage

MIN_TERMS = 3  # sentences with fewer content words (labels, fragments) are not counted


def source_coverage(members: Sequence[Article]) -> tuple[SourceCoverage, ...]:
    """Return, per article, how many of its sentences another source also carries."""
    sents = [(i, s, e, content_stems(a.text[s:e]))
             for i, a in enumerate(members) for s, e in split_sentences(a.text)]
    sents = [x for x in sents if len(set(x[3])) >= MIN_TERMS]
    weights = idf(x[3] for x in sents)
    vectors = [tfidf(x[3], weights) for x in sents]
    index: dict[str, list[int]] = defaultdict(list)
    for n, x in enumerate(sents):
        for t in set(x[3]):
            index[t].append(n)
    shared = [_is_shared(n, sents, vectors, index) for n in range(len(sents))]
    out = []
    for i, a in enumerate(members):
        mine = [n for n, x in enumerate(sents) if x[0] == i]
        unique = tuple(Citation(a.id, sents[n][1], sents[n][2]) for n in mine if not shared[n])
        out.append(SourceCoverage(a.id, len(mine), len(mine) - len(unique), unique))
    return tuple(out)


def _is_shared(n: int, sents: list, vectors: list, index: dict[str, list[int]]) -> bool:
    """True when another article has a sentence close enough to sentence `n` to carry it."""
    art, terms = sents[n][0], set(sents[n][3])
    counts: dict[int, int] = defaultdict(int)
    for t in terms:
        for m in index[t]:
            if sents[m][0] != art:
                counts[m] += 1
    need = min(CITE_SHARED, len(terms))
    return any(c >= need and cosine(vectors[n], vectors[m]) >= CITE_SIMILARITY
               for m, c in counts.items())
