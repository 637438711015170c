"""digest import: raw text, HTML, feeds and JSON Lines -> content files with an import record.

Each article becomes content/<slug>.md, the slug being the headline's (cut at a word boundary
within 60 characters; the source's file stem when the headline has no ASCII letters), numbered
-2, -3 ... when taken. A later import of the same source (file name, URL, or file#entry) finds
its file through the `import.source` key, whatever the file is called by then: the same bytes
leave it untouched; changed bytes rewrite it and append to `import.history`, unless an editor
changed the file since import (its fingerprint differs), which is reported as a conflict.
Hashes are of the raw bytes of the article: the file, the JSON line, or the feed entry.
"""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from digest import frontmatter as fm
from digest.fsutil import atomic_write_text
from digest.ingest import metadata as meta
from digest.ingest.clean import Cleaned, clean_text
from digest.ingest.repair import repair
from digest.ingest.sources import RawArticle, SkipInput, read_articles
from digest.ingest.write import Draft, decide

log = logging.getLogger(__name__)

__all__ = ["Entry", "ImportReport", "import_paths", "prepare"]


@dataclass(frozen=True)
class Entry:
    """One input's outcome: its source, the content file, and a one-line reason if any."""

    source: str
    path: str = ""
    reason: str = ""

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}" if self.reason else f"{self.source} -> {self.path}"


@dataclass(frozen=True)
class ImportReport:
    """What one `digest import` run did."""

    written: tuple[Entry, ...] = ()
    unchanged: tuple[Entry, ...] = ()
    conflicts: tuple[Entry, ...] = ()
    skipped: tuple[Entry, ...] = ()


def import_paths(paths: Sequence[str], content_dir: Path, outlets: Sequence[Mapping[str, Any]] = (),
                 stdin: bytes | None = None, max_bytes: int = 20_000_000) -> ImportReport:
    """Import files, folders (walked in sorted order) or '-' (stdin) into content_dir."""
    found: dict[str, list[Entry]] = {"write": [], "unchanged": [], "conflict": [], "skip": []}
    index = sources_index(content_dir)
    stamp = import_time()
    for name, data in _inputs(paths, stdin, max_bytes):
        if isinstance(data, SkipInput):
            found["skip"].append(Entry(name, reason=str(data)))
            continue
        for item in _articles(name, data):
            if isinstance(item, SkipInput):
                found["skip"].append(Entry(name, reason=str(item)))
                continue
            if item.source == "stdin":  # unnamed text: each distinct text is its own source
                item = replace(item, source=f"stdin:{item.sha256[:12]}")
            action, entry = _import_one(item, content_dir, outlets, index, stamp)
            found[action].append(entry)
    return ImportReport(*(tuple(found[k]) for k in ("write", "unchanged", "conflict", "skip")))


def _articles(name: str, data: bytes) -> Iterator[RawArticle | SkipInput]:
    """Yield the raw articles of one input, or the reason it cannot be read."""
    try:
        yield from read_articles(name, data)
    except SkipInput as exc:
        yield exc
    except Exception as exc:  # a reader bug must not stop the other inputs
        log.debug("reader failed on %s", name, exc_info=True)
        yield SkipInput(f"could not be read ({type(exc).__name__}: {exc})"[:200])


def _import_one(raw: RawArticle, content_dir: Path, outlets: Sequence[Mapping[str, Any]],
                index: dict[str, Path], stamp: str) -> tuple[str, Entry]:
    """Return the action taken for one article and its report entry."""
    try:
        draft = prepare(raw, outlets, stamp)
        path = index.get(raw.source) or free_path(content_dir, draft.fields["title"], index,
                                                  fallback=_stem(raw.source))
    except SkipInput as exc:
        return "skip", Entry(raw.source, reason=str(exc))
    except Exception as exc:  # a cleaning bug must not stop the other inputs
        log.debug("cleaning failed on %s", raw.source, exc_info=True)
        return "skip", Entry(raw.source, reason=f"could not be cleaned ({type(exc).__name__})")
    action, reason = _apply(path, draft)
    if action == "write":
        index[raw.source] = path
    return action, Entry(raw.source, path.relative_to(content_dir).as_posix(), reason)


def _apply(path: Path, draft: Draft) -> tuple[str, str]:
    """Write, leave or refuse one content file; return the action and a reason."""
    try:
        existing = path.read_text(encoding="utf-8") if path.exists() else None
    except (OSError, UnicodeDecodeError) as exc:
        return "conflict", f"existing {path.name} cannot be read ({exc})"[:200]
    outcome = decide(existing, draft)
    if outcome.action == "write":
        try:
            atomic_write_text(path, outcome.text)
        except OSError as exc:
            return "skip", f"cannot write {path.name}: {exc.strerror or exc}"
    return outcome.action, outcome.reason


def prepare(raw: RawArticle, outlets: Sequence[Mapping[str, Any]], stamp: str) -> Draft:
    """Return the draft content file of a raw article; raise SkipInput when nothing is left."""
    fixed = repair(raw.text)
    title = repair(raw.title).text.replace("\n", " ")
    outlet = meta.outlet_from_url(raw.url, outlets) or _registry_name(raw.site_name, outlets)
    cleaned = clean_text(fixed.text, outlets, title=title, url=raw.url, outlet=outlet)
    if not cleaned.paragraphs or not cleaned.title:
        raise SkipInput("no article text left after cleaning")
    published, how = _published(raw, cleaned)
    fields = {"title": cleaned.title, "outlet": cleaned.outlet, "url": raw.url,
              "published": published, "authors": list(raw.authors or cleaned.authors),
              "credits": list(cleaned.credits), "standfirst": cleaned.standfirst}
    record = {"source": raw.source, "sha256": raw.sha256, "imported": stamp,
              "extractor": raw.extractor, "published_how": how,
              "dates_mentioned": list(cleaned.dates),
              "repairs": list(dict.fromkeys(raw.repairs + fixed.repairs)),
              "removed": [{"line": r.line, "reason": r.reason} for r in cleaned.removed]}
    return Draft(fields, {k: v for k, v in record.items() if v or k == "removed"},
                 cleaned.paragraphs)


def _published(raw: RawArticle, cleaned: Cleaned) -> tuple[date | str | None, str]:
    """Return the publication date (a stated one first) and how it is known."""
    stated = raw.published.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", stated):
        return date.fromisoformat(stated), "stated"
    try:
        when = fm.parse_when(stated, "UTC") if stated else None
    except ValueError:
        when = None
    if isinstance(when, datetime):
        return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "stated"
    return cleaned.published, cleaned.published_how


def _registry_name(site_name: str, outlets: Sequence[Mapping[str, Any]]) -> str:
    """Return the registry spelling of a site name, else the site name itself."""
    for outlet in outlets:
        if str(outlet.get("name", "")).casefold() == site_name.strip().casefold():
            return str(outlet["name"])
    return site_name.strip()


def slug_of(title: str, limit: int = 60) -> str:
    """Return the file-name slug of a headline, cut at a word boundary within `limit`."""
    slug = fm.slugify(title)
    if len(slug) <= limit:
        return slug
    cut = slug[:limit + 1].rsplit("-", 1)[0]
    return cut or slug[:limit]


def _stem(source: str) -> str:
    """Return the last path segment of a file name or URL, without its suffix."""
    last = source.rstrip("/").rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[0] if "." in last else last


def import_time() -> str:
    """Return the import time as ISO 8601 UTC, from SOURCE_DATE_EPOCH when it is set."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    when = (datetime.fromtimestamp(int(epoch), timezone.utc) if epoch.isdigit()
            else datetime.now(timezone.utc))
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def sources_index(content_dir: Path) -> dict[str, Path]:
    """Return the content file of each imported source already in content_dir."""
    index: dict[str, Path] = {}
    if not content_dir.is_dir():
        return index
    for path in sorted(content_dir.rglob("*.md")):
        try:
            record = fm.split(path.read_text(encoding="utf-8")).meta.get("import")
        except (OSError, UnicodeDecodeError, fm.FrontMatterError):
            continue
        if isinstance(record, dict) and record.get("source"):
            index.setdefault(str(record["source"]), path)
    return index


def free_path(content_dir: Path, title: str, index: Mapping[str, Path],
              fallback: str = "article") -> Path:
    """Return content_dir/<slug-of-title>.md (else of `fallback`), numbered -2, -3 ... if taken."""
    slug = slug_of(title) or slug_of(fallback) or "article"
    taken = set(index.values())
    for n in range(1, 10_000):
        path = content_dir / (slug + (f"-{n}" if n > 1 else "") + ".md")
        if not path.exists() and path not in taken:
            return path
    raise SkipInput(f"no free file name for {slug!r}")


def _inputs(paths: Sequence[str], stdin: bytes | None,
            max_bytes: int) -> Iterator[tuple[str, bytes | SkipInput]]:
    """Yield (source name, bytes or the reason they cannot be read) of every input file."""
    for arg in paths:
        if arg == "-":
            data = stdin or b""
            yield "stdin", data if len(data) <= max_bytes else _too_big(len(data), max_bytes)
            continue
        path = Path(arg)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file()
                           and not any(part.startswith(".") for part in p.relative_to(path).parts))
            for file in files:
                yield file.name, _read(file, max_bytes)
        else:
            yield path.name, _read(path, max_bytes)


def _read(path: Path, max_bytes: int) -> bytes | SkipInput:
    """Return a file's bytes, or why they cannot be read (missing, too large)."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return _too_big(size, max_bytes)
        return path.read_bytes()
    except OSError as exc:
        return SkipInput(f"cannot read: {exc.strerror or exc}")


def _too_big(size: int, max_bytes: int) -> SkipInput:
    return SkipInput(f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:g} MB limit "
                     "for one input")
