"""The dev server brings the idle site tree up to date while nothing is being edited.

After a build that changed every page (the theme, the config, a new digest), or when
`digest serve` starts beside a site that `digest build` rewrote, the tree not being
served is a whole site behind, and the next edit's build would relink every file into it
before its page could reload (trees.catch_up). This thread does that work in the quiet
after a build instead; the next build stops it first, within one file, and so does a
`digest build` in another terminal (catchup.py does the same for `digest build`).
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Callable

from digest import catchup, fsutil
from digest.pipeline import OUTPUT_DIR
from digest.stages import trees
from digest.stages.write import STATE_DIR

log = logging.getLogger(__name__)


class CatchUp:
    """Brings the idle tree up to date in a thread; `cancel` stops it and waits for it.
    `after` returns a thread to let finish first (the search indexer's, which needs the
    build lock for a moment at its end: this thread holds it while it works)."""

    def __init__(self, root: Path, after: Callable[[], threading.Thread | None] = lambda: None):
        self.out, self.state = root / OUTPUT_DIR, root / STATE_DIR
        self.after = after
        self.thread: threading.Thread | None = None
        self.stopped = threading.Event()

    def start(self) -> None:
        self.cancel()
        self.stopped.clear()
        self.thread = threading.Thread(target=self._run, daemon=True, name="digest-catch-up")
        self.thread.start()

    def cancel(self) -> None:
        self.stopped.set()
        if self.thread is not None:
            self.thread.join()
            self.thread = None

    def _run(self) -> None:
        first = self.after()
        while first is not None and first.is_alive() and not self.stopped.is_set():
            first.join(0.05)
        if self.stopped.is_set() or not trees.catch_up_due(self.out, self.state):
            return  # after most edits: the build lock is not taken
        started = time.perf_counter()
        try:  # a `digest build` in another terminal owns the trees while it runs, and one
            # that starts meanwhile wants the lock: this gives way to it, as to an edit
            done, stopped = catchup.run(self.out, self.state, self.stopped.is_set)
        except fsutil.Busy:
            return
        except (OSError, ValueError) as exc:  # the next build puts the files in place
            log.warning("could not bring the idle site tree up to date: %s", exc)
            return
        if done:
            log.info("idle site tree: %d files brought up to date in %.2fs%s", done,
                     time.perf_counter() - started, " (stopped)" if stopped else "")
