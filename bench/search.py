"""Time the search page in Chromium on a built site: what the sharded index costs a reader.

    python bench/search.py /tmp/digest-bench-10000-search/site
    python bench/search.py SITE --queries harbour council --rounds 5

For each round, a new browser page (nothing cached) opens search/?q=FIRST and waits for the
result count (the shard list, Pagefind's script and wasm, every shard's metadata and the
word's index chunks are fetched); then the second query is typed in the same page. Prints
the seconds of each, the number of requests the first made, and the result counts.

The site is served by Python's http.server on 127.0.0.1; the browser is Debian's chromium.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import socketserver
import statistics
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _shown(page, query: str, start: float) -> float:
    """Wait until the status line names `query` (checked every frame: Playwright's own
    waits poll every 500 ms after a while); return seconds since `start` (page time, ms)."""
    page.wait_for_function("""q => document.getElementById("search-status")
        .textContent.includes(q)""", arg=query, polling="raf", timeout=120_000)
    return (page.evaluate("performance.now()") - start) / 1000


def run(site: Path, queries: list[str], rounds: int) -> None:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0),
                                             functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/search/index.html"
    first, second = queries[0], queries[1]
    loads, again = [], []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium")
            for _ in range(rounds):
                page = browser.new_page()  # a new context: an empty cache
                requests: list[str] = []
                page.on("request", lambda r: requests.append(r.url))
                page.goto(f"{base}?q={first}")
                loads.append(_shown(page, first, 0.0))  # from the navigation's start
                fetched, found = len(requests), page.inner_text("#search-status")
                start = page.evaluate("""q => {
                    document.getElementById("q").value = q;
                    const t = performance.now();
                    document.querySelector("form.search").requestSubmit();
                    return t; }""", second)
                again.append(_shown(page, second, start))
                found2 = page.inner_text("#search-status")
                page.close()
            browser.close()
    finally:
        server.shutdown()
    print(f"{site}: {first!r} on a new page: median {statistics.median(loads):.2f} s "
          f"({', '.join(f'{t:.2f}' for t in loads)}), {fetched} requests, {found}")
    print(f"{site}: then {second!r}: median {statistics.median(again):.2f} s "
          f"({', '.join(f'{t:.2f}' for t in again)}), {found2}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("site", type=Path, help="a built site folder (or the `site` link)")
    p.add_argument("--queries", nargs=2, default=["harbour", "council"])
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    run(args.site.resolve(), args.queries, args.rounds)


if __name__ == "__main__":
    main()
