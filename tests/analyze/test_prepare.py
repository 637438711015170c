"""Shared preparation: analyzers give the same results with or without a shared Prepared."""
from __future__ import annotations

import random

import numpy as np

from digest.analyze import textfeatures
from digest.analyze.figures import extract_figures
from digest.analyze.overlap import source_coverage
from digest.analyze.prepare import Lexicon, prepare_story
from digest.analyze.quotes import extract_quotes
from digest.analyze.similarity import cosine, pair_products, tfidf, tfidf_entries
from digest.analyze.summarize import independent_sources, summarize
from digest.analyze.timeline import build_timeline

from analyze_support import article, seeds


def _stories():
    variants = [article(f"quote_variant_{x}.txt") for x in "abc"]
    conflict = [article("figure_conflict_a.txt"), article("figure_conflict_b.txt")]
    return [seeds(), variants, conflict]


def test_shared_preparation_changes_no_result():
    lexicon = Lexicon()  # one word memo across stories, as the analyze stage uses it
    for members in _stories():
        p = prepare_story(members, lexicon)
        assert summarize(members, 120, p) == summarize(members, 120)
        assert extract_quotes(members, p) == extract_quotes(members)
        assert extract_figures(members, p) == extract_figures(members)
        assert build_timeline(members, p) == build_timeline(members)
        assert source_coverage(members, p) == source_coverage(members)
        assert independent_sources(members, p) == independent_sources(members)


def test_pair_products_match_cosine_and_shared_terms():
    rng = random.Random(7)
    vocab = [f"w{k}" for k in range(30)]
    docs = [[rng.choice(vocab) for _ in range(rng.randint(1, 12))] for _ in range(25)]
    weights = {t: 1.0 + rng.random() for t in vocab}
    entries = tfidf_entries(docs, weights)
    for dense_cells in (10**6, 0):  # a matrix product, and the pairs of entries listed
        dots, shared = pair_products(*entries, len(docs), dense_cells)
        assert shared.dtype == np.int64
        for i, a in enumerate(docs):
            for j, b in enumerate(docs):
                assert abs(dots[i, j] - cosine(tfidf(a, weights), tfidf(b, weights))) < 1e-12
                assert shared[i, j] == len(set(a) & set(b))
    empty = pair_products(*tfidf_entries([], weights), 0)
    assert empty[0].shape == (0, 0) and np.asarray(empty[1]).shape == (0, 0)


def test_entities_memo_gives_the_same_tokens():
    text = "President Anna Kowalski met IBF chief Lindsay Lohan's lawyer. Anna Kowalski said so."
    memo: dict[str, list[str]] = {}
    assert textfeatures.entities(text, memo) == textfeatures.entities(text)
    assert textfeatures.entities(text, memo) == textfeatures.entities(text)
