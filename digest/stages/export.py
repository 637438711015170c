"""The machine-readable digest (site/digest.json); fields documented in docs/digest-json.md."""
from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, Iterable, Sequence

from digest import __version__
from digest.config import Config
from digest.frontmatter import iso
from digest.models import Article, Story

FORMAT_VERSION = 1


def digest_json(config: Config, stories: Sequence[Story], articles: Sequence[Article]) -> str:
    """Return digest.json's text: one story or article per line, fixed key order.

    Records are encoded compactly (json's C encoder: an indented dump of 10,000 articles
    takes seconds) and put one per line, so the file still diffs well.
    """
    head = {"format": FORMAT_VERSION, "generator": f"digest {__version__}",
            "site": {"title": config.title, "description": config.description,
                     "base_url": config.base_url, "language": config.language}}
    parts = [_line(k, v) for k, v in head.items()]
    parts.append('"stories": ' + _records(story_record(s) for s in stories))
    parts.append('"articles": ' + _records(article_record(a)
                                          for a in sorted(articles, key=lambda a: a.id)))
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _line(key: str, value: Any) -> str:
    return f"{_dump(key)}: {_dump(value)}"


def _records(records: Iterable[dict[str, Any]]) -> str:
    lines = [_dump(r) for r in records]
    return "[\n" + ",\n".join(lines) + "\n]" if lines else "[]"


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
