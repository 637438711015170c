"""Regexes rewritten for speed find exactly what their plain forms find.

Each fast form is checked against the plain pattern it replaced, on random texts built from
the pieces that make the patterns branch (verbs, subjects, marks, whitespace of every kind,
over-long words) and on the seed articles.
"""
from __future__ import annotations

import random
import re

from digest.analyze import figures, quotes, sentences
from digest.analyze.patterns import alternation

from analyze_support import seeds


def _random_texts(pieces: list[str], seps: list[str], n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    return ["".join(rnd.choice(pieces) + rnd.choice(seps) for _ in range(rnd.randint(0, 40)))
            for _ in range(n)]


def test_alternation_matches_the_same_strings_as_a_plain_alternation():
    phrases = ["say", "says", "said", "hundred", "hundreds", "hundreds of thousands", "a",
               "a hundred", "at least", "at most", "x.y", "(", "ten", "tens"]
    plain = re.compile("(?:" + "|".join(map(re.escape, sorted(phrases, key=len, reverse=True)))
                       + r")\b")
    fast = re.compile(f"(?:{alternation(phrases)})" + r"\b")
    for text in _random_texts(phrases + ["s", " ", "of", "thousands"], ["", " ", "  "], 3000, 1):
        assert [m.span() for m in fast.finditer(text)] == [m.span() for m in plain.finditer(text)]


def test_speaker_names_scan_only_near_verbs_and_find_what_a_full_scan_finds():
    plain = re.compile(quotes._BEFORE.pattern.replace(
        quotes._VERB, r"\b(?:" + "|".join(quotes.VERBS) + r")\b"))
    assert plain.pattern != quotes._BEFORE.pattern
    pieces = ["He", "She", "they", "We", "a", "an", "senior", "official", "said", "says", "The",
              "Ukrainian", "president", "Volodymyr", "Zelensky", "also", "later", "quickly",
              "had", "told", "U.S.", "officials", "sources", "x" * 300, "McDonald", "warned",
              "one", "two", "experts", "saidx", "Said", "—", "“", "”", ","]
    texts = _random_texts(pieces, [" ", "  ", "\n", "\t", "", " \u00a0"], 4000, 5)
    texts += [a.text for a in seeds()]
    for text in texts:
        fast = [(m.span(), m.group("name")) for lo, hi in quotes._verb_windows(text)
                for m in quotes._BEFORE.finditer(text, lo, hi)]
        assert fast == [(m.span(), m.group("name")) for m in plain.finditer(text)], text


def test_sentence_ends_are_the_plain_patterns_ends():
    plain = re.compile(r"""[.!?…]+["'”’)\]]*(?=\s+|$)|(?<=[a-z]{2})[.!?](?=[A-Z][a-z])|\n\s*\n|\n""")
    pieces = list("ab Z.!?…\n\"')]”’\t") + ["Ab", "ab", "\n\n", "...", "Mr."]
    texts = _random_texts(pieces, [""], 5000, 2) + [a.text for a in seeds()]
    for text in texts:
        fast = [m.span() for m in sentences._END.finditer(text)]
        assert fast == [m.span() for m in plain.finditer(text)], text


def test_number_phrases_are_the_plain_patterns_phrases():
    hedge = r"(?:(?:" + "|".join(figures._HEDGES) + r")\s+)?"
    plain = re.compile(
        rf"(?<![\w.,/@#-]){hedge}(?P<cur>[$€£]\s?)?(?P<n>\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?"
        rf"(?:\s+(?:million|billion|thousand))?|" + "|".join(figures._VAGUE) + "|"
        + "|".join(sorted(figures._WORD_NUMBERS, key=len, reverse=True))
        + r")(?P<pct>\s?%)?(?![\w-]|[.,]\d)", re.IGNORECASE)
    pieces = ["up to", "Some", "as many as", "hundreds", "hundreds of thousands", "Tens of thousands",
              "ten", "a hundred", "$", "€ ", "5", "8,000", "3.5", "2 million", "%", "x", "-", ".",
              "soldiers", "about", "at least"]
    texts = _random_texts(pieces, [" ", "", "  "], 4000, 3) + [a.text for a in seeds()]
    for text in texts:
        fast = [(m.span(), m.groupdict()) for m in figures._NUMBER.finditer(text)]
        assert fast == [(m.span(), m.groupdict()) for m in plain.finditer(text)], text
