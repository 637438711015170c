"""Read stage: find content files and read their text (the only disk reads of a build)."""
from __future__ import annotations

import errno
import logging
import os
from dataclasses import dataclass
from pathlib import Path

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


def read_content(root: Path, max_bytes: int = MAX_BYTES) -> tuple[list[SourceFile], list[Problem]]:
    """Return every readable content file under root/content, sorted by path, and problems."""
    files, problems = [], []
    content = root / CONTENT_DIR
    for path in find_content(content):
        # file names are bytes: read them as UTF-8 whatever the locale, so output is the same
        rel = os.fsencode(path.relative_to(root).as_posix()).decode("utf-8", "surrogateescape")
        link = _link_problem(path, content)
        if link:
            problems.append(Problem("warning", rel, link))
            continue
        if not _utf8(rel):
            problems.append(Problem("error", rel.encode("utf-8", "surrogateescape").decode(
                                        "utf-8", "backslashreplace"),
                                    "file name is not valid UTF-8: rename the file"))
            continue
        try:
            _check_size(path, max_bytes)
            files.append(SourceFile(rel, decode(path.read_bytes())))
        except ValueError as exc:
            problems.append(Problem("error", rel, str(exc)))
        except OSError as exc:
            problems.append(Problem("error", rel, f"cannot read file: {exc.strerror or exc}"))
    return files, problems


def _utf8(name: str) -> bool:
    """True when a file name decoded from the file system is valid UTF-8 (no escaped bytes)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_size(path: Path, max_bytes: int) -> None:
    size = path.stat().st_size
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


def find_content(content: Path) -> list[Path]:
    """Return content files below `content`, sorted, skipping hidden entries and link loops."""
    if not content.is_dir():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(content, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            path = Path(dirpath) / name
            if name.startswith(".") or not name.lower().endswith(SUFFIXES):
                continue
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(content).as_posix())


def _link_problem(path: Path, content: Path) -> str:
    """Return why a symlinked content file is skipped (loop, dangling, outside), else ""."""
    if not path.is_symlink():
        return ""
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
