"""Helpers shared by the robustness tests: make sites, run digest, compare output trees."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Mapping

from digest.config import load_config
from digest.pipeline import BuildReport, build

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
REPO = HERE.parents[1]
CONFIG = "title: Robust\nsearch: false\n"
GOOD = ("---\ntitle: A good neighbour\noutlet: Harbour Times\npublished: 2024-03-04\n---\n\n"
        "The harbour reopened on Monday after a week of repairs, officials said.\n")


def write_site(root: Path, files: Mapping[str, str | bytes], config: str = CONFIG) -> Path:
    """Write config.yaml and content/<rel> for each file; return the site folder."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.yaml").write_text(config, encoding="utf-8")
    (root / "content").mkdir(exist_ok=True)
    for rel, data in files.items():
        path = root / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return root


def with_fixtures(root: Path, *names: str, config: str = CONFIG) -> Path:
    """Return a site holding the named fixture files and the good neighbour article."""
    write_site(root, {}, config)
    for name in (*names, "good_neighbour.md"):
        shutil.copy(FIXTURES / name, root / "content" / name)
    return root


def build_site(root: Path, **kwargs) -> BuildReport:
    """Build the site at `root` in this process and return the report."""
    config, warnings = load_config(root)
    return build(config, config_problems=tuple(warnings), **kwargs)


def run_digest(root: Path, *args: str, env: Mapping[str, str] | None = None,
               timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `digest ARGS -C root` in a fresh interpreter and return the finished process."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "digest.cli", *args, "-C", str(root)],
                          capture_output=True, text=True, errors="replace", timeout=timeout, env=full_env,
                          cwd=str(root))


def digest_cmd(root: Path, *args: str) -> list[str]:
    """Return the argv that runs `digest ARGS -C root`."""
    return [sys.executable, "-m", "digest.cli", *args, "-C", str(root)]


def tree(folder: Path) -> dict[str, str]:
    """Return relative path -> sha256 of every file below `folder` (symlinks as their target)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            out[path.relative_to(folder).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def problem_texts(report: BuildReport) -> list[str]:
    """Return every problem of a build as the one-line text users see."""
    return [str(p) for p in report.problems]
