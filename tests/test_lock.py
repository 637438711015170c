"""One build at a time per site folder; what killed builds leave behind is cleared."""
from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from digest import fsutil
from digest.config import load_config
from digest.pipeline import _remove_litter, build
from digest.stages.write import LOCK_FILE

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fcntl locks")

HOLD = """
import sys, time
from pathlib import Path
from digest import fsutil
with fsutil.exclusive(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_second_build_waits_for_the_one_under_way(make_site, caplog):
    root = make_site({"a.md": "---\ntitle: A\n---\nSome text here.\n"})
    lock = root / ".digest" / LOCK_FILE
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(lock), "1.5"],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    released = time.monotonic() + 1.2  # at the earliest
    config, _ = load_config(root)
    with caplog.at_level(logging.WARNING):
        report = build(config)
    assert report.written
    assert time.monotonic() >= released, "the build did not wait for the lock"
    assert f"process {holder.pid}" in caplog.text
    holder.wait(timeout=10)


def test_the_lock_is_freed_when_its_holder_is_killed(tmp_path):
    lock = tmp_path / "build.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(lock), "60"],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    holder.kill()
    holder.wait(timeout=10)
    got = threading.Event()

    def take() -> None:
        with fsutil.exclusive(lock):
            got.set()
    t = threading.Thread(target=take, daemon=True)
    t.start()
    assert got.wait(timeout=5), "a killed holder kept the lock"


def test_litter_of_killed_builds_is_removed_and_trees_are_left_alone(make_site):
    root = make_site({"a.md": "---\ntitle: A\n---\nSome text here.\n"})
    config, _ = load_config(root)
    assert build(config).written
    state = root / ".digest"
    tree = (root / "site").resolve()
    (root / "content" / "a.md").write_text("---\ntitle: A\n---\nSome other text here.\n")
    assert build(config).written  # both trees made
    litter = [state / ".files.json.k3j2.tmp", state / "cache" / ".stories.00.pickle.x1.tmp",
              state / "cache" / "templates" / ".abc.jinja.y2.tmp",
              state / "trees" / f".{tree.name}.json.z3.tmp", state / "digest-json.index"]
    for path in litter:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    assert build(config).written
    assert [p for p in litter if p.exists()] == []
    for t in (state / "trees").iterdir():  # output files are an article's business
        if t.is_dir():
            (t / ".kept.tmp").write_bytes(b"x")
    _remove_litter(state)
    assert len(list((state / "trees").glob("*/.kept.tmp"))) == 2


def test_a_file_system_without_locks_builds_unlocked_with_a_warning(make_site, monkeypatch,
                                                                       caplog):
    import errno
    import fcntl

    def refuse(fd: int, op: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")
    monkeypatch.setattr(fcntl, "flock", refuse)
    root = make_site({"a.md": "---\ntitle: A\n---\nSome text here.\n"})
    config, _ = load_config(root)
    with caplog.at_level(logging.WARNING):
        assert build(config).written
    assert "without the lock" in caplog.text and "No locks available" in caplog.text


def test_litter_that_cannot_be_removed_does_not_stop_the_build(make_site, monkeypatch):
    root = make_site({"a.md": "---\ntitle: A\n---\nSome text here.\n"})
    config, _ = load_config(root)
    assert build(config).written
    stuck = root / ".digest" / ".files.json.q1.tmp"
    stuck.write_bytes(b"half")
    real_unlink = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self == stuck:
            raise PermissionError(13, "Permission denied")
        real_unlink(self, missing_ok=missing_ok)
    monkeypatch.setattr(Path, "unlink", unlink)
    assert build(config).written
    assert stuck.exists()


def test_wait_gives_up_after_its_seconds_naming_the_holder(make_site):
    """`digest build --wait S`: a hung build must not block the next one for ever."""
    root = make_site({"a.md": "---\ntitle: A\n---\nSome text here.\n"})
    lock = root / ".digest" / LOCK_FILE
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(lock), "30"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "digest", "build", "-C", str(root),
                               "--wait", "0.5"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 1
        assert time.monotonic() - started >= 0.5
        assert f"process {holder.pid}" in done.stderr and "--wait" in done.stderr
        assert "Traceback" not in done.stderr
        assert not (root / "site").exists()
        with pytest.raises(fsutil.Busy, match=f"process {holder.pid}"):  # from Python
            with fsutil.exclusive(lock, timeout=0):
                pass
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_wait_long_enough_builds_once_the_other_build_ends(make_site):
    root = make_site({"a.md": "---\ntitle: A\n---\nSome text here.\n"})
    lock = root / ".digest" / LOCK_FILE
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(lock), "1"],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    config, _ = load_config(root)
    assert build(config, lock_timeout=30).written
    holder.wait(timeout=10)
