"""Time the rendering of each kind of page on a corpus folder and print a table.

    python bench/render.py SITE_DIR [--stories N] [--repeat R] [--dump FILE]
                                    [--profile TEMPLATE]

Reads, cleans, groups and analyses the content as a clean build does (not timed; with
`--stories N` only the first N stories and their articles are kept), makes every page as
the render stage does, then renders the pages of each template in this process and reports
CPU milliseconds per page (the best of R rounds: load from other processes disturbs CPU
time less than wall time) and the size of the pages. The cyclic garbage collector is
paused, as in a build (digest.pipeline.build). Rendering is about a fifth of a clean
build and all of a rebuild after a config or theme change, where every page is rendered.

`--dump` writes each page's path and sha256, so that two versions of the code can be
compared with `cmp` (run the old one with PYTHONPATH pointing at a copy); `--profile`
prints the functions that took the most time while rendering one template's pages.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import os
import pstats
import time
from collections import defaultdict
from pathlib import Path

from digest.config import load_config
from digest.stages import analyze, clean, group, read, render, write


def _pages(root: Path, limit: int) -> tuple[render.Site, str, list[render.Page]]:
    """Return the site, the fingerprint of code, theme and config, and every HTML page."""
    config, _ = load_config(root)
    files, _ = read.read_content(config.root)
    articles, _ = clean.clean_all(files, config)
    stories, _ = group.form_stories(articles, write.read_story_ids(config.root))
    if limit:
        stories = stories[:limit]
        kept = {a for s in stories for a in s.articles}
        articles = [a for a in articles if a.id in kept]
    stories = analyze.analyze_all(stories, {a.id: a for a in articles}, config.summary_max_words)
    site, base, known = render.prepare(config, articles, stories)
    pages, article_deps = render._pages(site, base, *known)
    pages += [render._article_page(site, aid, deps) for aid, deps in article_deps.values()]
    return site, base, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--stories", type=int, default=0,
                        help="keep only the first N stories and their articles")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per template (best is shown)")
    parser.add_argument("--dump", type=Path, help="write each page's path and sha256 to this file")
    parser.add_argument("--profile", metavar="TEMPLATE",
                        help="profile the rendering of this template's pages")
    args = parser.parse_args()
    gc.disable()  # as a build does

    t = time.perf_counter()
    site, base, pages = _pages(args.site.resolve(), args.stories)
    print(f"{len(site.articles)} articles, {len(site.stories)} stories, {len(pages)} pages "
          f"made in {time.perf_counter() - t:.1f} s (not counted)")
    by_template: dict[str, list[render.Page]] = defaultdict(list)
    for page in pages:
        by_template[page.template].append(page)
    shared = (site, base)
    render._render_pages(shared, pages[:1])  # templates compiled and loaded: not counted
    rows, total, digests = [], 0.0, {}
    for template, group_ in sorted(by_template.items(), key=lambda kv: -len(kv[1])):
        best = float("inf")
        for _ in range(max(1, args.repeat)):
            t = time.process_time()
            html = render._render_pages(shared, group_)
            best = min(best, time.process_time() - t)
        size = sum(len(blob) for blob, _ in html)
        digests.update((p.output, hashlib.sha256(blob).hexdigest())
                       for p, (blob, _) in zip(group_, html))
        rows.append((template, len(group_), best, size))
        total += best
    print(f"load average {os.getloadavg()[0]:.2f}; CPU time of this process, best of "
          f"{max(1, args.repeat)}")
    print(f"{'template':<16}{'pages':>7}{'CPU s':>9}{'ms/page':>9}{'KB/page':>9}{'share':>8}")
    for template, n, seconds, size in rows:
        print(f"{template:<16}{n:>7}{seconds:>9.2f}{1000 * seconds / n:>9.3f}"
              f"{size / n / 1000:>9.1f}{seconds / total:>8.0%}")
    print(f"{'all':<16}{len(pages):>7}{total:>9.2f}")
    if args.dump:
        args.dump.write_text("".join(f"{path} {h}\n" for path, h in sorted(digests.items())),
                             encoding="utf-8")
        print(f"wrote {args.dump}")
    if args.profile:
        chosen = by_template.get(args.profile, [])
        profile = cProfile.Profile()
        profile.enable()
        render._render_pages(shared, chosen)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
