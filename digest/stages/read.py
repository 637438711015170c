"""Read stage: find content files and read their text (the only disk reads of a build)."""
from __future__ import annotations

import errno
import functools
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from digest.cache import text_fingerprint
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


def read_content(root: Path, max_bytes: int = MAX_BYTES,
                 seen: dict[str, tuple[tuple[int, ...], SourceFile]] | None = None,
                 ) -> tuple[list[SourceFile], list[Problem]]:
    """Return every readable content file under root/content, sorted by path, and problems.

    `seen` (kept by a long-running caller, `digest serve`) maps paths to what this function
    read there before and the file's status then; a file whose size, times and inode are
    unchanged is not read again. It is updated to hold what was read now.
    """
    files, problems = [], []
    content = root / CONTENT_DIR
    memo = {} if seen is None else seen
    now: dict[str, tuple[tuple[int, ...], SourceFile]] = {}
    for rel_in, path, is_link in find_content(content):
        # file names are bytes: read them as UTF-8 whatever the locale, so output is the same
        rel = os.fsencode(f"{CONTENT_DIR}/{rel_in}").decode("utf-8", "surrogateescape")
        link = _link_problem(Path(path), content) if is_link else ""
        if link:
            problems.append(Problem("warning", rel, link))
            continue
        if not _utf8(rel):
            problems.append(Problem("error", rel.encode("utf-8", "surrogateescape").decode(
                                        "utf-8", "backslashreplace"),
                                    "file name is not valid UTF-8: rename the file"))
            continue
        try:
            before = memo.get(rel)
            if before is not None and before[0] == _status(os.stat(path)):
                src, status = before[1], before[0]
            else:
                with open(path, "rb") as fh:
                    st = os.fstat(fh.fileno())
                    _check_size(st.st_size, max_bytes)
                    src, status = SourceFile(rel, decode(fh.read())), _status(st)
            files.append(src)
            now[rel] = (status, src)
        except ValueError as exc:
            problems.append(Problem("error", rel, str(exc)))
        except OSError as exc:
            problems.append(Problem("error", rel, f"cannot read file: {exc.strerror or exc}"))
    if seen is not None:
        seen.clear()
        seen.update(now)
    return files, problems


def _status(st: os.stat_result) -> tuple[int, ...]:
    """Return what tells that a file changed: size, modification and change times, inode."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


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
