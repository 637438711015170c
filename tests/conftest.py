"""Shared fixtures: paths and a helper that makes a site folder."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium for the whole session (installed by scripts/install); one for all
    test folders, since Playwright's sync API allows one running instance per thread."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Chromium missing: run `bash scripts/install`"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()



@pytest.fixture
def make_site(tmp_path: Path):
    """Return a function that writes a site folder with config and content files."""
    def make(files: dict[str, str], config: str = "title: Test\n") -> Path:
        (tmp_path / "config.yaml").write_text(config, encoding="utf-8")
        for rel, text in files.items():
            path = tmp_path / "content" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return tmp_path
    return make


@pytest.fixture
def fixture_article(tmp_path: Path):
    """Return a function that puts named fixture articles into a fresh site."""
    def make(*names: str) -> Path:
        (tmp_path / "config.yaml").write_text("title: Test\n", encoding="utf-8")
        (tmp_path / "content").mkdir(exist_ok=True)
        for name in names:
            shutil.copy(FIXTURES / "content" / name, tmp_path / "content" / name)
        return tmp_path
    return make
