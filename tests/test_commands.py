"""new, check, deploy, feeds and the command line, run as a user would."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import feedparser

from digest.cli import main
from digest.config import load_config
from digest.pipeline import build


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["digest", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_new_then_build_then_check(tmp_path):
    assert run("new", "blog", cwd=tmp_path).returncode == 0
    site = tmp_path / "blog"
    for rel in ("config.yaml", "content/harbour-bridge.md", "templates", ".gitignore",
                ".github/workflows/pages.yml", "requirements.txt"):
        assert (site / rel).exists(), rel
    workflow = (site / ".github/workflows/pages.yml").read_text()
    assert "upload-pages-artifact" in workflow and "deploy-pages" in workflow
    assert run("build", cwd=site).returncode == 0
    done = run("check", cwd=site)
    assert done.returncode == 0, done.stderr
    assert "0 error(s)" in done.stdout


def test_new_refuses_a_folder_with_files(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    done = run("new", "x", cwd=tmp_path)
    assert done.returncode == 1 and "not empty" in done.stderr and "Traceback" not in done.stderr


def test_check_finds_broken_links_and_anchors(tmp_path):
    run("new", "s", cwd=tmp_path)
    site = tmp_path / "s"
    run("build", cwd=site)
    page = site / "site/archive/index.html"
    page.write_text(page.read_text().replace("</main>", '<a href="../nowhere/">x</a>'
                                             '<a href="../index.html#missing">y</a></main>'))
    done = run("check", cwd=site)
    assert done.returncode == 1
    assert "broken link '../nowhere/'" in done.stderr and "broken anchor" in done.stderr
    assert "site/archive/index.html:" in done.stderr


def test_check_finds_duplicates_and_missing_fields(make_site):
    root = make_site({"a.md": "---\ntitle: A\n---\n\nSame text.\n",
                      "b.md": "---\ntitle: B\n---\n\nSame text.\n"}, config="title: T\nsearch: false\n")
    assert main(["build", "-q", "-C", str(root)]) == 0
    assert main(["check", "-q", "-C", str(root)]) == 1


def test_a_build_command_leaves_the_collector_paused_only_when_the_process_ends_next(
        make_site, monkeypatch):
    """`digest build` exits as soon as the build ends (cli.run): the cyclic garbage collector,
    paused during the build, is not resumed to walk what the build made. Called as a
    function, the build resumes it as it found it."""
    import gc
    from digest import cli
    root = make_site({"a.md": "---\ntitle: A\n---\n\nSome text.\n"},
                     config="title: T\nsearch: false\n")
    assert gc.isenabled()
    assert main(["build", "-q", "-C", str(root)]) == 0
    assert gc.isenabled()
    monkeypatch.setattr(cli, "_ENDS_AFTER", True)
    try:
        assert main(["build", "-q", "-C", str(root)]) == 0
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_errors_are_one_line_without_traceback(make_site):
    root = make_site({}, config="title: [\n")
    done = run("build", cwd=root)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "config.yaml" in done.stderr and "invalid YAML" in done.stderr


def test_version_and_help_examples(tmp_path):
    assert "digest 0." in run("--version", cwd=tmp_path).stdout
    for cmd in ("build", "serve", "import", "new", "check", "deploy"):
        out = run(cmd, "--help", cwd=tmp_path).stdout
        assert "examples:" in out, cmd


def test_deploy_to_a_local_bare_repository(tmp_path):
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    run("new", "s", cwd=tmp_path)
    site = tmp_path / "s"
    with open(site / "config.yaml", "a") as fh:
        fh.write("base_url: https://me.github.io/project/\n")
    config_text = (site / "config.yaml").read_text().replace("  # cname: news.example.org",
                                                             "  cname: news.example.org")
    (site / "config.yaml").write_text(config_text)
    for args in (["init", "-q"], ["remote", "add", "origin", str(remote)]):
        subprocess.run(["git", *args], cwd=site, check=True)
    assert run("build", cwd=site).returncode == 0
    done = run("deploy", cwd=site)
    assert done.returncode == 0, done.stderr
    files = subprocess.run(["git", "ls-tree", "-r", "--name-only", "gh-pages"], cwd=remote,
                           capture_output=True, text=True, check=True).stdout.split()
    assert {".nojekyll", "CNAME", "index.html", "stories/harbour-bridge/index.html"} <= set(files)
    again = run("deploy", cwd=site)
    assert "unchanged" in again.stdout
    index = subprocess.run(["git", "show", "gh-pages:index.html"], cwd=remote,
                           capture_output=True, text=True, check=True).stdout
    assert 'href="stories/harbour-bridge/index.html"' in index  # relative: works under /project/


def test_feeds_parse_and_keep_ids_when_a_story_gains_sources(make_site):
    one = "---\ntitle: Bridge opens\nstory: bridge\noutlet: Gazette\npublished: 2024-05-02\n---\n\nIt opened.\n"
    two = "---\ntitle: Bridge busy\nstory: bridge\noutlet: Wire\npublished: 2024-05-04\n---\n\nIt is busy.\n"
    root = make_site({"a.md": one}, config="title: T\nbase_url: https://ex.org/n/\nsearch: false\n")
    config, _ = load_config(root)
    build(config)
    first = feedparser.parse((root / "site/feed.xml").read_bytes())
    assert not first.bozo and len(first.entries) == 1
    (root / "content/b.md").write_text(two)
    build(config)
    second = feedparser.parse((root / "site/feed.xml").read_bytes())
    assert second.entries[0].id == first.entries[0].id
    assert second.entries[0].updated > first.entries[0].updated
    assert second.entries[0].link == "https://ex.org/n/stories/bridge/"
    as_json = json.loads((root / "site/feed.json").read_text())
    assert as_json["version"] == "https://jsonfeed.org/version/1.1"
    assert as_json["items"][0]["id"] == first.entries[0].id
    outlet = feedparser.parse((root / "site/outlets/gazette/feed.xml").read_bytes())
    assert [e.title for e in outlet.entries] == ["Bridge opens"]
    assert b"<loc>https://ex.org/n/stories/bridge/</loc>" in (root / "site/sitemap.xml").read_bytes()


def test_story_feed_entries_are_the_newest_of_all_ties_by_id():
    """Only the FEED_ENTRIES newest stories make entries: they must be those that sorting
    every story by update time, then entry id (both newest first), puts first, with many
    stories sharing one time across the cut."""
    import random
    from datetime import date, datetime, timezone

    from digest.config import Config
    from digest.models import Article, Story
    from digest.stages import feeds
    rnd = random.Random(5)
    articles, stories = {}, []
    for n in range(260):
        ids = []
        for k in range(rnd.randint(1, 3)):
            when = rnd.choice([None, date(2024, 5, rnd.randint(1, 3)),
                               datetime(2024, 5, rnd.randint(1, 3), 9, tzinfo=timezone.utc)])
            a = Article(id=f"a{n}-{k}", path=f"content/a{n}-{k}.md", title=f"A {n}", text="Text.",
                        outlet=rnd.choice(["Post", "Wire", ""]), published=when,
                        updated=rnd.choice([None, when]))
            articles[a.id] = a
            ids.append(a.id)
        stories.append(Story(id=f"s{n}", title=f"Story {n}", articles=tuple(ids)))
    config = Config(root=Path("."), title="T", base_url="https://example.org/")
    got = feeds.story_entries(config, stories, articles)
    keyed = sorted(((*reversed(feeds.story_times(s, articles)), feeds.entry_id("story", s.id), s)
                    for s in stories), key=lambda k: (k[0], k[2]), reverse=True)
    assert len(got) == feeds.FEED_ENTRIES
    assert [(e["updated"], e["published"], e["id"]) for e in got] == [
        (u, p, uid) for u, p, uid, _ in keyed[:feeds.FEED_ENTRIES]]
