"""`digest new DIR`: a ready site folder with a GitHub Pages workflow."""
from __future__ import annotations

from pathlib import Path

from digest import __version__

CONFIG = """\
# digest site configuration. Every key is optional; `digest build` reports mistakes
# with their line and warns about keys it does not know.

title: My digest
description: The day's stories, each summarised from its sources with citations.

# Where the site is published. For a GitHub Pages project site use
# https://USER.github.io/REPO/ ; pages link relatively, so any sub-path works.
base_url: /

language: en
timezone: UTC        # for datetimes written without a zone
theme: default       # themes/NAME/ if you add one; templates/ overrides single files
search: true         # build a Pagefind full-text index

summary:
  max_words: 120     # word budget of each merged summary

# Outlets that provenance cards describe. Articles name them with `outlet:`.
outlets:
  - name: Example Gazette
    domains: [example.org]
    homepage: https://example.org/
    description: A made-up daily used by the example article.

# `digest deploy` pushes site/ to this branch; cname writes a CNAME file.
deploy:
  remote: origin
  branch: gh-pages
  # cname: news.example.org
"""

EXAMPLE = """\
---
title: Example Gazette reports a new harbour bridge
outlet: Example Gazette
url: https://example.org/harbour-bridge
published: 2024-05-02
authors: [Ann Example]
story: harbour-bridge
---

The new harbour bridge opened on Thursday after four years of work. The mayor cut the
ribbon in front of a crowd of about 2,000 people.

"This bridge joins two halves of our city," the mayor said.
"""

GITIGNORE = "/site\n.digest/\n"

REQUIREMENTS = """\
# What the Pages workflow installs. Point this at where your digest comes from:
# a package index release, or a Git URL such as  digest @ git+https://github.com/OWNER/digest
digest==__VERSION__
"""

TEMPLATES_README = """\
Put templates here to override the theme's file by file, for example a copy of
`story.html` or `_card.html` from digest's built-in theme (digest/themes/default/templates).
Templates are Jinja2 with autoescaping always on.
"""

WORKFLOW = """\
# Build the digest and publish it with GitHub Pages (Settings > Pages > Source: GitHub Actions).
name: Publish digest
on:
  push:
    branches: [main]
  workflow_dispatch:
permissions:
  contents: read
  pages: write
  id-token: write
concurrency:
  group: pages
  cancel-in-progress: false
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: pip install -r requirements.txt
      - run: digest build --strict
      - run: digest check
      - uses: actions/upload-pages-artifact@v3
        with:
          path: site
  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""


def new_site(dest: Path) -> list[Path]:
    """Create a site folder at `dest` (which must not hold files) and return what was written."""
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest} is not empty: choose a new folder")
    files = {
        "config.yaml": CONFIG,
        "content/harbour-bridge.md": EXAMPLE,
        "templates/README.txt": TEMPLATES_README,
        ".gitignore": GITIGNORE,
        "requirements.txt": REQUIREMENTS.replace("__VERSION__", __version__),
        ".github/workflows/pages.yml": WORKFLOW,
    }
    written = []
    for rel, text in files.items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
