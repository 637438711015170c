"""Content files: Markdown body, front-matter with the import record, history and conflicts."""
from __future__ import annotations

import difflib
import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import yaml
from markdown_it import MarkdownIt

from digest import frontmatter as fm

log = logging.getLogger(__name__)

FIELD_ORDER = ("title", "outlet", "url", "published", "authors", "credits", "standfirst")
_INLINE = re.compile(r"([\\`*_\[\]<>]|&(?=#?\w+;))")
_LEAD = re.compile(r"^([#>+=~|-])|^(\d{1,9})([.)])(?=\s|$)")


@dataclass(frozen=True)
class Draft:
    """What the importer means to write: front-matter fields, the record, body paragraphs."""

    fields: Mapping[str, Any]
    record: Mapping[str, Any]
    paragraphs: tuple[str, ...]
    history: tuple[Mapping[str, Any], ...] = field(default=())


@dataclass(frozen=True)
class Outcome:
    """What to do with one content file: write (with text), unchanged, or conflict (reason)."""

    action: str
    text: str = ""
    reason: str = ""


def escape(paragraph: str) -> str:
    """Return a paragraph as Markdown that renders to exactly its text."""
    text = _INLINE.sub(r"\\\1", paragraph)
    return _LEAD.sub(lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3),
                     text)


def body_of(paragraphs: Sequence[str]) -> str:
    """Return the Markdown body: one escaped paragraph per blank-line-separated block."""
    return "\n\n".join(escape(p) for p in paragraphs) + "\n"


def paragraphs_of(body: str) -> tuple[str, ...]:
    """Return the text of each paragraph of a Markdown body."""
    md = MarkdownIt("commonmark", {"html": False})
    out = []
    for tok in md.parse(body):
        if tok.type == "inline":
            out.append("".join(c.content if c.type in ("text", "code_inline") else " "
                               if c.type in ("softbreak", "hardbreak") else ""
                               for c in tok.children or []))
    return tuple(out)


class _Dumper(yaml.SafeDumper):
    """safe_dump without anchors and aliases (a date listed twice is written twice)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_yaml(data: Mapping[str, Any]) -> str:
    """Return deterministic YAML for front-matter (safe_dump settings, no aliases)."""
    return yaml.dump(dict(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     width=100000)


def fingerprint(meta: Mapping[str, Any], body: str) -> str:
    """Return the SHA-256 of a file's front-matter (without `import`) and body as parsed."""
    fields = {k: v for k, v in meta.items() if k != "import"}
    canon = json.dumps({"meta": fields, "body": body.strip()}, sort_keys=True, ensure_ascii=False,
                       default=str)
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def compose(draft: Draft) -> str:
    """Return the content file text of a draft, its record carrying fingerprint and history."""
    fields = {k: draft.fields[k] for k in FIELD_ORDER if draft.fields.get(k)}
    body = body_of(draft.paragraphs)
    loaded = yaml.safe_load(dump_yaml(fields)) or {}
    record = dict(draft.record) | {"fingerprint": fingerprint(loaded, body)}
    if draft.history:
        record["history"] = [dict(h) for h in draft.history]
    return "---\n" + dump_yaml(fields | {"import": record}) + "---\n\n" + body


def decide(existing: str | None, draft: Draft) -> Outcome:
    """Return whether to write a draft over an existing file, leave it, or report a conflict."""
    if existing is None:
        return Outcome("write", compose(draft))
    try:
        parts = fm.split(existing)
    except fm.FrontMatterError as exc:
        return Outcome("conflict", reason=f"existing file has broken front-matter ({exc.message})")
    record = parts.meta.get("import") if isinstance(parts.meta.get("import"), dict) else {}
    if record.get("sha256") == draft.record.get("sha256"):
        return Outcome("unchanged")
    if record.get("fingerprint") != fingerprint(parts.meta, parts.body):
        return Outcome("conflict", reason="edited since import (front-matter or text differs "
                       "from what the importer wrote); left as it is")
    entry = {"sha256": record.get("sha256", ""), "imported": record.get("imported", ""),
             "changed": describe_change(parts.meta, parts.body, draft)}
    history = tuple(record.get("history") or ()) + (entry,)
    return Outcome("write", compose(Draft(draft.fields, draft.record, draft.paragraphs, history)))


def describe_change(meta: Mapping[str, Any], body: str, draft: Draft) -> str:
    """Return a short description of how the new draft differs from the file's content."""
    old = paragraphs_of(body)
    counts = {"changed": 0, "added": 0, "removed": 0}
    matcher = difflib.SequenceMatcher(a=old, b=draft.paragraphs, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace":
            counts["changed"] += min(i2 - i1, j2 - j1)
            counts["added"] += max(0, (j2 - j1) - (i2 - i1))
            counts["removed"] += max(0, (i2 - i1) - (j2 - j1))
        elif tag == "insert":
            counts["added"] += j2 - j1
        elif tag == "delete":
            counts["removed"] += i2 - i1
    parts = [f"{n} paragraph{'s' if n != 1 else ''} {what}" for what, n in counts.items() if n]
    if meta.get("title") != draft.fields.get("title"):
        parts.append("title changed")
    return ", ".join(parts) or "metadata changed"
