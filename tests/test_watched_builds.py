"""Builds told which paths changed (`digest serve`'s watcher) look only at those files
until the site is up, then at all of them: a change the watcher missed is still found."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from digest.config import load_config
from digest.pipeline import build
from digest.serve import Builder
from digest.serve.server import LiveState
from digest.stages import export, read, trees

from test_incremental import PLACES, article, tree


@pytest.fixture
def site(make_site) -> Path:
    return make_site({f"a{n}.md": article(n, PLACES[n % 5], "flood", f"s{n}", 3 + n, "Wire")
                      for n in range(1, 5)}, config="title: T\nsearch: false\n")


def scanned(root: Path) -> dict[str, read.Seen]:
    seen: dict[str, read.Seen] = {}
    files, problems = read.read_content(root, seen=seen)
    assert files and not problems
    return seen


def edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")


def test_only_the_files_named_are_looked_at(site):
    seen = scanned(site)
    a1, a2 = site / "content" / "a1.md", site / "content" / "a2.md"
    edit(a1, "title: ", "title: New ")
    edit(a2, "title: ", "title: Unseen ")
    files = read.read_changed(site, seen, [str(a1), str(site / "config.yaml")])
    texts = {f.path: f.text for f in files}
    assert "title: New " in texts["content/a1.md"]
    assert "Unseen" not in texts["content/a2.md"]  # not named: taken as it was
    assert [f.path for f in files] == sorted(texts)
    assert seen["content/a1.md"].source.text == texts["content/a1.md"]


def test_added_removed_and_ignored_paths_keep_the_order_a_full_look_gives(site):
    seen = scanned(site)
    content = site / "content"
    (content / "a0.md").write_text(article(9, "Kalmar", "fire", "s9", 9, "Post"), encoding="utf-8")
    (content / "a3.md").unlink()
    (content / ".a5.md").write_text("hidden", encoding="utf-8")  # read_content skips these
    (content / "notes.txt").write_text("not an article", encoding="utf-8")
    changed = [content / n for n in ("a0.md", "a3.md", ".a5.md", "notes.txt", "4913")]
    files = read.read_changed(site, seen, map(str, changed))
    full, _ = read.read_content(site)
    assert [(f.path, f.digest) for f in files] == [(f.path, f.digest) for f in full]
    assert list(seen) == [f.path for f in full]


@pytest.mark.parametrize("change", ["folder made", "folder moved away", "link", "binary",
                                    "content itself"])
def test_paths_only_a_full_look_can_follow_give_none_and_change_nothing(site, change):
    content = site / "content"
    (content / "sub").mkdir()
    (content / "sub" / "b.md").write_text(article(7, "Tarn", "fire", None, 7, "Post"))
    seen = scanned(site)
    before = dict(seen)
    if change == "folder made":
        (content / "new").mkdir()
        (content / "new" / "c.md").write_text(article(8, "Tarn", "fire", None, 8, "Post"))
        named = content / "new"
    elif change == "folder moved away":
        (content / "sub").rename(site / "elsewhere")
        named = content / "sub"
    elif change == "link":
        named = content / "linked.md"
        os.symlink(content / "a1.md", named)
    elif change == "binary":
        named = content / "a1.md"
        named.write_bytes(b"\x00\x01")
    else:
        named = content
    assert read.read_changed(site, seen, [str(named)]) is None
    assert seen == before


def test_a_change_the_watcher_missed_is_found_once_the_site_is_up(site):
    config, _ = load_config(site)
    warm: dict = {}
    build(config, warm=warm)
    a1, a2 = site / "content" / "a1.md", site / "content" / "a2.md"
    edit(a1, "title: ", "title: Told ")
    edit(a2, "title: ", "title: Missed ")
    report = build(config, warm=warm, changed={str(a1)})
    assert report.written and report.unreported == ("content/a2.md",)
    assert b"Told" in (site / "site" / "articles" / "a1" / "index.html").read_bytes()
    again = build(config, warm=warm, changed=set())  # the full look has read a2 since
    assert again.written and not again.unreported
    assert b"Missed" in (site / "site" / "articles" / "a2" / "index.html").read_bytes()
    clean = build(config, out=site / "clean-site", clean_cache=True)
    assert clean.written and tree(site / "site") == tree(site / "clean-site")


def test_a_bad_file_is_reported_by_every_build_though_no_event_names_it(site):
    config, _ = load_config(site)
    (site / "content" / "bad.md").write_bytes(b"---\ntitle: \xff\n---\n")
    warm: dict = {}
    assert build(config, warm=warm).errors
    report = build(config, warm=warm, changed={str(site / "content" / "a1.md")})
    assert [p.file for p in report.errors] == ["content/bad.md"]


def test_a_file_removed_while_its_folder_is_looked_at_is_gone_not_a_problem(site, monkeypatch):
    """A file listed, then removed before it is read (an editor deleting it during a build)
    is absent, as a look a moment later finds it: not "cannot read"."""
    listed = read.find_content
    gone = site / "content" / "a2.md"

    def then_remove(content):
        found = listed(content)
        gone.unlink()
        return found
    monkeypatch.setattr(read, "find_content", then_remove)
    files, problems = read.read_content(site)
    assert not problems
    assert [f.path for f in files] == ["content/a1.md", "content/a3.md", "content/a4.md"]


def test_a_file_removed_between_its_status_and_its_read_is_gone_not_a_full_look(site,
                                                                               monkeypatch):
    """A reported file removed after read_changed took its status, before it read it, is
    absent, as read_content finds it: the watcher's reports still stand for it."""
    seen = scanned(site)
    a2 = site / "content" / "a2.md"
    edit(a2, "title: ", "title: Gone ")
    real = read._read

    def remove_then_read(path, max_bytes):
        os.unlink(path)
        return real(path, max_bytes)
    monkeypatch.setattr(read, "_read", remove_then_read)
    files = read.read_changed(site, seen, [str(a2)])
    assert files is not None and not a2.exists()
    monkeypatch.undo()
    full, problems = read.read_content(site)
    assert not problems
    assert [(f.path, f.digest) for f in files] == [(f.path, f.digest) for f in full]
    assert list(seen) == [f.path for f in full]


def test_a_removal_during_the_look_after_the_site_is_up_keeps_the_watchers_reports(site,
                                                                                   monkeypatch):
    """CI saw this race: a file is removed while the build that just put up the site lists
    and reads every file. The next build, told of the removal, still needs no full look."""
    config, _ = load_config(site)
    warm: dict = {}
    build(config, warm=warm)
    a1, a2 = site / "content" / "a1.md", site / "content" / "a2.md"
    armed: list[bool] = []
    listed = read.find_content

    def then_remove(content):  # in the look after the site is up: listed, then removed
        found = listed(content)
        if armed and a2.exists():
            a2.unlink()
        return found
    monkeypatch.setattr(read, "find_content", then_remove)
    answers = []
    real = read.read_changed
    monkeypatch.setattr(read, "read_changed",
                        lambda *a, **k: answers.append(real(*a, **k)) or answers[-1])
    edit(a1, "title: ", "title: Told ")
    report = build(config, warm=warm, changed={str(a1)}, published=lambda: armed.append(True))
    assert report.written and report.unreported == ("content/a2.md",) and not report.problems
    again = build(config, warm=warm, changed={str(a2)})
    assert [a is not None for a in answers] == [True, True]
    assert again.written and not again.unreported and not again.problems
    assert not (site / "site" / "articles" / "a2").exists()
    clean = build(config, out=site / "clean-site", clean_cache=True)
    assert clean.written and tree(site / "site") == tree(site / "clean-site")


def test_serve_builds_again_when_the_watcher_missed_a_change(site):
    builder = Builder(site, LiveState())
    assert builder() == ""
    a1, a2 = site / "content" / "a1.md", site / "content" / "a2.md"
    edit(a1, "title: ", "title: Told ")
    edit(a2, "title: ", "title: Missed ")
    assert builder({str(a1)}) == ""
    for name, word in (("a1", b"Told"), ("a2", b"Missed")):
        assert word in (site / "site" / "articles" / name / "index.html").read_bytes()
    builder.close()


def test_serve_gives_the_watcher_time_to_report_a_change_the_look_found_first(site, caplog,
                                                                              monkeypatch):
    """watchdog passes an event on some milliseconds after the write; the look after the
    site is up can find the file first. That is no missed event: no warning, no second
    build, and the build the event calls for shows the change."""
    import logging
    import threading

    import digest.serve as serving
    caplog.set_level(logging.INFO, logger="digest.serve")
    builder = Builder(site, LiveState())
    assert builder() == ""
    a1, a2 = site / "content" / "a1.md", site / "content" / "a2.md"
    edit(a1, "title: ", "title: Told ")
    edit(a2, "title: ", "title: Late ")
    real_look, real_build = read.read_content, serving.build
    builds = []

    def look(*a, **k):  # the look after the site is up; the event for a2 comes after it
        threading.Timer(0.05, builder.notice, [{str(a2)}]).start()
        return real_look(*a, **k)
    monkeypatch.setattr(read, "read_content", look)
    monkeypatch.setattr(serving, "build", lambda *a, **k: builds.append(1) or real_build(*a, **k))
    assert builder({str(a1)}) == ""
    assert len(builds) == 1
    assert not [r for r in caplog.records if "without a watcher event" in r.getMessage()]
    assert builder({str(a2)}) == ""  # the call its event asks for
    assert b"Late" in (site / "site" / "articles" / "a2" / "index.html").read_bytes()
    builder.close()


def test_real_saves_reach_the_site_without_a_second_look(make_site, caplog, monkeypatch):
    """Through watchdog's real events: writes in place, an editor's save through a hidden
    temporary file renamed over the article, a new file, a removal, a new folder and a
    renamed one. Each reaches the served site from the watcher's report alone (folders
    by a full look), never by the look after the site is up."""
    import logging
    import time

    from test_serve import get, serving
    caplog.set_level(logging.INFO, logger="digest.serve")
    answers = []  # what read_changed made of each report: None sends the build to a full look
    real = read.read_changed
    monkeypatch.setattr(read, "read_changed",
                        lambda *a, **k: answers.append(real(*a, **k)) or answers[-1])
    root = make_site({"a.md": article(1, "Tarn", "flood", "s1", 3, "Wire")},
                     config="title: T\nsearch: false\n")
    content = root / "content"

    def shows(path: str, text: str | None) -> None:
        end = time.monotonic() + 10
        while time.monotonic() < end:
            status, page = get(port, path)
            if (text is None and status == 404) or (text is not None and text in page):
                return
            time.sleep(0.05)
        raise AssertionError(f"{path} does not show {text!r}")

    with serving(root) as port:
        edit(content / "a.md", "title: ", "title: Inplace ")
        shows("/articles/a/", "Inplace")
        tmp = content / ".a.md.swap"
        tmp.write_text((content / "a.md").read_text().replace("Inplace", "Renamed"))
        os.replace(tmp, content / "a.md")
        shows("/articles/a/", "Renamed")
        (content / "b.md").write_text(article(2, "Kalmar", "fire", "s2", 4, "Post"))
        shows("/articles/b/", "fire in Kalmar")
        (content / "b.md").unlink()
        shows("/articles/b/", None)
        (content / "sub").mkdir()
        (content / "sub" / "c.md").write_text(article(3, "Harrow", "strike", "s3", 5, "Post"))
        shows("/articles/c/", "strike in Harrow")
        (content / "sub").rename(content / "sub2")
        edit(content / "sub2" / "c.md", "title: ", "title: Moved ")
        shows("/articles/c/", "Moved")
    assert not [r for r in caplog.records if "without a watcher event" in r.getMessage()]
    assert [a is not None for a in answers][:4] == [True] * 4  # the files, told
    assert None in answers  # the folders, looked at


def test_serve_leaves_a_change_the_watcher_noticed_to_the_build_it_calls_for(site, caplog):
    builder = Builder(site, LiveState())
    assert builder() == ""
    a1, a2 = site / "content" / "a1.md", site / "content" / "a2.md"
    edit(a1, "title: ", "title: Told ")
    edit(a2, "title: ", "title: Later ")  # saved during the build: its call comes next
    builder.notice({str(a2)})
    assert builder({str(a1)}) == ""
    assert b"Later" not in (site / "site" / "articles" / "a2" / "index.html").read_bytes()
    assert builder({str(a2)}) == ""
    assert b"Later" in (site / "site" / "articles" / "a2" / "index.html").read_bytes()
    assert not [r for r in caplog.records if "without a watcher event" in r.getMessage()]
    builder.close()


def moved_by_builds(monkeypatch) -> list[str]:
    """Return the list that receives each output a build puts into its tree."""
    moved: list[str] = []
    real = trees._put
    monkeypatch.setattr(trees, "_put", lambda tree, source, files, rels, aside:
                        moved.extend(rels) or real(tree, source, files, rels, aside))
    return moved


def served_and_idle(root: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Return the manifests of the served tree and of the other one."""
    served = (root / "site").resolve()
    manifests = trees.load_manifests(root / "site", root / ".digest")
    idle = next(t for t in trees.trees(root / "site", root / ".digest") if t != served)
    return manifests[str(served)], manifests.get(str(idle), {})


def test_serve_brings_the_idle_tree_up_to_date_after_a_change_to_every_page(site, monkeypatch):
    """After a build that changed every page, serve links the served files into the other
    tree while nothing is edited: the next edit's build puts in place only what it changes."""
    monkeypatch.setattr(trees, "CATCH_UP_MIN", 1)
    builder = Builder(site, LiveState())
    assert builder() == ""
    edit(site / "config.yaml", "title: T", "title: Retitled")  # every page shows it
    assert builder({str(site / "config.yaml")}) == ""
    builder.catchup.thread.join(30)
    before, idle = served_and_idle(site)
    assert idle == {**before, "digest.json": idle["digest.json"]}  # a build writes that anyway
    served = (site / "site").resolve()  # and a `digest build` can still copy its lines
    assert export.previous_lines(served, before["digest.json"]) is not None
    moved = moved_by_builds(monkeypatch)
    a1 = site / "content" / "a1.md"
    edit(a1, "title: ", "title: Told ")
    assert builder({str(a1)}) == ""
    after, _ = served_and_idle(site)
    assert sorted(moved) == sorted(r for r in after if before.get(r) != after[r])
    assert 0 < len(moved) < len(after) / 2
    builder.close()
    clean = build(load_config(site)[0], out=site / "clean-site", clean_cache=True)
    assert clean.written and tree(site / "site") == tree(site / "clean-site")


def test_a_build_stops_the_catch_up_under_way_and_the_site_stays_whole(site, monkeypatch):
    import threading
    import time

    monkeypatch.setattr(trees, "CATCH_UP_MIN", 1)
    builder = Builder(site, LiveState())
    assert builder() == ""
    real_link, linking = trees.link_or_copy, threading.Event()

    def slow(src, dest):  # the catch-up takes seconds: an edit comes while it runs
        if threading.current_thread().name == "digest-catch-up":
            linking.set()
            time.sleep(0.1)
        return real_link(src, dest)
    monkeypatch.setattr(trees, "link_or_copy", slow)
    done = []  # (whether it began after the slow linking did, files it put in place)
    real_catch_up = trees.catch_up
    monkeypatch.setattr(trees, "catch_up", lambda *a: done.append(
        (linking.is_set(), real_catch_up(*a))) or done[-1][1])
    edit(site / "config.yaml", "title: T", "title: Retitled")
    assert builder({str(site / "config.yaml")}) == ""
    behind = len(served_and_idle(site)[0])
    assert linking.wait(30)
    a1 = site / "content" / "a1.md"
    edit(a1, "title: ", "title: Told ")
    assert builder({str(a1)}) == ""  # stops the catch-up first
    stopped = [n for later, n in done if not later][-1]  # the one that began first
    assert 0 < stopped < behind
    builder.close()
    assert b"Told" in (site / "site" / "articles" / "a1" / "index.html").read_bytes()
    clean = build(load_config(site)[0], out=site / "clean-site", clean_cache=True)
    assert clean.written and tree(site / "site") == tree(site / "clean-site")
    monkeypatch.undo()
    again = build(load_config(site)[0])  # the tree the stopped catch-up left: trusted, whole
    assert again.written and tree(site / "site") == tree(site / "clean-site")


def test_after_an_edit_the_catch_up_looks_and_takes_no_lock(site, monkeypatch):
    """The idle tree is one edit behind after most builds: left to the next build, and a
    `digest build` in another terminal never waits for serve then."""
    import threading

    from digest import fsutil
    locked = []  # the threads that took the build lock
    real = fsutil.exclusive
    monkeypatch.setattr(fsutil, "exclusive", lambda *a, **k: locked.append(
        threading.current_thread().name) or real(*a, **k))
    builder = Builder(site, LiveState())
    assert builder() == ""
    a1 = site / "content" / "a1.md"
    for word in ("One ", "Two "):
        edit(a1, "title: ", "title: " + word)
        assert builder({str(a1)}) == ""
        builder.catchup.thread.join(30)
    builder.close()
    assert locked and "digest-catch-up" not in locked  # the builds took it, nothing else
