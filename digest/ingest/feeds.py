"""RSS and Atom feeds -> one article per entry, with the full text when the feed carries it."""
from __future__ import annotations

import json
import logging
from typing import Any, Iterator

from digest.ingest.html import fragment_text
from digest.ingest.sources import RawArticle, SkipInput, iso_from_struct, sha256

log = logging.getLogger(__name__)


def read_feed(name: str, data: bytes) -> Iterator[RawArticle | SkipInput]:
    """Yield the entries of a feed; raise SkipInput when the bytes are not a readable feed."""
    import feedparser

    parsed = feedparser.parse(data)
    if not parsed.entries:
        reason = getattr(parsed.get("bozo_exception"), "args", [""])[0] if parsed.bozo else ""
        raise SkipInput(f"feed with no entries{': ' + str(reason) if reason else ''}")
    site = str(parsed.feed.get("title", ""))
    for number, entry in enumerate(parsed.entries, 1):
        text = fragment_text(_body(entry))
        if not text.strip():
            yield SkipInput(f"{name} entry {number}: no text")
            continue
        yield _article(name, number, entry, text, site, f"feedparser {feedparser.__version__}")


def _body(entry: Any) -> str:
    """Return the fullest text an entry carries: content, else summary."""
    contents = [c.get("value", "") for c in entry.get("content") or []]
    full = max(contents, key=len, default="")
    return full if len(full) >= len(entry.get("summary", "")) else entry.get("summary", "")


def _article(name: str, number: int, entry: Any, text: str, site: str,
             extractor: str) -> RawArticle:
    link = str(entry.get("link", ""))
    raw = json.dumps({k: entry.get(k) for k in ("id", "title", "link", "published", "summary")} | {"content": _body(entry)},
                     sort_keys=True, ensure_ascii=False, default=str)
    authors = tuple(str(a.get("name", "")) for a in entry.get("authors") or [] if a.get("name"))
    published = iso_from_struct(entry.get("published_parsed") or _updated(entry))
    return RawArticle(
        source=link or f"{name}#{entry.get('id') or number}", sha256=sha256(raw.encode("utf-8")),
        text=text, extractor=extractor, title=str(entry.get("title", "")),
        url=link if link.startswith(("http://", "https://")) else "", authors=authors,
        published=published, site_name=site, structured=True)


def _updated(entry: Any) -> Any:
    """Return the entry's own updated time (not feedparser's fallback to published)."""
    return dict.get(entry, "updated_parsed")
