"""Benchmark digest builds on synthetic corpora: clean, no-change, one-edit (an editor's
note), title-edit (a title, which the listing pages show too), add-one and delete-one
rebuilds, a config edit that changes every page and the one-edit after it, and serve.
After a build that changes every page, `digest build` brings the idle tree up to date in a
process of its own (digest.catchup): the catch-up row says how long after the build it
ended (the next build waits for that, as an editor's would come later); edit-now is an
edit built at once, which stops it.

    python bench/build.py                       # 1,000 and 10,000 articles, search off and on
    python bench/build.py --sizes 1000 10000 50000 --search off
    python bench/build.py --profile 10000       # cProfile of a clean build: the hot spots

Each build runs as its own `digest build` process; wall time, CPU time (user + system of
the process and its workers) and peak memory (largest resident set of any one process)
are read from the operating system. Corpora come from bench/corpus.py (seeded), in
/tmp/digest-bench-N unless --work says otherwise.
"""
from __future__ import annotations

import argparse
import compileall
import cProfile
import http.client
import io
import json
import os
import pstats
import queue
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import write_site  # noqa: E402


# The `digest` installed beside this Python (a version manager's shim on PATH adds ~50 ms).
_BESIDE = Path(sys.executable).parent / "digest"
DIGEST = str(_BESIDE) if _BESIDE.is_file() else "digest"
DIGEST_PYTHON = sys.executable if _BESIDE.is_file() else "python3"

# Runs a command and reports its own children's usage: RUSAGE_CHILDREN's peak is the largest
# of every child ever waited for, so measured from here a small rebuild would show the
# clean build's peak.
_MEASURE = ("import resource, subprocess, sys\n"
            "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
            "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
            "sys.stdout.write(done.stdout); sys.stderr.write(done.stderr)\n"
            "sys.stderr.write(f'\\n@usage {u.ru_utime + u.ru_stime} {u.ru_maxrss}\\n')\n"
            "sys.exit(done.returncode)\n")


def timed(cmd: list[str], cwd: Path) -> dict[str, float]:
    """Run a command; return wall seconds, CPU seconds and peak RSS in MB of its processes.

    Data the previous runs left for the kernel to write out is flushed first, so one
    measurement does not pay for writing out the last one's (a clean build of 10,000
    articles leaves 400 MB)."""
    os.sync()
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], cwd=cwd,
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    cpu, rss = done.stderr.rsplit("@usage ", 1)[1].split()
    return {"wall": wall, "cpu": float(cpu), "rss": int(rss) / 1024, "out": done.stdout.strip()}


def corpus(work: Path, n: int, search: bool) -> Path:
    """Return a fresh copy of the n-article corpus with search on or off."""
    src = work / f"digest-bench-{n}"
    if not (src / "content").is_dir():
        write_site(src, n)
    site = work / f"digest-bench-{n}-{'search' if search else 'nosearch'}"
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(src, site, ignore=shutil.ignore_patterns("site", ".digest"))
    (site / "config.yaml").write_text((site / "config.yaml").read_text()
                                      .replace("search: true", f"search: {str(search).lower()}"))
    # A build that looks at a file within read.SETTLED_NS of its last change reads it again
    # the next time (a write in the same tick of the clock would leave its status as it
    # was): a clean build started at once would have the no-change build read all of them.
    from digest.stages.read import SETTLED_NS
    time.sleep(SETTLED_NS / 1e9)
    return site


def edit_one(site: Path, k: int) -> Path:
    """Change one article's front-matter (an editor's note) and return its path."""
    return write_edit(pick(site, k), k)


def retitle_one(site: Path, k: int) -> Path:
    """Change one article's title and return its path: unlike a note, a title shows on the
    pages that list the article (its outlet and archive pages, the feeds, the home page
    when it names the story)."""
    path = pick(site, k)
    text = re.sub(r"(?m)^title: (.*)$", lambda m: "title: " + json.dumps(
        f"{yaml.safe_load(m.group(1))} (updated {k})"), path.read_text(encoding="utf-8"), count=1)
    path.write_text(text, encoding="utf-8")
    return path


def add_one(site: Path, k: int) -> Path:
    """Add a follow-up of the k-th article (its text, another title) and return its path:
    a new article regroups the whole corpus."""
    source = pick(site, k)
    path = source.with_name(f"zz-follow-up-{k}.md")
    text = re.sub(r"(?m)^title: (.*)$", lambda m: "title: " + json.dumps(
        "Follow-up: " + yaml.safe_load(m.group(1))), source.read_text(encoding="utf-8"), count=1)
    path.write_text(text, encoding="utf-8")
    return path


def restyle(site: Path) -> None:
    """Change the site's description in config.yaml: every page shows it."""
    config = site / "config.yaml"
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["description"] = f"{data.get('description') or 'A digest'} (restyled)"
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def pick(site: Path, k: int) -> Path:
    """Return the k-th content file (in name order, wrapping around)."""
    files = sorted((site / "content").glob("*.md"))
    return files[k % len(files)]


def write_edit(path: Path, k: int) -> Path:
    """Set an editor's note in one article's front-matter, as an editor saving it would."""
    before = path.read_text(encoding="utf-8")
    text = re.sub(r"\nnote: [^\n]*", "", before)  # an earlier edit's
    text = text.replace("\n---\n", f"\nnote: Checked by the desk ({k}).\n---\n", 1)
    if text == before:  # a corpus edited by hand with the same note: nothing would be timed
        raise SystemExit(f"{path}: holds this edit already; delete {path.parent.parent.parent}"
                         f"/digest-bench-* to write the corpus anew")
    path.write_text(text, encoding="utf-8")
    return path


def machine_speed(rounds: int = 5) -> str:
    """Return how fast this machine runs plain Python now, in wall time: the same clean
    build here took 37 s in one hour and 53 s in the next, with the processor time of a
    loop unchanged and its wall time doubled (the host lends this machine's cores to
    others), so runs made at different times are compared by this too."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i
        times.append(time.perf_counter() - start)
    times.sort()
    return (f"machine speed: 2 million Python additions in {times[0]:.3f} s at best, "
            f"{times[len(times) // 2]:.3f} s median of {rounds}")


def compile_digest() -> str:
    """Write the bytecode of the digest that `digest` runs; say where, or why not. Python
    writes it on a user's first run; where PYTHONDONTWRITEBYTECODE is set (this machine sets
    it) every run would compile the modules changed since their last .pyc instead: up to
    0.06 s of each build timed here."""
    done = subprocess.run([DIGEST_PYTHON, "-c", "import digest; print(digest.__file__)"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        return f"bytecode not written: {DIGEST_PYTHON} cannot import digest"
    folder = Path(done.stdout.strip()).parent
    if not compileall.compile_dir(folder, quiet=1):
        return f"bytecode not written for all of {folder}"
    return f"bytecode written for {folder}"


def run_sizes(sizes: list[int], searches: list[bool], work: Path) -> None:
    print(compile_digest())
    print(machine_speed())
    print(f"{'articles':>8} {'search':>6} {'build':<10} {'wall s':>7} {'cpu s':>7} {'peak MB':>8}  output")
    for n in sizes:
        for search in searches:
            site = corpus(work, n, search)
            _settled(n, search, "clean", timed([DIGEST, "build", "--clean"], site), site)
            _row(n, search, "no-change", timed([DIGEST, "build"], site))
            edits = []
            for k in range(EDITS):  # each a different article, in a different story
                edit_one(site, n // 2 + 7 * k)
                edits.append(timed([DIGEST, "build"], site))
            _row(n, search, "one-edit", _median(edits))
            for k in range(EDITS):  # other articles than one-edit's, in other stories
                retitle_one(site, n // 2 + 7 * k + 3)
                edits[k] = timed([DIGEST, "build"], site)
            _row(n, search, "title-edit", _median(edits))
            added = []
            for k in range(EDITS):  # a follow-up report in a different story each time
                added.append(add_one(site, n // 3 + 11 * k))
                edits[k] = timed([DIGEST, "build"], site)
            _row(n, search, "add-one", _median(edits))
            for k, path in enumerate(added):
                path.unlink()
                edits[k] = timed([DIGEST, "build"], site)
            _row(n, search, "delete-one", _median(edits))
            restyle(site)  # every page shows the site's description
            _row(n, search, "config-edit", timed([DIGEST, "build"], site))
            edit_one(site, n // 2 + 7 * EDITS)  # the other tree is a whole site behind, and
            hurried = timed([DIGEST, "build"], site)  # this build stops its catch-up
            _row(n, search, "edit-now", {**hurried, "out": f"{hurried['out']}; catch-up it "
                                         f"stopped: {_caught_up(site) or 'none'}"})
            restyle(site)
            _settled(n, search, "config-edit", timed([DIGEST, "build"], site), site)
            edit_one(site, n // 2 + 7 * EDITS + 1)
            _row(n, search, "edit-after", timed([DIGEST, "build"], site))
            _row(n, search, "serve-edit", serve_latency(site, search=search))


EDITS = 5  # one-edit rebuilds timed per size: the row shows their median


def _settled(n: int, search: bool, name: str, r: dict, site: Path) -> None:
    """Print a build's row; when it started a catch-up of the idle tree (digest.catchup),
    wait for that to end, as an editor's next build would come later, and print it as a row
    of its own (edit-now shows a build that came before it ended)."""
    _row(n, search, name, r)
    if "in the background" in r["out"]:
        start = time.perf_counter()
        line = _caught_up(site, wait=True)
        wall = time.perf_counter() - start
        _row(n, search, "catch-up", {"wall": wall, "cpu": float("nan"), "rss": float("nan"),
                                     "out": f"in the background after the build above, waited "
                                            f"for: {line}"})


def _caught_up(site: Path, wait: bool = False) -> str:
    """Return (and remove) what the last catch-up process logged; with `wait`, wait for it
    to start and end first."""
    import fcntl

    from digest.catchup import LOG_FILE
    from digest.stages.write import LOCK_FILE, STATE_DIR
    state = site / STATE_DIR
    log = state / LOG_FILE
    deadline = time.monotonic() + 600
    while wait and not log.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    with open(state / LOCK_FILE, "a") as fh:  # its holder has let go
        fcntl.flock(fh, fcntl.LOCK_EX)
    if not log.exists():
        return ""
    line = log.read_text(encoding="utf-8").strip()
    log.unlink()
    return line


def _median(runs: list[dict]) -> dict:
    """Return the run of median wall time, noting all the wall times it was picked from."""
    mid = sorted(runs, key=lambda r: r["wall"])[len(runs) // 2]
    return {**mid, "out": "median of " + ", ".join(f"{r['wall']:.2f}" for r in runs)
            + " s; " + mid["out"]}


def _row(n: int, search: bool, name: str, r: dict) -> None:
    print(f"{n:>8} {'on' if search else 'off':>6} {name:<10} {r['wall']:>7.2f} {r['cpu']:>7.2f} "
          f"{r['rss']:>8.0f}  {r.get('out', '')}", flush=True)


def serve_latency(site: Path, rounds: int = 5, search: bool = False) -> dict[str, float]:
    """Start `digest serve`, edit one article, time until the reload event and the new text
    (`rounds` times; the data earlier runs wrote is flushed first, as in `timed`); with
    `search`, also until serve says the search index has followed."""
    os.sync()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([DIGEST, "serve", "--port", str(port)], cwd=site,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[tuple[float, str]] = queue.Queue()
    try:
        _wait_ready(proc)
        threading.Thread(target=lambda: [lines.put((time.perf_counter(), line))
                                         for line in proc.stdout], daemon=True).start()
        times, follow = [], []
        for k in range(rounds):
            took, start = _one_edit(site, port, k)
            times.append(took)
            if search:
                follow.append(_indexed(lines, start))
    finally:
        proc.terminate()
        proc.wait(10)
    best = sorted(times)[len(times) // 2]
    note = "median of " + ", ".join(f"{t:.2f}" for t in times) + " s edit->reload+page"
    if search:
        note += "; edit->search index updated: " + ", ".join(f"{t:.2f}" for t in follow) + " s"
    return {"wall": best, "cpu": float("nan"), "rss": float("nan"), "out": note}


def _indexed(lines: queue.Queue, start: float, timeout: float = 300) -> float:
    """Wait for serve to say its search index is updated; return the seconds since `start`."""
    end = time.perf_counter() + timeout
    while True:
        at, line = lines.get(timeout=max(0.1, end - time.perf_counter()))
        if at > start and line.startswith("search index updated"):
            return at - start


def _wait_ready(proc: subprocess.Popen) -> None:
    for line in proc.stdout:
        if line.startswith("serving "):
            return
    raise SystemExit("digest serve did not start")


def _one_edit(site: Path, port: int, k: int) -> tuple[float, float]:
    """Return the seconds from an edit to its reloaded page, and when the edit was made."""
    got = threading.Event()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/__digest__/events")
    resp = conn.getresponse()

    def read() -> None:
        for raw in resp:
            if raw.startswith(b"event: reload"):
                got.set()
                return
    threading.Thread(target=read, daemon=True).start()
    path = pick(site, 100 + k)  # listing 10,000 files is the benchmark's work, not timed
    time.sleep(0.3)
    start = time.perf_counter()
    write_edit(path, 100 + k)
    got.wait(60)
    page = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    page.request("GET", f"/articles/{path.stem}/")
    body = page.getresponse().read()
    took = time.perf_counter() - start
    assert f"Checked by the desk ({100 + k})".encode() in body, "new text not served"
    conn.close()
    return took, start


def profile(n: int, work: Path) -> None:
    """Print the functions where a clean build of n articles spends its time."""
    from digest.config import load_config
    from digest.pipeline import build

    site = corpus(work, n, search=False)
    config, _ = load_config(site)
    prof = cProfile.Profile()
    os.environ["DIGEST_WORKERS"] = "1"
    prof.enable()
    build(config, clean_cache=True)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(25)
    print(out.getvalue())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    p.add_argument("--search", choices=["on", "off", "both"], default="both")
    p.add_argument("--work", type=Path, default=Path("/tmp"))
    p.add_argument("--profile", type=int, metavar="N", help="profile a clean build of N articles")
    args = p.parse_args()
    if args.profile:
        return profile(args.profile, args.work)
    searches = {"on": [True], "off": [False], "both": [False, True]}[args.search]
    run_sizes(args.sizes, searches, args.work)


if __name__ == "__main__":
    main()
