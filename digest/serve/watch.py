"""Watch the site's inputs with watchdog and call back once per burst of changes."""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

log = logging.getLogger(__name__)

WATCHED_DIRS = ("content", "templates", "themes")
WATCHED_FILES = ("config.yaml",)


# Events that end a change to a file: a write closed, a rename (an editor's atomic save),
# a removal. After one, only the rest of a burst is waited for (SETTLED); after others (a
# file created or being written) the write itself may not be over (`delay`).
DONE = frozenset({"closed", "moved", "deleted"})
SETTLED = 0.01  # seconds: events of one burst (a save, a git checkout) come within a few ms


class Debouncer(FileSystemEventHandler):
    """Collect changed paths and call `on_change(paths)` once no event came for `delay`
    seconds, or for SETTLED seconds after an event that ends a change. `on_notice(paths)`,
    when given, hears of each event's paths at once."""

    def __init__(self, root: Path, on_change: Callable[[set[str]], None], delay: float = 0.05,
                 on_notice: Callable[[set[str]], None] | None = None):
        self.root, self.on_change, self.delay = root, on_change, delay
        self.on_notice = on_notice
        self.pending: set[str] = set()
        self.lock = threading.Lock()
        self.timer: threading.Timer | None = None

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        if event.is_directory and event.event_type == "modified":
            return  # a folder's times: the events of its files say what changed
        paths = {str(p) for p in (event.src_path, getattr(event, "dest_path", ""))
                 if p and self.relevant(p)}
        if not paths:
            return
        if self.on_notice is not None:
            self.on_notice(paths)
        with self.lock:
            self.pending |= paths
            if self.timer:
                self.timer.cancel()
            wait = min(SETTLED, self.delay) if event.event_type in DONE else self.delay
            self.timer = threading.Timer(wait, self.fire)
            self.timer.daemon = True
            self.timer.start()

    def relevant(self, path: str | bytes) -> bool:
        """True for files that can change the site (not editor swap files or hidden files)."""
        p = Path(path if isinstance(path, str) else path.decode())
        try:
            rel = p.relative_to(self.root)
        except ValueError:
            return False
        name = rel.name
        if not rel.parts or name.startswith(".") or name.endswith(("~", ".swp", ".swx", ".tmp")):
            return False
        return rel.parts[0] in WATCHED_DIRS or rel.as_posix() in WATCHED_FILES

    def fire(self) -> None:
        with self.lock:
            paths, self.pending, self.timer = self.pending, set(), None
        if paths:
            self.on_change(paths)


def watch(root: Path, on_change: Callable[[set[str]], None], delay: float = 0.05,
          on_notice: Callable[[set[str]], None] | None = None) -> Observer:
    """Start and return an observer over the site's inputs; never the output folder."""
    handler = Debouncer(root, on_change, delay, on_notice)
    observer = Observer()
    observer.schedule(handler, str(root), recursive=False)  # config.yaml
    for name in WATCHED_DIRS:
        if (root / name).is_dir():
            observer.schedule(handler, str(root / name), recursive=True)
    observer.daemon = True
    observer.start()
    return observer
