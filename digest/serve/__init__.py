"""`digest serve`: build, serve on 127.0.0.1, rebuild on change, reload open tabs."""
from __future__ import annotations

import gc
import logging
import signal
import threading
import time
import traceback
from pathlib import Path
from typing import Callable

from digest.config import ConfigError, load_config
from digest.pipeline import build
from digest.search import SearchError
from digest.theme import ThemeError
from digest.serve.catchup import CatchUp
from digest.serve.indexing import Indexer
from digest.serve.server import LiveState, make_server
from digest.serve.watch import watch

log = logging.getLogger(__name__)


NOTICE_GRACE = 0.2  # seconds Builder waits for the watcher to report a change it found


class Builder:
    """Runs one build at a time and publishes its outcome to the live state."""

    def __init__(self, root: Path, state: LiveState, drafts: bool = False):
        self.root, self.state, self.drafts = root, state, drafts
        self.lock = threading.Lock()
        self.warm: dict = {}  # the build cache, kept in memory between rebuilds
        self.closed = False
        self.indexer = Indexer(root)  # the search index, made after each new site is up
        # the idle tree, brought up to date after each build (once the index is made)
        self.catchup = CatchUp(root, lambda: self.indexer.thread)
        self.search = False  # the last config read asks for a search index
        self.noticed: set[str] = set()  # paths the watcher reported, not yet built from
        self.noticing = threading.Lock()

    def notice(self, paths: set[str]) -> None:
        """Hear of changed paths as soon as the watcher does (its calls come later)."""
        with self.noticing:
            self.noticed |= paths

    def close(self) -> None:
        """Wait for a build under way to finish, then start no more. A build stopped
        after it put up the new site but before it saved the cache and that tree's
        manifest costs the next `digest build` a full rebuild (8 s at 10,000 articles)."""
        with self.lock:
            self.closed = True
            self.indexer.cancel()
            self.catchup.cancel()

    def __call__(self, changed: set[str] | None = None) -> str:
        """Rebuild the site; return the error text ('' when the new site is being served)."""
        shown: list[float] = []  # when the new site was announced, if it was

        def published() -> None:  # pages reload now; the cache is saved after
            shown.append(time.perf_counter() - started)
            self.state.publish("")

        with self.lock:
            if self.closed:
                return ""
            self.indexer.cancel()  # the index under way is of the site this build replaces
            self.catchup.cancel()  # within one file: this build's trees are its own
            started = time.perf_counter()
            with self.noticing:
                self.noticed -= changed or set()
            error, missed = self._build(published, changed)
            missed = self._unnoticed(missed)
            if missed:  # changed without a watcher event: the new site may not show it
                log.warning("%s changed without a watcher event: building again",
                            ", ".join(missed))
                shown.clear()
                started = time.perf_counter()
                error, _ = self._build(published, None)
            took = time.perf_counter() - started
            if self.search:  # even after a failed build: the last good site's index
                self.indexer.start()
            self.catchup.start()
        if error:
            log.error("build failed; still serving the last good site:\n%s", error)
        else:
            print(f"built in {shown[0] if shown else took:.2f}s"
                  + (f" ({len(changed)} changed)" if changed else ""), flush=True)
        if error or not shown:
            self.state.publish(error)
        gc.freeze()  # what this build keeps for the next is not walked by collections between
        return error

    def _unnoticed(self, missed: tuple[str, ...]) -> tuple[str, ...]:
        """Return the content files in `missed` (changed, but not in the build's report)
        that the watcher has not reported either, waiting up to NOTICE_GRACE for it: an
        event reaches `notice` through watchdog's threads some milliseconds after the
        write, and the look after the site is up may see the file first. A change the
        watcher did report gets the build its own call asks for."""
        end = time.monotonic() + NOTICE_GRACE
        while True:
            with self.noticing:
                missed = tuple(m for m in missed if str(self.root / m) not in self.noticed)
            if not missed or time.monotonic() >= end:
                return missed
            time.sleep(0.01)

    def _build(self, published: Callable[[], None],
               changed: set[str] | None) -> tuple[str, tuple[str, ...]]:
        """Build once; return the error text ('' if none) and the content files that changed
        though not in `changed` (the paths the watcher reported; None: look at all)."""
        try:
            config, warnings = load_config(self.root)
            self.search = config.search
            report = build(config, drafts=self.drafts, keep_on_errors=True,
                           config_problems=tuple(warnings), warm=self.warm,
                           published=published, defer_search=True, detach=True,
                           changed=changed)
        except (ConfigError, ThemeError, SearchError) as exc:
            return str(exc), ()
        except Exception:  # a theme or code error must not stop the server
            return traceback.format_exc(limit=6), ()
        return "\n".join(str(p) for p in report.errors), report.unreported


def _stop_on_sigterm() -> Callable[[], None]:
    """Make SIGTERM stop the server as Ctrl+C does (letting a build finish) rather than kill
    it; return what restores the previous handler. Only the main thread can do this."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    return lambda: signal.signal(signal.SIGTERM, previous)


def serve(root: Path, host: str = "127.0.0.1", port: int = 8000, drafts: bool = False,
          ready: threading.Event | None = None, stop: threading.Event | None = None) -> None:
    """Build, then serve `root/site` until interrupted (or `stop` is set), rebuilding on change."""
    state = LiveState()
    builder = Builder(root, state, drafts)
    builder()
    try:
        base_path = load_config(root)[0].base_path
    except ConfigError:
        base_path = "/"
    server = make_server(root / "site", state, host, port, base_path)
    observer = watch(root, builder, on_notice=builder.notice)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(f"serving {root / 'site'} at http://{host}:{server.server_address[1]}{base_path} "
          "(Ctrl+C to stop)", flush=True)
    if ready:
        ready.set()
    stopping = _stop_on_sigterm()
    try:
        while not (stop and stop.is_set()):
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        observer.stop()
        builder.close()
        stopping()
        state.close()
        server.shutdown()
        server.server_close()
