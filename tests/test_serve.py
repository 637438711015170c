"""`digest serve` against a real HTTP client: reload events, error page, path confinement."""
from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from digest.serve import serve

ARTICLE = "---\ntitle: Harbour news\nstory: harbour\n---\n\n{body}\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(root: Path, stopping: float = 10) -> Iterator[int]:
    """Run `serve` on `root` in a thread; yield its port; stop it (waiting `stopping` s)."""
    port, ready, stop = free_port(), threading.Event(), threading.Event()
    thread = threading.Thread(target=serve, args=(root,), daemon=True,
                              kwargs={"port": port, "ready": ready, "stop": stop})
    thread.start()
    try:
        assert ready.wait(20)
        yield port
    finally:
        stop.set()
        thread.join(stopping)
    assert not thread.is_alive()


@pytest.fixture
def server(make_site):
    root = make_site({"a.md": ARTICLE.format(body="First version of the text.")},
                     config="title: Live\nsearch: false\n")
    with serving(root) as port:
        yield root, port


def get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path)
    resp = conn.getresponse()
    return resp.status, resp.read().decode("utf-8", "replace")


class Events:
    """Read server-sent events from a background connection."""

    def __init__(self, port: int):
        self.lines: list[str] = []
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.conn.request("GET", "/__digest__/events")
        self.resp = self.conn.getresponse()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for raw in self.resp:
                self.lines.append(raw.decode().strip())
        except OSError:
            return

    def wait_for(self, prefix: str, timeout: float) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for i, line in enumerate(self.lines):
                if line == prefix:
                    return self.lines[i + 1] if i + 1 < len(self.lines) else ""
            time.sleep(0.02)
        raise AssertionError(f"no {prefix!r} within {timeout}s: {self.lines}")


def test_edit_reloads_with_new_text_within_two_seconds(server):
    root, port = server
    status, page = get(port, "/articles/a/")
    assert status == 200 and "First version" in page and "/__digest__/live.js" in page
    events = Events(port)
    time.sleep(0.2)
    started = time.monotonic()
    (root / "content/a.md").write_text(ARTICLE.format(body="Second version of the text."))
    events.wait_for("event: reload", timeout=2)
    assert "Second version" in get(port, "/articles/a/")[1]
    assert time.monotonic() - started < 2


def test_broken_front_matter_shows_error_and_keeps_old_site(server):
    root, port = server
    events = Events(port)
    time.sleep(0.2)
    (root / "content/a.md").write_text("---\ntitle: [broken\n---\n\nNew text.\n")
    data = events.wait_for("event: error-report", timeout=3)
    assert "content/a.md" in data and "invalid YAML" in data
    status, page = get(port, "/articles/a/")
    assert status == 200 and "First version" in page          # the last good site
    assert "digest build failed" in page and "content/a.md" in page  # and the error, in the page


@pytest.mark.parametrize("path", ["/../config.yaml", "/%2e%2e/config.yaml", "/..%2fconfig.yaml",
                                  "/%2e%2e%2f%2e%2e%2fetc/passwd", "/content/a.md", "/static/"])
def test_path_traversal_and_listings_refused(server, path):
    _, port = server
    status, body = get(port, path)
    assert status == 404 and "title: Harbour" not in body


def test_binds_to_loopback_by_default(server):
    _, port = server
    listening = [line.split()[1] for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
                 if line.split()[3] == "0A"]  # state LISTEN
    assert f"0100007F:{port:04X}" in listening  # 127.0.0.1, not 0.0.0.0


def test_never_writes_into_watched_folders(server):
    root, port = server
    before = sorted(p.relative_to(root).as_posix() for p in (root / "content").rglob("*"))
    (root / "content/a.md").write_text(ARTICLE.format(body="Third."))
    time.sleep(1)
    after = sorted(p.relative_to(root).as_posix() for p in (root / "content").rglob("*"))
    assert before == after


def test_sigterm_lets_a_build_under_way_save_its_cache(make_site):
    """Stopped right after a reload, the server still saves what the next build needs:
    that build then rewrites no more than a build with nothing to do."""
    import signal
    import subprocess
    import sys

    from digest.config import load_config
    from digest.pipeline import build
    root = make_site({f"a{n}.md": ARTICLE.replace("story: harbour", f"story: s{n}").format(
                      body=f"Report number {n} of the day.") for n in range(30)},
                     config="title: Live\nsearch: false\n")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "digest", "serve", "-C", str(root),
                             "--port", str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert any(line.startswith("serving") for line in proc.stdout)
        events = Events(port)
        path = root / "content" / "a7.md"
        path.write_text(path.read_text().replace("Report", "Corrected report"))
        events.wait_for("event: reload", 20)
        proc.send_signal(signal.SIGTERM)  # at once: the build is still saving its cache
        assert proc.wait(20) == 0
    finally:
        proc.kill()
    config, _ = load_config(root)
    after_stop = build(config).rewritten
    no_change = build(config).rewritten  # what any build rewrites (data and static files)
    # Killed at once instead (SIGKILL), the server lost the reload's cache 2 times in 3
    # here, and this build rewrote the edited article's pages too: 12 files, not 6.
    assert after_stop == no_change, (after_stop, no_change)


def _indexed_words(site: Path, shard: str = "*") -> bytes:
    """Return the text of the served search index's page fragments (gzip, as Pagefind
    writes them), in all shards or one, to look words up in."""
    import gzip
    return b"".join(gzip.decompress(f.read_bytes())
                    for f in sorted((site / "pagefind").glob(f"{shard}/fragment/*.pf_fragment")))


def _indexed(site: Path, state: Path) -> bool:
    """True once the served tree's search index is complete. search_pending alone also says
    None for a tree just put up, before its build has written its manifest: a test that
    looked then found the edited story's shard still missing (1 run in 6 to 12)."""
    from digest.stages import trees
    served = trees.active(site, state)
    return served is not None and str(served) in trees.load_manifests(site, state) \
        and trees.search_pending(site, state) is None


def _until(check, timeout: float) -> None:
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, "not within the time allowed"
        time.sleep(0.1)


def test_search_index_is_made_after_the_reload_and_follows_edits(make_site):
    """With search on, the page reloads without waiting for Pagefind (seconds at 10,000
    articles); the index of the new site follows in the background, and an edit made while
    Pagefind runs stops it, so the index in place is always that of the site served."""
    root = make_site({"a.md": ARTICLE.format(body="The ferry carried a marmalade cat.")},
                     config="title: Live\nsearch: true\n")
    site = root / "site"
    with serving(root, stopping=30) as port:
        _until(lambda: (site / "pagefind" / "shards.json").is_file(), 60)
        _until(lambda: _indexed(site, root / ".digest"), 60)
        assert b"marmalade" in _indexed_words(site)
        events = Events(port)
        time.sleep(0.2)
        for word in ("quokka", "pangolin"):  # the second edit may stop the first index
            (root / "content/a.md").write_text(ARTICLE.format(body=f"The ferry carried a {word}."))
            events.wait_for("event: reload", timeout=20)
            events.lines.clear()
        assert "pangolin" in get(port, "/articles/a/")[1]
        _until(lambda: _indexed(site, root / ".digest"), 60)
        words = _indexed_words(site)
        assert b"pangolin" in words and b"marmalade" not in words and b"quokka" not in words
        status, listed = get(port, "/pagefind/shards.json")
        assert status == 200 and json.loads(listed)["shards"] == ["0"]
        status, script = get(port, "/pagefind/0/pagefind.js")
        assert status == 200 and script
    assert not list((root / ".digest" / "trees").glob("*.search-new"))  # renamed in or away


def test_serve_makes_only_the_shard_of_the_edited_story_again(make_site, monkeypatch):
    """Four shards (one page each at most): the edited story's shard is made again after
    the reload; the other story's shard is left as it was, the very same files."""
    from digest import search

    monkeypatch.setattr(search, "SHARD_PAGES", 1)
    other = "---\ntitle: Library hours\nstory: library\n---\n\nThe library opens on Thursdays.\n"
    root = make_site({"a.md": ARTICLE.format(body="The ferry carried a marmalade cat."),
                      "b.md": other}, config="title: Live\nsearch: true\n")
    site, state = root / "site", root / ".digest"
    with serving(root, stopping=30) as port:
        _until(lambda: (site / "pagefind" / "shards.json").is_file(), 60)
        _until(lambda: _indexed(site, state), 60)
        listed = json.loads((site / "pagefind" / "shards.json").read_text())["shards"]
        assert listed == ["0", "2"]  # harbour's and library's, by the hash of their ids
        before = {n: (site / "pagefind" / n / "pagefind-entry.json").stat().st_ino for n in listed}
        harbour = next(n for n in listed if b"marmalade" in _indexed_words(site, n))
        events = Events(port)
        time.sleep(0.2)
        (root / "content/a.md").write_text(ARTICLE.format(body="The ferry carried a pangolin."))
        events.wait_for("event: reload", timeout=20)
        _until(lambda: _indexed(site, state), 60)
        after = {n: (site / "pagefind" / n / "pagefind-entry.json").stat().st_ino for n in listed}
        assert b"pangolin" in _indexed_words(site, harbour)
        library = next(n for n in listed if n != harbour)
        assert after[library] == before[library] and after[harbour] != before[harbour]
        assert b"Thursdays" in _indexed_words(site, library)
