"""Publishing through two trees and one symlink: whole sites only, even when interrupted."""
from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from digest.cache import content_hash
from digest.search import Shard
from digest.stages import trees


def publish(root: Path, files: dict[str, bytes]) -> None:
    fps = {k: content_hash(v) for k, v in files.items()}
    trees.publish(root / "site", files, fps, root / ".digest")()  # () waits for deletions


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_flips_between_trees_and_drops_stale_files(tmp_path):
    publish(tmp_path, {"index.html": b"one", "a/index.html": b"A", "b/index.html": b"B"})
    first = (tmp_path / "site").resolve()
    publish(tmp_path, {"index.html": b"two", "a/index.html": b"A"})
    assert (tmp_path / "site").is_symlink() and (tmp_path / "site").resolve() != first
    assert tree(tmp_path / "site") == {"index.html": b"two", "a/index.html": b"A"}
    publish(tmp_path, {"index.html": b"three", "a/index.html": b"A", "c/index.html": b"C"})
    assert tree(tmp_path / "site") == {"index.html": b"three", "a/index.html": b"A",
                                       "c/index.html": b"C"}
    assert (tmp_path / "site").resolve() == first  # back on the first tree, brought up to date


def test_interrupted_publish_leaves_the_served_site_whole(tmp_path, monkeypatch):
    publish(tmp_path, {"index.html": b"old", "a/index.html": b"A1"})
    publish(tmp_path, {"index.html": b"old", "a/index.html": b"A2"})
    served = tree(tmp_path / "site")
    real_write, calls = trees.write_new, []

    def dying(path, data):  # killed after the idle tree's first new file
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")
        return real_write(path, data)
    monkeypatch.setattr(trees, "write_new", dying)
    with pytest.raises(KeyboardInterrupt):
        publish(tmp_path, {"index.html": b"new", "a/index.html": b"A3", "b/index.html": b"B"})
    assert tree(tmp_path / "site") == served
    monkeypatch.setattr(trees, "write_new", real_write)
    publish(tmp_path, {"index.html": b"new", "a/index.html": b"A1"})  # A1: what the torn tree held
    assert tree(tmp_path / "site") == {"index.html": b"new", "a/index.html": b"A1"}


def _pooled(threads: list[str]) -> bool:
    return all(name.startswith("digest-update") for name in threads)


def test_many_changes_are_put_in_place_by_several_threads(tmp_path, monkeypatch):
    """Runs of outputs go to threads of their own (trees._put): fresh trees, trees brought
    up to date (new, changed, unchanged and stale files, a file no manifest names in the
    way), and a failure in one thread fails the publish and leaves the served site whole."""
    monkeypatch.setattr(trees, "UPDATE_RUN", 2)  # threads from 4 changed outputs on
    # One thread name per run of outputs put: the pool reuses a worker that finished its
    # run before the next was handed out (their names alone made this test flaky).
    threads: list[str] = []
    real_put = trees._put

    def put(*args):
        threads.append(threading.current_thread().name)
        return real_put(*args)
    monkeypatch.setattr(trees, "_put", put)
    one = {f"a/{n}/index.html": b"A%d" % n for n in range(30)} | {"index.html": b"1"}
    publish(tmp_path, one)  # a fresh tree
    assert tree(tmp_path / "site") == one and len(threads) > 1 and _pooled(threads)
    two = dict(one) | {f"a/{n}/index.html": b"B%d" % n for n in range(0, 30, 3)}
    two |= {f"b/{n}.html": b"new" for n in range(9)} | {"index.html": b"2"}
    del two["a/1/index.html"]
    publish(tmp_path, two)  # the other fresh tree
    two_tree = (tmp_path / "site").resolve()
    idle = next(t for t in trees.trees(tmp_path / "site", tmp_path / ".digest") if t != two_tree)
    (idle / "b").mkdir()
    (idle / "b" / "0.html").write_bytes(b"no manifest names me")
    three = dict(two) | {f"a/{n}/index.html": b"C%d" % n for n in range(1, 30, 2)}
    three |= {"index.html": b"3"}
    threads.clear()
    changed = {k: v for k, v in three.items() if two.get(k) != v}
    fps = {k: content_hash(v) for k, v in three.items()}
    trees.publish(tmp_path / "site", changed, fps, tmp_path / ".digest")()  # the rest linked
    assert tree(tmp_path / "site") == three and len(threads) > 1 and _pooled(threads)
    assert (tmp_path / "site").resolve() == idle
    assert (idle / "a/6/index.html").stat().st_ino == \
        (two_tree / "a/6/index.html").stat().st_ino  # as in `two`: linked from its tree

    def failing(tree_, source, files, rels, aside):
        if "index.html" in rels:
            raise OSError("disk full")
        return real_put(tree_, source, files, rels, aside)
    monkeypatch.setattr(trees, "_put", failing)
    with pytest.raises(OSError, match="disk full"):
        publish(tmp_path, dict(three) | {"index.html": b"4", "a/0/index.html": b"D"})
    assert tree(tmp_path / "site") == three


def test_a_plain_site_folder_from_before_is_taken_over(tmp_path):
    (tmp_path / "site" / "a").mkdir(parents=True)
    (tmp_path / "site" / "a" / "index.html").write_bytes(b"A")
    publish(tmp_path, {"index.html": b"new", "a/index.html": b"A"})
    assert (tmp_path / "site").is_symlink()
    assert tree(tmp_path / "site") == {"index.html": b"new", "a/index.html": b"A"}


def test_outputs_inside_the_site_folder_are_named_by_their_place_in_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert trees.output_key(tmp_path / "site", tmp_path) == "site"
    assert trees.output_key(Path("site"), Path(".")) == "site"
    assert trees.output_key(tmp_path / "out" / "www", tmp_path) == "out/www"
    assert trees.output_key(tmp_path.parent / "www", tmp_path) == str(tmp_path.parent / "www")
    assert trees.output_key(Path(str(tmp_path) + "-x") / "site", tmp_path).startswith("/")
    assert [t.name for t in trees.trees(Path("site"), Path(".digest"))] == [
        t.name for t in trees.trees(tmp_path / "site", tmp_path / ".digest")]


def test_unchanged_files_are_hard_links_not_copies(tmp_path):
    big = b"x" * 10_000
    publish(tmp_path, {"index.html": b"1", "big.html": big})
    fps = {"index.html": content_hash(b"2"), "big.html": content_hash(big)}
    trees.publish(tmp_path / "site", {"index.html": b"2"}, fps, tmp_path / ".digest")  # big kept
    a, b = trees.trees(tmp_path / "site", tmp_path / ".digest")
    assert (a / "big.html").stat().st_ino == (b / "big.html").stat().st_ino


def test_leftovers_of_a_killed_flip_are_cleared(tmp_path):
    # a build killed after swapping a plain site/ folder out leaves that folder under the
    # temporary link name; one killed before the swap leaves a dangling link there
    (tmp_path / ".site.link-folder").mkdir()
    (tmp_path / ".site.link-folder" / "index.html").write_bytes(b"old")
    os.symlink("nowhere", tmp_path / ".site.link-dangling")
    publish(tmp_path, {"index.html": b"new"})
    assert tree(tmp_path / "site") == {"index.html": b"new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".digest", "site"]


def trash(root: Path) -> list[Path]:
    """Return the folders of replaced files that the trees of root/site have beside them."""
    return sorted((root / ".digest" / trees.TREES_DIR).glob("*.trash*"))


def test_replaced_files_are_deleted_after_the_flip(tmp_path):
    for n in range(2):
        publish(tmp_path, {"index.html": b"%d" % n, "a/index.html": b"A"})
    idle = next(t for t in trees.trees(tmp_path / "site", tmp_path / ".digest")
                if t != (tmp_path / "site").resolve())
    old = (idle / "index.html").stat().st_ino
    files = {"index.html": b"2", "a/index.html": b"A"}
    wait = trees.publish(tmp_path / "site", files, {k: content_hash(v) for k, v in files.items()},
                         tmp_path / ".digest")
    assert tree(tmp_path / "site") == files  # up before the old file is gone
    assert isinstance(getattr(wait, "__self__", None), threading.Thread)  # it was moved aside
    wait()
    assert not trash(tmp_path) and (idle / "index.html").stat().st_ino != old


def test_detached_deletion_is_not_waited_for_and_leftovers_go_too(tmp_path):
    """With `detach` a process of its own deletes what the build replaced (digest build
    exits without waiting for it); folders that killed builds left, under this version's
    names and the older ".trash", are deleted with it."""
    for n in range(2):
        publish(tmp_path, {"index.html": b"%d" % n, "a/index.html": b"A"})
    for tree_ in trees.trees(tmp_path / "site", tmp_path / ".digest"):
        for name in (".trash", trees.TRASH + "killed"):
            (tree_.with_name(tree_.name + name) / "x").mkdir(parents=True)
    assert len(trash(tmp_path)) == 4
    files = {"index.html": b"2", "a/index.html": b"A"}
    wait = trees.publish(tmp_path / "site", files, {k: content_hash(v) for k, v in files.items()},
                         tmp_path / ".digest", detach=True)
    assert tree(tmp_path / "site") == files
    assert not isinstance(getattr(wait, "__self__", None), threading.Thread)
    wait()  # returns at once
    deadline = time.monotonic() + 30
    while trash(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not trash(tmp_path)
    assert tree(tmp_path / "site") == files


def test_a_file_in_the_way_is_never_written_through(tmp_path):
    """A stray file in the idle tree, even a link to the served tree's copy, is moved
    aside, not overwritten: writing through it would change the site being served."""
    publish(tmp_path, {"index.html": b"one"})
    publish(tmp_path, {"index.html": b"two"})
    served = (tmp_path / "site").resolve()
    idle = next(t for t in trees.trees(tmp_path / "site", tmp_path / ".digest") if t != served)
    os.link(served / "index.html", idle / "stray.html")
    files = {"index.html": b"three", "stray.html": b"new"}
    publish(tmp_path, files)
    assert (served / "index.html").read_bytes() == b"two"
    assert tree(tmp_path / "site") == files


def test_trees_named_by_the_absolute_path_before_are_removed(tmp_path):
    """Earlier builds named the trees of site/ by its absolute path; the first publish
    after the change leaves them unreachable, so it removes them."""
    import hashlib
    tag = hashlib.blake2b(str(tmp_path / "site").encode(), digest_size=4).hexdigest()
    old = tmp_path / ".digest" / trees.TREES_DIR / f"site-{tag}-a"
    (old / "a").mkdir(parents=True)
    (old / "a" / "index.html").write_bytes(b"A")
    trees.manifest_file(old).write_text("{}")
    os.symlink(os.path.relpath(old, tmp_path), tmp_path / "site")
    publish(tmp_path, {"index.html": b"new"})
    assert tree(tmp_path / "site") == {"index.html": b"new"}
    assert sorted(p.name for p in (tmp_path / ".digest" / trees.TREES_DIR).iterdir()) == sorted(
        [t.name for t in trees.trees(tmp_path / "site", tmp_path / ".digest")][:1]
        + [t.name + ".json" for t in trees.trees(tmp_path / "site", tmp_path / ".digest")][:1])


def test_a_site_already_shown_is_left_alone_unless_some_bytes_differ(tmp_path):
    """Nothing is written or flipped when the served tree holds these outputs; a file made
    anew with other bytes under the same fingerprint (a page of new code) is put up."""
    files = {"index.html": b"one", "a/index.html": b"A"}
    fps = {"index.html": "fp-index", "a/index.html": "fp-a"}
    root = tmp_path
    trees.publish(root / "site", files, fps, root / ".digest")()
    served = (root / "site").resolve()
    trees.publish(root / "site", {"index.html": b"one"}, fps, root / ".digest")()
    assert (root / "site").resolve() == served
    assert [t for t in trees.trees(root / "site", root / ".digest") if t.exists()] == [served]
    trees.publish(root / "site", {"index.html": b"two"}, fps, root / ".digest")()
    assert (root / "site").resolve() != served
    assert tree(root / "site") == {"index.html": b"two", "a/index.html": b"A"}


class Indexer:
    """Stands in for Pagefind in make_index (the real one runs in test_serve and the browser
    tests): writes each shard's key, and records which shards it was asked for."""

    def __init__(self):
        self.calls: list[list[str]] = []

    def __call__(self, tree: Path, stale, staging: Path) -> None:
        self.calls.append(sorted(stale))
        for name, shard in stale.items():
            (staging / name).mkdir(parents=True)
            (staging / name / "pagefind.js").write_text(shard.key)


def shards(site: Path) -> dict[str, str]:
    """Return shard name -> the key its index was made for, as `site` holds them."""
    listed = json.loads((site / "pagefind" / "shards.json").read_text())["shards"]
    return {name: (site / "pagefind" / name / "pagefind.js").read_text() for name in listed}


def plan(**keys: str) -> dict[str, Shard]:
    return {name: Shard(key, (f"{name}/index.html",)) for name, key in keys.items()}


def test_only_the_shards_whose_pages_changed_are_made_again(tmp_path):
    site, state, made = tmp_path / "site", tmp_path / ".digest", Indexer()

    def go(files: dict[str, bytes], search, make_index=made) -> None:
        fps = {k: content_hash(v) for k, v in files.items()}
        trees.publish(site, files, fps, state, search, make_index)()

    one = {"a/index.html": b"A", "b/index.html": b"B"}
    go(one, plan(a="a1", b="b1"))
    assert made.calls == [["a", "b"]] and shards(site) == {"a": "a1", "b": "b1"}
    go(one, plan(a="a1", b="b1"))
    assert made.calls == [["a", "b"]]  # shown already, index and all
    two = {"a/index.html": b"A", "b/index.html": b"B2"}
    go(two, plan(a="a1", b="b2"))  # the other tree held no shards: `a` comes from this one
    assert made.calls == [["a", "b"], ["b"]] and shards(site) == {"a": "a1", "b": "b2"}
    first, second = trees.trees(site, state)
    assert os.path.samefile(first / "pagefind/a/pagefind.js", second / "pagefind/a/pagefind.js")
    go({**two, "c/index.html": b"C"}, plan(a="a1", b="b2", c="c1"))
    assert made.calls[-1] == ["c"]  # `b` linked from the served tree, `a` kept in place
    go(two, plan(a="a1", b="b2"))  # the page of shard `c` deleted, and with it the shard
    assert made.calls[-1] == ["c"] and shards(site) == {"a": "a1", "b": "b2"}
    assert not (site / "pagefind" / "c").exists()
    go(two, None)  # search turned off: no index at all
    assert not (site / "pagefind").exists()


def test_a_deferred_index_is_recorded_stale_and_never_skipped(tmp_path):
    """Without make_index (`digest serve`) the new tree goes up with the shards it held, and
    its stamp says which are stale: the next `digest build` makes them even though its pages
    are unchanged, and install_search moves shards made meanwhile in."""
    site, state, made = tmp_path / "site", tmp_path / ".digest", Indexer()

    def go(files: dict[str, bytes], search, make_index=None) -> None:
        fps = {k: content_hash(v) for k, v in files.items()}
        trees.publish(site, files, fps, state, search, make_index)()

    one, two = {"a/index.html": b"A"}, {"a/index.html": b"A2"}
    go(one, plan(a="a1"), made)
    assert trees.search_pending(site, state) is None
    go(two, plan(a="a2"))  # on the tree that was never indexed: none yet
    served, stale, key = trees.search_pending(site, state)
    assert served == site.resolve() and list(stale) == ["a"] and shards(site) == {}
    go(two, plan(a="a2"))
    assert made.calls == [["a"]]  # deferred again: shown already
    go(two, plan(a="a2"), made)  # the same pages, but their index is stale: made anew
    assert made.calls == [["a"], ["a"]] and trees.search_pending(site, state) is None
    assert shards(site) == {"a": "a2"}

    go(one, plan(a="a1"))  # the shard the other tree held was made for other pages
    served, stale, key = trees.search_pending(site, state)
    assert shards(site) == {}
    Indexer()(served, stale, trees.search_staging(served))
    aside = tmp_path / "aside"
    assert not trees.install_search(site, state, served, "another key", {"a": "a1"}, aside)
    assert shards(site) == {} and not aside.exists()
    assert trees.install_search(site, state, served, key, {"a": "a1"}, aside)
    assert shards(site) == {"a": "a1"} and trees.search_pending(site, state) is None
    go(one, plan(a="a1"), made)
    assert len(made.calls) == 2  # the installed shard counts as made
    go(two, plan(a="a2"))  # the other tree still holds its shard, and it is current
    assert trees.search_pending(site, state) is None and shards(site) == {"a": "a2"}
    go({"a/index.html": b"A3"}, plan(a="a3"))  # a stale shard is served until a new one comes
    served, stale, key = trees.search_pending(site, state)
    assert shards(site) == {"a": "a1"}
    Indexer()(served, stale, trees.search_staging(served))
    assert trees.install_search(site, state, served, key, {"a": "a3"}, aside)
    assert shards(site) == {"a": "a3"} and (aside / "a" / "pagefind.js").read_text() == "a1"


def whole(n: int, tag: bytes) -> dict[str, bytes]:
    """A site of n pages, every one of them made with `tag` (a change to every page)."""
    return {"index.html": tag, "digest.json": tag,
            **{f"p{i}/index.html": tag + b"%d" % i for i in range(n)}}


def put_runs(monkeypatch) -> list[list[str]]:
    runs: list[list[str]] = []
    real = trees._put
    monkeypatch.setattr(trees, "_put", lambda tree, source, files, rels, aside:
                        runs.append(list(rels)) or real(tree, source, files, rels, aside))
    return runs


def test_catching_up_leaves_the_next_build_only_what_it_changes(tmp_path, monkeypatch):
    publish(tmp_path, whole(150, b"old"))
    publish(tmp_path, whole(150, b"new"))
    publish(tmp_path, {**whole(150, b"new"), "gone/index.html": b"x"})
    publish(tmp_path, whole(150, b"newer"))  # a change to every page: the idle tree is behind
    served, state = (tmp_path / "site").resolve(), tmp_path / ".digest"
    idle = next(t for t in trees.trees(tmp_path / "site", state) if t != served)
    assert trees.catch_up(tmp_path / "site", state, lambda: False) == 151
    left = {"digest.json": b"new"}  # the build writes it anyway; its served copy untouched
    assert tree(idle) == {**whole(150, b"newer"), **left} and tree(served) == whole(150, b"newer")
    assert not (idle / "gone").exists()  # and what the served tree no longer has is gone
    manifests = trees.load_manifests(tmp_path / "site", state)
    assert manifests[str(idle)] == {**manifests[str(served)], "digest.json": content_hash(b"new")}
    assert all((idle / rel).stat().st_ino == (served / rel).stat().st_ino
               for rel in tree(idle) if rel not in left)
    assert (served / "digest.json").stat().st_nlink == 1
    assert not [p for p in idle.rglob("*") if p.name.startswith(".")]
    runs = put_runs(monkeypatch)
    edited = {**whole(150, b"newer"), "p3/index.html": b"edited", "digest.json": b"edited"}
    publish(tmp_path, edited)
    assert sorted(r for run in runs for r in run) == ["digest.json", "p3/index.html"]
    assert tree(tmp_path / "site") == edited
    assert trees.catch_up(tmp_path / "site", state, lambda: False) == 0  # one file: left


def test_a_missing_idle_tree_is_made_by_linking_the_served_files(tmp_path, monkeypatch):
    publish(tmp_path, whole(150, b"first"))  # the first build: one tree only
    out, state = tmp_path / "site", tmp_path / ".digest"
    idle = next(t for t in trees.trees(out, state) if t != out.resolve())
    assert not idle.exists()
    assert trees.catch_up(out, state, lambda: False) == 151
    assert tree(idle) == {r: v for r, v in whole(150, b"first").items() if r != "digest.json"}
    runs = put_runs(monkeypatch)
    publish(tmp_path, {**whole(150, b"first"), "p7/index.html": b"edited"})
    assert sorted(r for run in runs for r in run) == ["digest.json", "p7/index.html"]
    assert tree(out) == {**whole(150, b"first"), "p7/index.html": b"edited"}


def test_a_catch_up_stopped_or_failing_midway_leaves_a_tree_builds_can_trust(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setattr(trees, "CATCH_UP_MIN", 1)
    for tag in (b"a", b"b", b"c"):
        publish(tmp_path, whole(20, tag))
    out, state = tmp_path / "site", tmp_path / ".digest"
    asked = []
    assert trees.catch_up(out, state, lambda: asked.append(1) or len(asked) > 7) == 7
    real, calls = trees.link_or_copy, []

    def failing(src, dest):
        calls.append(dest)
        if len(calls) == 4:
            raise OSError(28, "No space left on device")
        return real(src, dest)
    monkeypatch.setattr(trees, "link_or_copy", failing)
    with pytest.raises(OSError):
        trees.catch_up(out, state, lambda: False)
    served = out.resolve()
    idle = next(t for t in trees.trees(out, state) if t != served)
    held = trees.load_manifests(out, state)[str(idle)]  # written though the work failed
    assert sum(held[r] == content_hash(v) for r, v in whole(20, b"c").items()) == 7 + 3
    assert not [p for p in idle.rglob("*") if p.name.startswith(".")]  # no half-made file
    assert tree(idle) == {r: (v if held[r] == content_hash(v) else whole(20, b"b")[r])
                          for r, v in whole(20, b"c").items()}  # the manifest tells the truth
    monkeypatch.setattr(trees, "link_or_copy", real)
    publish(tmp_path, {**whole(20, b"c"), "new/index.html": b"N"})
    assert tree(out) == {**whole(20, b"c"), "new/index.html": b"N"}


def test_a_catch_up_whose_folder_is_deleted_meanwhile_remakes_nothing(tmp_path, monkeypatch):
    """`rm -rf .digest` while the detached catch-up runs: it stops, and leaves no folder
    or manifest behind that a later build would trust."""
    monkeypatch.setattr(trees, "CATCH_UP_MIN", 1)
    publish(tmp_path, whole(20, b"a"))  # one tree: the catch-up makes the other
    out, state = tmp_path / "site", tmp_path / ".digest"
    asked = []

    def stop() -> bool:
        asked.append(1)
        if len(asked) == 5:
            shutil.rmtree(state)
        return False
    with pytest.raises(OSError):
        trees.catch_up(out, state, stop)
    assert not state.exists()
