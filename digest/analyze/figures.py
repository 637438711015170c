"""Numbers and what they count, compared across a story's articles, with disagreements flagged.

A figure is a number phrase ("up to 8,000", "some 3,000", "thousands") followed by the
noun it counts ("North Korean soldiers", "artillery rounds") and, in the same clause, where
("in Russia’s Kursk region" -> Kursk). Figures about the same unit, qualifiers and place
form one group; a group is in conflict when articles give values that differ by more than
hedging ("nearly", "up to") can explain.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from digest.analyze.patterns import alternation
from digest.analyze.prepare import Prepared
from digest.models import Article, Figure, FigureValue

log = logging.getLogger(__name__)

CONFLICT_RATIO = 1.25  # values further apart than this are a disagreement, not hedging
MAX_CONTEXT = 200  # characters of clause shown with a value

_MONTHS = ("jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|"
           "april|june|july|august|september|october|november|december")
_HEDGES = ("up to", "at least", "at most", "about", "around", "approximately", "nearly", "almost",
           "some", "more than", "over", "roughly", "an estimated", "fewer than", "less than",
           "as many as", "as few as")
_WORD_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
                 "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "a hundred": 100,
                 "a thousand": 1000}
_VAGUE = ("tens of thousands", "hundreds of thousands", "thousands", "hundreds", "dozens",
          "millions")
# Word phrases as prefix trees (patterns.alternation): a quarter faster than plain "|" lists.
_NUMBER = re.compile(
    rf"(?<![\w.,/@#-])(?:{alternation(_HEDGES)}\s+)?(?P<cur>[$€£]\s?)?"
    rf"(?P<n>\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?(?:\s+(?:million|billion|thousand))?|"
    rf"{alternation(_VAGUE + tuple(_WORD_NUMBERS))})(?P<pct>\s?%)?(?![\w-]|[.,]\d)",
    re.IGNORECASE)
_YEAR = re.compile(r"1[5-9]\d\d|20\d\d")
_MONTH_BEFORE = re.compile(rf"\b(?:{_MONTHS})\.?\s*$")
_MONTH_AFTER = re.compile(rf"\s*(?:st|nd|rd|th)?\s*(?:of\s+)?(?:{_MONTHS})\b")
_OF_FROM = re.compile(r"\s+(?:of|from)\s+((?:[A-Z][\w-]*\s*){1,3}|[a-z]+(?<!ing)\b)")
_BACK = re.compile(r"\s+(?:of (?:them|these|those)|by|in|to|more|already|are|were)\b|\s*[,.;]")
_TOKEN = re.compile(r"[A-Za-z][\w’'-]*|[^\w\s]")
_UNITS = frozenset("""people dead killed wounded injured missing displaced civilians children
personnel staff police percent per cent km kilometres kilometers miles tonnes tons""".split())
_CURRENCIES = {"$": "dollars", "€": "euros", "£": "pounds"}
_MEASURES = frozenset(list(_CURRENCIES.values()) + ["percent"])
_TROOPS = frozenset("soldiers troops forces servicemen fighters".split())
_NOT_NOUN = frozenset("""is was has its this thus always perhaps across as us plus whereas
besides his hers yours ours theirs does""".split())
_STOP = frozenset("""of by to in on at for from with and or but are were is was be been have
has had will would could may might that which who than as them these those it they its
their per each a an the""".split())
_PLACE_WORDS = frozenset("oblast region province city town village district area republic".split())
_NEAR = ("near", "close to", "along")
_LOCATION = re.compile(r"\b(?P<prep>(?i:in|into|to|inside|near|at|close to|along))\s+(?:the\s+)?"
                       r"(?P<rest>[^.;:!?]{0,60})")
_PROPER = re.compile(r"[A-Z][\w-]*(?:[’']s)?(?:\s+[A-Z][\w-]*(?:[’']s)?)*")
_CLAUSE_END = re.compile(r"[,;]\s")
_LINE = re.compile(r"front ?lines?|border")
_POSSESSIVE = re.compile(r"[’']s$")
_ADJECTIVE = re.compile(r"(?:ern|ian|ean|ese|ish)$")  # "Ukrainian", "Western": not a place
_AMOUNT = re.compile(r"([\d,.]+)(?:\s+(million|billion|thousand))?$")
_CUT = re.compile(r"[,;](?!\d)")
_LETTERS = re.compile(r"[A-Za-z]+")
_PERCENT_OF = re.compile(r"\s+of\s+(?:the\s+)?([a-z]+)\b")
_MONEY_FOR = re.compile(r"\s+(?:of\s+(?:the\s+)?|in\s+)([a-z]+)\b")


@dataclass(frozen=True)
class _Figure:
    """One number phrase with what it counts and where, before grouping."""

    article: int
    start: int
    end: int
    value: float | None  # None for vague amounts such as "thousands"
    unit: str
    qualifier: str
    place: str  # the most specific place named ("Vladivostok")
    places: tuple[str, ...]  # every place the clause names ("Vladivostok", "Russia")
    near: bool
    context: str


def extract_figures(articles: Sequence[Article],
                    prepared: Prepared | None = None) -> tuple[Figure, ...]:
    """Return figures grouped by what they count, conflicts first."""
    prepared = Prepared() if prepared is None else prepared
    found = [f for i, a in enumerate(articles)
             for f in _article_figures(i, a.text, prepared.sentences(a.text))]
    groups: list[list[_Figure]] = []
    for f in found:
        home = _home(f, groups)
        if home is None:
            groups.append([f])
        else:
            home.append(f)
    figures = [_figure(g, articles) for g in _fold_places(groups)]
    return tuple(sorted(figures, key=lambda f: (not f.conflict, -len({v.article for v in f.values}),
                                                 f.what)))


def _article_figures(index: int, text: str,
                     sentences: Sequence[tuple[int, int]]) -> list[_Figure]:
    """Return the figures of one article, sentence by sentence (`sentences`: their spans)."""
    out: list[_Figure] = []
    for s_start, s_end in sentences:
        previous: _Figure | None = None
        for m in _NUMBER.finditer(text, s_start, s_end):
            f = _read(index, text, m, s_start, s_end, previous)
            if f:
                out.append(f)
                previous = f
    return out


def _read(index: int, text: str, m: re.Match, s_start: int, s_end: int,
          previous: _Figure | None) -> _Figure | None:
    """Return the figure at match `m`, or None for years, dates and bare numbers."""
    if _is_date_or_year(text, m):
        return None
    unit, qualifier, after = _unit_of(text, m, s_end)
    inherit = not unit and previous is not None and _points_back(text, m.end(), s_end)
    if not unit and not inherit:
        return None
    places, near = _places(text[after:s_end])
    if inherit:
        unit, qualifier = previous.unit, previous.qualifier
        places, near = (places, near) if places else (previous.places, previous.near)
    context = _clause(text, m.start(), s_start, s_end)
    return _Figure(index, m.start(), m.end(), _value(m.group("n")), unit, qualifier,
                   places[0] if places else "", places, near, context)


def _is_date_or_year(text: str, m: re.Match) -> bool:
    """True for "2024", "Oct. 31", "30 October" and "November 1, 2024"."""
    n = m.group("n")
    if _YEAR.fullmatch(n):
        return True
    before = text[max(0, m.start() - 12):m.start()].lower()
    after = text[m.end():m.end() + 12].lower()
    return bool(_MONTH_BEFORE.search(before) or _MONTH_AFTER.match(after))


def _unit_of(text: str, m: re.Match, limit: int) -> tuple[str, str, int]:
    """Return (unit, qualifier, offset after them); money and percentages carry their unit."""
    if m.group("cur") or m.group("pct"):
        unit = _CURRENCIES.get((m.group("cur") or "").strip(), "percent")
        # "$5 million in aid", "64% of voters"; "in the city" is a place, read later.
        noun = (_PERCENT_OF if m.group("pct") else _MONEY_FOR).match(text[m.end():limit])
        return unit, noun.group(1) if noun else "", m.end() + (noun.end() if noun else 0)
    return _unit(text, m.end(), limit)


def _unit(text: str, pos: int, limit: int) -> tuple[str, str, int]:
    """Return (unit, qualifier words, offset after them) for the noun a number counts."""
    qualifier: list[str] = []
    unit = ""
    end = pos
    tokens = list(_TOKEN.finditer(text, pos, min(limit, pos + 80)))
    if tokens and tokens[0].group().lower() == "of":
        tokens = tokens[1:]
    for t in tokens[:5]:
        word = t.group()
        low = word.lower()
        if low in _STOP or not word[0].isalpha():
            break
        end = t.end()
        if _is_unit(low):
            unit = "troops" if low in _TROOPS else low
            break
        qualifier.append(word)
    if not unit:
        return "", "", pos
    extra = _OF_FROM.match(text[end:limit])
    if extra:
        qualifier.append(extra.group(1).strip())
        end += extra.end()
    return unit, " ".join(qualifier), end


def _is_unit(low: str) -> bool:
    """True for a counted noun: a listed unit or a plain plural."""
    if low in _UNITS or low in _TROOPS:
        return True
    return len(low) > 3 and low.endswith("s") and not low.endswith("ss") and low not in _NOT_NOUN


def _points_back(text: str, pos: int, limit: int) -> bool:
    """True for "8,000 of them" or "deploy 10,000 by December": the unit said just before."""
    return bool(_BACK.match(text[pos:limit]))


def _places(rest: str) -> tuple[tuple[str, ...], bool]:
    """Return (places, near) from the clause after a figure, most specific first."""
    rest = _CLAUSE_END.split(rest)[0]
    found: list[str] = []
    near = False
    for m in _LOCATION.finditer(rest):
        proper = (_place_name(p.group()) for p in _PROPER.finditer(m.group("rest")[:50]))
        names = [n for n in proper if n and n not in found]
        line = _LINE.search(m.group("rest")[:50])
        if not found and not names and line:
            return ("front lines" if line.group().startswith("front") else "border",), True
        near = near or (not found and bool(names) and m.group("prep").lower() in _NEAR)
        found += names
    return tuple(found), near


def _place_name(phrase: str) -> str:
    """Return a place name from a capitalised phrase, without possessives and place words."""
    words = [w for w in phrase.split() if not _POSSESSIVE.search(w)]
    words = [w for w in words if w.lower() not in _PLACE_WORDS]
    if not words or _ADJECTIVE.search(words[-1]):
        return ""
    return " ".join(words)


def _value(n: str) -> float | None:
    """Return the numeric value of a number phrase, or None when vague."""
    low = n.lower()
    if low in _WORD_NUMBERS:
        return float(_WORD_NUMBERS[low])
    m = _AMOUNT.match(low)
    if not m:
        return None
    scale = {"million": 1e6, "billion": 1e9, "thousand": 1e3}.get(m.group(2) or "", 1.0)
    return float(m.group(1).replace(",", "")) * scale


def _clause(text: str, pos: int, s_start: int, s_end: int) -> str:
    """Return the sentence holding `pos`, cut to the clause when long."""
    sentence = text[s_start:s_end]
    if len(sentence) <= MAX_CONTEXT:
        return " ".join(sentence.split())
    cuts = [m.start() for m in _CUT.finditer(text[s_start:s_end])]
    left = max([s_start + c for c in cuts if s_start + c < pos], default=s_start - 1) + 1
    right = [s_start + c for c in cuts if s_start + c > pos]
    end = min(right) if right and min(right) - left > 40 else min(s_end, left + MAX_CONTEXT)
    return " ".join(text[left:end].split())


def _qualifier_key(qualifier: str) -> frozenset[str]:
    """Return the qualifier's words cut to five letters (Korean and Korea meet)."""
    return frozenset(w.lower()[:5] for w in _LETTERS.findall(qualifier))


def _home(f: _Figure, groups: list[list[_Figure]]) -> list[_Figure] | None:
    """Return the group `f` joins: same unit and place, compatible qualifiers."""
    for g in groups:
        if g[0].unit == f.unit and g[0].place == f.place and _same_kind(f, g):
            return g
    return None


def _fold_places(groups: list[list[_Figure]]) -> list[list[_Figure]]:
    """Return groups with "Vladivostok in Russia" merged into "Russia" when every member says so."""
    out = [list(g) for g in groups]
    for g in list(out):
        wider = set.intersection(*(set(f.places[1:]) for f in g))
        target = next((h for h in out if h is not g and h[0].place in wider
                       and h[0].unit == g[0].unit and _same_kind(g[0], h)), None)
        if target is not None:
            target.extend(g)
            out.remove(g)
    return [sorted(g, key=lambda f: (f.article, f.start)) for g in out]


def _same_kind(f: _Figure, group: list[_Figure]) -> bool:
    """True when qualifiers overlap or either side has none ("3,000 troops")."""
    mine = _qualifier_key(f.qualifier)
    theirs = _qualifier_key(group[0].qualifier)
    return bool(mine & theirs) or not mine or not theirs


def _figure(group: list[_Figure], articles: Sequence[Article]) -> Figure:
    """Return one Figure with a conflict flag for values that differ across articles."""
    values = tuple(FigureValue(articles[f.article].text[f.start:f.end], articles[f.article].id,
                               f.start, f.end, f.context) for f in group)
    return Figure(_what(group), values, _conflict(group))


def _what(group: list[_Figure]) -> str:
    """Return the noun phrase: most common qualifier, unit, and place."""
    qualifier = Counter(f.qualifier for f in group if f.qualifier).most_common(1)
    words = (qualifier[0][0] if qualifier else "", group[0].unit)
    if group[0].unit in _MEASURES:  # "dollars in aid", not "aid dollars"
        words = (group[0].unit, f"in {words[0]}" if words[0] else "")
    head = " ".join(x for x in words if x)
    place = Counter(f.place for f in group if f.place).most_common(1)
    if not place:
        return head
    near = Counter(f.near for f in group if f.place == place[0][0]).most_common(1)[0][0]
    return f"{head} {'near' if near else 'in'} {place[0][0]}"


def _conflict(group: list[_Figure]) -> bool:
    """True when two articles give values further apart than CONFLICT_RATIO."""
    values = sorted({(f.value, f.article) for f in group if f.value})
    return any(a[1] != b[1] and max(a[0], b[0]) / min(a[0], b[0]) > CONFLICT_RATIO
               for i, a in enumerate(values) for b in values[i + 1:])
