"""Read stage: find content files and read their text (the only disk reads of a build)."""
from __future__ import annotations

import errno
import functools
import json
import logging
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, NamedTuple

from digest.cache import text_fingerprint
from digest.fsutil import atomic_write_bytes, file_status
from digest.models import Problem

log = logging.getLogger(__name__)

CONTENT_DIR = "content"
SUFFIXES = (".md", ".markdown")
MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    """A content file's path relative to the site folder and its decoded text."""

    path: str
    text: str

    @functools.cached_property
    def digest(self) -> str:
        """A hash of the path and text (kept: a long-running build reuses this object)."""
        return text_fingerprint(self.path, self.text)


class KnownFile(SourceFile):
    """A content file unchanged since an earlier build read it: its digest is known and its
    text is read from `where` only if something asks for it (a cache miss)."""

    def __init__(self, path: str, where: str, digest: str, max_bytes: int = MAX_BYTES):
        # frozen, so set through __dict__, where the cached properties look too
        self.__dict__.update(path=path, digest=digest, _where=where, _max=max_bytes)

    @functools.cached_property
    def text(self) -> str:  # type: ignore[override]
        """The file's text now; raises OSError or ValueError (see read_problem)."""
        return _read(self.__dict__["_where"], self.__dict__["_max"])[1]

    def recheck(self) -> bool:
        """Read the text and make `digest` that of the text read; True if it had changed."""
        known = self.__dict__["digest"]
        self.__dict__["digest"] = text_fingerprint(self.path, self.text)
        return self.__dict__["digest"] != known


class Seen(NamedTuple):
    """What read_content knew of a file: its status, what it read, and when it looked."""

    status: tuple[int, ...]  # size, modification and change times, inode, device
    source: SourceFile
    checked_ns: int  # wall clock when the status was taken


# A status taken this soon after the file's last change cannot vouch for its content: a
# write in the same tick of the file system's clock leaves the times unchanged.
SETTLED_NS = 2_000_000_000


def read_content(root: Path, max_bytes: int = MAX_BYTES, seen: dict[str, Seen] | None = None,
                 links: set[str] | None = None) -> tuple[list[SourceFile], list[Problem]]:
    """Return every readable content file under root/content, sorted by path, and problems.

    `seen` (kept by `digest serve`, or loaded by load_seen) maps paths to what this
    function read there before; a file whose size, times and inode are unchanged since a
    look taken well after its last change is not read again. It is updated to hold what
    was found now. `links`, when given, receives the paths of the content files that are
    symbolic links.
    """
    files, problems = [], []
    content = root / CONTENT_DIR
    memo = {} if seen is None else seen
    now: dict[str, Seen] = {}
    for rel_in, path, is_link in find_content(content):
        rel = _site_path(rel_in)
        if is_link and links is not None:
            links.add(rel)
        link = _link_problem(Path(path), content) if is_link else ""
        if link:
            problems.append(Problem("warning", rel, link))
            continue
        if not (rel.isascii() or _utf8(rel)):
            problems.append(Problem("error", rel.encode("utf-8", "surrogateescape").decode(
                                        "utf-8", "backslashreplace"),
                                    "file name is not valid UTF-8: rename the file"))
            continue
        try:
            before = memo.get(rel)
            if before is not None and _unchanged(before, os.stat(path)):
                found = before
            else:
                checked = time.time_ns()
                st, text = _read(path, max_bytes)
                found = Seen(file_status(st), SourceFile(rel, text), checked)
            files.append(found.source)
            now[rel] = found
        except FileNotFoundError:
            continue  # removed since its folder was listed: a look now would not find it
        except (ValueError, OSError) as exc:
            problems.append(read_problem(rel, exc))
    if seen is not None:
        seen.clear()
        seen.update(now)
    return files, problems


def read_changed(root: Path, seen: dict[str, Seen], changed: Iterable[str],
                 max_bytes: int = MAX_BYTES) -> list[SourceFile] | None:
    """Return what read_content would, without looking at the content files that a file
    watcher did not report: `seen` must hold what a full read_content found (no problems,
    no links) and `changed` every path written, made, moved or removed since (absolute,
    or relative to the current folder). `seen` is updated as read_content updates it.

    Returns None, changing nothing, when the paths call for a full look: a folder made,
    moved or removed (an event names the folder, not what it holds), a link, a file that
    cannot be read (read_content says why), a name that is not UTF-8. Hidden paths and
    files that are not content (.md, .markdown) are passed over, as read_content passes
    them over.
    """
    content = os.path.join(os.path.abspath(root), CONTENT_DIR)
    found: dict[str, Seen | None] = {}  # path -> what it holds now (None: nothing)
    for where in changed:
        where = os.path.abspath(where)
        rel_in = os.path.relpath(where, content)
        if rel_in == os.curdir:
            return None  # content/ itself was made, moved or removed
        parts = rel_in.split(os.sep)
        if parts[0] == os.pardir or any(p.startswith(".") for p in parts):
            continue  # not in content/ (config, templates), or hidden: read_content skips it
        rel = _site_path("/".join(parts))
        if not _utf8(rel):
            return None
        try:
            st = os.lstat(where)
        except FileNotFoundError:
            if rel not in seen and any(k.startswith(rel + "/") for k in seen):
                return None  # a folder moved away: no event names what it held
            found[rel] = None
            continue
        except OSError:
            return None
        named = rel.lower().endswith(SUFFIXES)  # as a content file is
        if stat.S_ISDIR(st.st_mode) or (stat.S_ISLNK(st.st_mode) and named):
            return None
        if not (stat.S_ISREG(st.st_mode) and named):
            found[rel] = None  # not a content file (any more)
            continue
        before = seen.get(rel)
        if before is not None and _unchanged(before, st):
            continue
        try:
            checked = time.time_ns()
            st, text = _read(where, max_bytes)
        except FileNotFoundError:  # removed since its status was taken, as read_content
            found[rel] = None  # finds it then; the watcher reports the removal too
            continue
        except (ValueError, OSError):
            return None
        found[rel] = Seen(file_status(st), SourceFile(rel, text), checked)
    if found:
        added = any(rel not in seen for rel, now in found.items() if now is not None)
        for rel, now in found.items():
            if now is not None:
                seen[rel] = now
            else:
                seen.pop(rel, None)
        if added:  # in path order, as read_content finds them
            ordered = sorted(seen.items())
            seen.clear()
            seen.update(ordered)
    return [s.source for s in seen.values()]


def _site_path(rel_in: str) -> str:
    """Return the path, relative to the site folder, of a file at `rel_in` in content/: the
    key read_content and read_changed both use. File names are bytes: they are read as
    UTF-8 whatever the locale, so output is the same (an ASCII name reads the same in any
    locale, so it is taken as it is)."""
    if rel_in.isascii():
        return f"{CONTENT_DIR}/{rel_in}"
    return os.fsencode(f"{CONTENT_DIR}/{rel_in}").decode("utf-8", "surrogateescape")


def _read(path: str, max_bytes: int) -> tuple[os.stat_result, str]:
    """Return a file's status and its text; raise ValueError (too large, not UTF-8 text)
    or OSError."""
    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())
        _check_size(st.st_size, max_bytes)
        return st, decode(fh.read())


def read_problem(rel: str, exc: ValueError | OSError) -> Problem:
    """Return the problem to report for a content file that _read could not read."""
    if isinstance(exc, OSError):
        return Problem("error", rel, f"cannot read file: {exc.strerror or exc}")
    return Problem("error", rel, str(exc))


def _unchanged(before: Seen, st: os.stat_result) -> bool:
    """True when a file's status is as seen before, and that look came well after the last
    change (so no later write can have kept the same times)."""
    status = file_status(st)
    return status == before.status and status[2] + SETTLED_NS < before.checked_ns


SEEN_FILE = "files.json"  # in the state folder: status and digest of each content file


def load_seen(state: Path, root: Path, max_bytes: int = MAX_BYTES) -> dict[str, Seen]:
    """Return what the last build saw of each content file (save_seen), its text unread."""
    base = os.fspath(root)
    make = tuple.__new__  # Seen(...) would run a Python __new__ per file
    try:
        data = json.loads((state / SEEN_FILE).read_bytes())
        return {rel: make(Seen, (tuple(v[:5]), KnownFile(rel, f"{base}/{rel}", v[6], max_bytes),
                                 v[5]))
                for rel, v in data.items() if type(v) is list and list(map(type, v)) == _SEEN_TYPES}
    except (OSError, ValueError, AttributeError, TypeError):  # missing or damaged: read all
        return {}


_SEEN_TYPES = [int] * 6 + [str]  # a line of SEEN_FILE: status, checked_ns, digest


def save_seen(state: Path, seen: Mapping[str, Seen]) -> None:
    """Record each content file's status and digest for the next build (load_seen)."""
    data = {rel: [*s.status, s.checked_ns, s.source.digest] for rel, s in sorted(seen.items())}
    atomic_write_bytes(state / SEEN_FILE, json.dumps(data, separators=(",", ":")).encode(),
                       durable=False)


def _utf8(name: str) -> bool:
    """True when a file name decoded from the file system is valid UTF-8 (no escaped bytes)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise ValueError(f"file is {size / 1e6:.1f} MB, larger than the {max_bytes / 1e6:.0f} MB "
                         "limit for one article (split it, or it is not an article)")


def decode(data: bytes) -> str:
    """Return UTF-8 text, or raise ValueError saying where the bytes are not text."""
    if b"\x00" in data:
        raise ValueError("binary file (contains NUL bytes): expected UTF-8 Markdown text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValueError(f"line {line}: invalid UTF-8 (byte 0x{data[exc.start]:02x} at offset "
                         f"{exc.start}); expected UTF-8 text (`digest import` repairs other "
                         "encodings)") from None


def find_content(content: Path) -> list[tuple[str, str, bool]]:
    """Return (path relative to `content`, full path, is a symlink) for each content file,
    sorted, skipping hidden entries; linked folders are not followed (no loops)."""
    found: list[tuple[str, str, bool]] = []
    if not content.is_dir():
        return found
    stack = [("", str(content))]
    while stack:
        prefix, folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append((f"{prefix}{name}/", entry.path))
            elif name.lower().endswith(SUFFIXES) and (
                    entry.is_symlink() or entry.is_file(follow_symlinks=False)):  # no FIFOs
                found.append((prefix + name, entry.path, entry.is_symlink()))
    found.sort(key=lambda f: f[0])
    return found


def _link_problem(path: Path, content: Path) -> str:
    """Return why a symlinked content file is skipped (loop, dangling, outside), else ""."""
    try:
        target = path.resolve(strict=True)
    except (RuntimeError, OSError) as exc:  # Python < 3.13 reports a loop as RuntimeError
        if isinstance(exc, RuntimeError) or exc.errno == errno.ELOOP:
            return "symlink loop: expected a link to a file inside content/, skipped"
        return f"broken symlink to {os.readlink(path)!r}: expected a file inside content/, skipped"
    try:
        target.relative_to(content.resolve())
    except ValueError:
        return f"symlink points outside content/ (to {str(target)!r}), skipped"
    return ""
