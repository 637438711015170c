"""Build cache: content-hash keyed records kept in .digest/cache/ between builds.

One pickle file per namespace (articles, analysis, pages), read once at the start of a
build and written atomically at the end. Every file carries the digest version and a
format tag; a file that is damaged or from another version is dropped and rebuilt.
"""
from __future__ import annotations

import hashlib
import logging
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digest import __version__
from digest.fsutil import atomic_write_bytes

log = logging.getLogger(__name__)

CACHE_DIR = Path(".digest") / "cache"
FORMAT = f"digest-cache-1/{__version__}"


def fingerprint(*parts: Any) -> str:
    """Return a stable hash of `parts` (strings, numbers, tuples and lists of them)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr(parts).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


@dataclass
class Store:
    """One namespace: key -> (fingerprint, value); entries not used in a build are dropped."""

    path: Path
    entries: dict[str, tuple[str, Any]] = field(default_factory=dict)
    used: dict[str, tuple[str, Any]] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0

    def get(self, key: str, fp: str) -> Any | None:
        """Return the cached value for `key` if it was stored with fingerprint `fp`."""
        entry = self.entries.get(key)
        if entry is not None and entry[0] == fp:
            self.used[key] = entry
            self.hits += 1
            return entry[1]
        self.misses += 1
        return None

    def put(self, key: str, fp: str, value: Any) -> None:
        self.used[key] = (fp, value)


def open_store(root: Path, name: str, enabled: bool = True) -> Store:
    """Return the cache namespace `name` of the site at `root` (empty when disabled or damaged)."""
    path = root / CACHE_DIR / f"{name}.pickle"
    if not enabled or not path.is_file():
        return Store(path)
    try:
        with path.open("rb") as fh:
            tag, entries = pickle.load(fh)
        if tag != FORMAT or not isinstance(entries, dict):
            raise ValueError(f"format {tag!r}")
    except Exception as exc:  # any damage: start again, never trust a partial cache
        log.warning("cache %s is unusable (%s); rebuilding it", path, exc)
        return Store(path)
    return Store(path, entries)


def save_store(store: Store) -> None:
    """Write the entries used by this build (stale ones are dropped) atomically."""
    data = pickle.dumps((FORMAT, store.used), protocol=pickle.HIGHEST_PROTOCOL)
    atomic_write_bytes(store.path, data)
