"""Analyze stage: per story, the merged summary, quotes, figures and timeline."""
from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Mapping, Sequence

from digest.parallel import map_chunks
from digest.cache import Store, derived_fp, text_fingerprint
from digest.models import Article, Citation, Story, SummarySentence

if TYPE_CHECKING:  # the analysers (and numpy) are imported only when a story needs them:
    from digest.analyze.prepare import Lexicon, Prepared  # a rebuild that reuses every
                                                           # analysis starts 0.1 s sooner

log = logging.getLogger(__name__)


def analyze_all(stories: Sequence[Story], articles: Mapping[str, Article], max_words: int,
                cache: Store | None = None, fps_out: dict[str, str] | None = None) -> list[Story]:
    """Return the stories with their analysis filled in; unchanged stories come from `cache`.
    When `fps_out` is given it receives story id -> a fingerprint of everything the finished
    story was made from (cache.derived_fp)."""
    fps = [text_fingerprint(str(max_words), *(articles[a].analysis_key for a in s.articles))
           for s in stories]
    done = [cache.get(",".join(s.articles), fp) if cache else None for s, fp in zip(stories, fps)]
    todo = [i for i, d in enumerate(done) if d is None]
    work = [(stories[i], [articles[a] for a in stories[i].articles]) for i in todo]
    results = []
    if work:
        from digest.analyze.prepare import Lexicon
        results = map_chunks(_analyze_chunk, (max_words, Lexicon()), work, chunk=8, min_items=16)
    for i, story in zip(todo, results):
        done[i] = story
    final = [d if (d.id, d.title, d.pinned, d.weight) == (s.id, s.title, s.pinned, s.weight)
             else replace(d, id=s.id, title=s.title, pinned=s.pinned, weight=s.weight)
             for s, d in zip(stories, done)]  # kept as they are when nothing is renamed
    if cache is not None:
        for s, fp, d in zip(stories, fps, final):
            cache.put(",".join(s.articles), fp, d)
    if fps_out is not None:
        for s, fp in zip(stories, fps):
            fps_out[s.id] = derived_fp("Story", fp, s.id, s.title, s.pinned, s.weight, s.articles)
    return final


def _analyze_chunk(shared: tuple[int, Lexicon],
                   work: Sequence[tuple[Story, list[Article]]]) -> list[Story]:
    """Return the analysed stories of one chunk; the Lexicon (word memos of this
    analyze_all call, one copy per worker process) carries over between chunks."""
    max_words, lexicon = shared
    return [analyze_story(story, members, max_words, lexicon) for story, members in work]


def analyze_story(story: Story, members: Sequence[Article], max_words: int,
                  lexicon: Lexicon | None = None) -> Story:
    """Return one story with summary, quotes, figures, timeline and independent-source count."""
    from digest.analyze.figures import extract_figures
    from digest.analyze.overlap import source_coverage
    from digest.analyze.prepare import prepare_story
    from digest.analyze.quotes import extract_quotes
    from digest.analyze.summarize import independent_sources, summarize
    from digest.analyze.timeline import build_timeline
    p = prepare_story(members, lexicon)  # sentences split and words stemmed once, shared
    summary = summarize(members, max_words, p) or lead_summary(members, max_words, p)
    return replace(story, summary=summary,
                   quotes=extract_quotes(members, p), figures=extract_figures(members, p),
                   timeline=build_timeline(members, p), coverage=source_coverage(members, p),
                   independent=independent_sources(members, p))


def lead_summary(members: Sequence[Article], max_words: int,
                 prepared: Prepared | None = None) -> tuple[SummarySentence, ...]:
    """Return the first sentence of the earliest article that has one: the fallback when no
    sentence passes the summariser's stand-alone filters (very short articles)."""
    from digest.analyze.prepare import Prepared
    prepared = Prepared() if prepared is None else prepared
    for a in members:
        for start, end in prepared.sentences(a.text)[:1]:
            if len(a.text[start:end].split()) <= max_words:
                return (SummarySentence(a.text[start:end], (Citation(a.id, start, end),)),)
    return ()
