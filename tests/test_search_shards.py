"""The search index in shards by story: an edit makes one shard again, with real Pagefind."""
from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

from digest import search
from digest.config import load_config
from digest.pipeline import build
from test_incremental import EVENTS, PLACES, article, tree


def test_each_story_s_pages_share_a_shard_and_only_its_key_follows_them(monkeypatch):
    groups = {f"articles/a{n}/index.html": f"s{n % 40}" for n in range(100)}
    groups.update((f"stories/s{n}/index.html", f"s{n}") for n in range(40))
    fps = {page: "v1" for page in groups} | {"index.html": "v1"}
    assert [search.shard_count(n) for n in (0, 1, 400, 401, 1600, 1601, 10**6)] == \
        [1, 1, 1, 2, 4, 8, search.MAX_SHARDS]
    one = search.plan(fps, groups)
    assert len(one) == 1 and len(one["0"].pages) == 140  # never the home page
    monkeypatch.setattr(search, "SHARD_PAGES", 20)
    many = search.plan(fps, groups)
    edited = search.plan({**fps, "articles/a7/index.html": "v2"}, groups)
    assert sorted(many) == [str(n) for n in range(8)]  # 140 pages, 20 a shard: 8 (a power of 2)
    shard_of = {page: name for name, shard in many.items() for page in shard.pages}
    assert len({shard_of[f"articles/a{n}/index.html"] for n in (7, 47, 87)}
               | {shard_of["stories/s7/index.html"]}) == 1
    assert [n for n in many if many[n] != edited[n]] == [shard_of["articles/a7/index.html"]]


def shard_words(site: Path, name: str) -> bytes:
    return b"".join(gzip.decompress(f.read_bytes())
                    for f in sorted((site / "pagefind" / name / "fragment").glob("*.pf_fragment")))


def test_an_edit_makes_only_its_story_s_shard_again_and_equals_a_clean_build(make_site,
                                                                             monkeypatch):
    root = make_site({f"a{n}.md": article(n, PLACES[n % 5], EVENTS[n % 5], f"s{n}", 3 + n, "Wire")
                      for n in range(1, 9)}, config="title: T\n")
    monkeypatch.setattr(search, "SHARD_PAGES", 2)  # 16 pages: 8 shards
    made: list[list[str]] = []
    real = search.make_shards

    def counting(tree: Path, stale, staging: Path) -> None:
        made.append(sorted(stale))
        real(tree, stale, staging)
    monkeypatch.setattr(search, "make_shards", counting)
    config, _ = load_config(root)
    assert build(config).written
    site = root / "site"
    listed = json.loads((site / "pagefind" / "shards.json").read_text())["shards"]
    assert len(made) == 1 and made[0] == listed and len(listed) > 2
    path = root / "content" / "a3.md"
    path.write_text(path.read_text() + "\nA zebracorn was seen at the back.\n")
    assert build(config).written
    stamp = next((root / ".digest" / "trees").glob("*.search"))  # either tree's: s3 is in both
    wanted = json.loads(stamp.read_text())["wanted"]
    [home] = [n for n, s in wanted.items() if "stories/s3/index.html" in s["pages"]]
    assert made[1:] == [[home]]
    assert b"zebracorn" in shard_words(site, home)
    other = next(n for n in listed if n != home)
    one, two = (root / ".digest" / "trees").glob("*-[ab]")
    assert os.path.samefile(one / "pagefind" / other / "pagefind.js",
                            two / "pagefind" / other / "pagefind.js")  # linked, not made
    clean = build(config, out=root / "clean-site", clean_cache=True)
    assert clean.written and made[2] == listed
    assert tree(root / "clean-site" / "pagefind") == tree(site / "pagefind")


def test_the_index_holds_what_was_reported_not_what_cleaning_removed(make_site):
    """Search finds the sources' words: not the boilerplate that cleaning took out, not the
    provenance cards' hashes and URLs, not the story's comparison of wordings and figures,
    whose every value its source pages hold."""
    removed = ("import:\n  removed:\n  - line: Donate to zzdonation today\n"
               "    reason: donation appeal\n")
    pages = {f"a{n}.md": article(n, "Velden", "flood", "s", 3, outlet).replace(
        "story: s\n", "story: s\nurl: https://zzoutlet.example/" + str(n) + "\n" + removed)
        for n, outlet in ((1, "Wire"), (2, "Post"))}
    pages["a1.md"] = pages["a1.md"].replace("Reporters", "A zebracorn was seen. Reporters")
    root = make_site(pages, config="title: T\n")
    config, _ = load_config(root)
    assert build(config).written
    site = root / "site"
    story = (site / "stories/s/index.html").read_text()
    assert "zzdonation" in story and "zzoutlet" in story and "Figures that disagree" in story
    assert "zzdonation" in (site / "articles/a1/index.html").read_text()
    words = b"".join(shard_words(site, name) for name in
                     json.loads((site / "pagefind" / "shards.json").read_text())["shards"])
    assert b"zebracorn" in words and b"Velden" in words
    assert b"zzdonation" not in words and b"zzoutlet" not in words
    assert b"Figures that disagree" not in words
