"""Clean stage: content files -> validated Article records with plain text for analysis."""
from __future__ import annotations

import hashlib
import logging
import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from digest import frontmatter as fm
from digest.cache import Store, derived_fp, text_fingerprint
from digest.config import Config
from digest.models import Article, ImportRecord, Problem, Removed
from digest.parallel import map_chunks
from digest.stages.read import KnownFile, SourceFile, read_problem

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

log = logging.getLogger(__name__)


def markdown_parser() -> MarkdownIt:
    """Return the Markdown parser for article bodies: CommonMark, raw HTML off."""
    from markdown_it import MarkdownIt  # 20 ms: only when a body is Markdown (plain_text)

    return MarkdownIt("commonmark", {"html": False, "maxNesting": MAX_NESTING})


class _Parser:
    """The Markdown parser, made when the first Markdown body is parsed: a rebuild after an
    edit to a plain-text article needs none."""

    def __init__(self) -> None:
        self.md: MarkdownIt | None = None

    def parse(self, body: str) -> list:
        if self.md is None:
            self.md = markdown_parser()
        return self.md.parse(body)


MAX_NESTING = 20  # markdown-it drops text nested deeper; a bound keeps recursion safe


def clean_all(files: Sequence[SourceFile], config: Config, drafts: bool = False,
              cache: Store | None = None,
              fps_out: dict[str, str] | None = None) -> tuple[list[Article], list[Problem]]:
    """Return the articles that parse (drafts only when asked) and every problem found.

    Files whose text and relevant config match `cache` are not parsed again; the others are
    parsed on all cores when there are many. When `fps_out` is given it receives article id ->
    a fingerprint of everything the article was made from (its cache key's fingerprint, which
    covers digest's code as cache.derived_fp does), so later stages need not hash the
    article itself.
    """
    inputs: list[str] = []
    results = _parse_cached(files, config, cache, inputs)
    articles: list[Article] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for src, fp, (article, found) in zip(files, inputs, results):
        problems.extend(found)
        if article is None or (article.status == "draft" and not drafts):
            continue
        if article.id in seen:
            problems.append(Problem("error", src.path, f"duplicate id {article.id!r}: already used "
                                    f"by {seen[article.id]} (set a different `id:`)", key="id"))
            continue
        seen[article.id] = src.path
        articles.append(article)
        if fps_out is not None:
            fps_out[article.id] = fp
    return articles, problems


def _parse_cached(files: Sequence[SourceFile], config: Config, cache: Store | None,
                  fps: list[str]) -> list[tuple[Article | None, list[Problem]]]:
    """Return clean_one's result per file, from the cache where the inputs are unchanged;
    `fps` receives the fingerprint of each file's inputs and of the code that parses it
    (one hash per file serves as cache key and as clean_all's `fps_out`)."""
    setting = derived_fp("Article", config.timezone, [o.name.casefold() for o in config.outlets])
    fps[:] = [text_fingerprint(setting, f.digest) for f in files]
    results: list[Any] = [cache.get(f.path, fp) if cache else None for f, fp in zip(files, fps)]
    todo = []
    for i, r in enumerate(results):
        if r is None and isinstance(files[i], KnownFile):  # its text is read only now
            try:
                if files[i].recheck():  # changed since its status was taken
                    fps[i] = text_fingerprint(setting, files[i].digest)
            except (ValueError, OSError) as exc:
                results[i] = (None, [read_problem(files[i].path, exc)])
        if results[i] is None:
            todo.append(i)
    for i, r in zip(todo, map_chunks(_parse_chunk, config, [files[i] for i in todo])):
        results[i] = r
    if cache is not None:
        for f, fp, r in zip(files, fps, results):
            cache.put(f.path, fp, r)
    return results


def _parse_chunk(config: Config, files: Sequence[SourceFile]) -> list[tuple[Article | None, list[Problem]]]:
    md = _Parser()
    return [clean_one(src, config, md) for src in files]


def clean_one(src: SourceFile, config: Config,
              md: MarkdownIt | _Parser) -> tuple[Article | None, list[Problem]]:
    """Return the Article of one content file (None when it has errors) and its problems."""
    try:
        parts = fm.split(src.text)
    except fm.FrontMatterError as exc:
        return None, [Problem("error", src.path, exc.message, exc.line, exc.key)]
    fields, problems = _fields(src.path, parts, config)
    text = plain_text(parts.body)
    deep = None
    if text is None:  # Markdown: parsed
        tokens = md.parse(parts.body)
        text = tokens_to_text(tokens)
        deep = _too_deep(tokens)
    if deep is not None:
        problems.append(Problem("error" if not text.strip() else "warning", src.path,
                                f"Markdown nested more than {MAX_NESTING} levels deep: the text "
                                "inside is dropped (expected at most that many > or list levels)",
                                line=parts.body_line + deep))
    elif not text.strip():
        problems.append(Problem("error", src.path, "empty body: expected the article text "
                                "after the front-matter", line=parts.body_line))
    if any(p.level == "error" for p in problems):
        return None, problems
    article = _article(src.path, fields, text, config)
    article.word_count  # counted here, in the workers, and cached with the article
    return article, problems


def _fields(path: str, parts: fm.Split, config: Config) -> tuple[dict[str, Any], list[Problem]]:
    """Return validated front-matter values and problems (unknown keys land in `extra`)."""
    values: dict[str, Any] = {"extra": {}}
    problems: list[Problem] = []
    for key, raw in parts.meta.items():
        line = parts.lines.get(key)
        try:
            if key == "extra":
                values["extra"].update(fm.check(key, raw))
            elif key in fm.FIELDS:
                values[key] = fm.check(key, raw)
                if key in ("id", "story") and values[key] != str(raw):
                    problems.append(Problem("warning", path, f"{key} {str(raw)[:80]!r} is not "
                                            "made of lowercase letters, digits and dashes; "
                                            f"using {values[key]!r}", line, key))
            elif key in fm.DATE_FIELDS:
                values[key] = _when(key, raw, config.timezone)
            else:
                values["extra"][key] = raw
                problems.append(Problem("warning", path, f"unknown key {key!r} (kept in `extra` "
                                        "for themes)", line, key))
        except fm.FrontMatterError as exc:
            problems.append(Problem("error", path, exc.message, line, key))
    if "title" not in values and not any(p.key == "title" for p in problems):
        problems.append(Problem("error", path, "missing required key 'title': expected the "
                                "headline as a string", line=1, key="title"))
    outlet = values.get("outlet")
    if outlet and config.outlets and config.outlet(outlet) is None:
        problems.append(Problem("warning", path, f"outlet {outlet!r} is not in the config's "
                                "outlets registry", parts.lines.get("outlet"), "outlet"))
    return values, problems


def _when(key: str, raw: Any, tz: str) -> Any:
    try:
        return fm.parse_when(raw, tz)
    except (ValueError, TypeError):
        raise fm.FrontMatterError(f"expected {fm.DATE_EXPECTED}, found {fm.describe(raw)}",
                                  key=key) from None


def _article(path: str, v: Mapping[str, Any], text: str, config: Config) -> Article:
    record = _record(v.get("import"))
    stated = {"published": _how(record, "published"), "updated": _how(record, "updated")}
    return Article(
        id=v.get("id") or fm.slugify(PurePosixPath(path).stem) or "article",
        path=path, title=v["title"], text=text,
        outlet=v.get("outlet", ""), url=v.get("url", ""),
        published=v.get("published"), updated=v.get("updated"),
        authors=v.get("authors", ()), credits=v.get("credits", ()),
        story=v.get("story", ""), status=v.get("status", "published"), tags=v.get("tags", ()),
        pinned=v.get("pinned", False), weight=v.get("weight", 0), note=v.get("note", ""),
        kind=v.get("kind", ""), standfirst=v.get("standfirst", ""),
        published_source=stated["published"] if "published" in v else "",
        updated_source=stated["updated"] if "updated" in v else "",
        record=record, extra=v["extra"],
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def _how(record: ImportRecord | None, key: str) -> str:
    """Return how a date is known: what the importer recorded, else the editor's front-matter."""
    if record is not None and key == "published" and record.date_source:
        return record.date_source
    return "front-matter"


def _record(raw: Mapping[str, Any] | None) -> ImportRecord | None:
    """Return the import record kept in front-matter, tolerating missing parts."""
    if not raw:
        return None
    removed = tuple(Removed(str(r.get("line", "")), str(r.get("reason", "")))
                    for r in raw.get("removed") or [] if isinstance(r, dict))
    history = tuple(h for h in raw.get("history") or [] if isinstance(h, dict))
    return ImportRecord(
        source=str(raw.get("source", "")), sha256=str(raw.get("sha256", "")),
        imported=str(raw.get("imported", "")), extractor=str(raw.get("extractor", "")),
        repairs=tuple(str(r) for r in raw.get("repairs") or []), removed=removed,
        history=history, date_source=str(raw.get("published_how", "")),
    )


def markdown_to_text(body: str, md: MarkdownIt) -> str:
    """Return the plain text of a Markdown body: one paragraph per block, blank-line separated."""
    return tokens_to_text(md.parse(body))


# What can make a body more than paragraphs of plain lines in CommonMark (raw HTML off):
# inline syntax (\\ ` * _ [ ] < > & ~ |) and \r, which the parser rewrites, anywhere; a
# line that starts a block (a space: indented code, lazy continuation; # > + = -:
# headings, quotes, lists, setext underlines, breaks; "1." or "1)": an ordered list); a
# space ending a line (a hard break, or one dropped); any other whitespace (a tab, a
# no-break space) or control character: str.isprintable() refuses those.
_SYNTAX = re.compile(r"[\\`*_\[\]<>&~|\r]")
_BLOCK_START = frozenset(" #>+=-")
_ORDERED = re.compile(r"\d{1,9}[.)](?: |$)")


def plain_text(body: str) -> str | None:
    """Return markdown_to_text(body) for a body of plain paragraphs (lines of text, blank
    lines between paragraphs) without parsing it, else None: imported articles are plain
    text, and this takes a third of the parser's time. A paragraph's lines join with one
    space, as soft breaks do; a property test holds it to the parser's output."""
    if _SYNTAX.search(body) or not body.replace("\n", "").isprintable():
        return None
    blocks, lines = [], []
    for line in body.split("\n"):
        if not line:
            if lines:
                blocks.append(" ".join(lines))
                lines = []
            continue
        if (line[0] in _BLOCK_START or line[-1] == " "
                or (line[0].isdigit() and _ORDERED.match(line))):
            return None
        lines.append(line)
    if lines:
        blocks.append(" ".join(lines))
    return "\n\n".join(blocks)


def tokens_to_text(tokens: list[Any]) -> str:
    """Return the plain text of parsed Markdown tokens (see markdown_to_text)."""
    blocks: list[str] = []
    for tok in tokens:
        if tok.type == "inline":
            blocks.append(_inline_text(tok.children or []))
        elif tok.type in ("fence", "code_block"):
            blocks.append(tok.content.rstrip("\n"))
    return "\n\n".join(b.strip() for b in blocks if b.strip())


_CONTAINERS = ("blockquote_open", "bullet_list_open", "ordered_list_open", "list_item_open")


def _too_deep(tokens: list[Any]) -> int | None:
    """Return the body line (0-based) of a block whose content the parser dropped for being
    nested too deep (a container opened at the last level), else None."""
    line = 0
    for tok in tokens:
        line = tok.map[0] if tok.map else line
        if tok.type in _CONTAINERS and tok.level >= MAX_NESTING - 1:
            return line
    return None


def _inline_text(children: list[Any]) -> str:
    out = []
    for child in children:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type == "softbreak":
            out.append(" ")
        elif child.type == "hardbreak":
            out.append("\n")
        elif child.type == "image":
            out.append(child.content)
    return "".join(out)
