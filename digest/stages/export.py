"""The machine-readable digest (site/digest.json); fields documented in docs/digest-json.md."""
from __future__ import annotations

import hashlib
import io
import json
import pickle
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from digest import __version__
from digest.cache import FORMAT as CODE_FORMAT
from digest.cache import text_fingerprint
from digest.fsutil import atomic_write_bytes
from digest.config import Config
from digest.frontmatter import iso
from digest.models import Article, Story

FORMAT_VERSION = 1


INDEX = "digest-json.index"  # in the state folder: the fingerprint of each record line


def digest_json(config: Config, stories: Sequence[Story], articles: Sequence[Article],
                reuse: Mapping[str, bytes] | None = None,
                known: tuple[Mapping[str, str], Mapping[str, str]] | None = None,
                ) -> tuple[bytes, dict[str, bytes], str]:
    """Return digest.json (UTF-8), one story or article per line in a fixed key order, its
    record lines by fingerprint (in file order), and a fingerprint of the whole file made
    from those (hashing 60 MB of text again would cost a tenth of a second).

    Records are encoded compactly (json's C encoder: an indented dump of 10,000 articles
    takes seconds) and put one per line, so the file still diffs well. `reuse` maps record
    fingerprints to lines of the previous file (see previous_lines): an unchanged record's
    line is taken as it is, since encoding every article's text anew costs about a second
    at 10,000 articles. `known` holds record_fp of each story and article by id, when the
    caller has them already.
    """
    reuse = reuse or {}
    story_fps, article_fps = known or ({}, {})
    head = {"format": FORMAT_VERSION, "generator": f"digest {__version__}",
            "site": {"title": config.title, "description": config.description,
                     "base_url": config.base_url, "language": config.language}}
    parts = [_line(k, v) for k, v in head.items()]
    records: dict[str, bytes] = {}
    pieces = [("{\n" + ",\n".join(parts) + ',\n"stories": ').encode("utf-8")]
    _records(stories, story_record, story_fps, reuse, records, pieces)
    pieces.append(b',\n"articles": ')
    _records(sorted(articles, key=lambda a: a.id), article_record, article_fps, reuse, records,
             pieces)
    pieces.append(b"\n}\n")
    whole = text_fingerprint(CODE_FORMAT, *parts, *records)
    return b"".join(pieces), records, whole  # one join: the file is copied once


def record_fp(item: Story | Article) -> str:
    """Return a fingerprint of everything a record line is made from (and of digest's code)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{CODE_FORMAT}/{FORMAT_VERSION}/{type(item).__name__}".encode())
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=5)
    pickler.fast = True  # no memo: equal values give equal bytes, shared or not (fresh analysis
    pickler.dump(item)   # results share strings that the same results read from the cache do not)
    h.update(buf.getbuffer())
    return h.hexdigest()


def previous_lines(tree: Path | None, state: Path, known: str | None) -> dict[str, bytes]:
    """Return fingerprint -> record line of the digest.json in `tree`, when the index that
    the last build left in `state` was made for it: its content hash is `known` (from the
    tree's manifest), else nothing to reuse."""
    if tree is None or known is None:
        return {}
    try:
        index = json.loads((state / INDEX).read_text(encoding="utf-8"))
        data = (tree / "digest.json").read_bytes()
    except (OSError, ValueError):
        return {}
    fps = index.get("fps") if isinstance(index, dict) else None
    if not isinstance(fps, list) or index.get("hash") != known:
        return {}
    lines = [x.removesuffix(b",") for x in data.split(b"\n") if x.startswith(b'{"id":')]
    return dict(zip(fps, lines)) if len(lines) == len(fps) else {}


def save_index(state: Path, whole: str, fps: Sequence[str]) -> None:
    """Record which fingerprint each record line of a written digest.json has (`whole`:
    the file's fingerprint from digest_json, as the tree's manifest holds it)."""
    index = {"hash": whole, "fps": list(fps)}
    atomic_write_bytes(state / INDEX, json.dumps(index, separators=(",", ":")).encode())


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _line(key: str, value: Any) -> str:
    return f"{_dump(key)}: {_dump(value)}"


def _records(items: Sequence[Any], record: Callable[[Any], dict[str, Any]],
             known: Mapping[str, str], reuse: Mapping[str, bytes],
             records: dict[str, bytes], pieces: list[bytes]) -> None:
    """Append a JSON array of `items`, one record a line, to `pieces`; note each line in
    `records` by its fingerprint."""
    pieces.append(b"[\n" if items else b"[]")
    for n, item in enumerate(items):
        fp = known.get(item.id) or record_fp(item)
        line = reuse.get(fp)
        if line is None:
            line = _dump(record(item)).encode("utf-8")
        if n:
            pieces.append(b",\n")
        pieces.append(line)
        records[fp] = line
    if items:
        pieces.append(b"\n]")


def article_record(a: Article) -> dict[str, Any]:
    """Return one article's entry."""
    return {
        "id": a.id, "path": a.path, "title": a.title, "outlet": a.outlet or None,
        "url": a.url or None, "published": iso(a.published),
        "published_source": a.published_source or None, "updated": iso(a.updated),
        "authors": list(a.authors), "credits": list(a.credits), "status": a.status,
        "tags": list(a.tags), "kind": a.kind or None, "note": a.note or None,
        "sha256": a.sha256, "words": len(a.text.split()), "page": f"articles/{a.id}/",
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
