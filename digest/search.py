"""Full-text search: a Pagefind index written into the site before it is swapped in."""
from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

log = logging.getLogger(__name__)

BUNDLE = "pagefind"


class SearchError(Exception):
    """The search index could not be built; the message says why."""


def index_site(folder: Path) -> None:
    """Write Pagefind's index and scripts into folder/pagefind; raise SearchError on failure."""
    cmd = [sys.executable, "-m", "pagefind", "--site", str(folder), "--output-subdir", BUNDLE,
           "--silent"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SearchError(f"search index: cannot run pagefind: {exc}") from None
    if done.returncode != 0 or not (folder / BUNDLE / "pagefind.js").is_file():
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise SearchError(f"search index: pagefind failed ({done.returncode}): {detail[0]} "
                          "(install digest's dependencies, or set `search: false`)")
