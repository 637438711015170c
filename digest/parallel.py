"""Run a function over many items on all cores when that pays, in order, deterministically."""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 400  # below this many (light) items, worker start-up costs more than it saves
_shared: dict[str, Any] = {}  # set in worker processes only, by _init (inherited via fork)


def workers() -> int:
    """Return how many processes to use: DIGEST_WORKERS, else the cores we may run on."""
    if os.environ.get("DIGEST_WORKERS", "").isdigit():
        return max(1, int(os.environ["DIGEST_WORKERS"]))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def map_chunks(fn: Callable[[Any, Sequence[T]], list[R]], shared: Any, items: Sequence[T],
               chunk: int = 200, min_items: int = MIN_ITEMS) -> list[R]:
    """Return fn(shared, chunk) results for `items` in order, over a fork pool when large.

    `shared` (read-only data, e.g. all articles) and `items` themselves reach the workers
    through fork, not pickling: only (start, stop) bounds of each chunk go to a worker and
    only the results come back (pickling the articles and stories that pages hold cost the
    main process seconds at 10,000 articles, while the workers waited).
    """
    n = workers()
    if n < 2 or len(items) < min_items or "fork" not in multiprocessing.get_all_start_methods():
        return fn(shared, items)
    bounds = [(i, min(i + chunk, len(items))) for i in range(0, len(items), chunk)]
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_init,
                             initargs=(fn, shared, items)) as pool:
        return [r for part in pool.map(_run, bounds) for r in part]


def _init(fn: Callable, shared: Any, items: Sequence[Any]) -> None:
    _shared["fn"], _shared["data"], _shared["items"] = fn, shared, items


def _run(bounds: tuple[int, int]) -> list[Any]:
    start, stop = bounds
    return _shared["fn"](_shared["data"], _shared["items"][start:stop])
