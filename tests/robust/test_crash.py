"""Crash safety: SIGKILL at random points never leaves a torn site/ or a torn content file."""
from __future__ import annotations

import importlib.util
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from robust_support import GOOD, REPO, build_site, digest_cmd, run_digest, tree, write_site

KILLS = int(os.environ.get("DIGEST_CRASH_KILLS", "5"))
SEED = int(os.environ.get("DIGEST_CRASH_SEED", "8"))


def corpus(folder: Path, articles: int, seed: int) -> Path:
    """Write bench/corpus.py's synthetic site of `articles` articles into `folder`."""
    spec = importlib.util.spec_from_file_location("bench_corpus", REPO / "bench" / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_site(folder, articles, seed)
    return folder


def killed_run(cmd: list[str], cwd: Path, delay: float) -> bool:
    """Run `cmd`, SIGKILL it (and its children) after `delay` s; True when it was killed."""
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return True


def stray_folders(root: Path) -> list[str]:
    """Return temporary site folders beyond the one old site the last build may leave for the
    next build to delete (in the background): none from killed builds may pile up."""
    found = sorted(p.name for p in root.iterdir() if p.name.startswith((".site.", ".site-")))
    olds = [f for f in found if f.startswith(".site.old-")]
    return [f for f in found if f not in olds[:1]]


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory):
    """A ~100-article site, its content in two versions, and the complete build of each."""
    base = tmp_path_factory.mktemp("crash")
    root = corpus(base / "site", 100, seed=3)
    v1 = base / "content-v1"
    shutil.copytree(root / "content", v1)
    v2 = base / "content-v2"
    shutil.copytree(v1, v2)
    for i, path in enumerate(sorted(v2.glob("*.md"))):
        if i % 3 == 0:
            path.write_text(path.read_text() + "\nA late paragraph about the harbour crane.\n")
    sorted(v2.glob("*.md"))[1].unlink()
    (v2 / "late.md").write_text(GOOD)
    builds = {}
    for name, content in (("v2", v2), ("v1", v1)):
        shutil.rmtree(root / "content")
        shutil.copytree(content, root / "content")
        started = time.monotonic()
        done = run_digest(root, "build", "-q")
        builds[name] = (tree(root / "site"), time.monotonic() - started)
        assert done.returncode == 0, done.stderr
    return root, {"v1": v1, "v2": v2}, builds


def test_sigkill_during_build_leaves_old_or_new_site_whole(two_versions):
    root, contents, builds = two_versions
    rng = random.Random(SEED)
    duration = max(t for _, t in builds.values())
    current = "v1"  # the fixture built v1 last
    outcomes = []
    for n in range(KILLS):
        target = "v2" if current == "v1" else "v1"
        shutil.rmtree(root / "content")
        shutil.copytree(contents[target], root / "content")
        delay = duration * (n + rng.random()) / KILLS  # spread over the build's duration
        killed = killed_run(digest_cmd(root, "build", "-q"), root, delay)
        now = tree(root / "site")
        assert now in (builds[current][0], builds[target][0]), \
            f"kill {n} after {delay:.2f}s left a site that is neither {current} nor {target}"
        outcomes.append((round(delay, 2), killed, "new" if now == builds[target][0] else "old"))
        current = target if now == builds[target][0] else current
    assert any(k for _, k, _ in outcomes), outcomes  # the kills did land during builds
    done = run_digest(root, "build", "-q")          # and a build after all that is clean
    assert done.returncode == 0 and stray_folders(root) == [], (done.stderr, stray_folders(root))
    assert tree(root / "site") == builds[target][0] or tree(root / "site") == builds[current][0]


WRITE_KILLER = r"""
import os, signal, sys
N = int(sys.argv[2]); seen = [0]
ROOT = os.path.abspath(sys.argv[1])
WATCH = {ROOT, os.path.join(ROOT, ".digest"), os.path.join(ROOT, ".digest", "trees"),
         os.path.join(ROOT, ".digest", "cache")}
EVENTS = {"os.rename", "os.rmdir", "os.remove", "os.symlink", "os.link", "shutil.rmtree",
          "shutil.move"}  # not os.mkdir: creating a folder cannot tear anything
def touches_state(event, args):
    # steps on site/, the folders beside it and the build state: what a kill could tear
    if event == "ctypes.call_function":
        return True
    if event not in EVENTS:
        return False
    paths = [a for a in args if isinstance(a, (str, bytes, os.PathLike))]
    return any(os.path.dirname(os.path.abspath(os.fsdecode(a))) in WATCH for a in paths)
def hook(event, args):
    if touches_state(event, args):
        seen[0] += 1
        if seen[0] == N:
            os.kill(os.getpid(), signal.SIGKILL)
sys.addaudithook(hook)
from digest.cli import main
sys.exit(main(["build", "-q", "-C", ROOT]))
"""


# What a build replaced, set aside beside the trees: `digest build` leaves it to a process
# of its own to delete (fsutil.remove_detached), which may still be at it.
REPLACED = shutil.ignore_patterns("*.trash*")


def snapshot(root: Path, into: Path) -> None:
    """Keep site/ (a folder or a link) and .digest/ exactly as they are, but what a build
    replaced and is being deleted."""
    for name in ("site", ".digest"):
        shutil.copytree(root / name, into / name, symlinks=True, ignore=REPLACED) \
            if not (root / name).is_symlink() else os.symlink(os.readlink(root / name), into / name)


def _gone_meanwhile(function, path, exc_info) -> None:
    """rmtree's onerror: a file the detached deleter removed first is no error."""
    if not isinstance(exc_info[1], FileNotFoundError):
        raise exc_info[1]


def restore(root: Path, saved: Path) -> None:
    for name in ("site", ".digest"):
        path = root / name
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.exists():
            shutil.rmtree(path, onerror=_gone_meanwhile)
        if (saved / name).is_symlink():
            os.symlink(os.readlink(saved / name), path)
        else:
            shutil.copytree(saved / name, path, symlinks=True)


def test_kill_at_every_step_that_touches_site_or_state(tmp_path):
    """Deterministic crash injection: die at the Nth rename/link/remove/mkdir of site/, the
    folders beside it or the build state, then check site/ shows the old or the new site."""
    root = write_site(tmp_path / "s", {"a.md": GOOD, "b.md": GOOD.replace("good", "second")})
    assert run_digest(root, "build", "-q").returncode == 0
    old = tree(root / "site")
    saved = tmp_path / "saved"
    saved.mkdir()
    snapshot(root, saved)
    new_root = write_site(tmp_path / "ref", {"a.md": GOOD, "b.md": GOOD.replace("good", "changed")})
    assert run_digest(new_root, "build", "-q").returncode == 0
    new = tree(new_root / "site")
    (root / "content/b.md").write_text(GOOD.replace("good", "changed"))
    steps = []
    for n in range(1, 150):
        done = subprocess.run([sys.executable, "-c", WRITE_KILLER, str(root), str(n)],
                              capture_output=True, text=True, timeout=60)
        state = tree(root / "site") if (root / "site").is_dir() else None
        assert state in (old, new), f"killed at step {n}: site/ is " + \
            ("missing" if state is None else "a mix of old and new")
        steps.append((done.returncode, "new" if state == new else "old"))
        if done.returncode == 0:  # ran to the end without reaching step n
            break
        # the next build after this kill must still produce the new site, whole
        if n % 4 == 0:
            assert run_digest(root, "build", "-q").returncode == 0
            assert tree(root / "site") == new, f"build after a kill at step {n} is not whole"
        restore(root, saved)
    assert steps[-1][0] == 0 and len(steps) > 2, steps
    assert run_digest(root, "build", "-q").returncode == 0
    assert tree(root / "site") == new


KILL_BEFORE_FLIP = r"""
import os, signal, sys
def hook(event, args):  # die just before the rename (or exchange) that puts the new site in place
    if event == "ctypes.call_function" or (event == "os.rename" and
                                           os.path.basename(os.fsdecode(args[1])) == "site"):
        os.kill(os.getpid(), signal.SIGKILL)
sys.addaudithook(hook)
from digest.cli import main
sys.exit(main(["build", "-q", "-C", sys.argv[1]]))
"""


def test_killed_builds_leave_no_temporary_files_behind(tmp_path):
    root = write_site(tmp_path / "s", {"a.md": GOOD})
    assert run_digest(root, "build", "-q").returncode == 0
    for n, text in enumerate(("changed", "again", "third")):
        (root / "content/a.md").write_text(GOOD.replace("good", text))
        done = subprocess.run([sys.executable, "-c", KILL_BEFORE_FLIP, str(root)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == -signal.SIGKILL, done.stderr
    assert run_digest(root, "build", "-q").returncode == 0
    assert stray_folders(root) == []


def test_damaged_build_state_is_detected_and_rebuilt(tmp_path):
    root = write_site(tmp_path / "s", {"a.md": GOOD, "b.md": GOOD.replace("good", "second")})
    assert build_site(root).written
    clean = tree(root / "site")
    state = root / ".digest"
    damages = [
        ("story-ids.json", b"\x00garbage{{{"),
        ("story-ids.json", b'{"a": "../../escape", "b": ["x"], "c": null}'),
        ("story-ids.json", b"[1, 2, 3]"),
        ("story-ids.json", b'{"a": "' + b"x" * 5000 + b'"}'),
    ]
    pickles = sorted((state / "cache").rglob("*.pickle"))
    assert pickles
    whole = {p: p.read_bytes() for p in pickles}
    damages.append(({p: b[: len(b) // 2] for p, b in whole.items()}, b"(every cache file cut in half)"))
    damages.append(({p: b"not a pickle at all" for p in pickles}, b"(every cache file garbage)"))
    damages.append(({p: b[:-1] + bytes([b[-1] ^ 1]) for p, b in whole.items()}, b"(last byte flipped)"))
    for rel, data in damages:
        if isinstance(rel, dict):
            for path, garbage in rel.items():
                path.write_bytes(garbage)
            rel = "cache"
        else:
            (state / rel).write_bytes(data)
        done = run_digest(root, "build", "-q")
        assert done.returncode == 0, (rel, data[:40], done.stderr[-1500:])
        assert "Traceback" not in done.stderr
        assert tree(root / "site") == clean, (rel, data[:40])
        assert not (tmp_path / "escape").exists()
    json.loads((state / "story-ids.json").read_text())  # rewritten whole


def test_import_is_never_torn(tmp_path):
    """SIGKILL `digest import` at random points: every content file is absent or complete."""
    from digest import ingest
    assert hasattr(ingest, "import_paths")
    raw = tmp_path / "raw"
    raw.mkdir()
    for i in range(120):
        (raw / f"report-{i:03d}.txt").write_text(
            f"Harbour report number {i}\n\n" + f"The harbour crane {i} was repaired on Monday. " * 200)
    root = write_site(tmp_path / "s", {})
    done = run_digest(root, "import", str(raw), "-q", timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    complete = {p.name: p.read_bytes() for p in (root / "content").glob("*.md")}
    assert len(complete) == 120
    started = time.monotonic()
    shutil.rmtree(root / "content")
    run_digest(root, "import", str(raw), "-q", timeout=300)
    duration = time.monotonic() - started
    rng = random.Random(SEED)
    killed = []
    for n in range(KILLS):
        shutil.rmtree(root / "content")
        (root / "content").mkdir()
        killed.append(killed_run(digest_cmd(root, "import", str(raw), "-q"), root,
                                 duration * (n + rng.random()) / KILLS))
        for path in (root / "content").iterdir():
            if path.name.startswith(".") and path.name.endswith(".tmp"):
                continue  # an atomic write's temporary file: hidden, so never read as content
            assert path.name in complete, f"stray file {path.name} after kill {n}"
            assert path.read_bytes() == _without_stamp(complete[path.name], path.read_bytes()), \
                f"{path.name} torn after kill {n}"
    assert any(killed)


def _without_stamp(complete: bytes, got: bytes) -> bytes:
    """Return `complete` with its import time replaced by the one in `got` (runs differ)."""
    import re
    stamp = re.search(rb"imported: ['\"]?([^\n'\"]+)", got)
    if not stamp:
        return complete
    return re.sub(rb"(imported: ['\"]?)([^\n'\"]+)", lambda m: m.group(1) + stamp.group(1), complete, 1)
