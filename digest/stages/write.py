"""Write stage: put the rendered site in place atomically (the only disk writes of a build)."""
from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Callable, Mapping, Sequence

from digest.fsutil import atomic_write_text

log = logging.getLogger(__name__)

STATE_DIR = ".digest"
STORY_IDS = "story-ids.json"


def confined(out: Path, rel: str) -> Path:
    """Return out/rel, refusing any path that would leave `out`."""
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise ValueError(f"refusing to write outside the output folder: {rel!r}")
    return out.joinpath(*pure.parts)


def existing_files(out: Path) -> frozenset[str]:
    """Return the paths of the files in the current site folder (empty if there is none)."""
    if not out.is_dir():
        return frozenset()
    return frozenset(os.path.relpath(os.path.join(d, f), out).replace(os.sep, "/")
                     for d, _, names in os.walk(out) for f in names)


def write_site(out: Path, files: Mapping[str, bytes], kept: Sequence[str] = (),
               finish: Callable[[Path], None] | None = None) -> None:
    """Write `files`, and hard-link the `kept` files of the current site, into a fresh folder;
    run `finish` on it and swap it in for `out`. On any failure `out` is left untouched."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    made: set[Path] = set()
    try:
        for rel in sorted(kept):
            _link(confined(out, rel), confined(tmp, rel), made)
        for rel in sorted(files):
            path = confined(tmp, rel)
            _mkdir(path.parent, made)
            path.write_bytes(files[rel])
        if finish is not None:
            finish(tmp)
        os.chmod(tmp, 0o755)
        _swap(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _mkdir(folder: Path, made: set[Path]) -> None:
    if folder not in made:
        folder.mkdir(parents=True, exist_ok=True)
        made.add(folder)


def _link(old: Path, new: Path, made: set[Path]) -> None:
    """Put the unchanged file `old` at `new`: a hard link (no copy), or a copy across devices."""
    _mkdir(new.parent, made)
    try:
        os.link(old, new)
    except OSError:
        shutil.copy2(old, new)


def _swap(new: Path, out: Path) -> None:
    """Replace `out` by `new` with renames, so readers see the old or the new site, whole."""
    if not out.exists():
        os.rename(new, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rmdir(old)
    os.rename(out, old)
    try:
        os.rename(new, out)
    except BaseException:
        os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def read_story_ids(root: Path) -> dict[str, str]:
    """Return the article id -> story id map that earlier builds persisted."""
    path = root / STATE_DIR / STORY_IDS
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def write_story_ids(root: Path, mapping: Mapping[str, str]) -> None:
    """Persist article id -> story id so story pages keep their URLs as articles are added."""
    merged = {**read_story_ids(root), **mapping}
    atomic_write_text(root / STATE_DIR / STORY_IDS,
                      json.dumps(dict(sorted(merged.items())), indent=0) + "\n")
