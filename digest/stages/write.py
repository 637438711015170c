"""Write stage helpers: confined output paths, persisted story ids.

The site itself is published by digest.stages.trees.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path, PurePosixPath
from typing import Mapping

from digest.frontmatter import slugify
from digest.fsutil import atomic_write_text

log = logging.getLogger(__name__)

STATE_DIR = ".digest"
LOCK_FILE = "build.lock"  # in STATE_DIR: held by the build under way, with its pid
# in STATE_DIR: held shared by every build that waits for the lock or holds it, so that
# work that holds the lock only while nobody wants it (trees.catch_up) lets go at once
WANTED_FILE = "build.wanted"
STORY_IDS = "story-ids.json"


def confined(out: Path, rel: str) -> Path:
    """Return out/rel, refusing any path that would leave `out`."""
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise ValueError(f"refusing to write outside the output folder: {rel!r}")
    return out.joinpath(*pure.parts)


def read_story_ids(root: Path) -> dict[str, str]:
    """Return the article id -> story id map that earlier builds persisted."""
    path = root / STATE_DIR / STORY_IDS
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    # a damaged or edited file must not yield story ids that are not slugs (paths like ../x)
    return {k: v for k, v in data.items()
            if isinstance(k, str) and isinstance(v, str) and v and slugify(v) == v}


def write_story_ids(root: Path, mapping: Mapping[str, str],
                    known: Mapping[str, str] | None = None) -> None:
    """Persist article id -> story id so story pages keep their URLs as articles are added.
    `known` is read_story_ids' result when the caller has it; nothing is written when the
    map holds nothing new."""
    known = read_story_ids(root) if known is None else known
    merged = {**known, **mapping}
    if merged == known and (root / STATE_DIR / STORY_IDS).is_file():
        return
    atomic_write_text(root / STATE_DIR / STORY_IDS,
                      json.dumps(dict(sorted(merged.items())), indent=0) + "\n")
