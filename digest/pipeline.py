"""build(config) -> BuildReport: the stages in order, nothing else."""
from __future__ import annotations

import logging
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable

from digest import cache, catchup, fsutil, parallel, search
from digest.config import Config
from digest.models import Problem
from digest.stages import analyze, clean, export, group, read, render, trees, write

log = logging.getLogger(__name__)

OUTPUT_DIR = "site"
STAGES = ("read", "clean", "group", "analyze", "render", "write")


def _quiet(stage: str) -> None:
    """Default progress callback: say nothing."""


@dataclass(frozen=True)
class BuildReport:
    """What a build did: counts, problems, and whether it wrote the site."""

    articles: int = 0
    stories: int = 0
    files: int = 0
    problems: tuple[Problem, ...] = ()
    written: bool = False
    seconds: float = 0.0
    output: Path = field(default_factory=Path)
    rewritten: int = 0  # files rendered anew; the rest were unchanged and linked
    # content files that changed although `changed` did not name them (build's `changed`)
    unreported: tuple[str, ...] = ()
    # files the tree this build took down lacks of the one it put up (the next build
    # would link them: catchup.start can do it before); 0 when surely below CATCH_UP_MIN
    idle_behind: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]


def build(config: Config, out: Path | None = None, drafts: bool = False,
          strict: bool = False, config_problems: tuple[Problem, ...] = (),
          keep_on_errors: bool = False, clean_cache: bool = False,
          progress: Callable[[str], None] = _quiet,
          warm: dict[str, Any] | None = None,
          published: Callable[[], None] | None = None,
          lock_timeout: float | None = None, defer_search: bool = False,
          detach: bool = False, changed: Iterable[str] | None = None,
          ahead: cache.Prefetch | None = None) -> BuildReport:
    """Read, clean, group, analyze, render and write the site.

    Nothing is written when `strict` and there is any problem, or when `keep_on_errors`
    (the dev server's mode: keep serving the last good site) and there is an error.
    Work whose inputs are unchanged comes from the cache in .digest/ unless `clean_cache`.
    A long-running caller passes the same `warm` dict to every build: the cache then stays
    in memory between builds instead of being read again (it is still saved each time).
    `published` is called as soon as the new site is in place, before the cache and state
    are saved (the dev server reloads pages then). With `defer_search` the site goes up
    before the stale shards of its search index are made anew, and the caller makes them
    (digest.serve.indexing).
    While another build of the site runs, this one waits for it to end, or raises
    fsutil.Busy after `lock_timeout` seconds. With `detach` the files the new site replaced
    are deleted by a process of their own after the build returns (a command about to
    exit); else before it returns.

    `changed` (with `warm`) names every path changed since the last build with that `warm`,
    as a file watcher reports them: the content files it does not name are then taken as
    they were, unlooked at, until the new site is up (read.read_changed). Only then are
    they all looked at, and the report names those that had changed anyway (`unreported`:
    the site shows them as they were; build again).

    `ahead` holds cache files a command started reading before it imported the build
    (cache.Prefetch); they are used only if unchanged since.
    """
    started = time.perf_counter()
    if not config.root.is_absolute():  # trees are found by their absolute paths
        config = replace(config, root=Path(os.path.abspath(config.root)))
    out = Path(os.path.abspath(out or config.root / OUTPUT_DIR))  # `site` itself may be a link
    if clean_cache:
        shutil.rmtree(config.root / render.TEMPLATE_CACHE, ignore_errors=True)
    # loaded in this order: the stories are needed last (see _build)
    names = (cache.ARTICLE_STORE, _page_store(config, out), cache.STORY_STORE)
    state = config.root / write.STATE_DIR
    # One build at a time per site folder: two would fill the same idle tree and flip to it
    # (`digest build` while `digest serve` rebuilds, or two terminals).
    # The cyclic collector is paused for the whole build: what a build makes forms no
    # garbage cycles worth collecting (a clean build at 10,000 articles peaks at the same
    # 0.8 GB without it), and its passes over millions of live objects cost 10 % of a
    # one-edit rebuild. Reference counting still frees everything as usual.
    # The cache stores are read on a thread of their own while the content files are looked
    # at: reading files, checking signatures and taking file statuses let go of the
    # interpreter lock (0.045 s of a 0.8 s one-edit build at 10,000 articles).
    # A build that waits for the lock says so (WANTED_FILE): a catch-up holding it stops.
    with fsutil.wanting(state / write.WANTED_FILE), \
            fsutil.exclusive(state / write.LOCK_FILE, _waiting, _unlocked, lock_timeout), \
            cache.no_collection(), \
            ThreadPoolExecutor(1, thread_name_prefix="digest-cache") as loader:
        _remove_litter(state)
        cache.signing_key()  # read or made here, once, not on two threads at a time
        opening = [loader.submit(_store, config, name, warm, clean_cache, ahead)
                   for name in names]

        def opened(later: tuple[str, ...] = ()) -> dict[str, cache.Store]:
            """Return the stores once they are loaded, but for those named `later` (not
            waited for); when none is left for later, the loader's thread ends. A pool
            of worker processes forks only after that (parallel.settling): a process
            forked while another thread works can inherit locks that thread held."""
            stores = {name: f.result() for name, f in zip(names, opening) if name not in later}
            if not later:
                loader.shutdown()
                if ahead is not None:
                    ahead.wait()
            return stores
        with parallel.settling(opened):
            return _build(config, out, drafts, strict, config_problems, keep_on_errors,
                          clean_cache, progress, warm, opened, started, published, defer_search,
                          detach, changed)


def _waiting(holder: str) -> None:
    if holder.endswith(catchup.LABEL):  # it stops within one file, as this build wants the lock
        log.info("waiting for process %s to stop", holder)
        return
    log.warning("another build of this site is running (process %s): waiting for it to end",
                holder)


def _unlocked(why: str) -> None:
    log.warning("building without the lock that keeps two builds of this site apart (%s)", why)


def _remove_litter(state: Path) -> None:
    """Remove what killed builds left in .digest/: temporary files of atomic writes (in it,
    in its cache and beside the trees, never inside a tree) and the digest.json index of
    versions that kept one per site folder. Called with the build lock held, so no build
    under way is writing them."""
    folders = [state, state / trees.TREES_DIR,
               *(p for p in (state.parent / cache.CACHE_DIR).glob("**/") if p.is_dir())]
    litter = [tmp for folder in folders for tmp in folder.glob(".*.tmp")]
    for path in [*litter, state / "digest-json.index"]:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:  # left for a later build: litter never stops this one
            log.debug("could not remove %s: %s", path, exc)


def _build(config: Config, out: Path, drafts: bool, strict: bool,
           config_problems: tuple[Problem, ...], keep_on_errors: bool, clean_cache: bool,
           progress: Callable[[str], None], warm: dict[str, Any] | None,
           opened: Callable[..., dict[str, cache.Store]], started: float,
           published: Callable[[], None] | None, defer_search: bool,
           detach: bool, changed: Iterable[str] | None) -> BuildReport:
    progress("read")
    state = config.root / write.STATE_DIR
    if clean_cache:
        seen: dict[str, read.Seen] = {}  # every file read anew
    elif warm is not None and FILES in warm:
        seen = warm[FILES]
    else:
        seen = read.load_seen(state, config.root)
    # At 10,000 articles, looking at every file took 0.1 s of the 0.85 s from an edit to
    # the reload in `digest serve`; a watcher says which to look at.
    trusted = changed is not None and warm is not None and warm.get(SCANNED) is seen
    hinted = read.read_changed(config.root, seen, changed) if trusted else None
    if hinted is not None:
        files, problems = hinted, []
    else:
        files, problems = _scan(config.root, seen, warm)
    # The stories store is waited for only when grouping needs it: it loads while the
    # articles are cleaned (at 10,000 articles the build waited 26-37 ms for it here).
    caches = opened(later=(cache.STORY_STORE,))
    articles_cache, pages_cache = caches[cache.ARTICLE_STORE], caches[_page_store(config, out)]
    progress("clean")
    article_fps: dict[str, str] = {}
    articles, found = clean.clean_all(files, config, drafts=drafts, cache=articles_cache,
                                      fps_out=article_fps)
    problems = [*config_problems, *problems, *found]
    progress("group")
    known_ids = write.read_story_ids(config.root)

    def features() -> cache.Store:  # opened only when articles must be grouped anew
        if FEATURES not in caches:
            caches[FEATURES] = _store(config, FEATURES, warm, clean_cache)
        return caches[FEATURES]
    memo = warm.setdefault(STORIES, {}) if warm is not None else None
    caches.update(opened())  # all of them now: the stages after this one may fork
    stories_cache = caches[cache.STORY_STORE]
    stories, story_ids = group.form_stories(articles, known_ids, cache=stories_cache,
                                            features=features, memo=memo)
    progress("analyze")
    story_fps: dict[str, str] = {}
    stories = analyze.analyze_all(stories, {a.id: a for a in articles}, config.summary_max_words,
                                  cache=stories_cache, fps_out=story_fps)
    progress("render")
    manifests = trees.load_manifests(out, state)
    served = trees.active(out, state)
    held = manifests.get(str(served), {})  # what the served tree holds
    # What the served site holds, with what each file was made from, as its manifest says (a
    # site folder of a version before trees has none: every page is rendered again then).
    existing = {} if clean_cache else held
    reuse = None if clean_cache else _json_lines(warm, served, held.get("digest.json"))
    stage = state / trees.TREES_DIR  # where digest.json is written ahead (export.Staged)
    stage.mkdir(parents=True, exist_ok=True)
    rendered = render.render_site(config, articles, stories, pages_cache, existing,
                                  reuse, (story_fps, article_fps), stage)
    try:
        files_total = len(rendered.fps)
        report = BuildReport(len(articles), len(stories), files_total, tuple(problems), False,
                             0.0, out, len(rendered.files))
        if (strict and problems) or (keep_on_errors and report.errors):
            return _done(report, started)
        progress("write")
        shards = search.plan(rendered.fps, rendered.searchable) if config.search else None
        removed = trees.publish(out, rendered.files, rendered.fps, state, shards,
                                None if defer_search else search.make_shards,
                                manifests=manifests, published=published, detach=detach)
    finally:
        export.discard_staged(rendered.files)  # what no tree took
    write.write_story_ids(config.root, story_ids, known_ids)
    shown = trees.active(out, state)  # the tree just put up
    if shown is not None:
        export.save_index(shown, rendered.fps["digest.json"], rendered.records)
        # The served tree, now idle, holds `held` (none if none). Only files made anew can
        # differ, and it has at most len(held) - len(fps) more than the new one besides:
        # below that bound, counting them (2 ms at 10,000 articles) can tell nothing.
        if shown != served and (2 * len(rendered.files) + len(held) - len(rendered.fps)
                                >= trees.CATCH_UP_MIN):
            report = replace(report, idle_behind=sum(map(len, trees.out_of_date(held, rendered.fps))))
    if hinted is not None:  # the site is up: now look at every file, as a build would have
        used = {f.path: f.digest for f in files}
        again, found_now = _scan(config.root, seen, warm)
        now = {f.path: f.digest for f in again}
        differ = {path for path in used.keys() | now.keys() if used.get(path) != now.get(path)}
        report = replace(report, unreported=tuple(sorted(differ | {p.file for p in found_now})))
    read.save_seen(state, seen)
    for store in caches.values():
        cache.save_store(store)
    removed()
    if warm is not None:
        scanned = warm.get(SCANNED)
        kept = warm.get(FEATURES)  # not opened this build: still the one on disk
        warm.clear()
        warm.update(caches)
        if kept is not None and FEATURES not in caches:
            warm[FEATURES] = kept
        warm[FILES] = seen
        if scanned is seen:
            warm[SCANNED] = seen
        warm[STORIES] = memo
        warm[JSON_LINES] = (rendered.fps["digest.json"],
                            export.Reuse(os.fspath(out / "digest.json"), rendered.records))
    return _done(report, started, written=True)


FEATURES = "features"  # cache of what the last grouping was made from, opened only to regroup
FILES = "content files"  # in `warm`: what read_content read, by path (its `seen`)
# in `warm`: FILES again when a full look found no problem and no link, and every change
# since was read (read.read_changed can go on from it); missing otherwise
SCANNED = "content files scanned"
JSON_LINES = "digest.json lines"  # in `warm`: (digest.json's fingerprint, export.Reuse)
# in `warm`: group.form_stories' memo (the caches in `warm` go by their store's name)
STORIES = "stories made"


def _scan(root: Path, seen: dict[str, read.Seen], warm: dict[str, Any] | None,
          ) -> tuple[list[read.SourceFile], list[Problem]]:
    """Look at every content file (read.read_content); record in `warm` whether a watcher's
    reports can stand in for the next look."""
    links: set[str] = set()
    files, problems = read.read_content(root, seen=seen, links=links)
    if warm is not None:
        if problems or links:
            warm.pop(SCANNED, None)
        else:
            warm[SCANNED] = seen
    return files, problems


def _page_store(config: Config, out: Path) -> str:
    """Return the name of the cache store of the pages made into `out`."""
    return f"pages-{cache.fingerprint(trees.output_key(out, config.root))}"


def _store(config: Config, name: str, warm: dict[str, Any] | None,
           clean_cache: bool, ahead: cache.Prefetch | None = None) -> cache.Store:
    """Return the cache namespace `name`: kept in memory by a long-running caller, else
    read from disk (empty with `clean_cache`), from `ahead` where it read the files."""
    if warm and name in warm and not clean_cache:
        return cache.carry(warm[name])
    return cache.open_store(config.root, name, enabled=not clean_cache, ahead=ahead)


def _json_lines(warm: dict[str, Any] | None, served: Path | None,
                known: str | None) -> export.Reuse | None:
    """Return where the record lines of the digest.json being served lie: kept in memory by
    a long-running caller, else from the index the last build left (export.previous_lines)."""
    if warm and JSON_LINES in warm and known is not None and warm[JSON_LINES][0] == known:
        return warm[JSON_LINES][1]
    return export.previous_lines(served, known)


def _done(report: BuildReport, started: float, written: bool = False) -> BuildReport:
    return replace(report, written=written, seconds=time.perf_counter() - started)
