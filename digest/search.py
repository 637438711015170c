"""Full-text search: a Pagefind index in shards, each made from the pages of some stories.

Pagefind cannot update an index in part (its issue #71): any change means reading every
page again, 36 s and 2.3 GB at 10,000 articles here. So the story and article pages are
split into shards by story, each indexed alone into `pagefind/<shard>/`, and the search
page merges them in the browser (Pagefind's mergeIndex). An edit to one article changes
the pages of its story only, so one shard is made again; the others are kept, or linked
from the other tree (digest.stages.trees). `pagefind/shards.json` names the shards a tree
holds.

The shards are made by `digest build` before the new site goes up, and by `digest serve`
after it (digest.serve.indexing).
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

from digest.fsutil import atomic_write_bytes, link_or_copy

log = logging.getLogger(__name__)

BUNDLE = "pagefind"  # the folder of the site that holds the shards
SHARDS_FILE = "shards.json"  # in BUNDLE: {"shards": [names]}, read by the search page
SHARD_PAGES = 400  # pages per shard aimed at: about 0.9 s of Pagefind here
# The browser fetches a little of every shard: a first search on a new page took 0.83 s
# with one index of the 10,000-article bench site, 0.93 s with 16 shards and 1.14 s with 32
# (bench/search.py); later searches 0.44, 0.32 and 0.40 s.
MAX_SHARDS = 32


class SearchError(Exception):
    """The search index could not be built; the message says why."""


@dataclass(frozen=True)
class Shard:
    """The pages one Pagefind index is made from, and a name for them with their content."""

    key: str
    pages: tuple[str, ...]


Plan = Mapping[str, Shard]  # shard name (its folder in BUNDLE) -> Shard


def shard_count(pages: int) -> int:
    """Return how many shards `pages` searchable pages are split into: a power of two, so
    that a site rarely crosses a boundary (each crossing moves every page, once)."""
    n = 1
    while n < MAX_SHARDS and n * SHARD_PAGES < pages:
        n *= 2
    return n


def plan(fps: Mapping[str, str], groups: Mapping[str, str]) -> dict[str, Shard]:
    """Split the pages in `groups` (output path -> the story it belongs to) into shards by
    story, named by their number; empty shards are left out. A shard's key names its pages
    and their fingerprints, and the Pagefind that indexes them."""
    pages = sorted(p for p in groups if p in fps)
    count = shard_count(len(pages))
    width = len(str(count - 1))
    buckets: dict[str, list[str]] = {}
    for page in pages:
        n = int.from_bytes(hashlib.blake2b(groups[page].encode(), digest_size=8).digest(), "big")
        buckets.setdefault(f"{n % count:0{width}d}", []).append(page)
    return {name: Shard(_key([(p, fps[p]) for p in members]), tuple(members))
            for name, members in sorted(buckets.items())}


def _key(pages: list[tuple[str, str]]) -> str:
    blob = json.dumps([_pagefind_version(), pages], separators=(",", ":"))
    return hashlib.blake2b(blob.encode(), digest_size=16).hexdigest()


@functools.cache
def _pagefind_version() -> str:
    from importlib import metadata  # 12 ms to import: only when search is on
    try:
        return metadata.version("pagefind")
    except metadata.PackageNotFoundError:
        return "unknown"


@functools.cache
def _command() -> tuple[str, ...]:
    """Pagefind's binary, run directly: through `python -m pagefind` each run starts
    Python first (0.2 s, times a shard count)."""
    try:
        from pagefind_bin import get_executable
        return (str(get_executable()),)
    except (ImportError, FileNotFoundError):
        return (sys.executable, "-m", "pagefind")


def write_shard_list(bundle: Path, names: Sequence[str]) -> None:
    """Write the list of shards the search page merges (sorted: the first is loaded first)."""
    bundle.mkdir(exist_ok=True)
    atomic_write_bytes(bundle / SHARDS_FILE,
                       json.dumps({"shards": sorted(names)}, separators=(",", ":")).encode())


def make_shards(tree: Path, shards: Plan, staging: Path,
                running: Callable[[subprocess.Popen], None] | None = None,
                stopped: threading.Event | None = None, workers: int | None = None) -> None:
    """Index each shard's pages in `tree` into staging/<name>, as many at a time as there
    are cores (up to 4: each Pagefind holds 100-150 MB); raise SearchError on the first
    failure. All 32 shards of the 10,000-article bench site took 24.5 s one at a time,
    16.4 s two at a time and 20.0 s three at a time on this 2-core machine (one Pagefind
    keeps about 1.5 cores busy). `running` is handed each Pagefind process as it starts,
    so that another thread can stop it (`digest serve` does, when an edit makes the index
    out of date); once `stopped` is set no more are started."""
    staging.mkdir(parents=True, exist_ok=True)
    names = sorted(shards)
    workers = workers or min(4, os.cpu_count() or 1)

    def one(name: str) -> None:
        if stopped is None or not stopped.is_set():
            index_pages(tree, shards[name].pages, staging / name, running)
    if len(names) <= 1 or workers == 1:
        for name in names:
            one(name)
        return
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(workers, thread_name_prefix="digest-pagefind") as pool:
        for future in [pool.submit(one, name) for name in names]:
            future.result()


def index_pages(tree: Path, pages: Sequence[str], output: Path,
                running: Callable[[subprocess.Popen], None] | None = None) -> None:
    """Write Pagefind's index of `pages` (paths in `tree`) and its scripts into `output`.
    Pagefind reads a folder, so the pages are linked into one beside `output` first, at
    their paths in the site: the index then holds their URLs."""
    source = output.with_name(output.name + ".pages")
    shutil.rmtree(source, ignore_errors=True)
    shutil.rmtree(output, ignore_errors=True)
    try:
        made: set[str] = set()
        for page in pages:
            dest = os.path.join(source, page)
            folder = os.path.dirname(dest)
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            link_or_copy(tree / page, dest)
        _run([*_command(), "--site", str(source), "--output-path", str(output), "--silent"],
             output, running)
    finally:
        shutil.rmtree(source, ignore_errors=True)


def _run(cmd: list[str], output: Path, running: Callable[[subprocess.Popen], None] | None) -> None:
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
    if proc.returncode != 0 or not (output / "pagefind.js").is_file():
        detail = (stderr or stdout).strip().splitlines()[-1:] or ["no output"]
        raise SearchError(f"search index: pagefind failed ({proc.returncode}): {detail[0]} "
                          "(install digest's dependencies, or set `search: false`)")
