"""Crash-safe file writes."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator, Sequence


def link_or_copy(src: str | Path, dest: str | Path) -> None:
    """Make `dest` a hard link to `src` (replacing a file in the way), or a copy where
    links cannot be made (another file system)."""
    try:
        os.link(src, dest)
    except FileExistsError:
        os.unlink(dest)
        os.link(src, dest)
    except OSError:
        shutil.copy2(src, dest)


# The deleter yields the processor to everything else (os.nice): a one-edit build at 10,000
# articles next to the deletion of a whole tree took 1.69-2.30 s with it at the same
# priority, 1.45-2.09 s at the lowest (1.1-1.2 s alone).
_REMOVE = ("import os, shutil, sys\n"
           "try:\n    os.nice(19)\nexcept (AttributeError, OSError):\n    pass\n"
           "for p in sys.argv[1:]:\n    shutil.rmtree(p, ignore_errors=True)\n")
_detached: list[subprocess.Popen] = []  # deleters started by this process, until they end


def remove_detached(folders: Sequence[Path]) -> bool:
    """Start deleting `folders` in a process of their own, which goes on after this one
    exits; return False when none could be started (the caller deletes them then).

    The folders must be ones nothing uses any more (a replaced site tree, set aside under a
    name no later build reuses). Deleting the 12,000 files of a tree took 3 s on this
    machine's disk, and `digest build` waited for it before it ended."""
    _detached[:] = [p for p in _detached if p.poll() is None]
    if not sys.executable:
        return False
    try:
        _detached.append(subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _REMOVE, *map(os.fspath, folders)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True))  # not stopped with this process's group (Ctrl+C)
    except OSError:
        return False
    return True


def file_status(st: os.stat_result) -> tuple[int, ...]:
    """Return what tells that a file changed or was replaced: size, modification and change
    times, inode and device."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def atomic_write_bytes(path: Path, data: bytes, durable: bool = True) -> None:
    """Write `data` to `path` via a temporary file, fsync and rename; never a torn file.

    Without `durable` there is no fsync (a few ms each): for files whose readers check them
    and start again without them (the signed cache, the record of files seen), which a
    power cut may leave empty or old."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_all(fd: int, data: bytes) -> None:
    """Write all of `data` to the open file descriptor `fd`."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 `text` to `path` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


class Busy(Exception):
    """Another process held a lock for longer than the caller would wait."""

    def __init__(self, path: Path, holder: str, waited: float):
        super().__init__(f"{path}: still held by process {holder} after {waited:g} s")
        self.path, self.holder, self.waited = path, holder, waited


@contextlib.contextmanager
def exclusive(path: Path, waiting: Callable[[str], None] = lambda _: None,
              unlocked: Callable[[str], None] = lambda _: None,
              timeout: float | None = None, label: str = "",
              make_folder: bool = True) -> Iterator[None]:
    """Hold an exclusive advisory lock on `path` (made if missing, and its folder too unless
    `make_folder` is false) while the block runs.

    When another process holds it, `waiting` is told who (the pid it wrote, then its
    `label`) and this one blocks until it is free, or raises Busy once `timeout` seconds
    have passed. The kernel drops the lock when its holder exits, however it exits, so a
    killed build never leaves the folder locked. Where the platform has no fcntl (Windows)
    nothing is locked; where the lock file cannot be made or the file system refuses
    locks, `unlocked` is told why and the block runs without one.
    """
    try:
        import fcntl
    except ImportError:
        yield
        return
    try:
        if make_folder:
            path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        unlocked(f"{path}: {exc.strerror or exc}")
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            locked = True
        except BlockingIOError:
            holder = os.pread(fd, 128, 0).decode("ascii", "replace").strip() or "unknown"
            waiting(holder)
            _wait_for(fd, path, holder, timeout)
            locked = True
        except OSError as exc:  # a file system without locks (some network and FUSE mounts)
            unlocked(f"{path}: {exc.strerror or exc}")
            locked = False
        if locked:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}{' ' if label else ''}{label}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _want_file(path: Path) -> int | None:
    """Open `path` (made if missing) to take the locks of `wanting` and `wanted` on; None
    where there are no locks (no fcntl) or it cannot be opened (its folder is missing:
    then no site state, and nothing that holds the lock until wanted)."""
    try:
        import fcntl  # noqa: F401
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except (ImportError, OSError):
        return None


@contextlib.contextmanager
def wanting(path: Path) -> Iterator[None]:
    """Hold a shared advisory lock on `path` while the block runs: it tells a process that
    holds another lock only until someone wants it (`wanted`) to let go. Taken before
    waiting for that lock, and kept while it is held. Where there are no locks, nothing is
    told."""
    fd = _want_file(path)
    if fd is None:
        yield
        return
    import fcntl
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def wanted(path: Path) -> Iterator[Callable[[], bool]]:
    """Yield a check that is true while any process or thread is `wanting(path)`: a try
    for an exclusive lock on it, given up at once (two system calls). Where there are no
    locks, the check is always false."""
    fd = _want_file(path)
    if fd is None:
        yield lambda: False
        return
    import fcntl

    def check() -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            return False
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    try:
        yield check
    finally:
        os.close(fd)


def _wait_for(fd: int, path: Path, holder: str, timeout: float | None) -> None:
    """Block until the lock on `fd` is ours; raise Busy after `timeout` seconds."""
    import fcntl
    if timeout is None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Busy(path, holder, timeout) from None
            time.sleep(min(0.05, left))
