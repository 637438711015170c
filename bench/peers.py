"""Time clean builds of digest, Hugo and Pelican side by side on the same synthetic corpus.

    python bench/peers.py                             # 1,000 and 10,000 articles
    python bench/peers.py --sizes 1000 --repeat 3     # median wall time of 3 runs each
    python bench/peers.py --hugo /usr/bin/hugo --pelican /tmp/pelican-venv/bin/pelican

Issue 7's target: a clean build of 10,000 articles takes at most 1.5 times Hugo's time and
is at least 5 times faster than Pelican's. The articles come from bench/corpus.py (seeded)
and are converted, once per size, into a minimal Hugo site and a minimal Pelican site in
--work (default /tmp/peers-bench-N/{hugo,pelican}); digest builds the search-off copy made
by bench/build.py. Every build runs after deleting the tool's output and caches, is timed
by build.timed (wall, CPU of the process and its workers, peak RSS), and the table shows
the number of HTML files each wrote, so that the reader can see they did comparable work:
digest writes article, story, outlet and paginated archive pages; Hugo an article page
each, the home page, the articles section and the outlets taxonomy with one page per
outlet, plus its default RSS feeds and sitemap; Pelican (notmyidea theme, default
settings) an article page each, index, archives, and category (outlet) pages, plus its
default Atom feeds.

The peers are not installed by this script:

    apt-get install hugo                                        # Debian: Hugo 0.111
    python3 -m venv V && V/bin/pip install pelican==4.12.0 markdown

A tool that is missing is reported and its row skipped.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build import DIGEST, corpus, timed  # noqa: E402

INSTALL = {"hugo": "apt-get install hugo",
           "pelican": "python3 -m venv V && V/bin/pip install pelican==4.12.0 markdown"}

HUGO_CONFIG = """baseURL = "https://example.org/"
title = "Benchmark digest"
languageCode = "en"
[taxonomies]
  outlet = "outlets"
"""
BASEOF = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} | {{ site.Title }}</title></head>
<body><header><a href="{{ "/" | relURL }}">{{ site.Title }}</a>
<a href="{{ "articles/" | relURL }}">Archive</a> <a href="{{ "outlets/" | relURL }}">Outlets</a></header>
<main>{{ block "main" . }}{{ end }}</main></body></html>
"""
SINGLE = """{{ define "main" }}<article><h1>{{ .Title }}</h1>
<p><time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2 January 2006" }}</time>
{{ range .GetTerms "outlets" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>{{ end }}</p>
{{ .Content }}</article>{{ end }}
"""
LIST = """{{ define "main" }}<h1>{{ .Title }}</h1><ul>
{{ range .Pages.ByDate.Reverse }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>
{{ .Date.Format "2006-01-02" }} {{ .Params.outlet }}</li>{{ end }}</ul>{{ end }}
"""
INDEX = """{{ define "main" }}<h1>Latest reports</h1>
{{ range first 20 (where site.RegularPages "Section" "articles").ByDate.Reverse }}
<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<p>{{ .Date.Format "2 January 2006" }} · {{ .Params.outlet }}</p>{{ .Summary }}</article>
{{ end }}{{ end }}
"""
PELICAN_CONFIG = """AUTHOR = "Benchmark"
SITENAME = "Benchmark digest"
SITEURL = "https://example.org"
RELATIVE_URLS = True
PATH = "content"
OUTPUT_PATH = "output"
THEME = "notmyidea"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
LOAD_CONTENT_CACHE = False
CACHE_CONTENT = False
"""


def read_article(path: Path) -> tuple[dict[str, str], str]:
    """Split one corpus file into its front-matter and body.

    The corpus writes one `key: value` a line (the title in double quotes, without any inside).
    """
    _, head, body = path.read_text(encoding="utf-8").split("---\n", 2)
    meta = {}
    for line in head.splitlines():
        key, value = line.split(": ", 1)
        meta[key] = value.strip('"')
    return meta, body.lstrip("\n")


def convert(src: Path, dest: Path) -> None:
    """Write the Hugo and Pelican versions of the corpus in src/content under dest, once."""
    done = dest / ".converted"
    if done.exists():
        return
    shutil.rmtree(dest, ignore_errors=True)
    hugo, pelican = dest / "hugo", dest / "pelican"
    (hugo / "content" / "articles").mkdir(parents=True)
    (pelican / "content").mkdir(parents=True)
    (hugo / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    layouts = hugo / "layouts" / "_default"
    layouts.mkdir(parents=True)
    for name, text in [("baseof", BASEOF), ("single", SINGLE), ("list", LIST)]:
        (layouts / f"{name}.html").write_text(text, encoding="utf-8")
    (hugo / "layouts" / "index.html").write_text(INDEX, encoding="utf-8")
    (pelican / "pelicanconf.py").write_text(PELICAN_CONFIG, encoding="utf-8")
    for path in sorted((src / "content").glob("*.md")):
        meta, body = read_article(path)
        title, outlet, date = meta["title"], meta["outlet"], meta["published"]
        (hugo / "content" / "articles" / path.name).write_text(
            f"---\ntitle: {json.dumps(title)}\ndate: {date}\noutlet: {json.dumps(outlet)}\n"
            f"outlets: [{json.dumps(outlet)}]\n---\n\n{body}", encoding="utf-8")
        (pelican / "content" / path.name).write_text(
            f"Title: {title}\nDate: {date}\nCategory: {outlet}\nSlug: {path.stem}\n\n{body}",
            encoding="utf-8")
    done.touch()


def version(cmd: list[str]) -> str:
    """Return the first line a tool prints about its version, shortened to its number."""
    out = subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()
    words = out[0].split() if out else ["?"]
    return next((w.lstrip("v").split("+")[0] for w in words if w.lstrip("v")[:1].isdigit()), words[0])


def html_files(out: Path) -> int:
    """Count the .html files under out (which may be a link, as digest's site/ is)."""
    return sum(1 for _ in out.resolve().rglob("*.html")) if out.exists() else 0


def clean_run(cmd: list[str], cwd: Path, remove: list[str], repeat: int) -> dict:
    """Time `repeat` clean builds, deleting `remove` (relative to cwd) before each; return
    the run with the median wall time, its wall times listed under `walls`."""
    runs = []
    for _ in range(repeat):
        for name in remove:
            path = cwd / name
            if path.is_symlink():  # digest's site/ (rmtree would refuse it, silently)
                path.unlink()
            else:
                shutil.rmtree(path, ignore_errors=True)
        runs.append(timed(cmd, cwd))
    runs.sort(key=lambda r: r["wall"])
    median = dict(runs[(len(runs) - 1) // 2])
    median["wall"] = statistics.median(r["wall"] for r in runs)
    median["walls"] = [r["wall"] for r in runs]
    return median


def available(tool: str, path: str) -> str | None:
    """Return the full path of a tool, or None after saying how to install it."""
    found = shutil.which(path)
    if not found:
        print(f"  {tool}: '{path}' not found, skipping its rows; install with: {INSTALL[tool]} "
              f"(and pass --{tool} PATH)", flush=True)
    return found


def row(n: int, tool: str, ver: str, r: dict, html: int) -> None:
    note = " ".join(r["out"].split())[:80]  # tools wrap long lines when not on a terminal
    if len(r["walls"]) > 1:
        note = "runs " + ", ".join(f"{w:.2f}" for w in r["walls"]) + "  " + note
    print(f"{n:>8} {tool:<8} {ver:<8} {r['wall']:>7.2f} {r['cpu']:>7.2f} {r['rss']:>8.0f} "
          f"{html:>6}  {note}", flush=True)
    if html < n:
        print(f"  warning: {tool} wrote {html} HTML files for {n} articles", flush=True)


def run(sizes: list[int], work: Path, hugo: str | None, pelican: str | None, repeat: int) -> None:
    versions = {"digest": version([DIGEST, "--version"]),
                "hugo": version([hugo, "version"]) if hugo else "",
                "pelican": version([pelican, "--version"]) if pelican else ""}
    print(f"{'articles':>8} {'tool':<8} {'version':<8} {'wall s':>7} {'cpu s':>7} {'peak MB':>8} "
          f"{'html':>6}  output", flush=True)
    ratios = []
    for n in sizes:
        site = corpus(work, n, search=False)
        peers = work / f"peers-bench-{n}"
        convert(site, peers)
        walls: dict[str, float] = {}
        builds = [("digest", [DIGEST, "build", "--clean"], site, ["site", ".digest"], "site"),
                  ("hugo", [hugo, "--quiet", "--destination", str(peers / "hugo" / "public")],
                   peers / "hugo", ["public", "resources"], "public"),
                  ("pelican", [pelican, "content", "-s", "pelicanconf.py", "-o", "output"],
                   peers / "pelican", ["output", "cache", "__pycache__"], "output")]
        for tool, cmd, cwd, remove, out in builds:
            if cmd[0] is None:
                continue
            r = clean_run(cmd, cwd, remove, repeat)
            walls[tool] = r["wall"]
            row(n, tool, versions[tool], r, html_files(cwd / out))
        ratios.append((n, walls))
    print()
    for n, walls in ratios:
        d, h, p = walls.get("digest"), walls.get("hugo"), walls.get("pelican")
        hugo_ratio = f"{d / h:.2f}" if d and h else "n/a"
        pelican_ratio = f"{p / d:.2f}" if d and p else "n/a"
        print(f"{n:>8} articles: digest/Hugo {hugo_ratio} (target <= 1.5), "
              f"Pelican/digest {pelican_ratio} (target >= 5)")


def main() -> None:
    # What is compared is the build command. The catch-up of the idle tree that `digest
    # build` starts as it ends (digest.catchup) would run beside the next tool's build.
    os.environ["DIGEST_CATCH_UP"] = "0"
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    p.add_argument("--work", type=Path, default=Path("/tmp"))
    p.add_argument("--hugo", default="hugo", help="the hugo executable (default: on PATH)")
    p.add_argument("--pelican", default="pelican", help="the pelican executable (default: on PATH)")
    p.add_argument("--repeat", type=int, default=1, help="median wall time of N clean builds")
    args = p.parse_args()
    hugo, pelican = available("hugo", args.hugo), available("pelican", args.pelican)
    run(args.sizes, args.work, hugo, pelican, max(1, args.repeat))


if __name__ == "__main__":
    main()
