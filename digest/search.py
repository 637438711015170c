"""Full-text search: a Pagefind index, written into the site before it is swapped in by
`digest build`, and after it by `digest serve` (digest.serve.indexing)."""
from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from typing import Callable

log = logging.getLogger(__name__)

BUNDLE = "pagefind"


class SearchError(Exception):
    """The search index could not be built; the message says why."""


def index_site(folder: Path, output: Path | None = None,
               running: Callable[[subprocess.Popen], None] | None = None) -> None:
    """Write Pagefind's index and scripts into folder/pagefind, or into `output` when given;
    raise SearchError on failure. `running` is handed the Pagefind process as soon as it
    starts, so a caller in another thread can stop it (`digest serve` does, when an edit
    makes the index it is building out of date)."""
    where = ["--output-path", str(output)] if output else ["--output-subdir", BUNDLE]
    cmd = [sys.executable, "-m", "pagefind", "--site", str(folder), *where, "--silent"]
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except OSError as exc:
        raise SearchError(f"search index: cannot run pagefind: {exc}") from None
    if running is not None:
        running(proc)
    try:
        stdout, stderr = proc.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise SearchError("search index: pagefind took over 600 s and was stopped") from None
    if proc.returncode != 0 or not ((output or folder / BUNDLE) / "pagefind.js").is_file():
        detail = (stderr or stdout).strip().splitlines()[-1:] or ["no output"]
        raise SearchError(f"search index: pagefind failed ({proc.returncode}): {detail[0]} "
                          "(install digest's dependencies, or set `search: false`)")
