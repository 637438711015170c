"""Dated events of a story: explicit and relative dates resolved against publication dates.

"on Friday", "yesterday", "Oct. 31", "in August" resolve to the latest such day or month on
or before the article's publication date, unless the clause points forward ("plans to
deploy 10,000 by December", "next week"). Each dated sentence is an event; events on one
date that name the same person or share enough content words merge across articles and
cite every source.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Sequence

from digest.analyze import names
from digest.analyze.prepare import Lexicon, Prepared
from digest.analyze.similarity import STOPWORDS, words
from digest.models import Article, Citation, TimelineEvent

log = logging.getLogger(__name__)

MERGE_SIMILARITY = 0.3  # weighted Jaccard of content stems for one event told twice
MAX_TEXT = 200  # longer sentences are cut to the clause holding the date

_MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december"]
_MONTH_ALT = ("January|February|March|April|May|June|July|August|September|October|"
              "November|December")
_MONTH = rf"(?P<mon>(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?|{_MONTH_ALT})"
_FULL_MONTH = rf"(?P<mon>{_MONTH_ALT})"
_YEAR = r"(?:,?\s+(?P<year>\d{4})\b)?"
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_PATTERNS = [
    re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b{_YEAR}"),
    re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}{_YEAR}"),
    re.compile(rf"\b{_FULL_MONTH}\s+(?P<year>\d{{4}})\b"),
    re.compile(rf"\b(?P<prep>[Ii]n|[Ss]ince|[Bb]y|[Uu]ntil|[Ff]rom|[Dd]uring|[Ll]ast|[Nn]ext|"
               rf"[Tt]his|[Ee]arly|[Ll]ate|[Mm]id-)\s+(?:early\s+|late\s+|mid-)?{_FULL_MONTH}"
               rf"\b(?![ \t]+\d)"),
    re.compile(r"\b(?:(?P<prep>[Oo]n|[Ll]ast|[Tt]his|[Nn]ext|[Bb]y|[Uu]ntil|[Ss]ince)\s+)?"
               r"(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"),
    re.compile(r"\b(?P<rel>[Yy]esterday|[Tt]omorrow|[Ll]ast week|[Nn]ext week|"
               r"[Ll]ast month|[Nn]ext month|[Ee]arlier this month|[Tt]his week)\b"),
]
# Every date expression above holds one of these (a month's first letters, "day", "week",
# "month" or "tomorrow"): sentences without any are skipped unsearched.
_HINT = re.compile(r"Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|day|week|month|omorrow")
_FORWARD = re.compile(r"\b(?:will|plans?|planned|planning|scheduled|expected|set to|going to|"
                      r"aims?|intends?|due|upcoming)\b")
_SAID = re.compile(r"\b(?:said|says|told|announced|reported|stated|added|wrote)\b")
_JUNK = re.compile(r"https?://|www\.|pic\.twitter|@\w|©|\|")
_CUTS = re.compile(r"[;,—–](?!\d)")
# Month and weekday names and abbreviations: not content words of an event.
_DATE_WORDS = frozenset(_MONTH_NAMES) | frozenset(_WEEKDAYS) | {m[:3] for m in _MONTH_NAMES}


@dataclass(frozen=True)
class _Event:
    """One dated clause of one article, before merging."""

    article: int
    date: str
    start: int  # sentence (or clause) span in the article text
    end: int
    stems: frozenset[str]
    people: frozenset[str]  # keys of the people the clause names


def build_timeline(articles: Sequence[Article],
                   prepared: Prepared | None = None) -> tuple[TimelineEvent, ...]:
    """Return the story's dated events, merged across articles, sorted by date then text."""
    prepared = Prepared() if prepared is None else prepared
    people = names.build_people(n for a in articles for n, _ in prepared.titled_names(a.text))
    alias = names.aliases(people)
    # an undated article's dates resolve against the story's latest known publication day
    known = [d for d in (_day(a.published) for a in articles) if d is not None]
    fallback = max(known) if known else None
    found = [e for i, a in enumerate(articles)
             for e in _article_events(i, a, alias, prepared, fallback)]
    events = [_merge(c, articles) for c in _clusters(found)]
    return tuple(sorted(events, key=lambda e: (e.date, e.text)))


def _article_events(index: int, article: Article, alias: dict[str, str],
                    prepared: Prepared, fallback: date | None = None) -> list[_Event]:
    """Return one event per dated sentence and date of one article (dated by `fallback`
    when it states no publication date)."""
    text = article.text
    published = _day(article.published) or fallback
    lexicon = prepared.lexicon
    out: dict[tuple[str, int], _Event] = {}
    for s_start, s_end in prepared.sentences(text):
        found = _matches(text, s_start, s_end)  # cheap when undated: test that first
        if not found or _is_junk(text[s_start:s_end]):
            continue
        for m in found:
            when = resolve(m, published, _points_forward(text, m, s_start))
            if when:
                start, end = _clause(text, m.start(), s_start, s_end, len(found) > 1)
                stems = _stems(text[start:end], lexicon)
                spots = names.mentions(text[start:end], alias, lexicon.people)
                who = frozenset(k for _, k in spots)
                out.setdefault((when, start), _Event(index, when, start, end, stems, who))
    return list(out.values())


def _day(value: date | datetime | None) -> date | None:
    """Return the calendar day of a publication date."""
    return value.date() if isinstance(value, datetime) else value


def _is_junk(sentence: str) -> bool:
    """True for links, handles, credits and lines with hardly any running text."""
    lower = [w for w in sentence.split() if w[:1].islower()]
    return bool(_JUNK.search(sentence)) or len(lower) < 3


def _matches(text: str, start: int, end: int) -> list[re.Match]:
    """Return the date expressions in text[start:end], longest first on overlaps."""
    if not _HINT.search(text, start, end):
        return []
    found = [m for p in _PATTERNS for m in p.finditer(text, start, end)]
    found.sort(key=lambda m: (m.start(), -(m.end() - m.start())))
    out: list[re.Match] = []
    for m in found:
        if not out or m.start() >= out[-1].end():
            out.append(m)
    return out


def _points_forward(text: str, m: re.Match, s_start: int) -> bool:
    """True when the words just before the date look ahead ("plans to deploy ... by")."""
    prep = (m.groupdict().get("prep") or "").lower()
    rel = (m.groupdict().get("rel") or "").lower()
    if prep == "next" or rel.startswith(("next", "tomorrow")):
        return True
    # "by"/"until" look ahead only with a future cue: "plans to deploy 10,000 by December",
    # but "talks lasted until Friday".
    window = text[max(s_start, m.start() - 60):m.start()]
    said = list(_SAID.finditer(window))
    return bool(_FORWARD.search(window[said[-1].end():] if said else window))


def resolve(m: re.Match, published: date | None, forward: bool) -> str:
    """Return the date of a matched expression as YYYY-MM-DD or YYYY-MM, or ''."""
    g = m.groupdict()
    if g.get("rel"):
        return _relative(g["rel"].lower(), published)
    if g.get("wd"):
        return _weekday(_WEEKDAYS.index(g["wd"].lower()), published, forward,
                        (g.get("prep") or "").lower() == "next")
    month = _month(g["mon"])
    year = int(g["year"]) if g.get("year") else None
    day = int(g["day"]) if g.get("day") else None
    if day is not None and not 1 <= day <= 31:
        return ""
    if year is None:
        if published is None:
            return ""
        year = _year_for(month, day, published, forward)
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return ""


def _month(name: str) -> int:
    """Return the month number of a full or abbreviated month name."""
    key = name.lower().rstrip(".")[:3]
    return [m[:3] for m in _MONTH_NAMES].index(key) + 1


def _year_for(month: int, day: int | None, published: date, forward: bool) -> int:
    """Return the year that puts month/day on or before publication (after, when forward)."""
    here = (month, day or 0)
    now = (published.month, published.day if day else 0)
    if forward:
        return published.year + (1 if here < now else 0)
    return published.year - (1 if here > now else 0)


def _weekday(weekday: int, published: date | None, forward: bool, next_: bool) -> str:
    """Return the date of a weekday near publication: latest on or before, or next after."""
    if published is None:
        return ""
    if forward:
        ahead = (weekday - published.weekday()) % 7 or (7 if next_ else 0)
        return (published + timedelta(days=ahead)).isoformat()
    return (published - timedelta(days=(published.weekday() - weekday) % 7)).isoformat()


def _relative(rel: str, published: date | None) -> str:
    """Return the date of yesterday/today/tomorrow, or the month of last/next week or month."""
    if published is None:
        return ""
    shifts = {"yesterday": -1, "tomorrow": 1, "this week": 0, "last week": -7,
              "next week": 7, "earlier this month": 0}
    if rel in ("yesterday", "tomorrow"):
        return (published + timedelta(days=shifts[rel])).isoformat()
    if rel in shifts:
        return (published + timedelta(days=shifts[rel])).strftime("%Y-%m")
    first = published.replace(day=1)
    other = first - timedelta(days=1) if rel == "last month" else first + timedelta(days=32)
    return other.strftime("%Y-%m")


def _clause(text: str, pos: int, s_start: int, s_end: int, several: bool) -> tuple[int, int]:
    """Return the sentence span holding `pos`, cut to its clause when long or multi-dated."""
    if s_end - s_start <= MAX_TEXT and not several:
        return s_start, s_end
    cuts = [s_start + m.start() for m in _CUTS.finditer(text[s_start:s_end])]
    left = max([c + 1 for c in cuts if c < pos], default=s_start)
    right = min([c for c in cuts if c > pos], default=s_end)
    while left < right and text[left].isspace():
        left += 1
    if len(text[left:right].split()) < 4:  # a clause too short to read alone
        return s_start, s_end
    return left, right


def _stems(text: str, lexicon: Lexicon) -> frozenset[str]:
    """Return content stems without dates, numbers and month or weekday names."""
    return frozenset(lexicon.stem(w) for w in words(text)
                     if w not in STOPWORDS and w not in _DATE_WORDS and not w.isdigit())


def _clusters(events: list[_Event]) -> list[list[_Event]]:
    """Return events grouped by date and, within a date, by shared content (single link)."""
    by_date: dict[str, list[_Event]] = {}
    for e in sorted(events, key=lambda e: (e.date, e.article, e.start)):
        by_date.setdefault(e.date, []).append(e)
    out: list[list[_Event]] = []
    for same_day in by_date.values():
        clusters: list[list[_Event]] = []
        for e in same_day:
            home = next((c for c in clusters if any(_similar(e, x) for x in c)), None)
            if home is None:
                clusters.append([e])
            else:
                home.append(e)
        out += clusters
    return out


def _similar(a: _Event, b: _Event) -> bool:
    """True when two clauses of one date name the same person or share enough content."""
    if a.people & b.people:
        return True
    if not a.stems or not b.stems:
        return False
    return len(a.stems & b.stems) / len(a.stems | b.stems) >= MERGE_SIMILARITY


def _merge(cluster: list[_Event], articles: Sequence[Article]) -> TimelineEvent:
    """Return one TimelineEvent: the most central sentence, citing every member."""
    central = max(cluster, key=lambda e: (sum(len(e.stems & x.stems) for x in cluster),
                                          -e.article, -e.start))
    text = " ".join(articles[central.article].text[central.start:central.end].split())
    ids = tuple(dict.fromkeys(articles[e.article].id for e in cluster))
    citations = tuple(Citation(articles[e.article].id, e.start, e.end) for e in cluster)
    return TimelineEvent(central.date, text, ids, citations)
