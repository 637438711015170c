"""Readers: raw bytes of text, HTML, RSS/Atom and JSON Lines -> one RawArticle per article."""
from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator

import charset_normalizer

log = logging.getLogger(__name__)

TEXT_EXTRACTOR = "digest-text 0.1.0"
UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|"
                            rb"[\xf0-\xf4][\x80-\xbf]{3}")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
FEED_SUFFIXES = (".xml", ".rss", ".atom")
JSONL_SUFFIXES = (".jsonl", ".ndjson")


class SkipInput(Exception):
    """An input that cannot be imported; the message is the one-line reason."""


@dataclass(frozen=True)
class RawArticle:
    """One article as a reader found it, before repair and cleaning."""

    source: str  # file name, URL, or file name#entry
    sha256: str  # of the raw bytes this article came from
    text: str  # plain text (paragraphs separated by blank lines)
    extractor: str
    title: str = ""
    url: str = ""
    authors: tuple[str, ...] = ()
    published: str = ""  # as stated by the page or feed (ISO 8601)
    site_name: str = ""
    repairs: tuple[str, ...] = ()
    structured: bool = False  # paragraphs come from markup, not guessed from a text scrape


def sha256(data: bytes) -> str:
    """Return the hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def decode(data: bytes) -> tuple[str, tuple[str, ...]]:
    """Return the text of bytes and the repairs made; raise SkipInput for binary or broken bytes."""
    if not data.strip():
        raise SkipInput("empty file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), ("decoded from utf-16",)
    if b"\x00" in data[:65536]:
        raise SkipInput("binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig"), ()
    except UnicodeDecodeError as exc:
        if UTF8_MULTIBYTE.search(data):
            raise SkipInput(f"invalid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}) "
                            "in otherwise UTF-8 text") from None
    found = detect(data)
    if found is None:
        raise SkipInput("binary file or unknown encoding (no text encoding fits the bytes)")
    return found[0], (f"decoded from {found[1]}",)


def detect(data: bytes) -> tuple[str, str] | None:
    """Return (text, encoding) by charset-normalizer; among near-equal guesses prefer cp1252."""
    results = [r for r in charset_normalizer.from_bytes(data) if r.chaos <= 0.25]
    if not results:
        return None
    close = [r for r in results if r.chaos <= min(r.chaos for r in results) + 0.1]
    # Short texts fit many code pages equally well; windows-1252 is by far the most common.
    for r in close:
        if "cp1252" in r.could_be_from_charset:
            return str(r), "cp1252"
    best = max(close, key=lambda r: r.coherence)
    return str(best), best.encoding


def kind_of(name: str, text: str) -> str:
    """Return text | html | feed | jsonl from the file name, else from the content."""
    lower = name.lower()
    for kind, suffixes in (("html", HTML_SUFFIXES), ("feed", FEED_SUFFIXES),
                           ("jsonl", JSONL_SUFFIXES)):
        if lower.endswith(suffixes):
            return kind
    head = text.lstrip()[:2000].lower()
    if re.search(r"<rss\b|<feed\b|<rdf:rdf\b", head):
        return "feed"
    if head.startswith(("<!doctype html", "<html")) or re.search(r"<(html|body|head)\b", head):
        return "html"
    if head.startswith("{") and _is_jsonl(text):
        return "jsonl"
    return "text"


def _is_jsonl(text: str) -> bool:
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        return isinstance(json.loads(first), dict)
    except ValueError:
        return False


def read_articles(name: str, data: bytes) -> Iterator[RawArticle | SkipInput]:
    """Yield the articles of one input (or a SkipInput per entry that cannot be read)."""
    text, repairs = decode(data)
    kind = kind_of(name, text)
    if kind == "html":
        from digest.ingest.html import read_html
        yield read_html(name, data, text, repairs)
    elif kind == "feed":
        from digest.ingest.feeds import read_feed
        yield from read_feed(name, data)
    elif kind == "jsonl":
        yield from read_jsonl(name, text)
    else:
        yield RawArticle(name, sha256(data), text, TEXT_EXTRACTOR, repairs=repairs)


TEXT_KEYS = ("text", "article_body", "body", "content", "articleBody")
DATE_KEYS = ("published", "date", "datePublished", "published_at")


def read_jsonl(name: str, text: str) -> Iterator[RawArticle | SkipInput]:
    """Yield one article per JSON Lines record with a title/text/url and friends."""
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError as exc:
            yield SkipInput(f"{name} line {number}: invalid JSON ({exc.msg})")
            continue
        body = next((rec[k] for k in TEXT_KEYS if isinstance(rec, dict) and rec.get(k)), "")
        if not isinstance(body, str) or not body.strip():
            yield SkipInput(f"{name} line {number}: no `text` in the record")
            continue
        yield _jsonl_article(name, number, line, rec, body)


def _jsonl_article(name: str, number: int, line: str, rec: dict[str, Any],
                   body: str) -> RawArticle:
    url = str(rec.get("url") or "")
    authors = rec.get("authors") or rec.get("author") or ()
    authors = (authors,) if isinstance(authors, str) else tuple(str(a) for a in authors)
    published = next((str(rec[k]) for k in DATE_KEYS if rec.get(k)), "")
    return RawArticle(
        source=url or f"{name}#{number}", sha256=sha256(line.encode("utf-8")), text=body,
        extractor="digest-jsonl 0.1.0", title=str(rec.get("title") or ""), url=url,
        authors=authors, published=published,
        site_name=str(rec.get("outlet") or rec.get("site_name") or ""), structured=True)


def iso_from_struct(value: Any) -> str:
    """Return ISO 8601 UTC text of a time.struct_time, else ''."""
    try:
        return datetime(*value[:6], tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError):
        return ""
