"""The Pagefind index built by `digest build`, queried from Chromium on a served site."""
from __future__ import annotations

import json

from digest import search
from digest.config import load_config
from digest.pipeline import build


def test_search_finds_article_text(make_site, page, served, monkeypatch):
    """Each story's pages go to one shard of the index (two here: one page a shard at most
    makes four, and the two stories fall in two of them); the page merges the shards."""
    monkeypatch.setattr(search, "SHARD_PAGES", 1)
    root = make_site({
        "a.md": "---\ntitle: Harbour bridge opens\noutlet: Gazette\n---\n\nThe bridge has "
                "seventeen turquoise lamps along its span.\n",
        "b.md": "---\ntitle: Library hours\n---\n\nThe library opens late on Thursdays.\n"},
        config="title: T\nbase_url: /news/\n")
    config, _ = load_config(root)
    assert build(config).written
    shards = json.loads((root / "site/pagefind/shards.json").read_text())["shards"]
    assert shards == ["1", "3"]
    assert all((root / "site/pagefind" / name / "pagefind.js").is_file() for name in shards)
    base = served(root / "site", prefix="news")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "search/index.html?q=turquoise")
    page.wait_for_selector("#results li", timeout=10_000)
    results = page.locator("#results li")
    assert results.count() == 2  # the story page and the article page
    for i in range(2):
        assert "Harbour bridge opens" in results.nth(i).inner_text()
    hrefs = sorted(results.locator("a").evaluate_all("els => els.map(e => e.pathname)"))
    assert hrefs == ["/news/articles/a/", "/news/stories/a/"]
    assert "turquoise" in results.first.locator("mark").first.inner_text().lower()
    page.fill("#q", "thursdays")
    page.click("form.search button")
    page.wait_for_selector("#results li a:has-text('Library hours')", timeout=10_000)
    assert page.locator("#results li").count() == 2  # again a story page and an article page
    assert errors == []


def test_a_site_with_nothing_to_index_says_so(make_site, page, served):
    root = make_site({}, config="title: T\n")
    config, _ = load_config(root)
    assert build(config).written
    assert json.loads((root / "site/pagefind/shards.json").read_text()) == {"shards": []}
    base = served(root / "site")
    page.goto(base + "search/index.html?q=anything")
    page.wait_for_selector("#search-status:has-text('0 results')", timeout=10_000)
    assert page.locator("#results li").count() == 0


def test_a_site_built_without_search_says_it_has_no_index(make_site, page, served):
    root = make_site({"a.md": "---\ntitle: A\n---\n\nText.\n"}, config="title: T\nsearch: false\n")
    config, _ = load_config(root)
    assert build(config).written and not (root / "site/pagefind").exists()
    page.goto(served(root / "site") + "search/index.html?q=text")
    page.wait_for_selector("#search-status:has-text('no search index')", timeout=10_000)
