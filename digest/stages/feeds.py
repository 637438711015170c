"""Feeds (Atom, JSON Feed), sitemap.xml and robots.txt, all with ids stable across rebuilds."""
from __future__ import annotations

import functools
import heapq
import json
from datetime import date, datetime, time, timezone
from html import escape
from typing import Mapping, Sequence
from xml.etree import ElementTree as ET

from digest.config import Config
from digest.models import Article, Story

ATOM = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 100  # newest entries a feed carries; readers keep what they have already seen
ID_NAMESPACE = "6f1c5a0e-2d4b-4b8e-9a51-1c0d3f4e7a90"  # a UUID, fixed: ids never change


def absolute(config: Config, page: str) -> str:
    """Return the URL of an output page under base_url."""
    return config.base_url.rstrip("/") + "/" + page


@functools.lru_cache(maxsize=1 << 16)
def entry_id(kind: str, key: str) -> str:
    """Return a permanent URN for a story or article, independent of where the site is hosted."""
    import uuid  # 4 ms of every command otherwise: most rebuilds make no feed

    return f"urn:uuid:{uuid.uuid5(uuid.UUID(ID_NAMESPACE), f'{kind}:{key}')}"


@functools.lru_cache(maxsize=4096)  # a digest has far fewer distinct times than articles
def rfc3339(value: date | datetime | None) -> str:
    """Return a timestamp for feeds; dates become midnight UTC, missing ones the epoch."""
    if value is None:
        value = datetime(1970, 1, 1, tzinfo=timezone.utc)
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0, 0), timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def story_times(story: Story, articles: Mapping[str, Article]) -> tuple[str, str]:
    """Return (published, updated): earliest publication, and the latest date among its sources."""
    members = [articles[a] for a in story.articles]
    stamps = [rfc3339(d) for a in members for d in (a.published, a.updated) if d is not None]
    first = min((rfc3339(a.published) for a in members if a.published), default=rfc3339(None))
    return first, max(stamps, default=first)


def story_entries(config: Config, stories: Sequence[Story],
                  articles: Mapping[str, Article]) -> list[dict]:
    """Return feed entries for stories, newest update first (only the newest are made)."""
    times = [story_times(s, articles) for s in stories]
    if len(stories) > FEED_ENTRIES:  # ids (ties go by them) only for those that can be in
        cutoff = heapq.nlargest(FEED_ENTRIES, [t[1] for t in times])[-1]
        stories, times = zip(*[(s, t) for s, t in zip(stories, times) if t[1] >= cutoff])
    keyed = [(updated, published, entry_id("story", s.id), s)
             for s, (published, updated) in zip(stories, times)]
    keyed.sort(key=lambda k: (k[0], k[2]), reverse=True)
    entries = []
    for updated, published, uid, s in keyed[:FEED_ENTRIES]:
        outlets = sorted({articles[a].outlet for a in s.articles if articles[a].outlet})
        entries.append({"id": uid, "title": s.title,
                        "url": absolute(config, f"stories/{s.id}/"), "published": published,
                        "updated": updated, "summary": " ".join(x.text for x in s.summary),
                        "authors": outlets})
    return entries


def article_entries(config: Config, arts: Sequence[Article]) -> list[dict]:
    """Return feed entries for articles, newest first."""
    if len(arts) > FEED_ENTRIES:  # only the newest can be in the feed: make entries for those
        stamps = [rfc3339(a.updated or a.published) for a in arts]
        cutoff = heapq.nlargest(FEED_ENTRIES, stamps)[-1]
        arts = [a for a, t in zip(arts, stamps) if t >= cutoff]
    entries = [{"id": entry_id("article", a.id), "title": a.title,
                "url": absolute(config, f"articles/{a.id}/"), "published": rfc3339(a.published),
                "updated": rfc3339(a.updated or a.published), "summary": a.standfirst or
                a.text.split("\n\n")[0], "authors": list(a.authors) or ([a.outlet] if a.outlet else [])}
               for a in arts]
    return sorted(entries, key=lambda e: (e["updated"], e["id"]), reverse=True)[:FEED_ENTRIES]


def atom(config: Config, title: str, page: str, entries: list[dict]) -> bytes:
    """Return an Atom feed document."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", entry_id("feed", page))
    _text(feed, "title", title)
    _text(feed, "updated", max((e["updated"] for e in entries), default=rfc3339(None)))
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=absolute(config, page))
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=absolute(config, ""))
    _text(ET.SubElement(feed, f"{{{ATOM}}}author"), "name", config.title)
    _text(feed, "generator", "digest")
    for e in entries:
        item = ET.SubElement(feed, f"{{{ATOM}}}entry")
        for key in ("id", "title", "published", "updated"):
            _text(item, key, e[key])
        ET.SubElement(item, f"{{{ATOM}}}link", rel="alternate", href=e["url"])
        for name in e["authors"]:
            _text(ET.SubElement(item, f"{{{ATOM}}}author"), "name", name)
        _text(item, "summary", e["summary"])
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}{tag}").text = text


def json_feed(config: Config, title: str, page: str, entries: list[dict]) -> bytes:
    """Return a JSON Feed 1.1 document."""
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": title,
           "home_page_url": absolute(config, ""), "feed_url": absolute(config, page),
           "description": config.description, "language": config.language,
           "items": [{"id": e["id"], "url": e["url"], "title": e["title"],
                      "content_text": e["summary"], "date_published": e["published"],
                      "date_modified": e["updated"],
                      "authors": [{"name": n} for n in e["authors"]]} for e in entries]}
    return (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def sitemap(config: Config, pages: Sequence[str]) -> bytes:
    """Return sitemap.xml listing every HTML page: joined as text, in the layout
    ElementTree's indent gives (a test holds the two equal). ElementTree took 0.08 s for
    the 12,000 pages of a 10,000-article digest, made again whenever a page comes or goes."""
    urls = "".join(f"  <url>\n    <loc>{escape(absolute(config, page), quote=False)}</loc>\n"
                   "  </url>\n" for page in sorted(pages))
    head = f"<?xml version='1.0' encoding='utf-8'?>\n<urlset xmlns=\"{SITEMAP_NS}\""
    return (f"{head}>\n{urls}</urlset>\n" if urls else f"{head} />\n").encode("utf-8")


def robots(config: Config) -> bytes:
    """Return robots.txt pointing at the sitemap."""
    return f"User-agent: *\nAllow: /\nSitemap: {absolute(config, 'sitemap.xml')}\n".encode()
