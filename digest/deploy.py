"""`digest deploy`: commit site/ to a gh-pages branch and push it, leaving the work tree alone."""
from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


class DeployError(Exception):
    """Deployment cannot go on; the message says why."""


@dataclass(frozen=True)
class Deployed:
    branch: str
    commit: str
    pushed: bool
    changed: bool


def git(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run git and return its stdout; raise DeployError with git's message on failure."""
    done = subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise DeployError(f"git {args[0]} failed: {(done.stderr or done.stdout).strip()}")
    return done.stdout.strip()


def deploy(site_dir: Path, remote: str = "origin", branch: str = "gh-pages",
           message: str = "Publish digest", push: bool = True) -> Deployed:
    """Commit the contents of `site_dir` as the new tip of `branch` and push it to `remote`."""
    if not (site_dir / "index.html").is_file():
        raise DeployError(f"{site_dir} has no index.html: run `digest build` first")
    top = Path(git(["rev-parse", "--show-toplevel"], site_dir.parent))
    parent = _tip(top, remote, branch)
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index"), "GIT_WORK_TREE": str(site_dir),
               "GIT_DIR": git(["rev-parse", "--absolute-git-dir"], top)}
        git(["add", "--all", "--force", "."], site_dir, env)
        tree = git(["write-tree"], site_dir, env)
    if parent and git(["rev-parse", f"{parent}^{{tree}}"], top) == tree:
        return Deployed(branch, parent, False, False)
    commit = git(["commit-tree", tree, *(["-p", parent] if parent else []), "-m", message], top)
    git(["update-ref", f"refs/heads/{branch}", commit], top)
    if push:
        git(["push", remote, f"refs/heads/{branch}:refs/heads/{branch}"], top)
    return Deployed(branch, commit, push, True)


def _tip(top: Path, remote: str, branch: str) -> str:
    """Return the current tip of the branch (remote's if fetched, else local), or ''."""
    try:
        git(["fetch", "--quiet", remote, f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}"], top)
        return git(["rev-parse", "--verify", "--quiet", f"refs/remotes/{remote}/{branch}"], top)
    except DeployError:
        pass
    try:
        return git(["rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"], top)
    except DeployError:
        return ""
