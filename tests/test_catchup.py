"""`digest build` leaves the idle site tree to a detached process (digest.catchup), which
gives way to any build that wants the lock."""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from digest import catchup, fsutil
from digest.config import load_config
from digest.pipeline import build
from digest.stages import trees
from digest.stages.write import WANTED_FILE

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fcntl locks")

ARTICLES = 60  # each with its own story: 120 pages and more, over trees.CATCH_UP_MIN


def article(n: int) -> str:
    return (f"---\ntitle: Report {n} on the harbour works\noutlet: Outlet {n % 4}\n"
            f"published: 2024-03-{1 + n % 28:02d}\nstory: s{n}\n---\n"
            f"The harbour board said on Monday that {n} cranes would be replaced. "
            f"Work starts in spring and costs {n * 3} million euros, the board said.\n")


@pytest.fixture
def big_site(make_site) -> Path:
    return make_site({f"a{n}.md": article(n) for n in range(ARTICLES)},
                     config="title: T\nsearch: false\n")


def digest_build(root: Path, **env: str) -> str:
    done = subprocess.run([sys.executable, "-m", "digest", "build"], cwd=root, text=True,
                          capture_output=True, env={**os.environ, **env}, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def manifests(root: Path) -> tuple[dict[str, str], dict[str, str] | None]:
    """Return the manifests of the served tree and of the idle one (None: unknown)."""
    out, state = root / "site", root / ".digest"
    served = trees.active(out, state)
    found = trees.load_manifests(out, state)
    idle = next(t for t in trees.trees(out, state) if t != served)
    return found[str(served)], found.get(str(idle)) if idle.is_dir() else None


def logged(root: Path, timeout: float = 60) -> str:
    """Wait for the catch-up process to say what it did."""
    log = root / ".digest" / catchup.LOG_FILE
    deadline = time.monotonic() + timeout
    while not log.is_file():
        assert time.monotonic() < deadline, "no catch-up ran"
        time.sleep(0.05)
    with fsutil.exclusive(root / ".digest" / "build.lock"):  # it has let go of the lock
        return log.read_text(encoding="utf-8")


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_after_a_build_that_changed_every_page_a_process_catches_the_idle_tree_up(big_site):
    root = big_site
    digest_build(root, DIGEST_CATCH_UP="0")  # turned off: nothing is started
    time.sleep(0.5)
    assert not (root / ".digest" / catchup.LOG_FILE).exists()
    first, idle = manifests(root)
    assert idle is None and len(first) >= trees.CATCH_UP_MIN  # the first build: no other tree
    (root / "config.yaml").write_text("title: Retitled\nsearch: false\n", encoding="utf-8")
    digest_build(root)  # every page changes; the tree taken down holds the old ones
    line = logged(root)
    served, idle = manifests(root)
    todo, gone = trees.out_of_date(first, served)
    assert len(todo) >= trees.CATCH_UP_MIN and not gone
    assert line.startswith(f"{len(todo)} files brought up to date")
    assert idle == {**served, "digest.json": idle["digest.json"]}  # a build writes that anyway
    out, state = root / "site", root / ".digest"
    shown = trees.active(out, state)
    other = next(t for t in trees.trees(out, state) if t != shown)
    for rel in ("index.html", "articles/a7/index.html"):  # links to the served files
        assert os.path.samefile(shown / rel, other / rel)
    (root / ".digest" / catchup.LOG_FILE).unlink()
    a7 = root / "content" / "a7.md"
    a7.write_text(a7.read_text(encoding="utf-8").replace("Report 7", "Told 7"), encoding="utf-8")
    out = digest_build(root)  # the idle tree was up to date: nothing to catch up after it
    assert "rewritten" in out
    time.sleep(0.5)
    assert not (root / ".digest" / catchup.LOG_FILE).exists()
    assert b"Told 7" in (root / "site" / "articles" / "a7" / "index.html").read_bytes()
    clean = build(load_config(root)[0], out=root / "clean-site", clean_cache=True)
    assert clean.written and tree(root / "site") == tree(root / "clean-site")


def test_a_build_that_wants_the_lock_stops_the_catch_up(big_site, monkeypatch, caplog):
    """A catch-up made slow (0.05 s a file) is under way when a build starts: the build
    waits only until it lets go, and the tree it left is one builds can trust."""
    root = big_site
    config, _ = load_config(root)
    assert build(config).written
    first, _ = manifests(root)
    (root / "config.yaml").write_text("title: Retitled\nsearch: false\n", encoding="utf-8")
    config, _ = load_config(root)
    report = build(config)
    assert report.idle_behind == sum(map(len, trees.out_of_date(first, manifests(root)[0])))
    assert report.idle_behind >= trees.CATCH_UP_MIN
    real_link, linking = trees.link_or_copy, threading.Event()

    def slow(src, dest):
        if threading.current_thread().name == "catch-up":
            linking.set()
            time.sleep(0.05)
        return real_link(src, dest)
    monkeypatch.setattr(trees, "link_or_copy", slow)
    monkeypatch.setattr(os, "nice", lambda n: 0)  # it runs in this test's process
    state = root / ".digest"
    runner = threading.Thread(target=catchup.main, args=([str(root / "site"), str(state)],),
                              name="catch-up")
    runner.start()
    assert linking.wait(30)
    a7 = root / "content" / "a7.md"
    a7.write_text(a7.read_text(encoding="utf-8").replace("Report 7", "Told 7"), encoding="utf-8")
    started = time.monotonic()
    with caplog.at_level(logging.INFO):
        again = build(config)
    runner.join(30)
    assert again.written and not runner.is_alive()
    assert again.idle_behind == 0  # one article's pages: below CATCH_UP_MIN
    assert time.monotonic() - started < 20  # not the 6 s the catch-up would have taken
    line = (state / catchup.LOG_FILE).read_text(encoding="utf-8")
    assert line.rstrip().endswith("(stopped: a build wanted the lock)")
    assert 0 < int(line.split()[0]) < report.idle_behind
    assert "another build" not in caplog.text  # a catch-up is no build: said at info level
    assert catchup.LABEL in caplog.text
    monkeypatch.undo()
    clean = build(config, out=root / "clean-site", clean_cache=True)
    assert clean.written and tree(root / "site") == tree(root / "clean-site")
    one_more = build(config)  # over the tree the stopped catch-up left: whole
    assert one_more.written and tree(root / "site") == tree(root / "clean-site")


def test_a_catch_up_gives_up_at_once_when_a_build_holds_the_lock(big_site):
    root = big_site
    assert build(load_config(root)[0]).written
    state = root / ".digest"
    with fsutil.exclusive(state / "build.lock"):
        assert catchup.main([str(root / "site"), str(state)]) == 0
    assert not (state / catchup.LOG_FILE).exists()  # nothing done, nothing written
    assert manifests(root)[1] is None


WANT = """
import sys, time
from pathlib import Path
from digest import fsutil
with fsutil.wanting(Path(sys.argv[1])):
    print("wanting", flush=True)
    time.sleep(60)
"""


def test_wanted_says_whether_any_process_or_thread_wants_the_lock(tmp_path):
    path = tmp_path / WANTED_FILE
    with fsutil.wanted(path) as wanted:
        assert not wanted() and not wanted()  # its own tries leave nothing held
        other = subprocess.Popen([sys.executable, "-c", WANT, str(path)],
                                 stdout=subprocess.PIPE, text=True)
        try:
            assert other.stdout.readline().strip() == "wanting"
            assert wanted()
        finally:
            other.kill()
            other.wait(10)
        assert not wanted()
        with fsutil.wanting(path):  # the same process: a file of its own, a lock of its own
            assert wanted()
        assert not wanted()


def test_a_catch_up_process_whose_site_state_is_deleted_meanwhile_remakes_nothing(big_site,
                                                                                  monkeypatch):
    root = big_site
    config, _ = load_config(root)
    assert build(config).written
    (root / "config.yaml").write_text("title: Retitled\nsearch: false\n", encoding="utf-8")
    assert build(load_config(root)[0]).idle_behind >= trees.CATCH_UP_MIN
    state, real = root / ".digest", trees.link_or_copy
    linked = []

    def removing(src, dest):  # `rm -rf .digest` while it runs
        linked.append(dest)
        if len(linked) == 3:
            shutil.rmtree(state)
        return real(src, dest)
    monkeypatch.setattr(trees, "link_or_copy", removing)
    monkeypatch.setattr(os, "nice", lambda n: 0)  # it runs in this test's process
    assert catchup.main([str(root / "site"), str(state)]) == 1
    assert not state.exists()


def test_a_catch_up_that_starts_after_its_site_state_was_deleted_makes_no_folder(big_site):
    """`rm -rf .digest` between the build and the detached process taking the lock: the
    process must not make .digest/ again just to hold a lock in it."""
    root = big_site
    assert build(load_config(root)[0]).written
    (root / "config.yaml").write_text("title: Retitled\nsearch: false\n", encoding="utf-8")
    assert build(load_config(root)[0]).idle_behind >= trees.CATCH_UP_MIN
    state = root / ".digest"
    shutil.rmtree(state)
    with pytest.raises(OSError):
        catchup.run(root / "site", state, record=True)
    assert not state.exists()
