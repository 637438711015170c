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
from bisect import bisect_left
from collections import Counter
from datetime import date, datetime
from itertools import compress
from typing import Mapping, NamedTuple, Sequence

import numpy as np

from digest.analyze.textfeatures import entities, numbers, title_line, word_stems
from digest.cache import Store, text_fingerprint
from digest.models import Article
from digest.parallel import map_chunks, workers

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

Edges = dict[tuple[int, int], float]  # (i, j) with i < j -> similarity


def group_articles(articles: Sequence[Article],
                   features_cache: Store | None = None) -> list[tuple[str, ...]]:
    """Return groups of article ids (each sorted, list sorted by first id); every article in
    exactly one group. `features_cache` keeps what the last grouping was made from (cluster)."""
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
    """Return clusters of indices into `articles` (each sorted ascending).

    With `features_cache`, what the similarities were made from is kept there (Grouping),
    and the next call takes from it what the articles' edits left as it was:
    - the tokens of every article whose title, text and date are unchanged (only the others
      are split into tokens again: that took 1.7 s of adding one article to 10,000);
    - for the same articles in the same order, the similarity of every pair whose
      weights no edit moved (_links_since), and the clusters of every part of the graph
      that no changed link touches (_clusters_since). An added or removed article
      changes every weight (inverse document frequencies count the articles): then all
      pairs are compared again and all parts clustered again."""
    if not articles:
        return []
    fps = [a.grouping_key for a in articles]  # kept on the article: not hashed again
    days = [_day_number(a.published) for a in articles]
    ids = tuple(a.id for a in articles)
    kept = features_cache.latest(GROUPING) if features_cache is not None else None
    before = _sized(kept, compact=False) if isinstance(kept, Grouping) else None
    source = _same_rows(before, fps, ids) if before is not None else None
    docs = _features_of(articles, source)
    moved = None  # the articles whose weights changed, when the articles are as before
    if before is not None and before.ids == ids:
        terms, links, moved, keys = _links_since(before, docs, source, days)
    else:
        if before is None:
            terms = {block: _terms([d[block] for d in docs]) for block, _ in BLOCKS}
        else:
            terms = {block: _terms_since(before.terms[block], _block_of(docs, block), source)[0]
                     for block, _ in BLOCKS}
        matrix = _matrix(terms, len(docs))
        keys = key_places(matrix)
        links = similarities(matrix, days, keys=keys)
    mixed, hood = _shared_neighbours(links, len(articles))
    log.debug("grouping %d articles over %d candidate links", len(articles), len(mixed.i))
    if moved is None:
        clusters, part = _average_link_parts(_edges(mixed), len(articles), THRESHOLD)
        parts = np.array(part, dtype=np.int64)
    else:
        clusters, parts = _clusters_since(before, moved, mixed, hood)
    if features_cache is not None:
        # named by what it is made from: a new one is written only when that changed
        made_from = text_fingerprint(GROUPING_FORMAT, *ids, *fps, *map(str, days))
        features_cache.put(GROUPING, made_from, _sized(Grouping(
            ids, fps, days, terms, links, hood, _labels(clusters, len(articles)), parts, keys),
            compact=True))
    return clusters


def _edges(links: Links) -> Edges:
    """Return links as the Edges that average_link takes."""
    return dict(zip(zip(links.i.tolist(), links.j.tolist()), links.s.tolist()))


def _labels(clusters: Sequence[Sequence[int]], n: int) -> np.ndarray:
    """Return, for each of n items, the first item of its cluster."""
    labels = np.empty(n, dtype=np.int64)
    for members in clusters:
        labels[members] = members[0]
    return labels


def _clusters_since(before: Grouping, moved: np.ndarray, mixed: Links, hood: np.ndarray,
                    ) -> tuple[list[list[int]], np.ndarray]:
    """Return average_link's clusters of the same articles as `before` over their links
    with shared neighbours (`mixed`, neighbourhoods `hood`), where only the `moved`
    articles' similarities were made anew (_links_since), and each article's part: the
    same as all anew, clustering again only the parts an edit can have changed.

    A part is a set of articles that links of THRESHOLD or more connect; average_link
    clusters each alone, from the links inside it. A mixed link is made from a similarity
    and its ends' neighbourhoods, so it can differ from before only when an end is
    `changed` (moved or with another neighbourhood). Take a part now that holds no changed
    article and no article of a part before that held one: a changed link of one of its
    articles goes to a changed article, which is in another part now and was in another
    part before, so the link is weak and counts in neither clustering; its links inside
    are unchanged, so it was a part before too, with the clusters it had then. Only the
    other parts are clustered again: the parts before of the changed articles, and the
    parts now of all those articles (their links at THRESHOLD or more, followed).
    (Widening instead to every article linked to a changed one, at any similarity, took
    in 4,000 of 10,000 articles after a title edit: candidate links are dense.)
    With the present constants an article whose neighbourhood changed is in those parts
    already: a moved neighbour m entered or left it, and while m is in an article's
    neighbourhood their mixed link is at least (1 - SHARED_WEIGHT) * THRESHOLD +
    SHARED_WEIGHT / (NEIGHBOURS + 1), which is THRESHOLD (both hold m). So no test fails
    without that widening; it stays so that the argument holds for any constants."""
    changed = moved | (hood != before.hood).any(axis=1)
    held = np.zeros(len(moved), dtype=bool)
    held[before.parts[changed]] = True
    region = held[before.parts]  # the articles of the parts before of the changed ones
    strong = mixed.s >= THRESHOLD
    a, b = mixed.i[strong], mixed.j[strong]
    while True:  # grown to whole parts now
        reach = region[a] != region[b]
        if not reach.any():
            break
        region[a[reach]] = True
        region[b[reach]] = True
    kept: dict[int, list[int]] = {}
    for item, label in zip(np.flatnonzero(~region).tolist(), before.labels[~region].tolist()):
        kept.setdefault(label, []).append(item)
    # the region's articles renumbered in order: the same merges, ties and clusters
    nodes = np.flatnonzero(region)
    inside = region[mixed.i] & region[mixed.j]
    local = Links(np.searchsorted(nodes, mixed.i[inside]), np.searchsorted(nodes, mixed.j[inside]),
                  mixed.s[inside])
    made, part = _average_link_parts(_edges(local), len(nodes), THRESHOLD)
    parts = before.parts.copy()  # a part kept is the same part, with the same least article
    parts[nodes] = nodes[np.array(part, dtype=np.int64)]
    return sorted([*kept.values(), *(nodes[m].tolist() for m in made)]), parts


def features(article: Article, memo: dict[str, str] | None = None,
             runs: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """Return the tokens of each feature block of one article; `memo` and `runs` cache
    stems and name tokens across calls."""
    body = f"{article.title}\n{article.text}" if article.title.strip() else article.text
    return {"words": word_stems(body, memo), "names": entities(body, runs),
            "numbers": numbers(body),
            "title": word_stems(title_line(article.title, article.text), memo)}


_SEP = "\x1f"  # joins a block's tokens for the trip back from a worker (no token has it)

# A block of one article: its distinct tokens in sorted order joined by _SEP ("" for none),
# and how often each occurs (uint32 bytes).
Block = tuple[str, bytes]


def _features_chunk(_: None, articles: Sequence[Article]) -> list[dict[str, Block]]:
    """Return features() of some articles, each block as its distinct tokens and their
    counts: run in worker processes for many articles. One joined string pickles far
    faster than hundreds of small ones, and counting here spares _terms and _terms_since
    (which run on every regrouping, in one process) a pass over every token: a 10,000-article
    corpus has 3.9 million content-word tokens, 0.47 million distinct per article."""
    memo: dict[str, str] = {}  # word -> stem, for this chunk only
    runs: dict[str, list[str]] = {}  # capitalised run -> name tokens, for this chunk only
    return [{k: _counted(v) for k, v in features(a, memo, runs).items()} for a in articles]


def _counted(tokens: list[str]) -> Block:
    """Return `tokens` as a Block. An empty token is dropped: joined alone it would be an
    empty block with one count, and vectorise would take the next block's tokens for it."""
    counts = Counter(tokens)
    counts.pop("", None)
    distinct = sorted(counts)
    return _SEP.join(distinct), np.array([counts[t] for t in distinct], dtype=np.uint32).tobytes()


def _features_of(articles: Sequence[Article], source: np.ndarray | None,
                 ) -> list[dict[str, Block] | None]:
    """Return _features_chunk's result for every article whose `source` is -1 (all when
    `source` is None), None for the others; made on all cores when many."""
    todo = list(range(len(articles))) if source is None else np.flatnonzero(source < 0).tolist()
    found: list[dict[str, Block] | None] = [None] * len(articles)
    for i, made in zip(todo, map_chunks(_features_chunk, None, [articles[i] for i in todo],
                                        chunk=500)):
        found[i] = made
    return found


def _within(lengths: np.ndarray) -> np.ndarray:
    """Return, for runs of the given lengths laid end to end, each entry's place in its run."""
    return np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)


def _block_of(docs: Sequence[dict[str, Block] | None], block: str) -> list[Block | None]:
    """Return one block of each document (None where the document is None)."""
    return [None if d is None else d[block] for d in docs]


class Matrix(NamedTuple):
    """Sparse rows, one per document: row r holds term ids ids[indptr[r]:indptr[r + 1]]
    (ascending) with weights vals[indptr[r]:indptr[r + 1]]."""

    indptr: np.ndarray
    ids: np.ndarray
    vals: np.ndarray

    @property
    def rows(self) -> np.ndarray:
        """The row of each stored entry."""
        return np.repeat(np.arange(len(self.indptr) - 1), np.diff(self.indptr))


def vectorise(docs: Sequence[dict[str, Block]]) -> Matrix:
    """Return one sparse row per document: per block sublinear TF-IDF, normalised, weighted.
    Each document is its blocks as _features_chunk returns them."""
    return _matrix({block: _terms([d[block] for d in docs]) for block, _ in BLOCKS}, len(docs))


class Terms(NamedTuple):
    """One block's tokens over all documents: the vocabulary (every token, sorted), and
    for document r its `lengths[r]` distinct tokens, as ids into the vocabulary (ascending),
    with how often each occurs, at the document's place in `term` and `tf`."""

    vocab: list[str]
    lengths: np.ndarray
    term: np.ndarray
    tf: np.ndarray


def _terms(blocks: Sequence[Block]) -> Terms:
    """Return the Terms of one block of each document. All tokens are split from one string
    and mapped with C-level loops: splitting each document and a per-token comprehension
    cost 1.5 s of a 10,000-article grouping."""
    lengths = np.array([len(counts) // 4 for _, counts in blocks], dtype=np.int64)
    flat = _SEP.join([d for d, _ in blocks if d]).split(_SEP) if lengths.any() else []
    vocab = sorted(set(flat))
    index = {t: k for k, t in enumerate(vocab)}
    term = np.fromiter(map(index.__getitem__, flat), dtype=np.int64, count=len(flat))
    tf = np.frombuffer(b"".join([counts for _, counts in blocks]), dtype=np.uint32)
    return Terms(vocab, lengths, term, tf)


def _matrix(terms: Mapping[str, Terms], n: int) -> Matrix:
    """Return the Matrix of n documents from the Terms of each block (vectorise). Each
    block is ordered by row then column, and each block's columns follow the last one's:
    so a row holds its entries of each block in turn, and each entry's place is known
    without sorting (a stable sort of all entries by row took 0.04 s at 10,000 articles)."""
    lengths = [terms[block].lengths for block, _ in BLOCKS]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(sum(lengths), out=indptr[1:])
    col = np.empty(int(indptr[-1]), dtype=np.int64)
    val = np.empty(int(indptr[-1]), dtype=np.float64)
    before = indptr[:-1].copy()  # where each row's entries of the next block go
    offset = 0
    for (block, share), length in zip(BLOCKS, lengths):
        r, c, v, size = _block_tfidf(terms[block], n)
        at = before[r] + _within(length)
        col[at] = c + offset
        val[at] = v * math.sqrt(share)
        before += length
        offset += size
    return Matrix(indptr, col, val)


def _block_tfidf(terms: Terms, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Return (doc, term, weight) of L2-normalised sublinear TF-IDF over n documents,
    ordered by doc then term, and the vocabulary size. Term ids follow sorted token order,
    so each document's sorted distinct tokens are already in term order."""
    size = max(len(terms.vocab), 1)
    doc = np.repeat(np.arange(n, dtype=np.int64), terms.lengths)
    df = np.bincount(terms.term, minlength=size)
    idf = np.log((1 + n) / (1 + df)) + 1  # per term, not per entry: the same values
    weight = (1 + np.log(terms.tf)) * idf[terms.term]
    norm = np.sqrt(np.bincount(doc, weight * weight, minlength=n))
    return doc, terms.term, weight / norm[doc], size


GROUPING = "@grouping"  # key of the Grouping in the features cache (no article id has "@")
GROUPING_FORMAT = "grouping-3"  # part of its fingerprint


class Grouping(NamedTuple):
    """What cluster() made its similarities from, kept in the features cache."""

    ids: tuple[str, ...]  # the articles, in order
    fps: list[str]  # each one's grouping_key (its id, story key, date, title and text)
    days: list[int | None]
    terms: dict[str, Terms]  # by block
    links: Links  # the similarities, before shared neighbours
    hood: np.ndarray  # each article's neighbourhood (_shared_neighbours)
    labels: np.ndarray  # the first article of each article's cluster
    parts: np.ndarray  # the first article of each article's part (_parts)
    keys: np.ndarray | None = None  # each article's key terms (key_places)


def _sized(grouping: Grouping, compact: bool) -> Grouping:
    """Return the Grouping in the types to work with (`compact` False: int64 ids, lengths,
    link ends, neighbourhoods, labels, parts and keys, as link codes i * n + j do not fit
    32 bits; uint32 counts), or in those the cache keeps, written at each regrouping: int32,
    and the smallest unsigned type that holds them for term ids, counts and link ends
    (the Grouping of 10,000 articles: 19.5 MB in int64 and uint32, 14.1 MB in int32, 8.6 MB
    so, which is saved in 23 ms instead of 41)."""
    n = len(grouping.ids)

    def index(a: np.ndarray, size: int) -> np.ndarray:  # values in [0, size)
        return a.astype(np.int64 if not compact else np.uint16 if size <= 1 << 16 else np.int32)

    def signed(a: np.ndarray) -> np.ndarray:
        return a.astype(np.int32 if compact else np.int64)

    def counts(a: np.ndarray) -> np.ndarray:
        top = int(a.max()) if len(a) else 0
        return a.astype(np.uint32 if not compact or top >= 1 << 16 else
                        np.uint16 if top >= 1 << 8 else np.uint8)
    terms = {block: t._replace(lengths=signed(t.lengths), term=index(t.term, len(t.vocab)),
                               tf=counts(t.tf))
             for block, t in grouping.terms.items()}
    links = grouping.links._replace(i=index(grouping.links.i, n), j=index(grouping.links.j, n))
    keys = None if grouping.keys is None else signed(grouping.keys)
    return grouping._replace(terms=terms, links=links, hood=signed(grouping.hood),
                             labels=signed(grouping.labels), parts=signed(grouping.parts),
                             keys=keys)


def _same_rows(before: Grouping, fps: Sequence[str], ids: Sequence[str]) -> np.ndarray:
    """Return, for each article, its row in `before` if that holds it with the same
    grouping_key (title, text and date), else -1."""
    if tuple(ids) == before.ids:  # the same articles in the same order (edits only): each
        rows = np.arange(len(ids), dtype=np.int64)  # is in its own row, if its key is too
        rows[[r for r, (fp, was) in enumerate(zip(fps, before.fps)) if fp != was]] = -1
        return rows
    row = {(i, fp): r for r, (i, fp) in enumerate(zip(before.ids, before.fps))}
    return np.fromiter((row.get(key, -1) for key in zip(ids, fps)), dtype=np.int64,
                       count=len(ids))


def _links_since(before: Grouping, docs: Sequence[dict[str, Block] | None], source: np.ndarray,
                 days: Sequence[int | None],
                 ) -> tuple[dict[str, Terms], Links, np.ndarray, np.ndarray]:
    """Return the Terms of each block and similarities() of the same articles as `before`,
    some of them edited (`source`: _same_rows), making anew only what the edits changed
    (the same values a whole new grouping gives, bit for bit). `docs` holds the features
    of the edited articles (source -1).

    An article's weights are made from its own tokens, the number of articles and the
    document frequencies of its tokens; so they changed only for the edited articles and
    those that hold a token whose frequency changed (`moved`). Which pairs are compared
    (candidates) and their similarity (dot products of weights, damped by the day gap)
    are made from the two articles' weights, tokens and days, and from the frequency of
    the tokens they share: so pairs of two unmoved articles are as before, with the same
    similarity, and only pairs with a moved end are made again. Then which articles moved,
    and every article's key terms (key_places): an unmoved article's are its keys before,
    its weights being the same (term ids may differ, places in the row do not)."""
    n = len(docs)
    moved = np.array([a != b for a, b in zip(days, before.days)], dtype=bool) | (source < 0)
    terms = {}
    for block, _ in BLOCKS:
        terms[block], held = _terms_since(before.terms[block], _block_of(docs, block), source)
        moved |= held
    keys = before.keys
    if keys is None or keys.shape != (n, KEYS):  # kept by code with other constants
        keys, moved = None, np.ones(n, dtype=bool)
    if not moved.any():
        return terms, before.links, moved, keys
    matrix = _matrix(terms, n)
    if 2 * moved.sum() > n:  # a few edits are the case this is for: else all anew is as quick
        keys = key_places(matrix)
        return terms, similarities(matrix, days, keys=keys), moved, keys
    keys = keys.copy()
    keys[moved] = key_places(matrix, np.flatnonzero(moved))
    old = before.links
    kept = ~(moved[old.i] | moved[old.j])
    new = similarities(matrix, days, among=moved, keys=keys)
    return terms, _merged(Links(old.i[kept], old.j[kept], old.s[kept]), new, n), moved, keys


def _terms_since(old: Terms, blocks: Sequence[Block | None], source: np.ndarray,
                 ) -> tuple[Terms, np.ndarray]:
    """Return _terms(blocks) where `old` is _terms of some blocks before and `source[r]`
    the row of `old` that holds the same tokens as blocks[r] (-1: none, the tokens are
    split from blocks[r]; the others are not read; no row of `old` twice); and which
    documents hold a token whose document frequency is not what `old` gave it (meaningful
    when the documents are those of `old`).

    After an edit nearly every row is taken over, in order: its entries are copied a run
    of rows at a time, and the vocabulary is the old one, or that one with a few tokens
    in or out, looked up by bisection. (Gathering every entry through index arrays, and a
    dict and a list over each vocabulary, took 23 ms for a title edit's four blocks at
    10,000 articles; this takes 5.3 ms.)"""
    n = len(blocks)
    starts = np.concatenate([[0], np.cumsum(old.lengths)])
    taken = source >= 0
    fresh = np.flatnonzero(~taken).tolist()
    lengths = np.zeros(n, dtype=np.int64)
    lengths[taken] = old.lengths[source[taken]]
    tokens = [blocks[r][0].split(_SEP) if blocks[r][0] else [] for r in fresh]
    lengths[fresh] = [len(toks) for toks in tokens]
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    # the taken rows in runs that follow one another in `old` too: [first, last] rows
    rows = np.flatnonzero(taken)
    firsts = lasts = rows
    if len(rows):
        cut = np.flatnonzero((np.diff(rows) != 1) | (np.diff(source[rows]) != 1)) + 1
        firsts, lasts = rows[np.append(0, cut)], rows[np.append(cut, len(rows)) - 1]
    df_old = np.bincount(old.term, minlength=len(old.vocab))
    gone = np.ones(len(old.lengths), dtype=bool)  # rows of `old` no row takes over
    gone[source[taken]] = False
    out_size = old.lengths[gone]
    out_at = np.repeat(starts[:-1][gone], out_size) + _within(out_size)
    kept = df_old - np.bincount(old.term[out_at], minlength=len(old.vocab))  # held by taken
    present = kept > 0  # the old tokens still held, or held again by a fresh row
    new_tokens, places = [], []  # tokens `old` lacks, and where they go in its vocabulary
    for t in {t for toks in tokens for t in toks}:
        k = bisect_left(old.vocab, t)
        if k < len(old.vocab) and old.vocab[k] == t:
            present[k] = True
        else:
            new_tokens.append(t)
            places.append(k)
    if not new_tokens and present.all():
        vocab, remap = old.vocab, None
    else:
        vocab = sorted([*compress(old.vocab, present.tolist()), *new_tokens])
        before = np.cumsum(np.bincount(np.array(places, dtype=np.int64),
                                       minlength=len(old.vocab) + 1))[:-1]
        remap = np.where(present, np.cumsum(present) - 1 + before, -1)
    term = np.empty(int(indptr[-1]), dtype=np.int64)
    tf = np.empty(int(indptr[-1]), dtype=np.uint32)
    ids = old.term if remap is None else remap[old.term]
    for first, last in zip(firsts.tolist(), lasts.tolist()):
        lo, hi = int(starts[source[first]]), int(starts[source[last] + 1])
        term[indptr[first]:indptr[last + 1]] = ids[lo:hi]
        tf[indptr[first]:indptr[last + 1]] = old.tf[lo:hi]
    for r, toks in zip(fresh, tokens):
        term[indptr[r]:indptr[r + 1]] = [bisect_left(vocab, t) for t in toks]
        tf[indptr[r]:indptr[r + 1]] = np.frombuffer(blocks[r][1], dtype=np.uint32)
    new = Terms(vocab, lengths, term, tf)
    df = np.bincount(term, minlength=len(vocab))
    df_before = np.zeros(len(vocab), dtype=np.int64)
    if remap is None:
        df_before[:] = df_old
    else:
        known = remap >= 0
        df_before[remap[known]] = df_old[known]
    held = np.zeros(n, dtype=bool)
    held[np.repeat(np.arange(n), lengths)[(df != df_before)[term]]] = True
    return new, held


def _merged(old: Links, new: Links, n: int) -> Links:
    """Return two sets of links with no pair in common as one, ordered by i, then j."""
    old_codes = old.i * n + old.j
    at = np.searchsorted(old_codes, new.i * n + new.j) + np.arange(len(new.i))
    size = len(old.i) + len(new.i)
    taken = np.zeros(size, dtype=bool)
    taken[at] = True
    out = []
    for a, b in zip(old, new):
        merged = np.empty(size, dtype=np.result_type(a, b))
        merged[at] = b
        merged[~taken] = a
        out.append(merged)
    return Links(*out)


class Links(NamedTuple):
    """Pairs of articles (i < j) and their similarity, ordered by i, then j."""

    i: np.ndarray
    j: np.ndarray
    s: np.ndarray


DENSE_CELLS = 1 << 21  # key_places sorts this many weights (16 MB) at a time at most
# _dots scatters DOT_CELLS weights (2 MB) at a time, or DOT_ROWS rows if more: at 10,000
# articles (a vocabulary of 23,000 terms) 16 MB took 0.30 s and 2 MB 0.23 s, the block
# staying in the processor's cache while pairs gather; at 50,000 (77,000 terms) 2 MB is
# 3 rows, and the calls for each batch took 1.56 s in all, 32 rows 0.51 s
DOT_CELLS = 1 << 18
DOT_ROWS = 32
THREAD_PAIRS = 50_000  # _dots starts a thread for every this many pairs, up to the cores


def similarities(matrix: Matrix, days: Sequence[int | None],
                 among: np.ndarray | None = None, keys: np.ndarray | None = None) -> Links:
    """Return the similarity of every candidate pair (i < j) above 0, damped by their day gap;
    with `among` (a mask of rows), only of the pairs with an end among them. `keys`: the
    rows' key_places when known."""
    day = np.array([np.nan if d is None else d for d in days], dtype=np.float64)
    first, second = candidates(matrix, day, among, keys)
    sims = _dots(matrix, first, second) * _time_factor(day[second] - day[first])
    kept = sims > 0
    return Links(first[kept], second[kept], sims[kept])


def _dots(matrix: Matrix, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Return the dot product of rows first[k] and second[k] for each k (`first` ascending).

    The distinct first rows are scattered into a dense block a batch at a time, and every
    pair of the batch gathers its second row's weights from it at once: one batch of numpy
    calls per DOT_CELLS / vocabulary first rows (DOT_ROWS at least), where one per row took
    half of a 10,000-article grouping's similarities. Batches hold first rows that have
    pairs, not a range of rows: after an edit, the pairs of its few moved articles have
    first rows all over the corpus, and batches of ranges of rows made 313 batches for
    1,211 pairs (0.08 s; 38 batches of the rows that have pairs). Each pair sums its
    products in its second row's term order, whichever batch or thread it falls in. With
    many pairs the batches are shared among threads (on all cores): numpy lets go of the
    interpreter while it gathers and sums, and the 336,000 pairs of the 10,000-article bench
    took 0.17 s on two threads against 0.26 s on one.
    """
    out = np.zeros(len(first))
    if not len(first):
        return out
    width = int(matrix.ids.max()) + 1
    step = max(DOT_ROWS, DOT_CELLS // width)
    rows = first[np.append(True, first[1:] != first[:-1])]  # the distinct first rows
    bounds = np.searchsorted(first, [*rows[::step].tolist(), int(first[-1]) + 1])
    batches = len(bounds) - 1
    threads = min(workers(), 1 + len(first) // THREAD_PAIRS)
    # contiguous runs of batches, each with about as many pairs as the others
    cuts = np.searchsorted(bounds, np.linspace(0, len(first), threads + 1)[1:-1])
    runs = [(lo, hi) for lo, hi in zip([0, *cuts.tolist()], [*cuts.tolist(), batches])
            if lo < hi]

    def run(span: tuple[int, int]) -> None:
        dense = np.zeros((step, width))  # one per thread
        for b in range(*span):
            p0, p1 = int(bounds[b]), int(bounds[b + 1])
            _dot_batch(matrix, first[p0:p1], second[p0:p1], rows[b * step:(b + 1) * step],
                       dense, out[p0:p1])
    if len(runs) < 2:
        for r in runs:
            run(r)
    else:
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(len(runs), thread_name_prefix="digest-dots") as pool:
            for done in [pool.submit(run, r) for r in runs]:
                done.result()
    return out


def _dot_batch(matrix: Matrix, first: np.ndarray, second: np.ndarray, rows: np.ndarray,
               dense: np.ndarray, out: np.ndarray) -> None:
    """Write into `out` the dots of pairs whose first rows are among `rows` (ascending), with
    `dense` (zeros, at least len(rows) rows) to scatter those rows into; it is left zeros."""
    indptr, ids, vals = matrix
    width = dense.shape[1]
    lengths = indptr[rows + 1] - indptr[rows]
    entries = np.repeat(indptr[rows], lengths) + _within(lengths)
    at = (np.repeat(np.arange(len(rows)), lengths), ids[entries])
    dense[at] = vals[entries]
    sizes = indptr[second + 1] - indptr[second]
    offsets = np.cumsum(sizes) - sizes
    positions = np.arange(sizes.sum()) - np.repeat(offsets - indptr[second], sizes)
    cells = np.repeat(np.searchsorted(rows, first) * width, sizes) + ids[positions]
    products = dense.reshape(-1)[cells] * vals[positions]
    filled = sizes > 0  # reduceat would give an empty row its neighbour's first product
    out[filled] = np.add.reduceat(products, offsets[filled])
    dense[at] = 0.0


def candidates(matrix: Matrix, day: np.ndarray, among: np.ndarray | None = None,
               keys: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return the pairs (i, j), i < j, within WINDOW_DAYS of each other where one holds a key
    term of the other, ordered by i then j. An article's key terms are its KEYS
    highest-weighted (ties by id), left out when held by one article only or by more than
    COMMON * sqrt(n) (and 50). Undated articles are within the window of every article.
    With `among` (a mask of rows), only the pairs with an end among them: each such row's
    keys against every holder, and the other rows' keys against the holders among them.
    `keys`: key_places(matrix), when known. The pairs do not depend on the order of the keys."""
    n = len(matrix.indptr) - 1
    rows = matrix.rows
    places = key_places(matrix) if keys is None else keys
    key_row, rank = np.nonzero(places >= 0)
    key_term = matrix.ids[matrix.indptr[key_row] + places[key_row, rank]]
    wanted = np.zeros(int(matrix.ids.max()) + 1 if len(matrix.ids) else 0, dtype=bool)
    wanted[key_term] = True
    count = np.bincount(matrix.ids[wanted[matrix.ids]], minlength=len(wanted))
    limit = max(50, int(COMMON * math.sqrt(n)))
    usable = (count[key_term] > 1) & (count[key_term] <= limit)
    key_row, key_term = key_row[usable], key_term[usable]
    usable_term = np.zeros(len(wanted), dtype=bool)
    usable_term[key_term] = True
    held = usable_term[matrix.ids]  # the entries that hold a usable key term
    if among is not None:
        # Only what can pair with a row among them is kept (sorting all the keys and
        # holders took half of the 0.1 s of an edit's candidates at 10,000 articles):
        # their keys and the holders of those terms; the other rows' keys that they hold.
        in_them = among[rows]  # the entries of the rows among them
        terms_held = np.zeros(len(wanted), dtype=bool)
        terms_held[matrix.ids[in_them]] = True
        mine = among[key_row]
        keep = mine | terms_held[key_term]
        their_keys = np.zeros(len(wanted), dtype=bool)
        their_keys[key_term[mine]] = True
        key_row, key_term = key_row[keep], key_term[keep]
        held &= their_keys[matrix.ids] | in_them
    slot, span, undated = _day_slots(day)
    # keys in the holders' order: each search below then starts where the last one ended
    by_place = np.argsort(key_term * span + slot[key_row], kind="stable")
    key_row, key_term = key_row[by_place], key_term[by_place]
    # Holders of the usable key terms, sorted by term, then day (undated last), then row:
    # each key then pairs with a slice of them, never with the many outside its window.
    holder_row = rows[held]
    place = matrix.ids[held] * span + slot[holder_row]
    by_place = np.argsort(place, kind="stable")  # rows ascend within a place
    place, holder_row = place[by_place], holder_row[by_place]
    days = (slot, span, undated)
    if among is None:
        a, b = _fan_out(key_row, key_term, place, holder_row, days)
    else:
        mine, theirs = among[key_row], among[holder_row]
        a1, b1 = _fan_out(key_row[mine], key_term[mine], place, holder_row, days)
        a2, b2 = _fan_out(key_row[~mine], key_term[~mine], place[theirs], holder_row[theirs],
                          days)
        a, b = np.concatenate([a1, a2]), np.concatenate([b1, b2])
    apart = a != b  # a row paired with itself
    low, high = np.minimum(a, b)[apart], np.maximum(a, b)[apart]
    # Distinct pairs by their codes low * n + high, sorted (np.unique hashes here in numpy
    # 2.3+, ten times slower). Below 65,536 articles a code fits 32 bits, which sort in 0.06 s
    # where 64 take 0.1 s for the 1.4 million pairs found at 10,000 articles.
    kind = np.uint32 if n <= 1 << 16 else np.int64
    codes = low.astype(kind) * kind(n) + high.astype(kind)
    codes.sort()
    codes = codes[np.append(True, codes[1:] != codes[:-1])] if len(codes) else codes
    return (codes // n).astype(np.int64), (codes % n).astype(np.int64)


def _fan_out(key_row: np.ndarray, key_term: np.ndarray, place: np.ndarray,
             holder_row: np.ndarray, days: tuple[np.ndarray, int, int],
             ) -> tuple[np.ndarray, np.ndarray]:
    """Return each key's row paired with every holder of its term within its window, as
    two arrays (a pair of a row with itself among them); see candidates."""
    slot, span, undated = days
    segment = key_term * span
    dated = slot[key_row] != undated
    lo = np.where(dated, np.searchsorted(place, segment + slot[key_row] - WINDOW_DAYS),
                  np.searchsorted(place, segment))
    hi = np.where(dated, np.searchsorted(place, segment + slot[key_row] + WINDOW_DAYS, "right"),
                  np.searchsorted(place, segment + span))
    first = np.concatenate([key_row, key_row[dated]])
    starts = np.concatenate([lo, np.searchsorted(place, segment[dated] + undated)])
    ends = np.concatenate([hi, np.searchsorted(place, segment[dated] + span)])
    fan = ends - starts
    a = np.repeat(first, fan)
    b = holder_row[np.arange(fan.sum()) - np.repeat(np.cumsum(fan) - fan - starts, fan)]
    return a, b


def key_places(matrix: Matrix, rows: np.ndarray | None = None) -> np.ndarray:
    """Return, for each of `rows` (all when None), the places in the row of its KEYS
    highest-weighted terms, highest first, ties by id; -1 past the row's last entry.

    Rows are sorted in blocks padded to a power-of-two width (at most DENSE_CELLS cells a
    block): a stable sort of each padded row is a tenth of one lexsort over all entries.
    Ids ascend within a row, so a stable sort on weight alone breaks ties by id.
    """
    indptr, ids, vals = matrix
    wanted = np.arange(len(indptr) - 1) if rows is None else np.asarray(rows, dtype=np.int64)
    lengths = indptr[wanted + 1] - indptr[wanted]
    powers = np.ceil(np.log2(np.maximum(lengths, 1))).astype(np.int64)
    out = np.full((len(wanted), KEYS), -1, dtype=np.int64)
    # each power of two that some row's width takes, ascending (np.unique would import
    # numpy.ma: 9 ms of a one-off process)
    for power in np.flatnonzero(np.bincount(powers)).tolist():
        width = 1 << power
        same = np.flatnonzero(powers == power)
        step = max(1, DENSE_CELLS // width)
        for part in range(0, len(same), step):
            at = same[part:part + step]
            size = lengths[at]
            first = indptr[wanted[at]]
            within = _within(size)
            grid = np.full((len(at), width), np.inf)
            grid[np.repeat(np.arange(len(at)), size), within] = -vals[np.repeat(first, size)
                                                                      + within]
            top = np.argsort(grid, axis=1, kind="stable")[:, :KEYS]
            out[at, :top.shape[1]] = np.where(top < size[:, None], top, -1)
    return out


def _day_slots(day: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Return each article's day as a slot in [1, span - 2], the span, and the slot span - 1
    that marks undated articles. Slots of dated articles lie WINDOW_DAYS + 1 or more
    from both ends, so a window around one never reaches the undated slot, or another
    term's slots when a term's slots start at term * span."""
    dated = ~np.isnan(day)
    first = int(day[dated].min()) if dated.any() else 0
    last = int(day[dated].max()) if dated.any() else 0
    span = last - first + 2 * WINDOW_DAYS + 3
    slot = np.full(len(day), span - 1, dtype=np.int64)
    slot[dated] = day[dated].astype(np.int64) - first + WINDOW_DAYS + 1
    return slot, span, span - 1


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
    return _shared_neighbours(links, n)[0]


def _shared_neighbours(links: Links, n: int) -> tuple[Links, np.ndarray]:
    """Return with_shared_neighbours(links, n), and each article's neighbourhood: a row of
    NEIGHBOURS + 1 article indices (itself first, then the nearest first; -1: no one)."""
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
    shared = _shared_counts(hood, links, n)
    mixed = (1 - SHARED_WEIGHT) * links.s + SHARED_WEIGHT * (
        shared / np.minimum(size[links.i], size[links.j]))
    kept = mixed >= WEAK
    return Links(links.i[kept], links.j[kept], mixed[kept]), hood


SHARED_PAIRS = 4  # _shared_counts lists pairs of hoods with a member in common up to this
                  # many times the links, else compares every link's two hoods


def _shared_counts(hood: np.ndarray, links: Links, n: int) -> np.ndarray:
    """Return, for each link, how many members its two ends' neighbourhoods have in common.

    Each article is in its own neighbourhood and mostly in a few others, so the pairs of
    neighbourhoods that share a member are few: listed and counted, they give every link's
    count (0 for the rest) in 0.01 s at 10,000 articles, where comparing the two
    neighbourhoods of each of the 336,000 links took 0.026 s, most of it gathering them. An
    article in very many neighbourhoods (a hub) makes many pairs: past SHARED_PAIRS times
    the links, or for links out of order, every link's two neighbourhoods are compared
    instead (the same counts)."""
    held = hood >= 0
    member = hood[held]  # who is in each neighbourhood, and whose neighbourhood it is
    owner = np.broadcast_to(np.arange(n)[:, None], hood.shape)[held]
    order = np.argsort(member, kind="stable")  # owners ascend within a member
    member, owner = member[order], owner[order]
    runs = np.bincount(member, minlength=n)
    after = np.repeat(runs, runs) - 1 - _within(runs)  # later owners of the same member
    linked = links.i * n + links.j  # ascending when links are ordered by i, then j
    if int(after.sum()) > SHARED_PAIRS * max(len(linked), 1) or (linked[1:] <= linked[:-1]).any():
        a, b = hood[links.i].T.copy(), hood[links.j].T.copy()
        shared = np.zeros(len(links.i), dtype=np.int64)
        for column in a:  # a pair of columns at a time
            someone = column >= 0
            for other in b:
                shared += (column == other) & someone
        return shared
    first = np.repeat(owner, after)
    second = owner[np.repeat(np.arange(len(owner)) + 1, after) + _within(after)]
    codes = np.sort(first * n + second)
    shared = np.zeros(len(linked), dtype=np.int64)
    if not len(codes):
        return shared
    starts = np.flatnonzero(np.append(True, codes[1:] != codes[:-1]))
    pairs, counts = codes[starts], np.diff(np.append(starts, len(codes)))
    at = np.searchsorted(linked, pairs)
    found = at < len(linked)
    found[found] = linked[at[found]] == pairs[found]
    shared[at[found]] = counts[found]
    return shared


def average_link(edges: Edges, n: int, threshold: float) -> list[list[int]]:
    """Return average-link clusters of n items; missing pairs count as similarity 0.

    Two clusters merge only when some link between them reaches `threshold` (an average
    is never above its largest term), so each part of the graph that such links connect
    is clustered alone, with its own heap: the same merges in the same order (within a
    part, merges get their new ids in the order they would in one heap, and ties go by
    id) as one heap over all, which at 50,000 articles spent a third of its 1.3 s popping
    from a heap of 120,000 links (0.66 s of 1.8 s under cProfile).
    """
    return _average_link_parts(edges, n, threshold)[0]


def _average_link_parts(edges: Edges, n: int, threshold: float,
                        ) -> tuple[list[list[int]], list[int]]:
    """Return average_link(edges, n, threshold) and the part of each item (_parts)."""
    parts: dict[int, Edges] = {}
    part = _parts(edges, n, threshold)
    for (i, j), s in edges.items():
        if part[i] == part[j]:  # links across parts are all weak: they never count
            parts.setdefault(part[i], {})[i, j] = s
    clusters: list[list[int]] = []
    fresh = n
    for _, linked in sorted(parts.items()):
        fresh = _average_link_part(linked, threshold, fresh, clusters)
    alone = set(range(n)).difference(*(m for m in clusters))
    return sorted([sorted(m) for m in clusters] + [[i] for i in alone]), part


def _parts(edges: Edges, n: int, threshold: float) -> list[int]:
    """Return, for each item, the least item it is connected to by links of at least
    `threshold` (itself when it has none)."""
    root = list(range(n))

    def find(x: int) -> int:
        while root[x] != x:
            root[x] = x = root[root[x]]
        return x
    for (i, j), s in edges.items():
        if s >= threshold:
            a, b = find(i), find(j)
            if a != b:
                root[max(a, b)] = min(a, b)
    return [find(x) for x in range(n)]


def _average_link_part(edges: Edges, threshold: float, fresh: int,
                       clusters: list[list[int]]) -> int:
    """Cluster the items of one part (those `edges` link), giving merged clusters ids from
    `fresh` on; add its clusters to `clusters` and return the next free id."""
    links: dict[int, dict[int, float]] = {}
    for (i, j), s in edges.items():
        links.setdefault(i, {})[j] = s
        links.setdefault(j, {})[i] = s
    members: dict[int, list[int]] = {i: [i] for i in links}
    heap = [(-s, i, j) for (i, j), s in edges.items() if s >= threshold]
    heapq.heapify(heap)
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
    clusters.extend(members.values())
    return fresh


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
