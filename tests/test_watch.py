"""The dev server's watcher (digest.serve.watch) over a real folder with watchdog's observer:
one callback per burst of changes, with every changed path; nothing for files that cannot
change the site."""
from __future__ import annotations

import os
import queue
import time
from pathlib import Path

from digest.serve.watch import watch


def _calls(root: Path, act) -> list[set[str]]:
    """Return the callbacks the watcher made for what `act()` did to `root` (waiting until
    none came for a second)."""
    got: queue.Queue[set[str]] = queue.Queue()
    observer = watch(root, got.put)
    try:
        time.sleep(0.2)  # the observer's watches are in place
        act()
        calls = []
        while True:
            try:
                calls.append(got.get(timeout=1.0))
            except queue.Empty:
                return calls
    finally:
        observer.stop()
        observer.join(5)


def _site(tmp_path: Path) -> Path:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.md").write_text("a\n")
    return tmp_path


def test_a_save_calls_back_with_its_file_only(tmp_path):
    """Its folder's change of times is left out. (One callback, unless the machine paused
    the watcher between the write's events for longer than the wait.)"""
    root = _site(tmp_path)
    calls = _calls(root, lambda: (root / "content" / "a.md").write_text("changed\n"))
    assert calls and set().union(*calls) == {str(root / "content" / "a.md")}


def test_an_atomic_save_names_the_file_it_replaced(tmp_path):
    root = _site(tmp_path)

    def save() -> None:  # as editors that write a temporary file and rename it do
        (root / "content" / ".a.md.tmp").write_text("changed\n")
        os.replace(root / "content" / ".a.md.tmp", root / "content" / "a.md")
    calls = _calls(root, save)
    assert calls and str(root / "content" / "a.md") in set().union(*calls)


def test_a_burst_of_changes_is_gathered(tmp_path):
    root = _site(tmp_path)

    def checkout() -> None:  # many files written at once, as `git checkout` does
        for n in range(40):
            (root / "content" / f"n{n}.md").write_text(f"{n}\n")
        (root / "content" / "a.md").unlink()
    calls = _calls(root, checkout)
    everything = set().union(*calls)
    assert {str(root / "content" / f"n{n}.md") for n in range(40)} <= everything
    assert str(root / "content" / "a.md") in everything
    assert len(calls) < 10  # 121 file events: usually one callback, more if the machine paused


def test_hidden_swap_and_output_files_are_ignored(tmp_path):
    """Writing them also changes content/'s times: that alone is no change either."""
    root = _site(tmp_path)

    def noise() -> None:
        (root / "content" / ".a.md.swp").write_text("x")
        (root / "content" / "a.md~").write_text("x")
        (root / "site").mkdir()
        (root / "site" / "index.html").write_text("x")
    assert _calls(root, noise) == []
