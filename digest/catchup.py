"""`digest build` brings the idle site tree up to date in a process of its own.

After a build that changed every page (a clean build, a theme or config change, a new
digest), the tree not being served holds an old copy of every file, or is missing, and
the next build would link them all before its site goes up: 2.2-2.3 s of a one-edit build
at 10,000 articles here, 10-12 s at 50,000 (trees.catch_up). `digest build` leaves that to
a detached process, started once its own work is done, which holds the build lock only
while no build wants it: a build that starts meanwhile holds WANTED_FILE while it waits,
and the process stops within one file, writes what the tree then holds and lets go.

`DIGEST_CATCH_UP=0` in the environment turns it off (a build in CI, whose trees nobody
rebuilds). What the last one did is in `.digest/catch-up.log`.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from digest import fsutil
from digest.stages import trees
from digest.stages.write import LOCK_FILE, WANTED_FILE

LABEL = "(bringing the idle site tree up to date)"  # written after its pid in the lock file
LOG_FILE = "catch-up.log"  # in .digest/: one line on what the last catch-up did
_MAIN = "import sys\nfrom digest.catchup import main\nsys.exit(main(sys.argv[1:]))\n"


def start(out: Path, state: Path) -> bool:
    """Start bringing the idle tree of `out` up to date in a detached process (not stopped
    with this one, nor with its process group on Ctrl+C); return False when it is turned
    off or could not be started."""
    if os.environ.get("DIGEST_CATCH_UP", "1") == "0" or not sys.executable:
        return False
    try:
        import fcntl  # noqa: F401  without locks a build could not stop it: not started
    except ImportError:
        return False
    try:
        subprocess.Popen([sys.executable, "-c", _MAIN, os.fspath(out), os.fspath(state)],
                         cwd=state, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        return False
    return True


def run(out: Path, state: Path, stop: Callable[[], bool] = lambda: False,
        record: bool = False) -> tuple[int, bool]:
    """Bring the idle tree of `out` up to date (trees.catch_up) holding the build lock, until
    `stop()` is true or a build wants the lock; return how many files were put in place and
    whether it stopped early. Raises fsutil.Busy at once when the lock is held (by a build,
    which brings the trees where they need to be), OSError where it cannot be taken. With
    `record`, what it did goes to LOG_FILE, written while the lock is still held: a build
    removes the temporary files it finds in .digest/ as it starts."""
    started = time.perf_counter()
    unlocked: list[str] = []
    gave_way: list[bool] = []
    with fsutil.wanted(state / WANTED_FILE) as wanted, \
            fsutil.exclusive(state / LOCK_FILE, unlocked=unlocked.append, timeout=0,
                             label=LABEL, make_folder=False):  # none after `rm -rf .digest`
        if unlocked:  # never without the lock: a build could be filling the tree
            if record:
                _log(state, f"not done: no lock ({unlocked[0]})")
            raise OSError(f"no lock ({unlocked[0]})")

        def stopped() -> bool:
            if not gave_way and (stop() or wanted()):
                gave_way.append(True)
            return bool(gave_way)
        try:
            done = trees.catch_up(out, state, stopped)
        except (OSError, ValueError) as exc:
            if record:
                _log(state, f"not done: {exc}")
            raise
        if record:
            _log(state, f"{done} files brought up to date in "
                        f"{time.perf_counter() - started:.2f}s"
                 + (" (stopped: a build wanted the lock)" if gave_way else ""))
        return done, bool(gave_way)


def main(argv: list[str]) -> int:
    """The detached process: `out` and `state` folders."""
    out, state = map(Path, argv)
    try:
        os.nice(19)  # work nobody waits for
    except (AttributeError, OSError):
        pass
    try:
        run(out, state, record=True)
    except fsutil.Busy:
        return 0  # a build holds the lock: nothing is written, not even the log
    except (OSError, ValueError):  # the next build puts the files in place
        return 1
    return 0


def _log(state: Path, line: str) -> None:
    if not state.is_dir():  # deleted meanwhile: not made again for a log line
        return
    try:
        fsutil.atomic_write_bytes(state / LOG_FILE, (line + "\n").encode(), durable=False)
    except OSError:
        pass
