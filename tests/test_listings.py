"""Archive and outlet pages: newest first, split by month and then by day when long."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from digest.check import check_links
from digest.config import load_config
from digest.pipeline import build
from digest.stages import render
from test_incremental import assert_equals_clean_build, inodes

OUTLETS = ("Post", "Wire")


def dated(n: int, month: int, day: int, outlet: str) -> str:
    """Return an article of its own story, published on 2024-`month`-`day`."""
    return (f"---\ntitle: Report {n} of the council\noutlet: {outlet}\n"
            f"published: 2024-{month:02d}-{day:02d}T{n % 24:02d}:00:00Z\nstory: s{n}\n---\n\n"
            f"The council of town {n} met on day {day} and voted on budget item {n}, "
            f"its clerk said after the meeting.\n")


@pytest.fixture
def small_limits(monkeypatch):
    """Split listings of over 6 articles by month, and months of over 8 by day."""
    monkeypatch.setattr(render, "LIST_LIMIT", 6)
    monkeypatch.setattr(render, "MONTH_LIMIT", 8)


def three_months(make_site) -> Path:
    """Return a site: 3 articles in March, 6 in April (two a day), 12 in May (over
    MONTH_LIMIT: split by day), from two outlets: Post has 12, Wire 9."""
    plan = [(3, d) for d in (2, 9, 20)] + [(4, d) for d in (5, 5, 6, 6, 7, 7)]
    plan += [(5, d) for d in (1, 1, 1, 2, 2, 3, 3, 3, 3, 10, 11, 11)]
    return make_site({f"a{n:02d}.md": dated(n, m, d, OUTLETS[n % 3 == 0])
                      for n, (m, d) in enumerate(plan)}, config="title: T\nsearch: false\n")


def links(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


def listed(html: str) -> list[str]:
    """Return the article ids a listing page links to, in order."""
    return re.findall(r'href="(?:\.\./)+articles/([^/]+)/index.html"', html)


def test_short_outlet_page_lists_newest_first_by_day(make_site):
    site = make_site({"old.md": dated(1, 3, 2, "Post"), "new.md": dated(2, 5, 9, "Post"),
                      "mid.md": dated(3, 4, 1, "Post")}, config="title: T\nsearch: false\n")
    config, _ = load_config(site)
    build(config)
    html = (site / "site/outlets/post/index.html").read_text()
    assert listed(html) == ["new", "mid", "old"]
    assert html.index("9 May 2024") < html.index("1 April 2024") < html.index("2 March 2024")
    assert "by month" not in html.lower()  # short: one page, no month links
    assert not list((site / "site/outlets/post").glob("2024-*"))


def test_long_listings_split_by_month_then_by_day(make_site, small_limits):
    site = three_months(make_site)
    config, _ = load_config(site)
    build(config)
    out = site / "site"
    pages = sorted(p.relative_to(out).as_posix() for p in out.glob("archive/**/index.html"))
    assert pages == ["archive/2024-03/index.html", "archive/2024-04/index.html",
                     *(f"archive/2024-05/{d:02d}/index.html" for d in (1, 2, 3, 10, 11)),
                     "archive/2024-05/index.html", "archive/index.html"]
    # every article is listed once over the pages that list articles, newest first
    leaves = [p for p in pages
              if p.count("/") == 3 or p[:15] in ("archive/2024-03", "archive/2024-04")]
    ids = [i for p in reversed(leaves) for i in listed((out / p).read_text())]
    assert sorted(ids) == sorted(f"a{n:02d}" for n in range(21))
    assert len(ids) == 21
    # a split month's page lists its days with their counts, and no article
    may = (out / "archive/2024-05/index.html").read_text()
    assert listed(may) == [] and "May 2024, by day" in may
    assert re.search(r">3</time></a> <span class=\"count\">\(4\)</span>", may)
    # the archive index counts every month and shows the newest day of the newest month
    index = (out / "archive/index.html").read_text()
    assert "(12)" in index and "(6)" in index and "(3)" in index
    assert listed(index) == listed((out / "archive/2024-05/11/index.html").read_text())
    # day pages name their month and days without counts, and mark themselves current
    day = (out / "archive/2024-05/03/index.html").read_text()
    assert "<title>Archive · 3 May 2024 · T</title>" in day
    assert 'aria-current="page" aria-label="3 May 2024"><time datetime="2024-05-03">' in day
    assert '"count"' not in day
    # outlets: Post (12 articles) split by month; May has 7 of them, under MONTH_LIMIT
    post = sorted(p.relative_to(out).as_posix() for p in out.glob("outlets/post/**/index.html"))
    assert post == [*(f"outlets/post/2024-0{m}/index.html" for m in (3, 4, 5)),
                    "outlets/post/index.html"]
    assert "Wire" not in (out / "outlets/post/2024-05/index.html").read_text().split("<main")[1]
    assert check_links(out) == []


def test_added_article_renders_its_day_month_and_index_only(make_site, small_limits):
    site = three_months(make_site)
    config, _ = load_config(site)
    build(config)
    build(config)  # both trees hold the site: pages kept are linked, not written
    before = inodes(site / "site")
    (site / "content/new.md").write_text(dated(40, 5, 2, "Wire"))
    build(config)
    after = inodes(site / "site")
    changed = sorted(p for p in after if p.startswith(("archive/", "outlets/"))
                     and after[p] != before.get(p))
    assert changed == ["archive/2024-05/02/index.html", "archive/2024-05/index.html",
                       "archive/index.html", "outlets/index.html",
                       "outlets/wire/2024-05/index.html", "outlets/wire/feed.xml",
                       "outlets/wire/index.html"]
    assert_equals_clean_build(site, config)


def test_listing_that_grows_past_the_limits_equals_a_clean_build(make_site, small_limits):
    site = make_site({f"a{n}.md": dated(n, 5, 1 + n % 2, "Post") for n in range(5)},
                     config="title: T\nsearch: false\n")
    config, _ = load_config(site)
    build(config)
    for n in range(5, 12):  # one page, then split by month, then May split by day
        (site / f"content/a{n}.md").write_text(dated(n, 5, 1 + n % 2, "Post"))
        build(config)
        assert_equals_clean_build(site, config)
    assert (site / "site/archive/2024-05/02/index.html").exists()
    for n in range(12):  # and back to one page
        if n > 2:
            (site / f"content/a{n}.md").unlink()
    build(config)
    assert not (site / "site/archive/2024-05").exists()
    assert_equals_clean_build(site, config)


def test_a_date_edit_moves_the_article_and_equals_a_clean_build(make_site, small_limits):
    site = three_months(make_site)
    config, _ = load_config(site)
    build(config)
    path = site / "content/a20.md"  # 11 May, the newest day: the archive index shows it
    for when in ("2024-05-03T08:00:00Z", "2024-03-31T23:30:00-05:00", "2024-06-01"):
        text = path.read_text()
        start = text.index("published: ") + len("published: ")
        path.write_text(text[:start] + when + text[text.index("\n", start):])
        build(config)
        assert_equals_clean_build(site, config)
    out = site / "site"
    assert listed((out / "archive/index.html").read_text()) == ["a20"]  # June, alone
    assert "a20" not in listed((out / "archive/2024-05/03/index.html").read_text())
    assert (out / "archive/2024-05/11/index.html").exists()  # May still over MONTH_LIMIT
