"""Text work shared by the analyzers: sentence spans per text and word-level memos.

Every analyzer splits the same articles into sentences and stems the same words. A
`Lexicon` memoises word-level results (stems, quote stems, name folds) for one analyze
call; a `Prepared` adds per-text results (sentence spans, the words of each sentence,
shingles, titled names) for one story. Both are passed explicitly; nothing is cached
between calls. Results are shared, so callers must not mutate them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from digest.analyze import names
from digest.analyze.sentences import split_sentences
from digest.analyze.similarity import shingles, stem, words
from digest.models import Article


@dataclass(frozen=True)
class Lexicon:
    """Word-level memos for one analyze call: the same words recur in every story."""

    stems: dict[str, str] = field(default_factory=dict)  # word -> stem
    quote_words: dict[str, str | None] = field(default_factory=dict)  # word -> quote stem
    people: names.NameMemo = field(default_factory=names.NameMemo)

    def stem(self, word: str) -> str:
        """Return the stem of `word`, memoised."""
        s = self.stems.get(word)
        if s is None:
            s = self.stems[word] = stem(word)
        return s


@dataclass(frozen=True)
class Prepared:
    """Per-text results for one story's articles, computed on first use."""

    lexicon: Lexicon = field(default_factory=Lexicon)
    memo: dict[tuple, Any] = field(default_factory=dict)  # (kind, text, ...) -> result

    def sentences(self, text: str) -> list[tuple[int, int]]:
        """Return the sentence spans of `text` (see `split_sentences`); do not mutate."""
        key = ("sentences", text)
        if key not in self.memo:
            self.memo[key] = split_sentences(text)
        return self.memo[key]

    def words(self, text: str, start: int, end: int) -> list[str]:
        """Return `words(text[start:end])`, memoised per span; do not mutate."""
        key = ("words", text, start, end)
        if key not in self.memo:
            self.memo[key] = words(text[start:end])
        return self.memo[key]

    def shingles(self, text: str) -> set[tuple[str, ...]]:
        """Return the 5-word shingles of `text` (see `similarity.shingles`); do not mutate."""
        key = ("shingles", text)
        if key not in self.memo:
            self.memo[key] = shingles(text)
        return self.memo[key]

    def titled_names(self, text: str) -> list[tuple[str, frozenset[str]]]:
        """Return `names.titled_names(text)`; do not mutate."""
        key = ("titled", text)
        if key not in self.memo:
            self.memo[key] = names.titled_names(text)
        return self.memo[key]


def prepare_story(members: Sequence[Article], lexicon: Lexicon | None = None) -> Prepared:
    """Return a Prepared for one story with every member's sentences already split."""
    prepared = Prepared(lexicon if lexicon is not None else Lexicon())
    for a in members:
        prepared.sentences(a.text)
    return prepared
