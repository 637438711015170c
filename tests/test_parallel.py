"""Work spread over worker processes gives what one process gives, in order."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from digest import parallel
from digest.config import load_config
from digest.pipeline import build

from test_build import tree

REPO = Path(__file__).resolve().parents[1]
needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="the pool forks its workers")


def _square_chunk(offset: int, items: list[int]) -> list[tuple[int, int]]:
    return [(x * x + offset, os.getpid()) for x in items]


@needs_fork
def test_chunks_come_back_in_order_and_meanwhile_runs_here(monkeypatch):
    monkeypatch.setenv("DIGEST_WORKERS", "2")
    items = list(range(1000))
    out, here = parallel.map_chunks_meanwhile(_square_chunk, 3, items, os.getpid, chunk=64)
    assert [v for v, _ in out] == [x * x + 3 for x in items]
    assert here == os.getpid()  # meanwhile ran in this process ...
    assert os.getpid() not in {pid for _, pid in out}  # ... and the chunks in workers
    assert parallel.map_chunks(_square_chunk, 0, items[:5], chunk=2) == \
        [(x * x, os.getpid()) for x in items[:5]]  # few items: no pool


@needs_fork
def test_demo_site_built_by_workers_is_the_site_one_process_builds(tmp_path, monkeypatch):
    """The demo is too small to reach the pool on its own: every stage is made to use it."""
    outputs = {}
    threads = []  # the threads running when the build forks workers: the pipeline's own
    fork_context = parallel._fork_context  # (the cache reader's) have ended by then
    monkeypatch.setattr(parallel, "_fork_context", lambda: threads.append(
        [t.name for t in threading.enumerate()]) or fork_context())
    for workers, least in (("1", parallel.MIN_ITEMS), ("2", 1)):
        src = tmp_path / f"w{workers}"
        shutil.copytree(REPO / "content", src / "content")
        (src / "config.yaml").write_text((REPO / "config.yaml").read_text() + "\nsearch: false\n")
        monkeypatch.setenv("DIGEST_WORKERS", workers)
        monkeypatch.setattr(parallel, "MIN_ITEMS", least)
        config, _ = load_config(src)
        report = build(config, clean_cache=True)
        assert report.written and not report.errors, report.problems
        outputs[workers] = tree(src / "site")
    assert outputs["1"] == outputs["2"]
    assert threads and not [n for names in threads for n in names if n.startswith("digest-")]
