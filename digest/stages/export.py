"""The machine-readable digest (site/digest.json); fields documented in docs/digest-json.md."""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import pickle
import secrets
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple, Sequence, Union

from digest import __version__
from digest.cache import FORMAT as CODE_FORMAT
from digest.cache import text_fingerprint
from digest.fsutil import atomic_write_bytes, file_status, write_all
from digest.config import Config
from digest.frontmatter import iso
from digest.models import Article, Story

FORMAT_VERSION = 1


def index_file(tree: Path) -> Path:
    """Return where the index of the digest.json in a site tree is kept: beside the tree, so
    that builds to several output folders do not overwrite each other's."""
    return tree.with_name(tree.name + ".digest-json.index")


class Reuse(NamedTuple):
    """Record lines of the digest.json being served, by fingerprint: where each lies in
    `source` (offset, length), so that an unchanged line is copied, never encoded again."""

    source: str
    lines: Mapping[str, tuple[int, int]]


Part = Union[bytes, tuple[int, int]]  # new bytes, or (offset, length) in Spliced.source


@dataclass(frozen=True)
class Spliced:
    """A file made of new bytes and byte ranges of a file on disk. digest.json is 60 MB at
    10,000 articles and after one edit all but a few of its lines are those of the served
    file: they are copied by the kernel (copy_file_range) instead of being read into
    memory, joined and written again, which took a quarter of a one-edit rebuild."""

    parts: tuple[Part, ...]
    source: str = ""

    def __len__(self) -> int:
        return sum(len(p) if isinstance(p, bytes) else p[1] for p in self.parts)

    def __bytes__(self) -> bytes:
        if not self.parts or all(isinstance(p, bytes) for p in self.parts):
            return b"".join(self.parts)  # type: ignore[arg-type]
        with open(self.source, "rb") as fh:
            return b"".join(p if isinstance(p, bytes) else os.pread(fh.fileno(), p[1], p[0])
                            for p in self.parts)

    def write(self, fd: int) -> None:
        """Write the whole file to the open file descriptor `fd`."""
        if all(isinstance(p, bytes) for p in self.parts):
            write_all(fd, b"".join(self.parts))  # type: ignore[arg-type]
            return
        src = os.open(self.source, os.O_RDONLY)
        try:
            for part in self.parts:
                if isinstance(part, bytes):
                    write_all(fd, part)
                else:
                    _copy_range(src, fd, *part)
        finally:
            os.close(src)


class Staged:
    """A file written ahead, on a thread of its own, into a temporary file of `folder` (on the
    file system of the site trees) while the build goes on: trees.publish renames it into
    the tree it updates (`place`), and what no tree took is deleted (`discard`).

    digest.json is 60 MB at 10,000 articles: copying its unchanged lines took 30 ms of
    every rebuild after an edit when it was written as the tree was updated; staged, the
    copy overlaps the rendering of the pages (the kernel copies, without the interpreter
    lock). The temporary file's name starts with a dot and ends in .tmp, so the next build
    removes it when this one was killed first (pipeline._remove_litter)."""

    def __init__(self, name: str, data: bytes | Spliced, folder: Path) -> None:
        self.path: str | None = os.path.join(folder, f".{name}.{secrets.token_hex(6)}.tmp")
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(self.path, data), daemon=True,
                                        name="digest-stage")
        self._thread.start()

    def _run(self, path: str, data: bytes | Spliced) -> None:
        try:
            write_new(path, data)
        except BaseException as exc:  # raised where the file is placed
            self._error = exc

    def place(self, path: str) -> None:
        """Wait until the file is written, then rename it to `path` (which must be free)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        if self.path is None:
            raise RuntimeError(f"{path}: the staged file was placed or discarded already")
        os.rename(self.path, path)
        self.path = None

    def discard(self) -> None:
        """Wait until the writing ends, then delete the file unless it was placed."""
        self._thread.join()
        if self.path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.path)
            self.path = None


def write_new(path: str, data: bytes | Spliced) -> None:
    """Write `data` into a new file at `path`, never through a link or over a file, with
    the permissions every output file gets (0666 less the umask, not mkstemp's 0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        if isinstance(data, Spliced):
            data.write(fd)
        else:
            write_all(fd, data)
    finally:
        os.close(fd)


def discard_staged(files: Mapping[str, Any]) -> None:
    """Delete the staged files among `files` that no tree took (Staged.discard)."""
    for data in files.values():
        if isinstance(data, Staged):
            data.discard()


def _copy_range(src: int, dest: int, offset: int, length: int) -> None:
    """Append `length` bytes of `src` from `offset` to `dest`: in the kernel where it can,
    else through memory."""
    while length > 0:
        try:
            n = os.copy_file_range(src, dest, length, offset)
        except (AttributeError, OSError):  # no such call here, or not across these files
            n = 0
        if n <= 0:
            data = os.pread(src, length, offset)
            if len(data) < length:  # the served file was cut short under us
                raise OSError(f"digest.json: the served copy ends before byte {offset + length}")
            write_all(dest, data)
            return
        offset, length = offset + n, length - n


def digest_json(config: Config, stories: Sequence[Story], articles: Sequence[Article],
                reuse: Reuse | None = None,
                known: tuple[Mapping[str, str], Mapping[str, str]] | None = None,
                ) -> tuple[Spliced, dict[str, tuple[int, int]], str]:
    """Return digest.json, one story or article per line in a fixed key order, where each
    record line lies in it (offset, length) by fingerprint, in file order, and a
    fingerprint of the whole file made from those (hashing 60 MB of text again would cost a
    tenth of a second).

    Records are encoded compactly (json's C encoder: an indented dump of 10,000 articles
    takes seconds) and put one per line, so the file still diffs well. An unchanged
    record's line is copied from the served file (`reuse`, see previous_lines), since
    encoding every article's text anew costs about a second at 10,000 articles. `known`
    holds record_fp of each story and article by id, when the caller has them already.
    """
    story_fps, article_fps = known or ({}, {})
    head = {"format": FORMAT_VERSION, "generator": f"digest {__version__}",
            "site": {"title": config.title, "description": config.description,
                     "base_url": config.base_url, "language": config.language}}
    parts = [_line(k, v) for k, v in head.items()]
    out = _Splicer(reuse)
    out.add(("{\n" + ",\n".join(parts) + ',\n"stories": ').encode("utf-8"))
    _records(stories, story_record, story_fps, out)
    out.add(b',\n"articles": ')
    _records(sorted(articles, key=lambda a: a.id), article_record, article_fps, out)
    out.add(b"\n}\n")
    whole = text_fingerprint(CODE_FORMAT, *parts, *out.records)
    return Spliced(tuple(out.parts), reuse.source if reuse else ""), out.records, whole


class _Splicer:
    """Collects a Spliced file's parts, merging ranges that lie next to each other in the
    source file (so an unchanged run of records is one copy), and notes where each record
    line lands in the new file."""

    def __init__(self, reuse: Reuse | None) -> None:
        self.lines = reuse.lines if reuse else {}
        self.parts: list[Part] = []
        self.records: dict[str, tuple[int, int]] = {}
        self.size = 0

    def add(self, data: bytes) -> None:
        self.parts.append(data)
        self.size += len(data)

    def record(self, fp: str, encode: Callable[[Any], bytes], item: Any, sep: bytes) -> None:
        """Add one record line after `sep`: copied from the source when it has the line,
        else encode(item)."""
        where = self.lines.get(fp)
        last = self.parts[-1] if self.parts else b""
        if sep and where and type(last) is tuple and last[0] + last[1] + len(sep) == where[0]:
            # it follows the last line copied in the source too, `sep` between them: one copy
            self.parts[-1] = (last[0], where[0] + where[1] - last[0])
            self.size += len(sep)
        else:
            if sep:
                self.add(sep)
            if where is None:
                data = encode(item)
                self.records[fp] = (self.size, len(data))
                self.add(data)
                return
            self.parts.append(where)
        self.records[fp] = (self.size, where[1])
        self.size += where[1]


def record_fp(item: Story | Article) -> str:
    """Return a fingerprint of everything a record line is made from (and of digest's code).

    A fallback for callers without the stages' fingerprints (the pipeline passes them).
    Equal articles give equal fingerprints. Equal stories may not: Story.__reduce_ex__
    pickles a story's analysis with pickle's memo, so strings shared in a fresh result and
    not in a cached one give other bytes. A fingerprint that differs only costs encoding
    the line again, never a wrong line."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{CODE_FORMAT}/{FORMAT_VERSION}/{type(item).__name__}".encode())
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=5)
    pickler.fast = True  # no memo at this level: shared strings do not change the bytes
    pickler.dump(item)
    h.update(buf.getbuffer())
    return h.hexdigest()


def previous_lines(tree: Path | None, known: str | None) -> Reuse | None:
    """Return where each record line of the digest.json in `tree` lies, by fingerprint, when
    the index kept beside the tree was made for that very file: its content hash is `known`
    (from the tree's manifest) and its status (size, times, inode) is the one the index
    noted; else None (nothing to reuse)."""
    if tree is None or known is None:
        return None
    source = tree / "digest.json"
    try:
        index = json.loads(index_file(tree).read_bytes())
        st = os.stat(source)
        at = index["at"]
        if (index["hash"] != known or index["file"] != list(file_status(st))
                or len(index["fps"]) * 2 != len(at)
                or max(map(sum, zip(at[::2], at[1::2])), default=0) > st.st_size):
            return None
        return Reuse(str(source), {fp: (at[2 * i], at[2 * i + 1])
                                   for i, fp in enumerate(index["fps"])})
    except (OSError, ValueError, KeyError, TypeError, IndexError):  # missing or damaged
        return None


def save_index(tree: Path, whole: str, records: Mapping[str, tuple[int, int]]) -> None:
    """Record where each record line of the digest.json in `tree` lies, by fingerprint
    (`whole`: the file's fingerprint from digest_json, as the tree's manifest holds it),
    and the file's status (size, times, inode), which tells it is still that file."""
    index = {"hash": whole, "file": list(file_status(os.stat(tree / "digest.json"))),
             "fps": list(records), "at": [n for where in records.values() for n in where]}
    atomic_write_bytes(index_file(tree), json.dumps(index, separators=(",", ":")).encode())


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _line(key: str, value: Any) -> str:
    return f"{_dump(key)}: {_dump(value)}"


def _records(items: Sequence[Any], record: Callable[[Any], dict[str, Any]],
             known: Mapping[str, str], out: _Splicer) -> None:
    """Add a JSON array of `items`, one record a line, to `out`."""
    out.add(b"[\n" if items else b"[]")

    def encode(item: Any) -> bytes:  # called only for lines not copied
        return _dump(record(item)).encode("utf-8")
    sep = b""
    for item in items:
        out.record(known.get(item.id) or record_fp(item), encode, item, sep)
        sep = b",\n"
    if items:
        out.add(b"\n]")


def article_record(a: Article) -> dict[str, Any]:
    """Return one article's entry."""
    return {
        "id": a.id, "path": a.path, "title": a.title, "outlet": a.outlet or None,
        "url": a.url or None, "published": iso(a.published),
        "published_source": a.published_source or None, "updated": iso(a.updated),
        "authors": list(a.authors), "credits": list(a.credits), "status": a.status,
        "tags": list(a.tags), "kind": a.kind or None, "note": a.note or None,
        "sha256": a.sha256, "words": a.word_count, "page": f"articles/{a.id}/",
        "text": a.text,
        "import": _record(a),
    }


def _record(a: Article) -> dict[str, Any] | None:
    if a.record is None:
        return None
    rec = asdict(a.record)
    rec["removed"] = [{"line": r.line, "reason": r.reason} for r in a.record.removed]
    rec["history"] = [dict(h) for h in a.record.history]
    rec["repairs"] = list(a.record.repairs)
    return rec


def story_record(s: Story) -> dict[str, Any]:
    """Return one story's entry, with spans into its articles' `text`."""
    return {
        "id": s.id, "title": s.title, "page": f"stories/{s.id}/", "articles": list(s.articles),
        "independent_sources": s.independent, "pinned": s.pinned, "weight": s.weight,
        "summary": [{"text": x.text, "citations": [_cite(c) for c in x.citations]}
                    for x in s.summary],
        "quotes": [{"speaker": q.speaker,
                    "variants": [{"article": v.article, "text": v.text, "start": v.start,
                                  "end": v.end} for v in q.variants]} for q in s.quotes],
        "figures": [{"what": f.what, "conflict": f.conflict,
                     "values": [{"value": v.value, "article": v.article, "start": v.start,
                                 "end": v.end} for v in f.values]} for f in s.figures],
        "coverage": [{"article": c.article, "sentences": c.sentences, "shared": c.shared,
                      "unique": [{"start": u.start, "end": u.end} for u in c.unique]}
                     for c in s.coverage],
        "timeline": [{"date": e.date, "text": e.text, "articles": list(e.articles),
                      "citations": [_cite(c) for c in e.citations]} for e in s.timeline],
    }


def _cite(c: Any) -> dict[str, Any]:
    return {"article": c.article, "start": c.start, "end": c.end}
