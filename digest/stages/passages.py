"""Split an article's text into paragraphs and segments, marking cited passages."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable


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
    """Return the paragraphs of `text`, each split where cited spans begin and end."""
    cited = sorted({(s, e) for s, e in spans if 0 <= s < e <= len(text)})
    out = []
    placed: set[str] = set()  # each anchor id once, where its span first shows
    for m in re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]*)*", text):
        start, end = m.start(), m.end()
        inside = [(s, e) for s, e in cited if s < end and e > start]
        out.append(Paragraph(start, end, tuple(_segments(text, start, end, inside, placed))))
    return out


def _segments(text: str, start: int, end: int, spans: list[tuple[int, int]],
              placed: set[str]) -> list[Segment]:
    cuts = sorted({start, end} | {max(start, min(end, x)) for s, e in spans for x in (s, e)})
    segs = []
    for a, b in zip(cuts, cuts[1:]):
        if a == b:
            continue
        marks = tuple(anchor(s, e) for s, e in spans if s <= a and e >= b)
        opens = tuple(m for m in marks if m not in placed)
        placed.update(opens)
        segs.append(Segment(text[a:b], marks, opens))
    return segs
