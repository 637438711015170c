"""Analyze stage: per story, the merged summary, quotes, figures and timeline."""
from __future__ import annotations

import logging
from dataclasses import replace
from typing import Mapping, Sequence

from digest.analyze.figures import extract_figures
from digest.analyze.overlap import source_coverage
from digest.analyze.quotes import extract_quotes
from digest.analyze.summarize import independent_sources, summarize
from digest.analyze.timeline import build_timeline
from digest.analyze.sentences import split_sentences
from digest.models import Article, Citation, Story, SummarySentence

log = logging.getLogger(__name__)


def analyze_all(stories: Sequence[Story], articles: Mapping[str, Article],
                max_words: int) -> list[Story]:
    """Return the stories with their analysis filled in."""
    return [analyze_story(s, [articles[i] for i in s.articles], max_words) for s in stories]


def analyze_story(story: Story, members: Sequence[Article], max_words: int) -> Story:
    """Return one story with summary, quotes, figures, timeline and independent-source count."""
    summary = summarize(members, max_words) or lead_summary(members, max_words)
    return replace(story, summary=summary,
                   quotes=extract_quotes(members), figures=extract_figures(members),
                   timeline=build_timeline(members), coverage=source_coverage(members),
                   independent=independent_sources(members))


def lead_summary(members: Sequence[Article], max_words: int) -> tuple[SummarySentence, ...]:
    """Return the first sentence of the earliest article that has one: the fallback when no
    sentence passes the summariser's stand-alone filters (very short articles)."""
    for a in members:
        for start, end in split_sentences(a.text)[:1]:
            if len(a.text[start:end].split()) <= max_words:
                return (SummarySentence(a.text[start:end], (Citation(a.id, start, end),)),)
    return ()
