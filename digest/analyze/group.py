"""Group articles about one event into stories: TF-IDF blocks, shared neighbours, average link.

Similarity of two articles is a weighted sum of cosines over four TF-IDF blocks (content
words, capitalised names, numbers, title line), damped by the gap between publication days.
Candidates come from an inverted index over each article's highest-weighted terms, so
only articles that share a rare term are ever compared. Similarity is then mixed with
shared-nearest-neighbour overlap (Jarvis and Patrick 1973), which keeps two similar events
apart when each has its own tight group of reports, and groups are formed by average-link
clustering over the sparse graph, stopping at one fixed threshold.
"""
from __future__ import annotations

import heapq
import logging
import math
from datetime import date, datetime
from typing import NamedTuple, Sequence

import numpy as np

from digest.analyze.textfeatures import entities, numbers, title_line, word_stems
from digest.cache import Store, text_fingerprint
from digest.models import Article
from digest.parallel import map_chunks

log = logging.getLogger(__name__)

# Feature blocks and their share of the similarity (shares sum to 1: similarity is in [0, 1]).
BLOCKS: tuple[tuple[str, float], ...] = (("words", 0.4), ("names", 0.4), ("numbers", 0.1),
                                         ("title", 0.1))
THRESHOLD = 0.2  # average similarity at which two groups merge; also the neighbour floor
NEIGHBOURS = 4  # at most this many nearest neighbours (above THRESHOLD) per article
SHARED_WEIGHT = 0.5  # share of the similarity that comes from shared neighbours
KEYS = 24  # an article's highest-weighted terms that look up its candidates
COMMON = 2.0  # terms in more than COMMON * sqrt(n) articles (and > 50) look up nothing
SAME_DAYS = 2  # dated articles this many days apart count as simultaneous
HALF_LIFE_DAYS = 2.0  # beyond SAME_DAYS, similarity halves every this many days
WINDOW_DAYS = 14  # dated articles further apart are never compared
WEAK = 0.05  # weaker links are dropped before clustering (they barely move averages)

Vector = tuple[np.ndarray, np.ndarray]  # sorted term ids, weights
Edges = dict[tuple[int, int], float]  # (i, j) with i < j -> similarity


def group_articles(articles: Sequence[Article],
                   features_cache: Store | None = None) -> list[tuple[str, ...]]:
    """Return groups of article ids (each sorted, list sorted by first id); every article in
    exactly one group. `features_cache` keeps each article's feature tokens between builds."""
    by_story: dict[str, list[str]] = {}
    free = []
    for a in articles:
        if a.story:
            by_story.setdefault(a.story, []).append(a.id)
        else:
            free.append(a)
    free.sort(key=lambda a: a.id)
    groups = [tuple(sorted(ids)) for ids in by_story.values()]
    groups += [tuple(free[i].id for i in members) for members in cluster(free, features_cache)]
    return sorted(groups)


def cluster(articles: Sequence[Article], features_cache: Store | None = None) -> list[list[int]]:
    """Return clusters of indices into `articles` (each sorted ascending)."""
    if not articles:
        return []
    vectors = vectorise(_all_features(articles, features_cache))
    days = [_day_number(a.published) for a in articles]
    links = with_shared_neighbours(similarities(vectors, days), len(articles))
    edges = dict(zip(zip(links.i.tolist(), links.j.tolist()), links.s.tolist()))
    log.debug("grouping %d articles over %d candidate links", len(articles), len(edges))
    return average_link(edges, len(articles), THRESHOLD)


def features(article: Article, memo: dict[str, str] | None = None,
             runs: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """Return the tokens of each feature block of one article; `memo` and `runs` cache
    stems and name tokens across calls."""
    body = f"{article.title}\n{article.text}" if article.title.strip() else article.text
    return {"words": word_stems(body, memo), "names": entities(body, runs),
            "numbers": numbers(body),
            "title": word_stems(title_line(article.title, article.text), memo)}


_SEP = "\x1f"  # joins a block's tokens for the trip back from a worker (no token has it)


def _features_chunk(_: None, articles: Sequence[Article]) -> list[dict[str, str]]:
    """Return features() of some articles, each block's tokens joined into one string: run
    in worker processes for many articles, and one string pickles far faster than
    hundreds of small ones (vectorise takes them joined)."""
    memo: dict[str, str] = {}  # word -> stem, for this chunk only
    runs: dict[str, list[str]] = {}  # capitalised run -> name tokens, for this chunk only
    return [{k: _SEP.join(v) for k, v in features(a, memo, runs).items()} for a in articles]


def _all_features(articles: Sequence[Article], cache: Store | None) -> list[dict[str, str]]:
    """Return _features_chunk's result for every article: from `cache` for articles whose
    title and text are unchanged, made on all cores for the others. Adding one article
    to 10,000 regroups them all, and their features were 1.7 s of its 5 s."""
    fps = [text_fingerprint(a.title, a.sha256) for a in articles]
    found = [cache.get(a.id, fp) if cache is not None else None for a, fp in zip(articles, fps)]
    todo = [i for i, f in enumerate(found) if f is None]
    for i, made in zip(todo, map_chunks(_features_chunk, None, [articles[i] for i in todo],
                                        chunk=500)):
        found[i] = made
    if cache is not None:
        for a, fp, f in zip(articles, fps, found):
            cache.put(a.id, fp, f)
    return found


def vectorise(docs: Sequence[dict[str, str]]) -> list[Vector]:
    """Return one sparse vector per document: per block sublinear TF-IDF, normalised, weighted.
    Each document is its blocks' tokens joined by _SEP, as _features_chunk returns them."""
    rows, cols, vals = [], [], []
    offset = 0
    for block, share in BLOCKS:
        r, c, v, size = _block_tfidf([d[block] for d in docs])
        rows.append(r)
        cols.append(c + offset)
        vals.append(v * math.sqrt(share))
        offset += size
    row, col, val = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    order = np.lexsort((col, row))
    row, col, val = row[order], col[order], val[order]
    bounds = np.searchsorted(row, np.arange(len(docs) + 1))
    return [(col[bounds[i]:bounds[i + 1]], val[bounds[i]:bounds[i + 1]]) for i in range(len(docs))]


def _block_tfidf(joined: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Return (doc, term, weight) of L2-normalised sublinear TF-IDF, and the vocabulary size,
    for documents given as _SEP-joined tokens ("" for none). Term ids follow sorted token
    order. All tokens are split from one string and mapped with C-level loops: splitting
    each document and a per-token comprehension cost 1.5 s of a 10,000-article grouping."""
    lengths = [d.count(_SEP) + 1 if d else 0 for d in joined]
    flat = _SEP.join([d for d in joined if d]).split(_SEP) if any(lengths) else []
    vocab = {t: k for k, t in enumerate(sorted(set(flat)))}
    size = max(len(vocab), 1)
    doc = np.repeat(np.arange(len(joined), dtype=np.int64), lengths)
    term = np.fromiter(map(vocab.__getitem__, flat), dtype=np.int64, count=len(flat))
    pairs, tf = np.unique(doc * size + term, return_counts=True)
    doc, term = pairs // size, pairs % size
    df = np.bincount(term, minlength=size)
    weight = (1 + np.log(tf)) * (np.log((1 + len(joined)) / (1 + df[term])) + 1)
    norm = np.sqrt(np.bincount(doc, weight * weight, minlength=len(joined)))
    return doc, term, weight / norm[doc], size


class Links(NamedTuple):
    """Pairs of articles (i < j) and their similarity, ordered by i, then j."""

    i: np.ndarray
    j: np.ndarray
    s: np.ndarray


def similarities(vectors: Sequence[Vector], days: Sequence[int | None]) -> Links:
    """Return the similarity of every candidate pair (i < j) above 0, damped by their day gap."""
    indptr = np.cumsum([0] + [len(v[0]) for v in vectors])
    all_ids = np.concatenate([v[0] for v in vectors])
    all_vals = np.concatenate([v[1] for v in vectors])
    dense = np.zeros(int(all_ids.max()) + 1 if len(all_ids) else 0)
    day = np.array([np.nan if d is None else d for d in days], dtype=np.float64)
    firsts, seconds, values = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0)]
    for i, later in enumerate(candidates(vectors, day)):
        if not len(later):
            continue
        dense[vectors[i][0]] = vectors[i][1]
        sims = _dots(dense, later, indptr, all_ids, all_vals) * _time_factor(day[later] - day[i])
        dense[vectors[i][0]] = 0.0
        kept = sims > 0
        firsts.append(np.full(int(kept.sum()), i, dtype=np.int64))
        seconds.append(later[kept])
        values.append(sims[kept])
    return Links(np.concatenate(firsts), np.concatenate(seconds), np.concatenate(values))


def candidates(vectors: Sequence[Vector], day: np.ndarray) -> list[np.ndarray]:
    """Return for each document i the documents j > i within WINDOW_DAYS that share a key term."""
    n = len(vectors)
    keys = _keys(vectors)
    holders = _holders(vectors, keys)
    keyers: dict[int, list[int]] = {}
    for i, k in enumerate(keys):
        for t in k:
            if t in holders:
                keyers.setdefault(t, []).append(i)
    left, right = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for t, docs in keyers.items():
        held = np.array(holders[t], dtype=np.int64)
        left.append(np.repeat(np.array(docs, dtype=np.int64), len(held)))
        right.append(np.tile(held, len(docs)))
    a, b = np.concatenate(left), np.concatenate(right)
    near = ~(np.abs(day[a] - day[b]) > WINDOW_DAYS)  # nan (undated) compares False: kept
    a, b = a[near], b[near]
    codes = np.unique(np.minimum(a, b) * n + np.maximum(a, b))
    codes = codes[codes // n != codes % n]
    first, second = codes // n, codes % n
    bounds = np.searchsorted(first, np.arange(n + 1))
    return [second[bounds[i]:bounds[i + 1]] for i in range(n)]


def _keys(vectors: Sequence[Vector]) -> list[list[int]]:
    """Return each document's KEYS highest-weighted term ids (ties by id)."""
    out = []
    for ids, vals in vectors:
        order = np.lexsort((ids, -vals))[:KEYS]
        out.append(ids[order].tolist())
    return out


def _holders(vectors: Sequence[Vector], keys: Sequence[list[int]]) -> dict[int, list[int]]:
    """Return key term id -> documents that contain it, for key terms that are not too common."""
    wanted = {t for k in keys for t in k}
    holders: dict[int, list[int]] = {}
    for i, (ids, _) in enumerate(vectors):
        for t in wanted.intersection(ids.tolist()):
            holders.setdefault(t, []).append(i)
    limit = max(50, int(COMMON * math.sqrt(len(vectors))))
    return {t: docs for t, docs in holders.items() if 1 < len(docs) <= limit}


def _dots(dense: np.ndarray, rows: np.ndarray, indptr: np.ndarray, ids: np.ndarray,
          vals: np.ndarray) -> np.ndarray:
    """Return the dot product of `dense` with each of the stacked sparse `rows`."""
    starts, ends = indptr[rows], indptr[rows + 1]
    lengths = ends - starts
    offsets = np.cumsum(lengths) - lengths
    positions = np.arange(lengths.sum()) - np.repeat(offsets - starts, lengths)
    products = dense[ids[positions]] * vals[positions]
    return np.add.reduceat(products, offsets) if len(products) else np.zeros(len(rows))


def _day_number(when: date | datetime | None) -> int | None:
    """Return the proleptic day number of a publication date, or None when undated."""
    if when is None:
        return None
    return (when.date() if isinstance(when, datetime) else when).toordinal()


def _time_factor(gap: np.ndarray) -> np.ndarray:
    """Return 1 for undated or near-simultaneous pairs, halving with each HALF_LIFE_DAYS beyond."""
    late = np.nan_to_num(np.abs(gap), nan=0.0) - SAME_DAYS
    return np.where(late > 0, 0.5 ** (np.maximum(late, 0) / HALF_LIFE_DAYS), 1.0)


def with_shared_neighbours(links: Links, n: int) -> Links:
    """Return links mixed with the overlap of the two articles' neighbourhoods, weak ones
    dropped. An article's neighbourhood is itself and its NEIGHBOURS most similar articles
    above THRESHOLD (ties by index); overlap is |a & b| / min(|a|, |b|)."""
    strong = links.s >= THRESHOLD
    node = np.concatenate([links.i[strong], links.j[strong]])
    other = np.concatenate([links.j[strong], links.i[strong]])
    sim = np.concatenate([links.s[strong], links.s[strong]])
    order = np.lexsort((other, -sim, node))  # by node, most similar first, ties by index
    node, other = node[order], other[order]
    rank = np.arange(len(node)) - np.searchsorted(node, node)  # place among the node's
    top = rank < NEIGHBOURS
    hood = np.full((n, NEIGHBOURS + 1), -1, dtype=np.int64)  # -1: no one
    hood[:, 0] = np.arange(n)
    hood[node[top], rank[top] + 1] = other[top]
    size = (hood >= 0).sum(axis=1)
    a, b = hood[links.i], hood[links.j]
    shared = ((a[:, :, None] == b[:, None, :]) & (a[:, :, None] >= 0)).sum(axis=(1, 2))
    mixed = (1 - SHARED_WEIGHT) * links.s + SHARED_WEIGHT * (
        shared / np.minimum(size[links.i], size[links.j]))
    kept = mixed >= WEAK
    return Links(links.i[kept], links.j[kept], mixed[kept])


def average_link(edges: Edges, n: int, threshold: float) -> list[list[int]]:
    """Return average-link clusters of n items; missing pairs count as similarity 0."""
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    links: dict[int, dict[int, float]] = {i: {} for i in range(n)}
    for (i, j), s in edges.items():
        links[i][j] = links[j][i] = s
    heap = [(-s, i, j) for (i, j), s in edges.items() if s >= threshold]
    heapq.heapify(heap)
    fresh = n
    while heap:
        _, a, b = heapq.heappop(heap)
        if a not in members or b not in members:
            continue
        c, fresh = fresh, fresh + 1
        _merge(members, links, a, b, c)
        size = len(members[c])
        for d, total in sorted(links[c].items()):
            avg = total / (size * len(members[d]))
            if avg >= threshold:
                heapq.heappush(heap, (-avg, min(c, d), max(c, d)))
    return sorted(sorted(m) for m in members.values())


def _merge(members: dict[int, list[int]], links: dict[int, dict[int, float]],
           a: int, b: int, c: int) -> None:
    """Merge clusters a and b into a new cluster c, summing their links to every other cluster."""
    members[c] = members.pop(a) + members.pop(b)
    big, small = (a, b) if len(links[a]) >= len(links[b]) else (b, a)
    merged, other = links.pop(big), links.pop(small)
    merged.pop(small, None)
    for d, total in other.items():
        if d != big:
            merged[d] = merged.get(d, 0.0) + total
            del links[d][small]
    for d, total in merged.items():
        inbound = links[d]
        inbound.pop(big, None)
        inbound[c] = total
    links[c] = merged
