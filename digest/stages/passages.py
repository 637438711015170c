"""Split an article's text into paragraphs and segments, marking cited passages."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Container, Iterable, Iterator

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Segment:
    """A run of text; `marks` are the passage anchors covering it, `opens` those starting here."""

    text: str
    marks: tuple[str, ...] = ()
    opens: tuple[str, ...] = ()


@dataclass(frozen=True)
class Paragraph:
    start: int
    end: int
    segments: tuple[Segment, ...]


def anchor(start: int, end: int) -> str:
    """Return the fragment id of the passage [start, end) of an article's text."""
    return f"p{start}-{end}"


_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\n)[^\n]*)*")

Piece = tuple[int, int, tuple[tuple[int, int], ...]]  # start, end, the spans covering it


def paragraphs(text: str, spans: Iterable[tuple[int, int]] = ()) -> list[Paragraph]:
    """Return the paragraphs of `text`, each split where cited spans begin and end."""
    out = []
    placed: set[str] = set()  # each anchor id once, where its span first shows
    for start, end, pieces in _sweep(text, spans):
        segs = []
        for a, b, covering in pieces:
            marks = tuple(anchor(s, e) for s, e in covering)
            opens = tuple(m for m in marks if m not in placed)
            placed.update(opens)
            segs.append(Segment(text[a:b], marks, opens))
        out.append(Paragraph(start, end, tuple(segs)))
    return out


def _sweep(text: str, spans: Iterable[tuple[int, int]]) -> Iterator[tuple[int, int, list[Piece]]]:
    """Yield each paragraph's start, end and pieces: cut at every boundary of a span inside
    it, each piece with the spans that cover it (in order; spans outside the text are left
    out, repeated ones count once).

    One sweep over paragraphs and spans in text order, so an article with thousands of
    cited passages costs no more than sorting them."""
    cited = sorted({(s, e) for s, e in spans if 0 <= s < e <= len(text)})
    live: list[tuple[int, int]] = []  # spans begun before this paragraph's end, in order
    nxt = 0
    for m in _PARAGRAPH.finditer(text):
        start, end = m.start(), m.end()
        while nxt < len(cited) and cited[nxt][0] < end:
            live.append(cited[nxt])
            nxt += 1
        if live:
            live = [(s, e) for s, e in live if e > start]
        yield start, end, _pieces(start, end, live) if live else [(start, end, ())]


def _pieces(start: int, end: int, spans: list[tuple[int, int]]) -> list[Piece]:
    """Cut [start, end) at every span boundary; `spans` sorted, all overlapping the range."""
    cuts = sorted({start, end} | {max(start, min(end, x)) for s, e in spans for x in (s, e)})
    pieces = []
    active: list[tuple[int, int]] = []  # spans covering the current piece, in `spans` order
    soonest = end + 1  # the earliest end among `active`
    nxt = 0
    for a, b in zip(cuts, cuts[1:]):
        while nxt < len(spans) and spans[nxt][0] <= a:
            active.append(spans[nxt])
            soonest = min(soonest, spans[nxt][1])
            nxt += 1
        if soonest < b:
            active = [(s, e) for s, e in active if e >= b]
            soonest = min((e for _, e in active), default=end + 1)
        pieces.append((a, b, tuple(active)))
    return pieces


def text_html(text: str, spans: Iterable[tuple[int, int]] = (),
              summary_ids: Container[str] = ()) -> Markup:
    """Return an article's text as HTML paragraphs, cited passages marked: what the default
    article template wrote with a loop over `paragraphs` (the same bytes, escaped), with
    no Segment made per piece (0.6 times the instructions of doing so). A passage is
    "cited" when the merged summary cites it, else "linked"; each anchor is an empty span
    where its passage first shows. Anchor ids are made of digits, a "p" and a "-": written
    as they are."""
    out = []
    names: dict[tuple[int, int], str] = {}
    placed: set[str] = set()
    for start, end, pieces in _sweep(text, spans):
        out.append("<p>")
        for a, b, covering in pieces:
            if not covering:
                out.append(escape(text[a:b]))
                continue
            marks = [names.get(span) or names.setdefault(span, anchor(*span)) for span in covering]
            for m in marks:
                if m not in placed:
                    placed.add(m)
                    out.append(f'<span id="{m}" class="anchor"></span>')
            kind = "cited" if any(m in summary_ids for m in marks) else "linked"
            out.append(f'<mark class="{kind}" data-passage="{" ".join(marks)}">'
                       f'{escape(text[a:b])}</mark>')
        out.append("</p>\n")
    return Markup("".join(out))
