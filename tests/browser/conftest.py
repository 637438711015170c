"""Browser fixtures: Debian's Chromium driven by Playwright, sites served by a real HTTP server."""
from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium for the whole session (installed by scripts/install)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Chromium missing: run `bash scripts/install`"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    pg = context.new_page()
    yield pg
    context.close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def serve_folder(folder: Path, prefix: str = "") -> tuple[ThreadingHTTPServer, str]:
    """Serve `folder` on 127.0.0.1 (under /prefix/ when given); return the server and base URL."""
    root = folder
    if prefix:
        root = folder.parent / "_served"
        root.mkdir(exist_ok=True)
        (root / prefix).symlink_to(folder, target_is_directory=True)
    handler = functools.partial(_Quiet, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/" + (f"{prefix}/" if prefix else "")
    return server, base


@pytest.fixture
def served():
    """Return a function serving a folder over HTTP; servers stop after the test."""
    servers = []

    def start(folder: Path, prefix: str = "") -> str:
        server, base = serve_folder(folder, prefix)
        servers.append(server)
        return base
    yield start
    for s in servers:
        s.shutdown()
        s.server_close()
