"""Extractive multi-source summaries: verbatim sentences, each cited in every source.

The method is concept coverage (Gillick & Favre 2009) solved greedily under a word
budget: concepts are stemmed word bigrams, weighted by how many independent sources
use them (copies of one wire text count once) and by how early they appear (news puts
the essentials first; headlines count as leads); a sentence's value is the weight of
the concepts it adds divided by the square root of its length. Coverage already
punishes redundancy (a repeated concept adds nothing), so no separate MMR term is
needed. Sentences that cannot stand alone (pronoun or connective openers, quote
fragments, headlines, captions, page furniture) and stub articles (archive notices)
are never chosen. The chosen sentences are put in reading order (position in their
article, then article date), and each cites its own span and the most similar
sentence of every other article, when similar enough.

Measured by evals/summary.py (Multi-News dev, 300 words): R-1/R-2 45.4/15.7 against
41.0/13.6 for the lead of the first article.
"""
from __future__ import annotations

import heapq
import logging
import math
import re
from itertools import repeat
from typing import Callable, NamedTuple, Sequence

import numpy as np

from digest.analyze.prepare import Prepared
from digest.analyze.similarity import (MARGIN, STOPWORDS, containment, cosine, idf, tfidf,
                                       tfidf_entries)
from digest.models import Article, Citation, SummarySentence

log = logging.getLogger(__name__)

MIN_SENTENCE_WORDS = 8  # shorter sentences are usually labels, captions or fragments
MAX_SENTENCE_WORDS = 55  # longer ones are run-ons or lists that read badly alone
LENGTH_POWER = 0.5  # gain / words**p: 0 favours long sentences, 1 favours short ones
POSITION_DECAY = 0.3  # weight of a concept seen in sentence k: 1 / (1 + decay * k)
SOURCE_POWER = 1.5  # concept weight = (summed source weights) ** power
COPY_OVERLAP = 0.8  # shingle containment above which two texts are copies of one text
CITE_SIMILARITY = 0.35  # TF-IDF cosine for citing a paraphrase in another article
CITE_SHARED = 3  # ... which must also share this many content words (or all of the shorter)
MAX_SENTENCES = 40  # sentences read per article: leads carry the news, and it bounds the work
PREFIX = 6  # citations compare words by their first letters: Zelensky ~ Zelenskyy ~ Zelenskiy
SHORT_DOC_WORDS = 100  # shorter articles weigh (words / this)**2: stubs, archive notices
STUB_RATIO = 0.25  # articles weighing less than this times the heaviest are cited, not quoted

_DANGLING = frozenset("""
he she they it this that these those his her their its him them we i you our your
but however also and or so yet still meanwhile moreover furthermore additionally then
here thus hence instead otherwise besides nonetheless nevertheless such both
""".split())
_DANGLING_PHRASE = re.compile(r"(?:In addition|As a result|In turn|On the other hand|At the same time|"
                              r"For (?:his|her|their|its) part|Even so|After that|That's why)\b")
_OPEN_QUOTES = "\"“”'‘’«»"
# "LOS ANGELES (Reuters) - ", "CAIRO—": a dateline the summary sentence can start after;
# "SCHERTZ, Texas - ", "CLOSE ": widget labels and datelines are left out as well.
_DATELINE = re.compile(r"(?:(?:CLOSE|UPDATED?|BREAKING|WATCH|VIDEO|EXCLUSIVE):? (?=[A-Z][a-z])|"
                       r"[A-Z][A-Z .'/&]{2,40}(?:, [A-Z][A-Za-z. ]{1,20})?(?:\([^)]{1,30}\))?"
                       r"\s*(?:--?|[—–])\s*(?=[A-Z]))")
# Links, handles, page furniture, captions and credits (plain substring tests: fast).
_JUNK = ("http://", "https://", "www.", "pic.twitter", "©", "|", "file photo", "image caption",
         "image copyright", "photo shows", "photograph shows", "photo released",
         "contributed to this report", "sign up", "newsletter", "breaking news alerts",
         "breaking news emails", "stories that matter", "all rights reserved")
_JUNK_WORDS = frozenset({"click", "subscribe"})
_HANDLE = re.compile(r"@\w")
_SECOND_PERSON = re.compile(r"\b(?:you|your|you're|you've)\b", re.IGNORECASE)
_QUOTED = re.compile(r"[\"“][^\"“”]*[\"”]")
_CLOSERS = "\"'”’)]"
# "(AP Photo/Jane Doe)" right after a sentence marks that sentence as a photo caption.
_CREDIT = re.compile(r"\s*\([^()]*\b(?:Photo|Photographer|Getty|Images|AP|AFP|Reuters)\b[^()]*\)")
_CLOSING_MARK = re.compile(r"[\"”’]")
_NAMED = re.compile(r"\b[A-Z][a-z]")


class _Sentence(NamedTuple):
    """One analysed sentence (a named tuple: made in 0.6 us, a frozen dataclass in 1.4)."""

    article: int  # index into the articles given
    position: int  # index among that article's sentences
    start: int
    end: int
    words: int
    concepts: frozenset[tuple[str, ...]]
    terms: tuple[str, ...]  # content stems cut to PREFIX letters, for similarity
    eligible: bool  # may be chosen for the summary
    citable: bool  # may be cited as support: a complete sentence, not page furniture


def summarize(articles: Sequence[Article], max_words: int = 120,
              prepared: Prepared | None = None) -> tuple[SummarySentence, ...]:
    """Return verbatim, cited sentences that summarise `articles` within `max_words`."""
    articles = sorted(articles, key=_chronological)
    if not articles:
        return ()
    prepared = Prepared() if prepared is None else prepared
    sentences = [s for i, a in enumerate(articles) for s in _sentences(i, a.text, prepared)]
    groups = _copy_groups(articles, prepared)
    article_weights = _article_weights(articles)
    titles = [t for i, a in enumerate(articles) for t in _sentences(i, a.title, prepared)[:1]]
    weights = _concept_weights(sentences + titles, groups, article_weights)  # headlines count as leads
    top = max(article_weights)
    pool = [s for s in sentences if s.eligible and article_weights[s.article] >= STUB_RATIO * top]
    chosen = _select(pool, weights, max_words)
    chosen.sort(key=lambda s: (s.position, s.article))
    log.debug("summary: %d of %d sentences, %d sources", len(chosen), len(sentences), len(set(groups)))
    vectors = _Vectors(sentences)
    return tuple(_cite(s, sentences, vectors, articles) for s in chosen)


def independent_sources(articles: Sequence[Article], prepared: Prepared | None = None) -> int:
    """Return the number of articles left after collapsing copies of one text."""
    return len(set(_copy_groups(sorted(articles, key=_chronological), prepared)))


def _chronological(article: Article) -> tuple[bool, str, str]:
    """Return a sort key: dated articles oldest first, then undated, ties by id."""
    return (article.published is None, str(article.published or ""), article.id)


def _copy_groups(articles: Sequence[Article], prepared: Prepared | None = None) -> list[int]:
    """Return, per article, the index of the first article whose text it copies."""
    prepared = Prepared() if prepared is None else prepared
    sets = [prepared.shingles(a.text) for a in articles]
    groups = list(range(len(articles)))
    for i in range(len(articles)):
        for j in range(i):
            if groups[j] == j and containment(sets[i], sets[j]) > COPY_OVERLAP:
                groups[i] = j
                break
    return groups


def _sentences(index: int, text: str, prepared: Prepared) -> list[_Sentence]:
    """Return the analysed sentences of one article."""
    lexicon = prepared.lexicon
    stems = lexicon.stems
    out = []
    for position, (start, end) in enumerate(prepared.sentences(text)[:MAX_SENTENCES]):
        if position < 3:
            dateline = _DATELINE.match(text, start, end)
            if dateline:
                start = dateline.end()
        sentence = text[start:end]
        ws = prepared.words(text, start, end)
        st = [stems[w] if w in stems else lexicon.stem(w) for w in ws]
        stop = [w in STOPWORDS for w in ws]
        statement = _is_statement(sentence, ws)
        n_words = len(sentence.split())
        out.append(_Sentence(
            article=index, position=position, start=start, end=end, words=n_words,
            concepts=frozenset(_bigrams(st, stop)),
            terms=tuple([t[:PREFIX] for t, s in zip(st, stop) if not s]),
            eligible=(statement and not _CREDIT.match(text, end)
                      and _stands_alone(sentence, ws, n_words)),
            citable=statement))
    return out


def _bigrams(st: list[str], stop: list[bool]) -> list[tuple[str, str]]:
    """Return the stem bigrams of a sentence (stems `st`; `stop`: is the word a stopword)
    that are not made of two stopwords."""
    return [(a, b) for a, b, x, y in zip(st, st[1:], stop, stop[1:]) if not (x and y)]


def _stands_alone(sentence: str, ws: list[str], n_words: int) -> bool:
    """True when a statement (see `_is_statement`) reads well without its neighbours
    (`n_words`: its whitespace-separated words)."""
    if not MIN_SENTENCE_WORDS <= n_words <= MAX_SENTENCE_WORDS:
        return False
    if not (sentence[0].isupper() or sentence[0] in _OPEN_QUOTES):
        return False  # a fragment
    if not ws or ws[0].split("'")[0] in _DANGLING or _DANGLING_PHRASE.match(sentence):
        return False
    if _SECOND_PERSON.search(_QUOTED.sub("", sentence)):
        return False  # "you" outside quotes: advice, ads or page furniture, not news
    return _quotes_ok(sentence)


def _is_statement(sentence: str, ws: list[str]) -> bool:
    """True when `sentence` is a complete sentence of prose (not a headline or link)."""
    end = sentence.rstrip(_CLOSERS)
    if not end.endswith((".", "!", "?")) or end.endswith(("...", "…")):
        return False
    low = sentence.lower()
    return (len(ws) >= MIN_SENTENCE_WORDS // 2 and not any(j in low for j in _JUNK)
            and _JUNK_WORDS.isdisjoint(ws) and not ("@" in low and _HANDLE.search(low)))


def _quotes_ok(sentence: str) -> bool:
    """True unless the sentence is an unbalanced or unattributed piece of a quote."""
    if sentence.count('"') % 2 or sentence.count("“") != sentence.count("”"):
        return False
    if sentence[0] not in _OPEN_QUOTES:
        return True
    tail = _CLOSING_MARK.split(sentence)[-1]
    return bool(_NAMED.search(tail))  # attributed to a named speaker


def _article_weights(articles: Sequence[Article]) -> list[float]:
    """Return a weight per article: short stubs weigh less."""
    return [min(1.0, a.word_count / SHORT_DOC_WORDS) ** 2 for a in articles]


def _concept_weights(sentences: Sequence[_Sentence], groups: list[int],
                     article_weights: list[float]) -> dict[tuple[str, ...], float]:
    """Return the weight of each concept: sources using it, earlier uses counting more."""
    best: dict[tuple[str, ...], dict[int, float]] = {}
    for s in sentences:
        g = groups[s.article]
        w = article_weights[g] / (1.0 + POSITION_DECAY * s.position)
        for c in s.concepts:
            by = best.get(c)
            if by is None:
                best[c] = {g: w} if w > 0.0 else {}
            elif w > by.get(g, 0.0):
                by[g] = w
    return {c: sum(by.values()) ** SOURCE_POWER for c, by in best.items()}


def _select(pool: Sequence[_Sentence], weights: dict[tuple[str, ...], float],
            max_words: int) -> list[_Sentence]:
    """Return sentences chosen greedily by concept gain per length, within the budget.

    Lazy greedy: gains only shrink as concepts get covered, so a stale score is an
    upper bound and only the sentence at the top of the heap needs rescoring.
    """
    covered: set[tuple[str, ...]] = set()
    heap = [(-_value(s, weights, covered), s.article, s.position, 0)
            for s in pool if s.words <= max_words]
    heapq.heapify(heap)
    by_place = {(s.article, s.position): s for s in pool}
    chosen: list[_Sentence] = []
    budget = max_words
    while heap:
        score, article, position, round_ = heapq.heappop(heap)
        s = by_place[article, position]
        if s.words > budget or score >= 0:
            continue  # never fits again, or adds nothing
        if round_ < len(chosen):
            heapq.heappush(heap, (-_value(s, weights, covered), article, position, len(chosen)))
            continue
        chosen.append(s)
        covered |= s.concepts
        budget -= s.words
    return chosen


def _value(s: _Sentence, weights: dict[tuple[str, ...], float], covered: set) -> float:
    """Return the gain of `s` per length (to the power LENGTH_POWER)."""
    return _gain(s, weights, covered) / s.words ** LENGTH_POWER


def _gain(s: _Sentence, weights: dict[tuple[str, ...], float], covered: set) -> float:
    """Return the weight of the concepts `s` would add (fsum: a set's order varies from one
    process to the next, and a plain float sum with it)."""
    return math.fsum(map(weights.get, s.concepts - covered, repeat(0.0)))


class _Vectors:
    """TF-IDF vectors of the sentences (sentences acting as documents), built when asked,
    with vectorised approximate cosines to narrow the candidates of a citation."""

    def __init__(self, sentences: Sequence[_Sentence]) -> None:
        self.sentences = sentences
        self.weights = idf(s.terms for s in sentences)
        self.doc, self.term, self.value = tfidf_entries([s.terms for s in sentences], self.weights)
        self.bounds = np.searchsorted(self.doc, np.arange(len(sentences) + 1))
        self.exact: dict[int, dict[str, float]] = {}

    def vector(self, k: int) -> dict[str, float]:
        """Return the exact TF-IDF vector of sentence `k` (as `tfidf` makes it)."""
        if k not in self.exact:
            self.exact[k] = tfidf(self.sentences[k].terms, self.weights)
        return self.exact[k]

    def near(self, k: int, floor: float) -> tuple[list[int], list[float]]:
        """Return the sentences whose cosine with sentence `k` may reach `floor`, in order,
        and their vectorised cosines (within MARGIN of the exact ones)."""
        lo, hi = self.bounds[k], self.bounds[k + 1]
        dense = np.zeros(int(self.term.max()) + 1 if len(self.term) else 0)
        dense[self.term[lo:hi]] = self.value[lo:hi]
        dots = np.bincount(self.doc, self.value * dense[self.term], minlength=len(self.sentences))
        found = np.flatnonzero(dots >= floor - MARGIN)
        return found.tolist(), dots[found].tolist()


def _closest(found: list[tuple[float, int]], exact: Callable[[int], float]) -> int:
    """Return the sentence of highest exact cosine among `found` (vectorised cosine,
    sentence), the first on ties. Vectorised cosines are within MARGIN of exact ones, so
    only those within 2 * MARGIN of the highest can be the highest: one alone needs no
    exact cosine (a cited sentence had some thirty near paraphrases to score exactly)."""
    top = max(approx for approx, _ in found)
    close = [n for approx, n in found if approx >= top - 2 * MARGIN]
    if len(close) == 1:
        return close[0]
    return max(close, key=lambda n: (exact(n), -n))


def _shares(a: _Sentence, b: _Sentence) -> bool:
    """True when two sentences share enough content words to be about one fact."""
    shared = len(set(a.terms) & set(b.terms))
    return shared >= min(CITE_SHARED, len(set(a.terms)), len(set(b.terms)))


def _cite(s: _Sentence, sentences: Sequence[_Sentence], vectors: _Vectors,
          articles: Sequence[Article]) -> SummarySentence:
    """Return `s` with its own span and the closest paraphrase in each other article."""
    k = next(n for n, t in enumerate(sentences) if t is s)
    exact = lambda n: cosine(vectors.vector(k), vectors.vector(n))  # noqa: E731
    per_article: dict[int, list[tuple[float, int]]] = {}
    for n, approx in zip(*vectors.near(k, CITE_SIMILARITY)):
        t = sentences[n]
        if t.article == s.article or not t.citable or not _shares(s, t):
            continue
        if approx >= CITE_SIMILARITY + MARGIN or exact(n) >= CITE_SIMILARITY:
            per_article.setdefault(t.article, []).append((approx, n))
    cites = [Citation(articles[s.article].id, s.start, s.end)]
    for i, found in sorted(per_article.items()):
        t = sentences[_closest(found, exact)]
        cites.append(Citation(articles[i].id, t.start, t.end))
    return SummarySentence(articles[s.article].text[s.start:s.end], tuple(cites))
