"""The dev server's search index: its stale shards made after the new site is up, in a thread.

A shard of the index takes Pagefind about a second (digest.search), longer than the rest
of a one-edit rebuild at 10,000 articles, and a change to the theme or config makes every
shard stale (half a minute). `digest serve` therefore builds with `defer_search`: the
browser reloads as soon as the pages are in place, with the shards the tree held before
(stale or, in a tree never served, missing), and this thread then makes the stale shards
of the served tree beside it and renames them in. An edit that comes meanwhile stops
Pagefind; the shards are made again after that build.
"""
from __future__ import annotations

import itertools
import logging
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

from digest import fsutil
from digest.pipeline import OUTPUT_DIR
from digest.search import Plan, SearchError, make_shards
from digest.stages import trees
from digest.stages.write import LOCK_FILE, STATE_DIR, WANTED_FILE

log = logging.getLogger(__name__)
# seconds to wait for the build lock: enough for a catch-up to let go (one file, then its
# manifest: 0.1 s at 10,000 articles), not for a build in another terminal to end
CATCH_UP_YIELD = 0.5


class Indexer:
    """Makes the served tree's search index, one at a time; `cancel` stops one under way."""

    def __init__(self, root: Path):
        self.out, self.state = root / OUTPUT_DIR, root / STATE_DIR
        self.thread: threading.Thread | None = None
        self.procs: set[subprocess.Popen] = set()  # Pagefind, one per shard under way
        self.stopped = threading.Event()
        self.guard = threading.Lock()  # over `procs` and `stopped`, between the threads
        self.swept = False

    def start(self) -> None:
        """Index the served tree in the background if its index is stale."""
        self.cancel()
        if not self.swept:  # what a killed server left: deleted meanwhile
            self.swept = True
            for left in sorted((self.state / trees.TREES_DIR).glob("*.search-new.old-*")):
                _delete_later(left)
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
            for proc in self.procs:
                if proc.poll() is None:
                    proc.kill()
        if self.thread is not None:
            self.thread.join()
            self.thread = None

    def _running(self, proc: subprocess.Popen) -> None:
        with self.guard:
            self.procs = {p for p in self.procs if p.poll() is None} | {proc}
            if self.stopped.is_set():  # cancelled while Pagefind was starting
                proc.kill()

    def _run(self, tree: Path, stale: Plan, key: str) -> None:
        started = time.perf_counter()
        staging = trees.search_staging(tree)
        _discard(staging)  # left by a serve that was killed
        try:
            make_shards(tree, stale, staging, running=self._running, stopped=self.stopped)
        except SearchError as exc:
            if not self.stopped.is_set():
                log.error("%s; search shows the previous index", exc)
            _discard(staging)
            return
        finally:
            with self.guard:
                self.procs = set()
        installed = False
        aside = _free_name(staging)
        if not self.stopped.is_set():
            made = {name: shard.key for name, shard in stale.items()}
            try:  # a `digest build` in another terminal owns the trees while it runs; a
                # catch-up (catchup.py) holding the lock lets go within one file
                with fsutil.wanting(self.state / WANTED_FILE), \
                        fsutil.exclusive(self.state / LOCK_FILE, timeout=CATCH_UP_YIELD):
                    installed = trees.install_search(self.out, self.state, tree, key, made, aside)
            except fsutil.Busy:
                pass
        _discard(aside)
        _discard(staging)
        if installed:
            print(f"search index updated in {time.perf_counter() - started:.2f}s "
                  f"({len(stale)} of its shards)", flush=True)


_names = itertools.count()


def _free_name(staging: Path) -> Path:
    return staging.with_name(f"{staging.name}.old-{os.getpid()}-{next(_names)}")


def _discard(folder: Path) -> None:
    """Rename `folder` away and delete it in a thread nobody waits for: an index half made
    when an edit stopped Pagefind holds thousands of files, 100 us each to delete on this
    machine's disk, and the rebuild that stopped it waits for this thread to end. What a
    killed server left is deleted by the next one (sweep)."""
    if not os.path.lexists(folder):
        return
    doomed = _free_name(folder)
    try:
        os.rename(folder, doomed)
    except OSError:
        return
    _delete_later(doomed)


def _delete_later(folder: Path) -> None:
    threading.Thread(target=shutil.rmtree, args=(folder,), kwargs={"ignore_errors": True},
                     daemon=True, name="digest-search-discard").start()
