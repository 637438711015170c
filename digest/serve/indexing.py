"""The dev server's search index: made after the new site is up, in a thread.

Pagefind indexes the whole site every time; at 10,000 articles that takes far longer than
the rest of a one-edit rebuild. `digest serve` therefore builds with `defer_search`: the
browser reloads as soon as the pages are in place, with the search index the tree held
before (stale or, in a tree never served, missing), and this thread then makes the index
of the served tree beside it and renames it in. An edit that comes meanwhile stops
Pagefind; the index is made again after that build.
"""
from __future__ import annotations

import logging
import shutil
import subprocess
import threading
import time
from pathlib import Path

from digest import fsutil
from digest.pipeline import LOCK_FILE, OUTPUT_DIR
from digest.search import SearchError, index_site
from digest.stages import trees
from digest.stages.write import STATE_DIR

log = logging.getLogger(__name__)


class Indexer:
    """Makes the served tree's search index, one at a time; `cancel` stops one under way."""

    def __init__(self, root: Path):
        self.out, self.state = root / OUTPUT_DIR, root / STATE_DIR
        self.thread: threading.Thread | None = None
        self.proc: subprocess.Popen | None = None
        self.stopped = threading.Event()
        self.guard = threading.Lock()  # over `proc` and `stopped`, between the two threads

    def start(self) -> None:
        """Index the served tree in the background if its index is stale."""
        self.cancel()
        pending = trees.search_pending(self.out, self.state)
        if pending is None:
            return
        self.stopped.clear()
        self.thread = threading.Thread(target=self._run, args=pending, daemon=True,
                                       name="digest-search-index")
        self.thread.start()

    def cancel(self) -> None:
        """Stop the index under way, if any, and wait until its thread has ended."""
        with self.guard:
            self.stopped.set()
            if self.proc is not None and self.proc.poll() is None:
                self.proc.kill()
        if self.thread is not None:
            self.thread.join()
            self.thread = None

    def _running(self, proc: subprocess.Popen) -> None:
        with self.guard:
            self.proc = proc
            if self.stopped.is_set():  # cancelled while Pagefind was starting
                proc.kill()

    def _run(self, tree: Path, key: str) -> None:
        started = time.perf_counter()
        staging = trees.search_staging(tree)
        shutil.rmtree(staging, ignore_errors=True)
        try:
            index_site(tree, staging, running=self._running)
        except SearchError as exc:
            if not self.stopped.is_set():
                log.error("%s; search shows the previous index", exc)
            shutil.rmtree(staging, ignore_errors=True)
            return
        finally:
            with self.guard:
                self.proc = None
        installed = False
        if not self.stopped.is_set():
            try:  # a `digest build` in another terminal owns the trees while it runs
                with fsutil.exclusive(self.state / LOCK_FILE, timeout=0):
                    installed = trees.install_search(self.out, self.state, tree, key)
            except fsutil.Busy:
                pass
        if installed:
            print(f"search index updated in {time.perf_counter() - started:.2f}s", flush=True)
        else:
            shutil.rmtree(staging, ignore_errors=True)
