"""`digest check`: validate the inputs and every internal link and anchor of the built site."""
from __future__ import annotations

import posixpath
from html.parser import HTMLParser
from pathlib import Path
from typing import Sequence
from urllib.parse import unquote, urlsplit

from digest.config import Config
from digest.models import Article, Problem
from digest.stages import clean, read

LINK_ATTRS = {"a": "href", "link": "href", "script": "src", "img": "src", "iframe": "src",
              "form": "action"}


def check_content(config: Config) -> list[Problem]:
    """Return problems in content/: invalid files, duplicates, missing outlet, URL or date."""
    files, problems = read.read_content(config.root)
    articles, found = clean.clean_all(files, config, drafts=True)
    problems += found
    problems += duplicates(articles)
    for a in articles:
        for key, value in (("outlet", a.outlet), ("url", a.url), ("published", a.published)):
            if not value:
                problems.append(Problem("warning", a.path, f"no {key}: provenance cards will "
                                        f"say it is unknown", key=key))
    return problems


def duplicates(articles: Sequence[Article]) -> list[Problem]:
    """Return an error for each article whose text or URL repeats an earlier one's."""
    seen: dict[tuple[str, str], str] = {}
    out = []
    for a in articles:
        for kind, key in (("text", a.sha256), ("URL", a.url)):
            if not key:
                continue
            first = seen.setdefault((kind, key), a.path)
            if first != a.path:
                out.append(Problem("error", a.path, f"duplicate article: same {kind} as {first}"))
                break
    return out


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for key in ("id", "name"):
            if values.get(key) and (key == "id" or tag == "a"):
                self.ids.add(values[key] or "")
        attr = LINK_ATTRS.get(tag)
        if attr and values.get(attr):
            self.links.append((self.getpos()[0], values[attr] or ""))


def check_links(site: Path, base_path: str = "/") -> list[Problem]:
    """Return an error for every internal link or anchor in `site` that leads nowhere."""
    pages: dict[str, _Page] = {}
    for path in sorted(site.rglob("*.html")):
        parser = _Page()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        pages[path.relative_to(site).as_posix()] = parser
    problems = []
    for rel, parser in pages.items():
        for line, href in parser.links:
            message = _broken(site, rel, href, pages, base_path)
            if message:
                problems.append(Problem("error", f"site/{rel}", message, line=line))
    return problems


def _broken(site: Path, page: str, href: str, pages: dict[str, _Page], base_path: str) -> str:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or href.startswith(("mailto:", "tel:")):
        return ""
    if page == "404.html" and parts.path.startswith(base_path):
        target = parts.path[len(base_path):]
    elif parts.path.startswith("/"):
        target = parts.path.lstrip("/")
    else:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(parts.path))) \
            if parts.path else page
    if target.startswith("..") or target == ".":
        target = "index.html" if target == "." else target
        if target.startswith(".."):
            return f"link {href!r} leaves the site"
    path = site / target
    if path.is_dir():
        target = posixpath.join(target, "index.html")
        path = site / target
    if not path.is_file():
        return f"broken link {href!r}: no file {target}"
    if parts.fragment and target in pages and unquote(parts.fragment) not in pages[target].ids:
        return f"broken anchor {href!r}: no id {parts.fragment!r} in {target}"
    return ""
