"""Browser fixtures: Debian's Chromium driven by Playwright, sites served by a real HTTP server."""
from __future__ import annotations

from pathlib import Path

import pytest

from httpkit import serve_folder


@pytest.fixture
def page(browser):
    context = browser.new_context()
    pg = context.new_page()
    yield pg
    context.close()


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
