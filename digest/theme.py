"""Themes: the Jinja2 environment over the theme folders, its filters, and static files."""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import jinja2
from markupsafe import Markup

from digest import __version__, cache
from digest.config import Config
from digest.fsutil import atomic_write_bytes
from digest.frontmatter import slugify
from digest.models import Article, QuoteVariant, Story
from digest.stages import feeds, passages
from digest.urls import safe_url

log = logging.getLogger(__name__)

BUILTIN_THEMES = Path(__file__).resolve().parent / "themes"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
HOW_KNOWN = {"stated": "stated in the article", "inferred": "inferred from dates in the text",
             "front-matter": "editor's record"}


class ThemeError(Exception):
    """A template failed to load or render; the message names the template and line."""


def theme_dirs(config: Config) -> list[Path]:
    """Return template and static folders in lookup order: site, site theme, built-in default."""
    root = config.root
    return [root / "templates", root / "themes" / config.theme, BUILTIN_THEMES / config.theme,
            BUILTIN_THEMES / "default"]


class SignedBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept in .digest/cache/templates/ between builds (compiling the
    theme took a tenth of a second of every build). Compiled code runs when loaded, so each
    file is signed like the build cache and one that does not verify is never loaded;
    Jinja itself drops code compiled from another source or by another Python."""

    def __init__(self, folder: Path):
        self.folder = folder

    def _path(self, bucket: jinja2.bccache.Bucket) -> Path:
        return self.folder / f"{bucket.key}.jinja"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            bucket.bytecode_from_string(cache.unseal(self._path(bucket).read_bytes()))
        except (OSError, ValueError, EOFError, TypeError):
            bucket.reset()  # missing, damaged or foreign: compiled again

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        sealed = cache.seal(bucket.bytecode_to_string())
        if sealed is not None:
            try:
                atomic_write_bytes(self._path(bucket), sealed, durable=False)
            except OSError as exc:
                log.debug("compiled template not kept: %s", exc)


_KINDS = {Article: "Article", Story: "Story"}  # records whose reads are noted
_READS: list[set[str] | None] = [None]  # the fields read, while reading() is on


@contextlib.contextmanager
def reading(env: jinja2.Environment) -> Iterator[set[str]]:
    """Note the fields of articles and stories read until the block ends, as "Kind.field":
    by templates (`a.title`, `a['title']`, `map(attribute='title')` all go through the
    environment's getattr and getitem, replaced for the while) and by the helpers they
    call (which call note_read). Other pages render with Jinja's own, at no cost."""
    reads: set[str] = set()

    def noting(look: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        def noted(obj: Any, name: Any) -> Any:
            kind = _KINDS.get(type(obj))
            if kind is not None:
                reads.add(f"{kind}.{name}")
            return look(obj, name)
        return noted

    env.getattr = noting(env.getattr)  # type: ignore[method-assign]
    env.getitem = noting(env.getitem)  # type: ignore[method-assign]
    _READS[0] = reads
    try:
        yield reads
    finally:
        _READS[0] = None
        del env.getattr, env.getitem


def note_read(kind: str, *fields: str) -> None:
    """Note that a helper a template called read these fields of a `kind` record."""
    reads = _READS[0]
    if reads is not None:
        reads.update(f"{kind}.{f}" for f in fields)


def environment(config: Config, globals_: dict[str, Callable] | None = None,
                compiled: Path | None = None) -> jinja2.Environment:
    """Return the Jinja2 environment: one loader over the theme folders, autoescape always on;
    compiled templates are kept in the folder `compiled` when given.

    Templates are not looked at again once loaded (auto_reload off: Jinja took a file
    status per include, 13 per story page): a change to the theme makes a new environment
    (render._environment goes by theme_fingerprint)."""
    dirs = theme_dirs(config)
    paths = [str(dirs[0])] + [str(d / "templates") for d in dirs[1:]]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(paths), autoescape=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True, auto_reload=False,
                             bytecode_cache=SignedBytecodeCache(compiled) if compiled else None)
    env.filters.update(safe_url=safe_url, datefmt=datefmt, jsonld=jsonld, slug=slugify,
                       words=lambda t: len(t.split()), isodate=isodate, how_known=how_known,
                       source_ref=lambda a: source_ref(a, config))
    env.tests.update(multiple=lambda seq: len(seq) > 1, carried_by=carried_by)
    env.globals.update(anchor=passages.anchor, paragraphs=passages.paragraphs,
                       text_html=passages.text_html, **(globals_ or {}))
    return env


def render(env: jinja2.Environment, template: str, context: dict[str, Any]) -> str:
    """Render one template; any failure becomes a ThemeError naming the template line."""
    try:
        return env.get_template(template).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise ThemeError(f"{exc.filename or exc.name}:{exc.lineno}: template syntax error: "
                         f"{exc.message}") from None
    except Exception as exc:  # a theme bug: name the template line, not our internals
        page = context.get("page") or "/"
        raise ThemeError(f"{_template_line(exc, template)}: error while rendering {page}: "
                         f"{type(exc).__name__}: {exc}") from exc


def _template_line(exc: BaseException, template: str) -> str:
    """Return 'file:line' of the innermost template frame in a traceback."""
    where = template
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith((".html", ".xml")):
            where = f"{name}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where


def static_files(config: Config) -> dict[str, bytes]:
    """Return the theme's static files, earlier theme folders overriding later ones."""
    out: dict[str, bytes] = {}
    for folder in reversed(theme_dirs(config)[1:]):
        static = folder / "static"
        if static.is_dir():
            for f in sorted(static.rglob("*")):
                if f.is_file() and not f.name.startswith("."):
                    out["static/" + f.relative_to(static).as_posix()] = f.read_bytes()
    return out


def theme_fingerprint(config: Config) -> str:
    """Return a hash of every template and static file in the theme folders, and our version.
    Files are named by their folder's place in the lookup order and their path within it,
    not where the site folder or digest is installed."""
    h = hashlib.blake2b(digest_size=16)
    h.update(__version__.encode())
    for place, folder in enumerate(theme_dirs(config)):
        if folder.is_dir():
            for f in sorted(folder.rglob("*")):
                if f.is_file():
                    name = f"{place}/{f.relative_to(folder).as_posix()}"
                    h.update(name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def datefmt(value: date | datetime | None, style: str = "day") -> str:
    """Return a date as readers see it ("1 November 2024", "November 2024"), locale-independent."""
    if value is None:
        return ""
    month = f"{MONTHS[value.month - 1]} {value.year}"
    text = month if style == "month" else f"{value.day} {month}"
    if style == "time" and isinstance(value, datetime):
        text += value.strftime(" %H:%M %Z").rstrip()
    return text


def how_known(source: str) -> str:
    """Return how a date is known, in words."""
    return HOW_KNOWN.get(source, source or "unknown")


def isodate(text: str) -> str:
    """Return "2024-10-31" as "31 October 2024" and "2024-12" as "December 2024"."""
    parts = [int(p) for p in text.split("-")]
    month = f"{MONTHS[parts[1] - 1]} {parts[0]}" if len(parts) > 1 else str(parts[0])
    return f"{parts[2]} {month}" if len(parts) > 2 else month


def carried_by(variants: Sequence[QuoteVariant], article_id: str) -> bool:
    """True when one of a quote's wordings comes from `article_id`."""
    return any(v.article == article_id for v in variants)


def source_ref(a: Article, config: Config) -> dict[str, Any]:
    """Return a schema.org reference to a source article for JSON-LD."""
    note_read("Article", "title", "url", "id", "published", "outlet")
    return {"@type": "NewsArticle", "headline": a.title,
            "url": safe_url(a.url) or feeds.absolute(config, f"articles/{a.id}/"),
            "datePublished": a.published.isoformat() if a.published else None,
            "publisher": {"@type": "Organization", "name": a.outlet} if a.outlet else None}


def jsonld(data: Any) -> Markup:
    """Return JSON for a <script type="application/ld+json"> block that no value can break out of.
    On one line: with `indent`, json encodes in Python, not C (0.11 ms instead of 0.03 for a
    story page's block, and every story and article page has one)."""
    text = json.dumps(_drop_empty(data), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def _drop_empty(data: Any) -> Any:
    """Return `data` without None values and empty lists, recursively."""
    if isinstance(data, dict):
        return {k: _drop_empty(v) for k, v in data.items() if v is not None and v != []}
    if isinstance(data, list):
        return [_drop_empty(v) for v in data]
    return data
