"""Split an article's text into paragraphs and segments, marking cited passages."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Container, Iterable

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


def paragraphs(text: str, spans: Iterable[tuple[int, int]] = ()) -> list[Paragraph]:
    """Return the paragraphs of `text`, each split where cited spans begin and end.

    One sweep over paragraphs and spans in text order, so an article with thousands of
    cited passages costs no more than sorting them."""
    cited = sorted({(s, e) for s, e in spans if 0 <= s < e <= len(text)})
    out = []
    placed: set[str] = set()  # each anchor id once, where its span first shows
    live: list[tuple[int, int]] = []  # spans begun before this paragraph's end, in order
    nxt = 0
    for m in re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]*)*", text):
        start, end = m.start(), m.end()
        while nxt < len(cited) and cited[nxt][0] < end:
            live.append(cited[nxt])
            nxt += 1
        live = [(s, e) for s, e in live if e > start]
        out.append(Paragraph(start, end, tuple(_segments(text, start, end, live, placed))))
    return out


def _segments(text: str, start: int, end: int, spans: list[tuple[int, int]],
              placed: set[str]) -> list[Segment]:
    """Cut [start, end) at every span boundary; `spans` sorted, all overlapping the range."""
    cuts = sorted({start, end} | {max(start, min(end, x)) for s, e in spans for x in (s, e)})
    segs = []
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
        marks = tuple(anchor(s, e) for s, e in active)
        opens = tuple(m for m in marks if m not in placed)
        placed.update(opens)
        segs.append(Segment(text[a:b], marks, opens))
    return segs


def text_html(text: str, spans: Iterable[tuple[int, int]] = (),
              summary_ids: Container[str] = ()) -> Markup:
    """Return an article's text as HTML paragraphs, cited passages marked: what the default
    article template wrote with a loop over `paragraphs` (the same bytes, escaped), in a
    fifth of the time. A passage is "cited" when the merged summary cites it, else
    "linked"; each anchor is an empty span where its passage first shows."""
    out = []
    for p in paragraphs(text, spans):
        out.append("<p>")
        for seg in p.segments:
            for id_ in seg.opens:
                out.append(f'<span id="{escape(id_)}" class="anchor"></span>')
            if seg.marks:
                kind = "cited" if any(m in summary_ids for m in seg.marks) else "linked"
                out.append(f'<mark class="{kind}" data-passage="{escape(" ".join(seg.marks))}">'
                           f'{escape(seg.text)}</mark>')
            else:
                out.append(str(escape(seg.text)))
        out.append("</p>\n")
    return Markup("".join(out))
