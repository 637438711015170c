"""Render stage: stories and articles -> output files, re-rendering only what changed."""
from __future__ import annotations

import functools
import logging
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import AbstractSet, Any, Callable, Iterable, Mapping, Sequence

from digest.cache import FORMAT as CODE_FORMAT
from digest.cache import CACHE_DIR, Store, content_hash, fingerprint, text_fingerprint
from digest.config import Config
from digest.frontmatter import day_of, slugify, sort_key
from digest.models import LISTING_FIELDS, Article, Quote, SourceCoverage, Story
from digest.parallel import map_chunks_meanwhile
from digest.stages import feeds, passages
from digest.stages.export import (Reuse, Spliced, Staged, digest_json, discard_staged,
                                  record_fp)
from digest.theme import (carried_by, environment, note_read, reading, render, static_files,
                          theme_fingerprint)

log = logging.getLogger(__name__)

LIST_LIMIT = 100  # articles on one archive or outlet page before it is split by month
MONTH_LIMIT = 500  # articles on one month's page before it is split by day

# What the fingerprint of a page that lists articles covers, by template: which fields of
# the articles it lists (Article.listing_key; `text` through its hash) and of their stories
# (None: all of it). So a note, tags or an import record can change without the home,
# archive and outlet pages being rendered again. A template that reads more (a theme's own)
# is found out as it renders: its pages then follow all of what they list (see WIDE).
LISTED = frozenset(LISTING_FIELDS) | {"text", "word_count"}  # the text's hash covers both
STORY_LISTED = frozenset({"id", "title", "articles"})
LISTING_READS: dict[str, dict[str, frozenset[str] | None]] = {
    "index.html": {"Article": LISTED, "Story": None},
    "archive.html": {"Article": LISTED, "Story": STORY_LISTED},
    "outlet.html": {"Article": LISTED, "Story": STORY_LISTED},
    "outlets.html": {"Article": frozenset(), "Story": frozenset()},
}
WIDE = " wide "  # pages cache key prefix: a listing template that reads beyond LISTING_READS
UNSURE = "+"  # ends the fingerprint of a page that read beyond it: no later one matches it


@dataclass(frozen=True)
class Site:
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
        note_read("Story", "articles")
        return [self.articles[a] for a in story.articles]

    def coverage(self, story: Story) -> dict[str, SourceCoverage]:
        """Return article id -> what it shares with the story's other sources."""
        note_read("Story", "coverage")
        return {c.article: c for c in story.coverage}

    def quotes_of(self, story: Story, article_id: str) -> list[Quote]:
        """Return the story's quotes that article `article_id` carries (a wording of its
        own), in the story's order: what `selectattr('variants', 'carried_by', id)` gives,
        without a template test call per quote (0.17 ms of a story page's 2.2)."""
        note_read("Story", "quotes")
        return [q for q in story.quotes if carried_by(q.variants, article_id)]

    def numbers(self, story: Story) -> dict[str, int]:
        """Return article id -> source number (1-based) within a story."""
        note_read("Story", "articles")
        return {a: n for n, a in enumerate(story.articles, 1)}


@dataclass(frozen=True)
class Page:
    """One HTML page: where, with which template and context, and what it depends on."""

    path: str  # URL path under the site: "", "stories/x/", "404.html"
    template: str
    context: Mapping[str, Any]
    deps: str  # fingerprint of everything the page reads
    # more context made only when the page is rendered (costly to make for every page)
    more: Callable[[Site], Mapping[str, Any]] | None = None

    @property
    def output(self) -> str:
        return self.path + "index.html" if self.path.endswith("/") or not self.path else self.path


@dataclass(frozen=True)
class Rendered:
    """Every output's fingerprint, and the bytes of those rendered anew (the rest are unchanged
    since the previous build)."""

    fps: Mapping[str, str]
    files: Mapping[str, bytes | Spliced | Staged]
    # where each record line lies in digest.json, by fingerprint (export.save_index)
    records: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    # the pages search indexes (story and article pages) -> the story each belongs to
    searchable: Mapping[str, str] = field(default_factory=dict)


def rank(stories: Sequence[Story], articles: Mapping[str, Article]) -> list[Story]:
    """Return stories most important first: pinned, weight, sources, recency, then id."""
    def latest(s: Story) -> str:
        return max(sort_key(articles[a].published) for a in s.articles)
    by_recency = sorted(stories, key=lambda s: (latest(s), s.id), reverse=True)
    return sorted(by_recency, key=lambda s: (not s.pinned, -s.weight, -len(s.articles)))


def render_site(config: Config, articles: Sequence[Article], stories: Sequence[Story],
                cache: Store | None = None, existing: Mapping[str, str] | None = None,
                reuse: Reuse | None = None,
                known: tuple[Mapping[str, str], Mapping[str, str]] | None = None,
                stage: Path | None = None) -> Rendered:
    """Return the site's files; pages the served site holds made from the same inputs are
    kept, and digest.json lines of unchanged records are copied from `reuse`
    (export.previous_lines). `existing` maps each file the served site holds to the
    fingerprint its tree's manifest gives it. `cache` keeps which listing templates read
    beyond LISTING_READS (WIDE); what each page was made from is the manifests' to keep.

    `known` holds a fingerprint per story and per article id (from analyze_all and
    clean_all); those missing are made by hashing the record (export.record_fp).
    With `stage` (a folder on the site trees' file system), a digest.json that differs
    from the served one is written there ahead while the pages are rendered
    (export.Staged): the caller must place or discard it (export.discard_staged).
    """
    existing = existing or {}
    site, base, known = prepare(config, articles, stories, known)
    wide = {t for t in LISTING_READS if cache is not None and cache.get(WIDE + t, base)}
    found: set[str] = set()  # templates found reading beyond LISTING_READS in this build
    pages, article_deps = _pages(site, base, *known, wide)
    fps = {p.output: p.deps for p in pages}
    home = [p.deps for p in pages if p.template == "index.html"]
    fps.update((path, deps) for path, (_, deps) in article_deps.items())
    todo = [p for p in pages if not _unchanged(p.output, p.deps, existing)]
    todo += [_article_page(site, aid, deps) for path, (aid, deps) in article_deps.items()
             if not _unchanged(path, deps, existing)]

    staged: dict[str, Staged] = {}

    def meanwhile() -> tuple[list[tuple[str, str, bytes | None]], tuple]:
        """Feeds, sitemap and data files, made while the workers render the pages."""
        data, records, json_fp = _data_files(site, articles, reuse, known)
        if stage is not None and existing.get("digest.json") != json_fp:
            data["digest.json"] = staged["digest.json"] = Staged("digest.json",
                                                                 data["digest.json"], stage)
        derived = [(path, deps, None if _unchanged(path, deps, existing) else make())
                   for path, deps, make in _derived_files(site, base, list(fps), home)]
        return derived, (data, records, json_fp)

    try:
        html, (derived, (data, records, json_fp)) = map_chunks_meanwhile(
            _render_pages, (site, base), todo, meanwhile)
    except BaseException:
        discard_staged(staged)
        raise
    out = {}
    for page, (blob, beyond) in zip(todo, html):
        out[page.output] = blob
        if beyond and page.template not in wide:
            # Its fingerprint does not cover what it showed: recorded so that no later one
            # matches it (the page is rendered again even if the marker below is lost)
            fps[page.output] = page.deps + UNSURE
            if page.template not in found:
                log.info("%s reads %s: pages made from it are rendered again when any part "
                         "of what they list changes", page.template, ", ".join(beyond))
            found.add(page.template)
    for path, deps, made in derived:
        fps[path] = deps
        if made is not None:
            out[path] = made
    if cache is not None:
        for template in sorted(wide | found):
            cache.put(WIDE + template, base, True)
    out.update(data)
    fps.update((path, content_hash(blob)) for path, blob in data.items() if path != "digest.json")
    fps["digest.json"] = json_fp
    searchable = {f"articles/{aid}/index.html": sid for aid, sid in site.story_of.items()}
    searchable.update((f"stories/{s.id}/index.html", s.id) for s in site.stories)
    return Rendered(dict(sorted(fps.items())), out, records, searchable)


def prepare(config: Config, articles: Sequence[Article], stories: Sequence[Story],
            known: tuple[Mapping[str, str], Mapping[str, str]] | None = None,
            ) -> tuple[Site, str, tuple[dict[str, str], dict[str, str]]]:
    """Return what every page is made from: the Site, the fingerprint all pages share
    (`base`), and one fingerprint per story and per article id (`known`'s, else made by
    hashing the record), shared by page fingerprints and digest.json."""
    by_id = {a.id: a for a in articles}
    site = Site(config, rank(stories, by_id), by_id,
                {a: s.id for s in stories for a in s.articles}, _outlets(articles))
    given = known or ({}, {})
    fps = ({s.id: given[0].get(s.id) or record_fp(s) for s in site.stories},
           {a.id: given[1].get(a.id) or record_fp(a) for a in articles})
    # Every page reads digest's code (a change re-renders pages whose other inputs did not
    # change, and both trees hold them under their old fingerprint), the theme and the
    # config; where the site folder lies is no input: moving it re-renders nothing.
    base = fingerprint(CODE_FORMAT, theme_fingerprint(config),
                       repr(replace(config, root=Path())))
    return site, base, fps


def _unchanged(output: str, deps: str, existing: Mapping[str, str]) -> bool:
    """True when the served site holds `output` made from inputs with fingerprint `deps`,
    as the served tree's manifest says: it is written with the tree, so it names what each
    file was made from even when a build is killed before the cache is saved."""
    return existing.get(output) == deps


TEMPLATE_CACHE = CACHE_DIR / "templates"  # compiled templates, signed like the cache
_ENVIRONMENTS: dict[str, Any] = {}  # fingerprint and site folder -> environment


def _environment(config: Config, base: str) -> Any:
    """Return the template environment for a config and theme (`base` fingerprints both):
    a long-running process (`digest serve`) keeps it, and the templates it has compiled,
    from one build to the next. Keyed by the site folder too: `base` leaves it out, and
    the templates are looked up in it."""
    key = f"{base} {config.root}"
    if key not in _ENVIRONMENTS:
        _ENVIRONMENTS.clear()
        _ENVIRONMENTS[key] = environment(config, {"date_span": date_span},
                                         config.root / TEMPLATE_CACHE)
    return _ENVIRONMENTS[key]


def _render_pages(shared: tuple[Site, str],
                  pages: Sequence[Page]) -> list[tuple[bytes, tuple[str, ...]]]:
    """Render pages with one environment (runs in worker processes for large sites). Each
    page comes with the fields its template read beyond LISTING_READS (none for pages whose
    fingerprint covers all they show)."""
    site, base = shared
    env = _environment(site.config, base)
    out = []
    base_path = site.config.base_path  # a regex over base_url: once, not per link
    for page in pages:
        def url(target: str, _path: str = page.path) -> str:
            return relative_url(_path, target, base_path)
        ctx = {"site": site, "config": site.config, "page": page.path, "url": url,
               "canonical": feeds.absolute(site.config, page.path), **page.context,
               **(page.more(site) if page.more else {})}
        allowed = LISTING_READS.get(page.template)
        if allowed is None:
            out.append((render(env, page.template, ctx).encode("utf-8"), ()))
            continue
        with reading(env) as reads:
            html = render(env, page.template, ctx).encode("utf-8")
        out.append((html, _beyond(reads, allowed)))
    return out


def _beyond(reads: set[str], allowed: Mapping[str, frozenset[str] | None]) -> tuple[str, ...]:
    """Return the reads ("Kind.field") that a page's fingerprint does not cover."""
    out = []
    for read in reads:
        kind, _, name = read.partition(".")
        fields = allowed.get(kind)
        if fields is not None and name not in fields:
            out.append(read)
    return tuple(sorted(out))


def _data_files(site: Site, articles: Sequence[Article], reuse: Reuse | None = None,
                known: tuple[Mapping[str, str], Mapping[str, str]] | None = None,
                ) -> tuple[dict[str, Any], dict[str, tuple[int, int]], str]:
    """Return digest.json, robots.txt and the theme's static files, where digest.json's
    record lines lie by fingerprint, and digest.json's own fingerprint."""
    config = site.config
    data, records, json_fp = digest_json(config, site.stories, articles, reuse, known)
    out = {"digest.json": data}
    out["robots.txt"] = feeds.robots(config)
    out[".nojekyll"] = b""  # GitHub Pages: serve files as they are
    if config.cname:
        out["CNAME"] = config.cname.encode() + b"\n"
    out.update(static_files(config))
    return out, records, json_fp


Derived = tuple[str, str, Callable[[], bytes]]  # output path, fingerprint of inputs, maker


def _derived_files(site: Site, base: str, html: Sequence[str],
                   home: Sequence[str]) -> list[Derived]:
    """Return the feeds and the sitemap, each with a fingerprint of what it reads and a
    function that makes it (called only when the served copy is out of date). Feeds read
    only the listing fields of articles (feeds.story_entries, feeds.article_entries), and
    the site's feeds only what the home pages show of every story (all of them, in
    order): so they take the home pages' fingerprints, `home` (hashing every story's and
    listing key again took 0.01-0.02 s of each build at 10,000 articles)."""
    config = site.config
    by_id = site.articles
    whole = text_fingerprint(base, "feeds", *home)

    @functools.cache  # both story feeds carry the same entries: made once, if at all
    def entries() -> list[dict]:
        listed = [s for s in site.stories
                  if any(by_id[a].status == "published" for a in s.articles)]
        return feeds.story_entries(config, listed, site.articles)

    out: list[Derived] = [
        ("feed.xml", fingerprint(whole, "atom"),
         lambda: feeds.atom(config, config.title, "feed.xml", entries())),
        ("feed.json", fingerprint(whole, "json"),
         lambda: feeds.json_feed(config, config.title, "feed.json", entries()))]
    for name, slug, arts in site.outlets:
        page = f"outlets/{slug}/feed.xml"
        out.append((page, text_fingerprint(base, page, name, *(a.listing_key for a in arts)),
                    functools.partial(_outlet_feed, config, name, page, arts)))
    pages = [p.removesuffix("index.html") for p in html if p != "404.html"]
    out.append(("sitemap.xml", text_fingerprint(base, "sitemap", *pages),
                functools.partial(feeds.sitemap, config, pages)))
    return out


def _outlet_feed(config: Config, name: str, page: str, arts: Sequence[Article]) -> bytes:
    return feeds.atom(config, f"{name} · {config.title}", page, feeds.article_entries(config, arts))


def _pages(site: Site, base: str, whole_fp: Mapping[str, str], art_fp: Mapping[str, str],
           wide: AbstractSet[str] = frozenset()) -> tuple[list[Page], dict[str, tuple[str, str]]]:
    """Return every HTML page but the articles', each with a fingerprint of everything it
    reads, and each article page's output path -> (article id, fingerprint): its Page is
    made (_article_page) only when it must be rendered. `whole_fp` and `art_fp`
    fingerprint each story and article whole (export.record_fp). Pages that list articles
    follow only their listing fields (LISTING_READS), unless their template is in `wide`."""
    story_fp = {s.id: text_fingerprint(base, whole_fp[s.id], *(art_fp[a] for a in s.articles))
                for s in site.stories}
    if "index.html" in wide:
        home_fp = story_fp
    else:
        by_id = site.articles
        home_fp = {s.id: text_fingerprint(base, whole_fp[s.id],
                                          *(by_id[a].listing_key for a in s.articles))
                   for s in site.stories}
    days = by_day(a for a in site.articles.values() if a.status == "published")
    listed = [a for _, arts in days for a in arts]
    templates = ("archive.html", "outlet.html", "outlets.html")
    lister = {w: _listing_keys(site, listed, art_fp, story_fp, w)
              for w in sorted({t in wide for t in templates})}
    keys = {t: lister[t in wide] for t in templates}
    whole = "outlets.html" in wide  # else the outlets page shows only names and counts
    outlets = [(n, s, [keys["outlets.html"][x.id] for x in a] if whole else len(a))
               for n, s, a in site.outlets]
    pages = [*home_pages(site, base, home_fp),
             *listing_pages("archive/", "archive.html", {}, days, base, keys["archive.html"]),
             Page("outlets/", "outlets.html", {}, fingerprint(base, outlets)),
             Page("search/", "search.html", {}, base), Page("404.html", "404.html", {}, base)]
    for s in site.stories:
        pages.append(Page(f"stories/{s.id}/", "story.html",
                          {"story": s, "members": site.members(s)}, story_fp[s.id]))
    by_outlet = outlet_days(days)
    for name, slug, _ in site.outlets:
        pages += listing_pages(f"outlets/{slug}/", "outlet.html",
                               {"outlet": name, "info": site.config.outlet(name)}, by_outlet[name],
                               fingerprint(base, name), keys["outlet.html"], "outlet_articles")
    story_of = site.story_of
    return pages, {f"articles/{aid}/index.html": (aid, story_fp[story_of[aid]])
                   for aid in site.articles}


def _article_page(site: Site, article_id: str, deps: str) -> Page:
    """Return an article's page: it reads the article and its story (see _pages)."""
    return Page(f"articles/{article_id}/", "article.html",
                {"article": site.articles[article_id], "story": site.story(site.story_of[article_id])},
                deps, functools.partial(_article_more, article_id))


def _article_more(article_id: str, site: Site) -> dict[str, Any]:
    """Return an article page's anchors: every span its story cites, and which of them the
    merged summary cites."""
    story = site.story(site.story_of[article_id])
    return {"spans": cited_spans(site, article_id),
            "summary_ids": {passages.anchor(c.start, c.end) for x in story.summary
                            for c in x.citations if c.article == article_id}}


STORIES_PER_PAGE = 30  # stories on one page of the merged summary


def home_pages(site: Site, base: str, story_fp: Mapping[str, str]) -> list[Page]:
    """Return the merged summary page, split into numbered pages of ranked stories."""
    stories = list(site.stories)
    chunks = [stories[i:i + STORIES_PER_PAGE] for i in range(0, len(stories), STORIES_PER_PAGE)]
    chunks = chunks or [[]]
    paths = ["" if n == 0 else f"page/{n + 1}/" for n in range(len(chunks))]
    return [Page(paths[n], "index.html",
                 {"stories": chunk, "number": n + 1, "pages": paths},
                 fingerprint(base, n, len(paths), [story_fp[s.id] for s in chunk]))
            for n, chunk in enumerate(chunks)]


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
    note_read("Article", "published")
    days = sorted(d for d in (day_of(a.published) for a in members) if d is not None)
    return (days[0], days[-1]) if days else (None, None)


Days = list[tuple[date | None, list[Article]]]  # (day, articles): see by_day


def by_day(listed: Iterable[Article]) -> Days:
    """Return (day, articles) groups, newest day first, undated last; within a day by
    time, then id, both descending."""
    days: dict[date | None, list[Article]] = defaultdict(list)
    for a in listed:
        days[day_of(a.published)].append(a)
    keys = sorted((d for d in days if d is not None), reverse=True) + ([None] if None in days else [])
    return [(d, sorted(days[d], key=lambda a: (sort_key(a.published), a.id), reverse=True))
            for d in keys]


def outlet_days(days: Days) -> dict[str, Days]:
    """Return outlet name -> its articles of `days`, grouped and ordered as there."""
    out: dict[str, Days] = defaultdict(list)
    for day, arts in days:
        split: dict[str, list[Article]] = defaultdict(list)
        for a in arts:
            if a.outlet:
                split[a.outlet].append(a)
        for name, group in split.items():
            out[name].append((day, group))
    return out


def listing_pages(prefix: str, template: str, context: Mapping[str, Any], days: Days, deps: str,
                  keys: Mapping[str, bytes], flat: str | None = None) -> list[Page]:
    """Return the pages of a dated listing at `prefix` ("archive/", "outlets/<slug>/") of
    articles grouped `by_day`: one page; or, over LIST_LIMIT articles, a page per month
    (per day too, in a month of over MONTH_LIMIT) and the `prefix` page, which shows the
    newest month. Only the pages that list months or days count their articles (the
    `prefix` page and a split month's page): so one added article renders its day, its
    month and the `prefix` page again, not every page (13 month pages at 10,000 articles).
    With `flat`, each page also holds its articles in one list under that name
    (`outlet_articles`, as before). A page's fingerprint takes `deps`, what the page shows
    of the listing's months and days, and `keys` (_listing_keys) of the articles on it."""
    short = sum(len(arts) for _, arts in days) <= LIST_LIMIT
    views = [(prefix, _view(days, [], None))] if short else _months(prefix, days)
    if flat:
        for _, view in views:
            view[flat] = [a for _, arts in view["days"] for a in arts]
    texts: dict[int, str] = {}  # the pages of a listing share their navigation lists

    def text(nav: list) -> str:
        got = texts.get(id(nav))
        if got is None:
            got = texts[id(nav)] = repr(nav)
        return got
    return [Page(path, template, {**context, **view, "listing": prefix},
                 text_fingerprint(deps, path, text(view["months"]), str(view["month"]),
                                  text(view["month_days"]), str(view["day"]),
                                  content_hash(b"".join([keys[a.id] for _, arts in view["days"]
                                                         for a in arts]))))
            for path, view in views]


def _months(prefix: str, days: Days) -> list[tuple[str, dict[str, Any]]]:
    """Return the (path, context) of each page of a listing split by month: the `prefix`
    page, then each month's, and each day's of a month over MONTH_LIMIT articles (whose
    own page lists its days, with their counts)."""
    months: dict[str, Days] = defaultdict(list)
    for day, arts in days:
        months[day.isoformat()[:7] if day else "undated"].append((day, arts))
    counts = [(k, sum(len(arts) for _, arts in v)) for k, v in months.items()]
    names = [(k, None) for k in months]
    views: list[tuple[str, dict[str, Any]]] = []
    for (month, groups), (_, count) in zip(months.items(), counts):
        split = month != "undated" and count > MONTH_LIMIT
        shown = [] if split else groups  # a split month's page lists its days instead
        listed_days = [(day, len(arts)) for day, arts in groups] if split else []
        if not views:  # the newest month, or its days and the newest day's articles
            views.append((prefix, _view(groups[:1] if split else groups, counts, month,
                                        listed_days)))
        views.append((f"{prefix}{month}/", _view(shown, names, month, listed_days)))
        if split:
            day_names = [(day, None) for day, _ in groups]
            views += [(f"{prefix}{month}/{day.day:02d}/",
                       _view([(day, arts)], names, month, day_names, day)) for day, arts in groups]
    return views


def _view(days: Days, months: list[tuple[str, int | None]],
          month: str | None, month_days: list[tuple[date, int | None]] | None = None,
          day: date | None = None) -> dict[str, Any]:
    """Return the context of one listing page (documented in docs/templates.md)."""
    return {"days": days, "months": months, "month": month, "month_days": month_days or [],
            "day": day}


def _listing_keys(site: Site, listed: Sequence[Article], art_fp: Mapping[str, str],
                  story_fp: Mapping[str, str], wide: bool) -> dict[str, bytes]:
    """Return, per article id of `listed`, what the fingerprint of a page listing it takes
    of it: a digest of its listing fields and one of its story's id, title and number of
    sources (LISTING_READS), or, for a `wide` template, the fingerprints of both whole.
    Both are hex digests of one length, so the keys of a page's articles are joined as they
    are (listing_pages). Made once for all, not per page: each article is listed on its
    archive and outlet pages (a call per article and page took 0.03 s at 10,000)."""
    if wide:
        return {a.id: (art_fp[a.id] + story_fp[site.story_of[a.id]]).encode() for a in listed}
    stories = {s.id: text_fingerprint(s.id, s.title, str(len(s.articles))) for s in site.stories}
    return {a.id: (a.listing_key + stories[site.story_of[a.id]]).encode() for a in listed}


def _outlets(articles: Sequence[Article]) -> list[tuple[str, str, tuple[Article, ...]]]:
    groups: dict[str, list[Article]] = defaultdict(list)
    for a in articles:
        if a.outlet and a.status == "published":
            groups[a.outlet].append(a)
    return [(name, slugify(name) or "outlet", tuple(sorted(arts, key=lambda a: a.id)))
            for name, arts in sorted(groups.items(), key=lambda kv: kv[0].casefold())]
