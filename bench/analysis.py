"""Time grouping and each analyzer separately on a corpus folder and print a table.

    python bench/analysis.py SITE_DIR [--stories N] [--dump FILE] [--stage-only | --no-stage]

Reads content with digest's read and clean stages (not timed), groups the articles into
stories, then runs every analyzer over every story and reports the seconds spent in each:
CPU time of this process, which load from other processes disturbs less than wall time.
When digest has `digest.analyze.prepare`, the shared per-story preparation (sentence
splits) is its own row and is handed to the analyzers, as the analyze stage does. Last,
the whole analyze stage runs as the build runs it (worker processes included: wall time).
Everything runs with the cyclic garbage collector paused, as in a build (see
digest.pipeline.build), so that the times are a build's: with it running, collections took
0.71 CPU s of a run on the first 300 stories of the 10,000-article bench (whole articles
loaded), charged to whichever step happened to trigger them.
`--dump` writes the stories the stage analysed (repr, one per line) so that two versions
of the code can be compared with `cmp` (run the old one with PYTHONPATH pointing at a
copy); it needs the stage row, so not `--no-stage`.
"""
from __future__ import annotations

import argparse
import gc
import inspect
import os
import time
from dataclasses import replace
from pathlib import Path

from digest.analyze import figures, overlap, quotes, summarize, timeline
from digest.config import load_config
from digest.stages import analyze, clean, group, read, write

try:
    from digest.analyze import prepare
except ImportError:  # older digest: every analyzer prepares its own text
    prepare = None


def _load(root: Path):
    """Return (config, cleaned articles) of the site at `root`."""
    config, _ = load_config(root)
    files, _ = read.read_content(config.root)
    articles, _ = clean.clean_all(files, config)
    return config, articles


def _call(fn, members, prep, *args):
    """Call an analyzer, handing it the prepared story when it accepts one."""
    if prep is not None and "prepared" in inspect.signature(fn).parameters:
        return fn(members, *args, prepared=prep)
    return fn(members, *args)


def _analyzers(max_words: int):
    """Return (row name, function of (members, prepared)) for each analyzer."""
    return [
        ("summarize", lambda m, p: _call(summarize.summarize, m, p, max_words)),
        ("quotes", lambda m, p: _call(quotes.extract_quotes, m, p)),
        ("figures", lambda m, p: _call(figures.extract_figures, m, p)),
        ("timeline", lambda m, p: _call(timeline.build_timeline, m, p)),
        ("coverage", lambda m, p: _call(overlap.source_coverage, m, p)),
        ("independent", lambda m, p: _call(summarize.independent_sources, m, p)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--stories", type=int, default=0,
                        help="analyse only the first N stories")
    parser.add_argument("--dump", type=Path, help="write analysed stories (repr) to this file")
    parser.add_argument("--stage-only", action="store_true",
                        help="do not time the analyzers one by one")
    parser.add_argument("--no-stage", action="store_true",
                        help="do not run the whole analyze stage")
    args = parser.parse_args()
    if args.dump and args.no_stage:
        parser.error("--dump writes what the analyze stage made: leave out --no-stage")
    gc.disable()  # as a build does: see the docstring
    t = time.perf_counter()
    config, articles = _load(args.site.resolve())
    print(f"read+clean {len(articles)} articles: {time.perf_counter() - t:.2f} s (not counted)")
    rows: list[tuple[str, float]] = []
    t = time.process_time()
    stories, _ = group.form_stories(articles, write.read_story_ids(config.root))
    rows.append(("grouping", time.process_time() - t))
    if args.stories:
        stories = stories[:args.stories]
    by_id = {a.id: a for a in articles}
    memberships = [[by_id[i] for i in s.articles] for s in stories]

    if not args.stage_only:
        totals = {name: 0.0 for name, _ in _analyzers(config.summary_max_words)}
        prep_total = 0.0
        lexicon = prepare.Lexicon() if prepare is not None else None  # as one stage chunk
        for members in memberships:
            prep = None
            if prepare is not None:
                t = time.process_time()
                prep = prepare.prepare_story(members, lexicon)
                prep_total += time.process_time() - t
            for name, fn in _analyzers(config.summary_max_words):
                t = time.process_time()
                fn(members, prep)
                totals[name] += time.process_time() - t
        if prepare is not None:
            rows.append(("prepare (shared)", prep_total))
        rows += list(totals.items())

    analysed = []
    if not args.no_stage:
        t = time.perf_counter()
        analysed = analyze.analyze_all(stories, by_id, config.summary_max_words)
        rows.append(("analyze_all (stage, wall)", time.perf_counter() - t))

    load = os.getloadavg()[0]
    print(f"{len(stories)} stories, load average {load:.2f}", flush=True)
    print(f"{'step':<28}{'seconds':>10}   (CPU seconds of this process, one core;")
    print(f"{'':<38}    the stage row is wall time, worker processes included)")
    for name, seconds in rows:
        print(f"{name:<28}{seconds:>10.2f}")
    if args.dump:
        args.dump.write_text("".join(repr(replace(s)) + "\n" for s in analysed), encoding="utf-8")
        print(f"wrote {args.dump}")


if __name__ == "__main__":
    main()
