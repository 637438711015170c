"""Publishing through two trees and one symlink: whole sites only, even when interrupted."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from digest.cache import content_hash
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
    real_write, calls = trees._write, []

    def dying(path, data):  # killed after the idle tree's first new file
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")
        return real_write(path, data)
    monkeypatch.setattr(trees, "_write", dying)
    with pytest.raises(KeyboardInterrupt):
        publish(tmp_path, {"index.html": b"new", "a/index.html": b"A3", "b/index.html": b"B"})
    assert tree(tmp_path / "site") == served
    monkeypatch.setattr(trees, "_write", real_write)
    publish(tmp_path, {"index.html": b"new", "a/index.html": b"A1"})  # A1: what the torn tree held
    assert tree(tmp_path / "site") == {"index.html": b"new", "a/index.html": b"A1"}


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
    trash = idle.with_name(idle.name + ".trash")
    assert isinstance(getattr(wait, "__self__", None), threading.Thread)  # it was moved aside
    wait()
    assert not trash.exists() and (idle / "index.html").stat().st_ino != old


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


def test_a_deferred_search_index_is_stamped_when_made_and_never_skipped(tmp_path):
    """`finish` (Pagefind in a build) stamps the tree it indexed; a build that defers the
    index (`digest serve`) leaves no stamp, so the next `digest build` indexes the site
    even though its pages are unchanged, and install_search moves a finished index in."""
    site, state, made = tmp_path / "site", tmp_path / ".digest", []

    def finish(folder: Path) -> None:
        made.append(folder)
        (folder / "pagefind").mkdir()
        (folder / "pagefind" / "pagefind.js").write_bytes(b"index %d" % len(made))

    def go(files: dict[str, bytes], **kw) -> None:
        fps = {k: content_hash(v) for k, v in files.items()}
        trees.publish(site, files, fps, state, **kw)()

    one, two = {"index.html": b"one"}, {"index.html": b"two"}
    go(one, finish=finish)
    assert len(made) == 1 and trees.search_pending(site, state) is None
    go(one, finish=finish)
    assert len(made) == 1  # shown already, index and all
    go(two, defer_search=True)
    assert len(made) == 1
    served, key = trees.search_pending(site, state)
    assert served == site.resolve() and not (site / "pagefind").exists()
    go(two, finish=finish)  # the same pages, but their index is stale: made anew
    assert len(made) == 2 and trees.search_pending(site, state) is None
    assert (site / "pagefind" / "pagefind.js").read_bytes() == b"index 2"

    go(one, defer_search=True)  # on the tree that was never indexed: none yet
    assert not (site / "pagefind").exists()
    served, key = trees.search_pending(site, state)
    staging = trees.search_staging(served)
    staging.mkdir()
    (staging / "pagefind.js").write_bytes(b"made beside")
    aside = tmp_path / "aside"
    assert not trees.install_search(site, state, served, "another key", aside)
    assert staging.exists() and not (site / "pagefind").exists()
    assert trees.install_search(site, state, served, key, aside)
    assert (site / "pagefind" / "pagefind.js").read_bytes() == b"made beside"
    assert trees.search_pending(site, state) is None and not staging.exists()
    assert not aside.exists()  # there was no index to set aside
    go(one, finish=finish)
    assert len(made) == 2  # the installed index counts as made
    go(two, defer_search=True)  # the other tree keeps the index it had until a new one comes
    assert (site / "pagefind" / "pagefind.js").read_bytes() == b"index 2"
    served, key = trees.search_pending(site, state)
    trees.search_staging(served).mkdir()
    (trees.search_staging(served) / "pagefind.js").write_bytes(b"index 3")
    assert trees.install_search(site, state, served, key, aside)
    assert (aside / "pagefind.js").read_bytes() == b"index 2"
    assert (site / "pagefind" / "pagefind.js").read_bytes() == b"index 3"
