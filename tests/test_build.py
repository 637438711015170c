"""Whole builds: golden output, determinism, escaping, atomic writes."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from digest.config import load_config
from digest.pipeline import build
from digest import theme
from digest.stages import render
from digest.stages.write import confined

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLDEN = FIXTURES / "golden_site"
EXPECTED = FIXTURES / "golden_expected"


def build_copy(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("site", ".digest"))
    config, _ = load_config(dest)
    report = build(config)
    assert report.written and not report.errors, report.problems
    return dest / "site"


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_golden_site(tmp_path):
    """Regenerate after an intended change: DIGEST_REGEN=1 python -m pytest tests/test_build.py -k golden"""
    out = tree(build_copy(GOLDEN, tmp_path / "site-src"))
    if os.environ.get("DIGEST_REGEN"):
        shutil.rmtree(EXPECTED, ignore_errors=True)
        for rel, data in out.items():
            (EXPECTED / rel).parent.mkdir(parents=True, exist_ok=True)
            (EXPECTED / rel).write_bytes(data)
    expected = tree(EXPECTED)
    assert sorted(out) == sorted(expected)
    for rel in expected:
        assert out[rel] == expected[rel], f"{rel} differs from the golden copy"


def test_two_builds_are_identical(tmp_path):
    a = tree(build_copy(GOLDEN, tmp_path / "a"))
    b = tree(build_copy(GOLDEN, tmp_path / "b"))
    assert a == b


def test_builds_in_processes_with_different_string_hashing_are_identical(tmp_path):
    """Each process orders sets by its own string hashing: nothing may depend on that."""
    import subprocess
    import sys
    repo = FIXTURES.parents[1]
    src = tmp_path / "demo"
    shutil.copytree(repo / "content", src / "content")
    (src / "config.yaml").write_text((repo / "config.yaml").read_text() + "\nsearch: false\n")
    for seed in (1, 2):
        subprocess.run([sys.executable, "-m", "digest", "build", "-q", "-C", str(src), "--clean",
                        "-o", str(tmp_path / f"out{seed}")], check=True,
                       env={**os.environ, "PYTHONHASHSEED": str(seed)})
    assert tree(tmp_path / "out1") == tree(tmp_path / "out2")


def test_pages_and_digest_json_fields(tmp_path):
    site = build_copy(GOLDEN, tmp_path / "s")
    for page in ("index.html", "archive/index.html", "outlets/index.html", "404.html",
                 "stories/harbour-bridge/index.html", "articles/bridge-opens/index.html",
                 "outlets/harbour-gazette/index.html"):
        assert (site / page).is_file(), page
    data = json.loads((site / "digest.json").read_text())
    art = {a["id"]: a for a in data["articles"]}
    for key in ("id", "path", "title", "outlet", "url", "published", "authors", "credits",
                "sha256", "text", "page"):
        assert key in art["bridge-opens"]
    assert art["bridge-opens"]["path"] == "content/bridge-opens.md"
    story = next(s for s in data["stories"] if s["id"] == "harbour-bridge")
    for key in ("id", "title", "page", "articles", "summary", "quotes", "figures", "timeline"):
        assert key in story
    for sentence in story["summary"]:
        assert sentence["citations"]
        for c in sentence["citations"]:
            assert art[c["article"]]["text"][c["start"]:c["end"]] == sentence["text"]


def test_hostile_article_renders_inert(fixture_article):
    root = fixture_article("article_hostile.md")
    config, _ = load_config(root)
    assert build(config).written
    html = "".join(p.read_text() for p in (root / "site").rglob("*.html"))
    assert "<script>alert" not in html and "<img" not in html and "<b>Evil" not in html
    assert 'href="javascript' not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_jsonld_cannot_be_broken_out_of():
    text = str(theme.jsonld({"headline": "</script><script>alert(1)</script>"}))
    assert "</script>" not in text and "\\u003c/script\\u003e" in text


def test_failed_build_leaves_previous_site(tmp_path, monkeypatch):
    site = build_copy(GOLDEN, tmp_path / "s")
    before = tree(site)
    config, _ = load_config(tmp_path / "s")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(render, "static_files", broken)
    with pytest.raises(RuntimeError):
        build(config)
    assert tree(site) == before
    assert not [p for p in (tmp_path / "s").iterdir() if p.name.startswith(".site.")]


def test_strict_refuses_to_write_on_warnings(make_site):
    root = make_site({"a.md": "---\ntitle: A\nmood: odd\n---\n\nText.\n"})
    config, _ = load_config(root)
    report = build(config, strict=True)
    assert not report.written and not (root / "site").exists() and report.warnings


def test_write_is_confined():
    with pytest.raises(ValueError):
        confined(Path("/tmp/out"), "../escape.html")
    with pytest.raises(ValueError):
        confined(Path("/tmp/out"), "/etc/passwd")


@pytest.mark.parametrize("page,target,expected", [
    ("", "stories/a/", "stories/a/index.html"),
    ("stories/a/", "", "../../index.html"),
    ("stories/a/", "articles/b/", "../../articles/b/index.html"),
    ("stories/a/", "static/style.css", "../../static/style.css"),
    ("404.html", "archive/", "/base/archive/"),
])
def test_relative_urls(page, target, expected):
    assert render.relative_url(page, target, "/base/") == expected


def test_story_ids_are_stable_when_an_earlier_article_joins(make_site):
    root = make_site({"b.md": "---\ntitle: B\npublished: 2024-01-02\n---\n\nText b.\n"})
    config, _ = load_config(root)
    build(config)
    assert (root / "site/stories/b/index.html").exists()
    (root / "content/a.md").write_text("---\ntitle: A\npublished: 2024-01-01\n---\n\nText a.\n")
    build(config)
    assert (root / "site/stories/b/index.html").exists()


def test_a_story_split_in_two_keeps_its_id_for_one_part_only():
    """Stories keep the id their articles had; when a story's articles fall into two groups,
    the first keeps it and the second takes one of its own (never the same id twice), and
    the most common earlier id wins a mixed group."""
    from digest.models import Article
    from digest.stages.group import form_stories
    arts = [Article(id=i, path=f"content/{i}.md", title=i.upper(), text="Text.")
            for i in ("a1", "a2", "a3", "b1", "b2", "b3")]
    known = {"a1": "x", "a2": "x", "a3": "x", "b1": "y", "b2": "z", "b3": "z"}
    split = lambda _: [("a1",), ("a2", "a3"), ("b1", "b2", "b3")]  # noqa: E731
    stories, mapping = form_stories(arts, known, grouper=split)
    assert {s.articles: s.id for s in stories} == {("a1",): "x", ("a2", "a3"): "a2",
                                                 ("b1", "b2", "b3"): "z"}
    assert mapping == {"a1": "x", "a2": "a2", "a3": "a2", "b1": "z", "b2": "z", "b3": "z"}


def test_javascript_url_is_rejected_with_a_clear_error(fixture_article):
    root = fixture_article("article_javascript_url.md")
    config, _ = load_config(root)
    report = build(config)
    (p,) = report.errors
    assert p.key == "url" and "expected an http(s) URL" in p.message and p.line == 3


def test_articles_without_story_keys_are_grouped_automatically(make_site):
    quake = ("---\ntitle: {t}\npublished: 2024-03-0{d}\n---\n\nA magnitude 6.1 earthquake struck "
             "near Port Velden on Tuesday, the Velden Geological Survey said. {x}\n")
    root = make_site({
        "a.md": quake.format(t="Quake hits Port Velden", d=5, x="Buildings shook across Velden."),
        "b.md": quake.format(t="Port Velden earthquake", d=6, x="Residents of Velden fled homes."),
        "c.md": "---\ntitle: Library hours\npublished: 2024-03-05\n---\n\nThe Harrow library "
                "will open until nine on weekdays, the Harrow council said on Monday.\n"},
        config="title: T\nsearch: false\n")
    config, _ = load_config(root)
    build(config)
    data = json.loads((root / "site/digest.json").read_text())
    assert sorted(s["articles"] for s in data["stories"]) == [["a", "b"], ["c"]]


@pytest.mark.parametrize("pages", [[], ["index.html"], ["stories/a&b/", "articles/<x>/",
                                                        "outlets/café/", "page/2/", "a\"q'/"]])
def test_sitemap_is_what_elementtree_writes(tmp_path, pages):
    """sitemap.xml is joined as text; it must stay the document ElementTree would write."""
    from xml.etree import ElementTree as ET
    from digest.stages import feeds
    (tmp_path / "config.yaml").write_text("title: T\nbase_url: https://ex.org/n/\n")
    config, _ = load_config(tmp_path)
    ET.register_namespace("", feeds.SITEMAP_NS)
    root = ET.Element(f"{{{feeds.SITEMAP_NS}}}urlset")
    for page in sorted(pages):
        url = ET.SubElement(root, f"{{{feeds.SITEMAP_NS}}}url")
        ET.SubElement(url, f"{{{feeds.SITEMAP_NS}}}loc").text = feeds.absolute(config, page)
    ET.indent(root)
    expected = ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
    assert feeds.sitemap(config, pages) == expected


def test_content_files_are_found_by_suffix_in_path_order(tmp_path):
    """read.find_content: .md and .markdown files and links to them, in every folder, sorted
    by path; hidden entries, other files, FIFOs and linked folders are passed over, and
    names are taken as the file system gives them (ASCII or not, valid UTF-8 or not)."""
    from digest.stages.read import _site_path, find_content
    content = tmp_path / "content"
    (content / "b" / "deep").mkdir(parents=True)
    (content / ".hidden").mkdir()
    for rel in ("z.md", "a.MARKDOWN", "b/deep/c.md", "b/notes.txt", ".x.md", ".hidden/h.md",
                "été.md", "b.md"):
        (content / rel).write_text("x")
    (content / os.fsdecode(b"\xff.md")).write_text("x")  # not UTF-8
    os.mkfifo(content / "pipe.md")
    os.symlink("z.md", content / "link.md")
    os.symlink("b", content / "folder.md")  # a linked folder: listed as a link, not walked
    found = find_content(content)
    assert [(rel, is_link) for rel, _, is_link in found] == sorted([
        ("a.MARKDOWN", False), ("b.md", False), ("b/deep/c.md", False), ("folder.md", True),
        ("link.md", True), ("z.md", False), ("été.md", False), (os.fsdecode(b"\xff.md"), False)])
    assert all(path == str(content / rel) for rel, path, _ in found)
    assert _site_path("été.md") == "content/été.md" and _site_path("b/c.md") == "content/b/c.md"
    assert _site_path(os.fsdecode(b"\xff.md")) == "content/" + os.fsdecode(b"\xff.md")
