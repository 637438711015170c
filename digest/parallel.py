"""Run a function over many items on all cores when that pays, in order, deterministically."""
from __future__ import annotations

import contextlib
import os
from typing import Any, Callable, Iterator, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")
M = TypeVar("M")

MIN_ITEMS = 400  # below this many (light) items, worker start-up costs more than it saves
_shared: dict[str, Any] = {}  # set in worker processes only, by _init (inherited via fork)
_settle: list[Callable[[], Any]] = []  # called before a pool forks (settling)


@contextlib.contextmanager
def settling(before_fork: Callable[[], Any]) -> Iterator[None]:
    """While the block runs, call `before_fork` before a pool of worker processes forks:
    it must end the threads the caller started, as a process forked while another thread
    works can inherit locks that thread held (pipeline.build's cache loader)."""
    _settle.append(before_fork)
    try:
        yield
    finally:
        _settle.remove(before_fork)


def workers() -> int:
    """Return how many processes to use: DIGEST_WORKERS, else the cores we may run on."""
    if os.environ.get("DIGEST_WORKERS", "").isdigit():
        return max(1, int(os.environ["DIGEST_WORKERS"]))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def map_chunks(fn: Callable[[Any, Sequence[T]], list[R]], shared: Any, items: Sequence[T],
               chunk: int = 200, min_items: int | None = None) -> list[R]:
    """Return fn(shared, chunk) results for `items` in order, over a fork pool when large.

    `shared` (read-only data, e.g. all articles) and `items` themselves reach the workers
    through fork, not pickling: only (start, stop) bounds of each chunk go to a worker and
    only the results come back (pickling the articles and stories that pages hold cost the
    main process seconds at 10,000 articles, while the workers waited).
    """
    return map_chunks_meanwhile(fn, shared, items, lambda: None, chunk, min_items)[0]


def map_chunks_meanwhile(fn: Callable[[Any, Sequence[T]], list[R]], shared: Any,
                         items: Sequence[T], meanwhile: Callable[[], M], chunk: int = 200,
                         min_items: int | None = None) -> tuple[list[R], M]:
    """Return map_chunks(fn, shared, items) and meanwhile(), which runs in this process while
    the workers work (else it would wait for them, leaving a core idle: a 10,000-article
    build spent 1.1 s encoding digest.json after its pages were rendered).

    `meanwhile` must not depend on the workers' results; the pool is forked before it runs.
    `min_items` defaults to MIN_ITEMS, read at each call.
    """
    n = workers()
    least = MIN_ITEMS if min_items is None else min_items
    forks = n >= 2 and len(items) >= least
    for before_fork in list(_settle) if forks else ():
        before_fork()
    ctx = _fork_context() if forks else None
    if ctx is None:  # meanwhile first: what it starts on threads (export.Staged) overlaps fn
        other = meanwhile()
        return fn(shared, items), other
    from concurrent.futures import ProcessPoolExecutor
    bounds = [(i, min(i + chunk, len(items))) for i in range(0, len(items), chunk)]
    with ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_init,
                             initargs=(fn, shared, items)) as pool:
        parts = pool.map(_run, bounds)  # submits every chunk now
        other = meanwhile()
        return [r for part in parts for r in part], other


def _fork_context() -> Any:
    """Return multiprocessing's fork context, or None where processes cannot fork. Imported
    only here, with the pool: 13 ms of every command otherwise, which most rebuilds never
    use."""
    import multiprocessing
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context("fork")


def _init(fn: Callable, shared: Any, items: Sequence[Any]) -> None:
    _shared["fn"], _shared["data"], _shared["items"] = fn, shared, items


def _run(bounds: tuple[int, int]) -> list[Any]:
    start, stop = bounds
    return _shared["fn"](_shared["data"], _shared["items"][start:stop])
