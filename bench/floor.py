"""What a clean build costs without story analysis: a floor under the clean-build target.

    python bench/floor.py SITE_DIR [--with-analysis]

Runs `digest build --clean` on a site folder (a generated corpus from bench/build.py or
bench/corpus.py) in this process, with the analyze stage handing every story on as it is
(no summary, quotes, figures, timeline or coverage), and prints each stage's wall time and
CPU time (this process and its worker processes) and the total. With `--with-analysis`
it first runs the same build with the analysis, for comparison.

Each build writes into an output folder of its own (`floor-...` in the site folder, with
its trees in .digest/trees/), so that every file is written, as in a build from scratch,
and they are deleted at the end. This is not a way to build a site: it measures what
reading, cleaning, grouping, rendering and writing cost on their own. Story pages
without analysis are smaller and render faster than real ones, so the total is below
what those stages cost in a real build. Issue 7 asks for a clean build of 10,000
articles within 1.5 times Hugo's time and 5 times faster than Pelican (bench/peers.py
measures both): a floor above either bound says that no speed-up of the analysis alone
can reach it.

Writing 12,600 new files is the file system's work and varies most: a few seconds after
the 25,000 files of an earlier site were deleted it took 7.1-7.6 s here, against 3.1 s
after 40 s of quiet; so run this on a quiet disk.
"""
from __future__ import annotations

import argparse
import resource
import secrets
import shutil
import time
from pathlib import Path

from digest import pipeline
from digest.config import load_config
from digest.stages import analyze, trees, write


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def _unanalysed(story, members, max_words, lexicon=None):
    """The analyze stage's analyze_story, doing nothing: the story as grouping made it."""
    return story


def timed_build(root: Path, label: str, out: Path) -> float:
    """Run a clean build of the site at `root` into the new folder `out`; print each
    stage's wall and CPU seconds and return the total wall time."""
    marks: list[tuple[str, float, float]] = []
    config, _ = load_config(root)
    start = time.perf_counter()
    def progress(stage: str) -> None:
        marks.append((stage, time.perf_counter(), _cpu()))
    report = pipeline.build(config, out=out, clean_cache=True, progress=progress)
    marks.append(("end", time.perf_counter(), _cpu()))
    total = marks[-1][1] - start
    print(f"{label}: {report.articles} articles, {report.stories} stories, {report.files} files")
    for (stage, wall, cpu), (_, next_wall, next_cpu) in zip(marks, marks[1:]):
        print(f"  {stage:<8} wall {next_wall - wall:6.2f} s  cpu {next_cpu - cpu:6.2f} s")
    print(f"  {'total':<8} wall {total:6.2f} s", flush=True)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--with-analysis", action="store_true",
                        help="first time the same clean build with the analysis")
    args = parser.parse_args()
    root = args.site.resolve()
    outs = [root / f"floor-{secrets.token_hex(4)}" for _ in range(2)]
    try:
        if args.with_analysis:
            timed_build(root, "with analysis", outs[0])
        analyze.analyze_story = _unanalysed
        timed_build(root, "analysis skipped", outs[1])
    finally:
        for out in outs:
            out.unlink(missing_ok=True)  # a link to one of its trees
            for made in (root / write.STATE_DIR / trees.TREES_DIR).glob(f"{out.name}-*"):
                shutil.rmtree(made) if made.is_dir() else made.unlink()


if __name__ == "__main__":
    main()
