"""Plain article text -> headline, standfirst, body paragraphs and what was removed, and why."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping, Sequence

from digest.ingest import metadata as meta
from digest.ingest.boilerplate import classify, strip_social_links
from digest.models import Removed

log = logging.getLogger(__name__)

HEADER_LINES = 6  # labels, bylines and dates are looked for this close to the headline
MOVED_TITLE = "headline (moved to title)"
STANDFIRST_CUES = ("image caption", "image alt text", "repeated headline")


@dataclass(frozen=True)
class Line:
    """One paragraph-sized line of the input, how many blank lines precede it, and its fate."""

    text: str
    gap: int = 0
    reason: str = ""


@dataclass(frozen=True)
class Cleaned:
    """What cleaning found in one article's text."""

    title: str
    paragraphs: tuple[str, ...]
    removed: tuple[Removed, ...] = ()
    standfirst: str = ""
    credits: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    outlet: str = ""
    dates: tuple[date, ...] = ()
    published: date | None = None
    published_how: str = ""


def clean_text(text: str, outlets: Sequence[Mapping[str, Any]] = (), title: str = "",
               url: str = "", outlet: str = "") -> Cleaned:
    """Return the cleaned article of repaired plain text; `title` etc. when a page stated them."""
    lines = [_mark(line) for line in split_lines(text)]
    lines, links = _strip_links(lines)
    head = _find_headline(lines, title)
    lines = _mark_header(lines, head, title)
    headline = title or (lines[head].text if head is not None else "")
    lines = [_same_as(ln, headline, "repeated headline") for ln in lines]
    outlet = outlet or meta.outlet_from_url(url, outlets) or meta.outlet_from_text(text, outlets)
    lines = [_same_as(ln, outlet, "site name") for ln in lines]
    stand = _standfirst(lines, head)
    if stand is not None:
        lines[stand] = Line(lines[stand].text, lines[stand].gap, "standfirst (moved to front-matter)")
    return _result(lines, links, headline, stand, outlet, text)


def _result(lines: list[Line], links: list[Removed], headline: str, stand: int | None,
            outlet: str, text: str) -> Cleaned:
    """Return the Cleaned record of marked lines."""
    body = tuple(ln.text for ln in lines if not ln.reason)
    credits = tuple(n for ln in lines if ln.reason == "credit line" for n in meta.credits_of(ln.text))
    authors = tuple(n for ln in lines if ln.reason == "byline" for n in meta.byline_of(ln.text))
    removed = tuple(Removed(ln.text, ln.reason) for ln in lines if ln.reason) + tuple(links)
    dates = meta.dates_mentioned(text)
    stated = meta.stated_date(ln.text for ln in lines if ln.reason == "dateline")
    published = stated or (dates[-1] if dates else None)
    how = "stated" if stated else "inferred" if published else ""
    return Cleaned(headline or fallback_title(body), body, removed,
                   lines[stand].text if stand is not None else "", _unique(credits),
                   _unique(authors), outlet, dates, published, how)


def split_lines(text: str) -> list[Line]:
    """Return the paragraph lines of text; hard-wrapped blocks are joined into one line."""
    out: list[Line] = []
    for block in re.split(r"\n[ \t]*\n", text):
        gap = 0
        while block.startswith("\n"):
            block, gap = block[1:], gap + 1
        rows = [r.strip() for r in block.split("\n") if r.strip()]
        rows = [" ".join(rows)] if _looks_wrapped(rows) else rows
        out.extend(Line(r, (gap + 1 if out else 0) if i == 0 else 0) for i, r in enumerate(rows))
    return out


def _looks_wrapped(rows: list[str]) -> bool:
    """Return True for a block hard-wrapped at a fixed width (e-mail style text)."""
    if len(rows) < 3:
        return False
    inner = rows[:-1]
    ends = sum(r.endswith((".", "!", "?", "\"", "”", ":")) for r in inner)
    return all(30 <= len(r) <= 100 for r in inner) and ends * 2 < len(inner)


def _mark(line: Line) -> Line:
    """Return the line with the boilerplate or credit reason it matches."""
    if meta.credits_of(line.text):
        return Line(line.text, line.gap, "credit line")
    reason = classify(line.text)
    return Line(line.text, line.gap, reason) if reason else line


def _strip_links(lines: list[Line]) -> tuple[list[Line], list[Removed]]:
    """Return lines without embedded social links, and a Removed record per link."""
    out, links = [], []
    for ln in lines:
        text, found = strip_social_links(ln.text) if not ln.reason else (ln.text, ())
        links.extend(Removed(link, "social embed link") for link in found)
        out.append(Line(text, ln.gap, ln.reason if text else "social embed link"))
    return out, links


def _find_headline(lines: list[Line], title: str) -> int | None:
    """Return the index of the headline: the first kept line after section labels."""
    kept = [i for i, ln in enumerate(lines) if not ln.reason][:HEADER_LINES]
    for i in kept:
        if title:
            if _norm(lines[i].text) == _norm(title):
                return i
        elif meta.is_headline(lines[i].text) and not meta.byline_of(lines[i].text):
            return i
        elif not (meta.is_label(lines[i].text) or meta.byline_of(lines[i].text)
                  or meta.is_dateline(lines[i].text) or meta.stated_date([lines[i].text])):
            return None
    return None


def _mark_header(lines: list[Line], head: int | None, title: str) -> list[Line]:
    """Return lines with the headline, labels above it and bylines near it marked."""
    out = list(lines)
    for i, ln in enumerate(out):
        if ln.reason or i > (head or 0) + HEADER_LINES:
            continue
        if i == head:
            out[i] = Line(ln.text, ln.gap, MOVED_TITLE)
        elif meta.byline_of(ln.text):
            out[i] = Line(ln.text, ln.gap, "byline")
        elif meta.stated_date([ln.text]) or meta.is_dateline(ln.text):
            out[i] = Line(ln.text, ln.gap, "dateline")
        elif head is not None and i < head and meta.is_label(ln.text):
            out[i] = Line(ln.text, ln.gap, "section label")
    return out


def _same_as(line: Line, other: str, reason: str) -> Line:
    """Return the line marked with reason when it repeats `other` (the headline, the outlet)."""
    if line.reason or not other or _norm(line.text) != _norm(other):
        return line
    return Line(line.text, line.gap, reason)


def _standfirst(lines: list[Line], head: int | None) -> int | None:
    """Return the index of a standfirst: set off from the lede by a caption or wider space."""
    if head is None:
        return None
    kept = [i for i in range(head + 1, len(lines)) if not lines[i].reason]
    if len(kept) < 3 or len(lines[kept[0]].text.split()) > 60:
        return None
    first, second = kept[0], kept[1]
    between = {lines[i].reason for i in range(first + 1, second)}
    wide = lines[first].gap >= 2 and lines[first].gap > lines[second].gap
    return first if between & set(STANDFIRST_CUES) or wide else None


def fallback_title(paragraphs: Sequence[str]) -> str:
    """Return a title from the first sentence when the text has no headline."""
    if not paragraphs:
        return ""
    first = re.split(r"(?<=[.!?])\s", paragraphs[0], maxsplit=1)[0]
    words = first.split()
    return " ".join(words[:14]) + ("…" if len(words) > 14 else "")


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.casefold()).strip()


def _unique(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
