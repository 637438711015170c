"""Render stage: stories and articles -> a mapping of output paths to bytes."""
from __future__ import annotations

import functools
import json
import logging
import posixpath
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Mapping, Sequence

import jinja2
from markupsafe import Markup

from digest.config import Config
from digest.frontmatter import day_of, slugify, sort_key
from digest.models import Article, QuoteVariant, SourceCoverage, Story
from digest.stages import feeds, passages
from digest.stages.export import digest_json
from digest.urls import safe_url

log = logging.getLogger(__name__)

BUILTIN_THEMES = Path(__file__).resolve().parent.parent / "themes"
PAGES = ("index.html", "story.html", "article.html", "archive.html", "outlets.html",
         "outlet.html", "404.html")


@dataclass(frozen=True)
class Site:  # not frozen-hashable: holds a cached index
    """Everything a template may read about the whole site (documented in docs/templates.md)."""

    config: Config
    stories: Sequence[Story]  # ranked as on the home page
    articles: Mapping[str, Article]
    story_of: Mapping[str, str]  # article id -> story id
    outlets: Sequence[tuple[str, str, tuple[Article, ...]]]  # (name, slug, articles)

    def story(self, sid: str) -> Story:
        """Return the story with id `sid`."""
        return self.by_story[sid]

    @functools.cached_property
    def by_story(self) -> dict[str, Story]:
        return {s.id: s for s in self.stories}

    def members(self, story: Story) -> list[Article]:
        """Return a story's articles, earliest first (the order of source numbers)."""
        return [self.articles[a] for a in story.articles]

    def coverage(self, story: Story) -> dict[str, SourceCoverage]:
        """Return article id -> what it shares with the story's other sources."""
        return {c.article: c for c in story.coverage}

    def numbers(self, story: Story) -> dict[str, int]:
        """Return article id -> source number (1-based) within a story."""
        return {a: n for n, a in enumerate(story.articles, 1)}


def theme_dirs(config: Config) -> list[Path]:
    """Return template and static folders in lookup order: site, site theme, built-in default."""
    root = config.root
    return [root / "templates", root / "themes" / config.theme, BUILTIN_THEMES / config.theme,
            BUILTIN_THEMES / "default"]


def environment(config: Config) -> jinja2.Environment:
    """Return the Jinja2 environment: one loader over the theme folders, autoescape always on."""
    dirs = theme_dirs(config)
    paths = [str(dirs[0])] + [str(d / "templates") for d in dirs[1:]]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(paths), autoescape=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(safe_url=safe_url, datefmt=datefmt, jsonld=jsonld, slug=slugify,
                       words=lambda t: len(t.split()), isodate=isodate, how_known=how_known,
                       source_ref=lambda a: source_ref(a, config))
    env.tests.update(multiple=lambda seq: len(seq) > 1, carried_by=carried_by)
    env.globals.update(anchor=passages.anchor, paragraphs=passages.paragraphs, date_span=date_span)
    return env


def rank(stories: Sequence[Story], articles: Mapping[str, Article]) -> list[Story]:
    """Return stories most important first: pinned, weight, sources, recency, then id."""
    def latest(s: Story) -> str:
        return max(sort_key(articles[a].published) for a in s.articles)
    by_recency = sorted(stories, key=lambda s: (latest(s), s.id), reverse=True)
    return sorted(by_recency, key=lambda s: (not s.pinned, -s.weight, -len(s.articles)))


def render_site(config: Config, articles: Sequence[Article], stories: Sequence[Story]) -> dict[str, bytes]:
    """Return every output file of the site as path -> bytes."""
    by_id = {a.id: a for a in articles}
    site = Site(config, rank(stories, by_id), by_id,
                {a: s.id for s in stories for a in s.articles}, _outlets(articles))
    env = environment(config)
    out: dict[str, bytes] = {}
    for path, template, ctx in _pages(site):
        out[path + "index.html" if path.endswith("/") or not path else path] = \
            _render(env, template, path, site, ctx)
    out["digest.json"] = digest_json(config, site.stories, articles).encode("utf-8")
    out.update(feed_files(site))
    out["sitemap.xml"] = feeds.sitemap(config, [p.removesuffix("index.html") for p in out
                                                if p.endswith(".html") and p != "404.html"])
    out["robots.txt"] = feeds.robots(config)
    out[".nojekyll"] = b""  # GitHub Pages: serve files as they are
    if config.cname:
        out["CNAME"] = config.cname.encode() + b"\n"
    out.update(_static(config))
    return out


def feed_files(site: Site) -> dict[str, bytes]:
    """Return the site's story feeds (Atom and JSON Feed) and one Atom feed per outlet."""
    config = site.config
    listed = [s for s in site.stories
              if any(site.articles[a].status == "published" for a in s.articles)]
    entries = feeds.story_entries(config, listed, site.articles)
    out = {"feed.xml": feeds.atom(config, config.title, "feed.xml", entries),
           "feed.json": feeds.json_feed(config, config.title, "feed.json", entries)}
    for name, slug, arts in site.outlets:
        page = f"outlets/{slug}/feed.xml"
        out[page] = feeds.atom(config, f"{name} · {config.title}", page,
                               feeds.article_entries(config, arts))
    return out


def _pages(site: Site) -> list[tuple[str, str, dict[str, Any]]]:
    listed = [a for a in site.articles.values() if a.status == "published"]
    pages: list[tuple[str, str, dict[str, Any]]] = [("", "index.html", {}),
                                                   *archive_pages(listed),
                                                   ("outlets/", "outlets.html", {}),
                                                   ("search/", "search.html", {}),
                                                   ("404.html", "404.html", {})]
    for s in site.stories:
        members = [site.articles[a] for a in s.articles]
        pages.append((f"stories/{s.id}/", "story.html", {"story": s, "members": members}))
    for a in site.articles.values():
        story = site.story(site.story_of[a.id])
        summary_ids = {passages.anchor(c.start, c.end) for x in story.summary
                       for c in x.citations if c.article == a.id}
        pages.append((f"articles/{a.id}/", "article.html",
                      {"article": a, "story": story, "spans": cited_spans(site, a.id),
                       "summary_ids": summary_ids}))
    for name, slug, arts in site.outlets:
        pages.append((f"outlets/{slug}/", "outlet.html",
                      {"outlet": name, "info": site.config.outlet(name), "outlet_articles": arts}))
    return pages


class ThemeError(Exception):
    """A template failed to load or render; the message names the template and line."""


def _render(env: jinja2.Environment, template: str, path: str, site: Site,
            ctx: dict[str, Any]) -> bytes:
    def url(target: str) -> str:
        return relative_url(path, target, site.config.base_path)
    canonical = feeds.absolute(site.config, path)
    try:
        html = env.get_template(template).render(site=site, config=site.config, page=path,
                                                 url=url, canonical=canonical, **ctx)
    except jinja2.TemplateSyntaxError as exc:
        raise ThemeError(f"{exc.filename or exc.name}:{exc.lineno}: template syntax error: "
                         f"{exc.message}") from None
    except Exception as exc:  # a theme bug: name the template line, not our internals
        raise ThemeError(f"{_template_line(exc, template)}: error while rendering {path or '/'}: "
                         f"{type(exc).__name__}: {exc}") from exc
    return html.encode("utf-8")


def _template_line(exc: BaseException, template: str) -> str:
    """Return 'file:line' of the innermost template frame in a traceback."""
    where = template
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith(".html") or name.endswith(".xml"):
            where = f"{name}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where


def relative_url(page: str, target: str, base_path: str) -> str:
    """Return a link from output `page` to `target` that works on any host, sub-path or disk."""
    if page == "404.html":  # served at arbitrary paths, so links must be rooted
        return base_path + target
    prefix = "../" * page.count("/")
    if not target or target.endswith("/"):
        return prefix + target + "index.html"
    return prefix + target


def cited_spans(site: Site, article_id: str) -> list[tuple[int, int]]:
    """Return every span of an article that its story page links to, so each has an anchor."""
    story = site.story(site.story_of[article_id])
    cites = [c for s in story.summary for c in s.citations]
    cites += [c for e in story.timeline for c in e.citations]
    cites += [c for cov in story.coverage for c in cov.unique]
    spans = [(c.start, c.end) for c in cites if c.article == article_id]
    spans += [(v.start, v.end) for q in story.quotes for v in q.variants if v.article == article_id]
    spans += [(v.start, v.end) for f in story.figures for v in f.values if v.article == article_id]
    return sorted(set(spans))


def date_span(members: Sequence[Article]) -> tuple[date | None, date | None]:
    """Return the first and last publication day of some articles."""
    days = sorted(d for d in (day_of(a.published) for a in members) if d is not None)
    return (days[0], days[-1]) if days else (None, None)


def archive_days(listed: Sequence[Article]) -> list[tuple[date | None, list[Article]]]:
    """Return (day, articles) groups, newest first; undated articles last."""
    days: dict[date | None, list[Article]] = defaultdict(list)
    for a in listed:
        days[day_of(a.published)].append(a)
    keys = sorted((d for d in days if d is not None), reverse=True) + ([None] if None in days else [])
    return [(d, sorted(days[d], key=lambda a: (sort_key(a.published), a.id), reverse=True))
            for d in keys]


ARCHIVE_PAGE_LIMIT = 100  # articles on one archive page before it is split by month


def archive_pages(listed: Sequence[Article]) -> list[tuple[str, str, dict[str, Any]]]:
    """Return the archive: one page, or when long an index of months plus a page per month."""
    days = archive_days(listed)
    if len(listed) <= ARCHIVE_PAGE_LIMIT:
        return [("archive/", "archive.html", {"days": days, "months": [], "month": None})]
    months: dict[str, list] = defaultdict(list)
    for day, arts in days:
        months[day.strftime("%Y-%m") if day else "undated"].append((day, arts))
    keys = list(months)  # newest first, undated last
    index = [(k, sum(len(a) for _, a in months[k])) for k in keys]
    pages = [("archive/", "archive.html", {"days": months[keys[0]], "months": index,
                                           "month": keys[0]})]
    for k in keys:
        pages.append((f"archive/{k}/", "archive.html", {"days": months[k], "months": index,
                                                         "month": k}))
    return pages


def _outlets(articles: Sequence[Article]) -> list[tuple[str, str, tuple[Article, ...]]]:
    groups: dict[str, list[Article]] = defaultdict(list)
    for a in articles:
        if a.outlet and a.status == "published":
            groups[a.outlet].append(a)
    return [(name, slugify(name) or "outlet", tuple(sorted(arts, key=lambda a: a.id)))
            for name, arts in sorted(groups.items(), key=lambda kv: kv[0].casefold())]


def _static(config: Config) -> dict[str, bytes]:
    """Return the theme's static files, earlier theme folders overriding later ones."""
    out: dict[str, bytes] = {}
    for folder in reversed(theme_dirs(config)[1:]):
        static = folder / "static"
        if static.is_dir():
            for f in sorted(static.rglob("*")):
                if f.is_file() and not f.name.startswith("."):
                    out["static/" + f.relative_to(static).as_posix()] = f.read_bytes()
    return out


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def datefmt(value: date | datetime | None, style: str = "day") -> str:
    """Return a date as readers see it ("1 November 2024", "November 2024"), locale-independent."""
    if value is None:
        return ""
    month = f"{MONTHS[value.month - 1]} {value.year}"
    text = month if style == "month" else f"{value.day} {month}"
    if style == "time" and isinstance(value, datetime):
        text += value.strftime(" %H:%M %Z").rstrip()
    return text


HOW_KNOWN = {"stated": "stated in the article", "inferred": "inferred from dates in the text",
             "front-matter": "editor's record"}


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
    return {"@type": "NewsArticle", "headline": a.title,
            "url": safe_url(a.url) or feeds.absolute(config, f"articles/{a.id}/"),
            "datePublished": a.published.isoformat() if a.published else None,
            "publisher": {"@type": "Organization", "name": a.outlet} if a.outlet else None}


def jsonld(data: Any) -> Markup:
    """Return JSON for a <script type="application/ld+json"> block that no value can break out of."""
    text = json.dumps(_drop_empty(data), ensure_ascii=False, sort_keys=True, indent=1)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def _drop_empty(data: Any) -> Any:
    """Return `data` without None values and empty lists, recursively."""
    if isinstance(data, dict):
        return {k: _drop_empty(v) for k, v in data.items() if v is not None and v != []}
    if isinstance(data, list):
        return [_drop_empty(v) for v in data]
    return data
