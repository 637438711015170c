"""Build cache: content-hash keyed records kept in .digest/cache/ between builds.

A namespace (articles, stories, pages) is split into shards by key, one pickle file each
(bulky bytes such as article texts stored after the pickle, so that loading does not copy
them: see _dumps), read at the start of a build; at the end only the shards whose entries
changed are written, atomically. Every file carries the digest version and a format tag; a
file that is damaged or from another version is dropped and its entries rebuilt.

Unpickling runs code, and a site folder may come from someone else with its .digest/
inside, so every file is signed with a key kept outside the site, per user
(~/.cache/digest/cache-key, or $DIGEST_CACHE_KEY_FILE); a file whose signature does not
verify is never unpickled. Where no key can be kept, builds run without a cache.
"""
from __future__ import annotations

import contextlib
import gc
import hashlib
import hmac
import logging
import os
import pickle
import secrets
import struct
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from digest import __version__
from digest.fsutil import atomic_write_bytes, file_status

log = logging.getLogger(__name__)

CACHE_DIR = Path(".digest") / "cache"
ARTICLE_STORE = "articles"  # the cleaned articles (stages.clean.clean_all)
STORY_STORE = "stories"  # the groups and the analysed stories


def _code_hash() -> str:
    """Return a hash of digest's own source, so a changed analyzer never reuses old results."""
    h = hashlib.blake2b(digest_size=8)
    for f in sorted(Path(__file__).resolve().parent.rglob("*.py")):
        h.update(f.read_bytes())
    return h.hexdigest()


FORMAT = f"digest-cache-2/{__version__}/{_code_hash()}"
SHARDS = 16
MAGIC = b"digest-cache-signed-1\n"
_KEY: list[bytes | None] = []  # memo: the key, or None where none can be kept


def _key_file() -> Path:
    if os.environ.get("DIGEST_CACHE_KEY_FILE"):
        return Path(os.environ["DIGEST_CACHE_KEY_FILE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "digest" / "cache-key"


def signing_key() -> bytes | None:
    """Return this user's cache signing key, made on first use; None if it cannot be kept."""
    if not _KEY:
        _KEY.append(_read_or_make_key(_key_file()))
    return _KEY[0]


def _read_or_make_key(path: Path) -> bytes | None:
    try:
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
            try:
                os.link(tmp, path)  # atomic; if another build made one first, use theirs
            except FileExistsError:
                pass
            finally:
                os.unlink(tmp)
        key = path.read_bytes()
        if len(key) < 32:
            raise ValueError(f"{path} holds {len(key)} bytes, expected 32")
        return key
    except (OSError, ValueError) as exc:
        log.warning("build cache off: no signing key (%s)", exc)
        return None


def _sign(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def seal(data: bytes) -> bytes | None:
    """Return `data` signed with this user's key for a cache file (None: no key, no cache)."""
    key = signing_key()
    return None if key is None else MAGIC + _sign(key, data) + data


def unseal(raw: bytes) -> memoryview:
    """Return the data of a sealed cache file (a view of `raw`, not a copy: 45 ms of a
    rebuild at 10,000 articles), or raise ValueError when this user's key did
    not sign it (so it is never unpickled or unmarshalled)."""
    key = signing_key()
    mac, data = raw[len(MAGIC):len(MAGIC) + 32], memoryview(raw)[len(MAGIC) + 32:]
    if key is None or not raw.startswith(MAGIC) or not hmac.compare_digest(mac, _sign(key, data)):
        raise ValueError("not signed with this user's key, so not read")
    return data


def fingerprint(*parts: Any) -> str:
    """Return a stable hash of `parts` (strings, numbers, tuples and lists of them)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr(parts).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def text_fingerprint(*parts: str) -> str:
    """Return a stable hash of some strings: like fingerprint, but for long texts and for
    many parts (hashes their UTF-8 bytes instead of a repr)."""
    joined = _SEP.join(parts)
    if joined.count(_SEP) == len(parts) - 1:  # no part holds the separator: joined is
        h = hashlib.blake2b(b"j%d:" % len(parts), digest_size=16)  # unambiguous, and one
        h.update(joined.encode("utf-8", "surrogatepass"))          # call hashes it all
        return h.hexdigest()
    h = hashlib.blake2b(b"l", digest_size=16)  # else each part with its length
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


_SEP = "\x1f"  # ASCII unit separator: in no fingerprint, rare in text


def derived_fp(kind: str, *inputs: Any) -> str:
    """Return a fingerprint of a value made by this very code from `inputs` (fingerprints and
    plain values): equal inputs and code give an equal value, so hashing the value itself
    (which costs far more) tells nothing new."""
    return fingerprint(FORMAT, kind, inputs)


def content_hash(data: bytes) -> str:
    """Return a hash of some bytes (an output file's content)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _shard(key: str) -> int:
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % SHARDS


@dataclass
class Store:
    """One namespace: key -> (fingerprint, value); entries not used in a build are dropped."""

    folder: Path
    name: str
    entries: dict[str, tuple[str, Any]] = field(default_factory=dict)
    used: dict[str, tuple[str, Any]] = field(default_factory=dict)
    changed: set[int] = field(default_factory=set)
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

    def latest(self, key: str) -> Any | None:
        """Return the value last kept for `key`, whatever its fingerprint (None if none):
        for a value that the next one is made from (group.Grouping). As with get, it is
        kept for the next build only if put again."""
        entry = self.entries.get(key)
        return None if entry is None else entry[1]

    def put(self, key: str, fp: str, value: Any) -> None:
        """Keep `value` for `key`; its shard is written at the end if this is new."""
        old = self.entries.get(key)
        if old is None or old[0] != fp:
            self.changed.add(_shard(key))
        self.used[key] = (fp, value)

    def path(self, shard: int) -> Path:
        return self.folder / f"{self.name}.{shard:02d}.pickle"


def open_store(root: Path, name: str, enabled: bool = True,
               ahead: Prefetch | None = None) -> Store:
    """Return the cache namespace `name` of the site at `root` (empty when disabled), its
    files taken from `ahead` where it read them and they are still those files."""
    store = Store(root / CACHE_DIR, name)
    if not enabled or signing_key() is None:
        store.changed = set(range(SHARDS))
        return store
    for shard in range(SHARDS):
        store.entries.update(_load(store, shard, ahead))
    return store


class Prefetch:
    """Cache files read, and their signatures checked, on a thread of its own from as early
    as a command knows its site folder: `digest build` then imports its modules (0.1 s)
    while the files are read, which lets go of the interpreter lock, instead of reading them
    beside the look at every content file. Only open_store unpickles what was read, each
    file as soon as it is in (at 50,000 articles reading all takes 0.4 s), and only when
    the file is still the one read (a build that ran meanwhile may have replaced it)."""

    def __init__(self, root: Path, names: tuple[str, ...]) -> None:
        self.read: dict[str, tuple[tuple[int, ...], memoryview]] = {}
        folder = root / CACHE_DIR
        self._planned = [str(Store(folder, name).path(shard))
                         for name in names for shard in range(SHARDS)]
        self._done: set[str] = set()  # read, or failed to
        self._ended = False
        self._ready = threading.Condition()
        signing_key()  # read or made here, not on two threads at a time
        self._thread = threading.Thread(target=self._run, daemon=True, name="digest-prefetch")
        self._thread.start()

    def _run(self) -> None:
        try:
            for path in self._planned:
                try:
                    with open(path, "rb") as fh:
                        status = file_status(os.fstat(fh.fileno()))
                        self.read[path] = (status, unseal(fh.read()))
                except (OSError, ValueError):  # missing, or not ours: open_store tells
                    pass
                with self._ready:
                    self._done.add(path)
                    self._ready.notify_all()
        finally:
            with self._ready:
                self._ended = True
                self._ready.notify_all()

    def take(self, path: Path) -> memoryview | None:
        """Return the checked data of the file at `path` once it is read, if it is still
        that file; else None (then read it)."""
        key = str(path)
        if key not in self._planned:
            return None
        with self._ready:
            self._ready.wait_for(lambda: key in self._done or self._ended)
        found = self.read.pop(key, None)
        if found is None:
            return None
        try:
            now = file_status(os.stat(path))
        except OSError:
            return None
        return found[1] if found[0] == now else None

    def wait(self) -> None:
        """Return once the thread has ended (before a process forks)."""
        self._thread.join()


@contextlib.contextmanager
def no_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector (builds run under it, see pipeline.build): loading
    the cache creates millions of objects, and each collection that triggers walks all
    those made so far (at 10,000 articles loading took 0.8 s with it, 0.35 s without)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def carry(store: Store) -> Store:
    """Return the store as the next build would read it from disk after `save_store(store)`:
    what a long-running process (`digest serve`) keeps in memory instead of reloading."""
    return Store(store.folder, store.name, dict(store.used))


def _load(store: Store, shard: int, ahead: Prefetch | None = None) -> dict[str, tuple[str, Any]]:
    path = store.path(shard)
    if not path.is_file():
        store.changed.add(shard)
        return {}
    try:
        data = ahead.take(path) if ahead is not None else None
        if data is None:
            data = unseal(path.read_bytes())
        if data[:len(LAYOUT)] != LAYOUT:  # written by a digest before this layout
            log.debug("cache %s is from another digest version; rebuilding it", path)
            store.changed.add(shard)
            return {}
        # Another digest version or code: expected after an upgrade. Told before anything
        # is unpickled: the classes of the pickles may have changed since.
        tag = _tag()
        if data[len(LAYOUT):len(LAYOUT) + len(tag)] != tag:
            log.debug("cache %s is from another digest version or code; rebuilding it", path)
            store.changed.add(shard)
            return {}
        entries = _loads(data[len(LAYOUT) + len(tag):])
        if not isinstance(entries, dict):
            raise ValueError(f"expected a mapping, found {type(entries).__name__}")
    except Exception as exc:  # any damage: start the shard again, never trust part of it
        log.warning("cache %s is unusable (%s); rebuilding it", path, exc)
        store.changed.add(shard)
        return {}
    return entries


# A cache file's data (inside the seal): LAYOUT, the FORMAT tag and a newline (_tag), how
# many parts follow and each one's size (little-endian uint64), then the parts: a pickle
# (protocol 5), then the buffers it keeps out of band (Article texts, Story analyses),
# which loading does not copy.
LAYOUT = b"digest-cache-4\n"
_SIZE = struct.Struct("<Q")


def _tag() -> bytes:
    return FORMAT.encode("utf-8") + b"\n"


def _dumps(value: Any) -> bytes:
    """Return `value` pickled in the cache files' layout, LAYOUT and _tag() first."""
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(value, protocol=5, buffer_callback=buffers.append)
    parts = [memoryview(data), *(b.raw() for b in buffers)]
    sizes = [len(parts), *(p.nbytes for p in parts)]
    return b"".join([LAYOUT, _tag(), struct.pack(f"<{len(sizes)}Q", *sizes), *parts])


def _loads(data: memoryview) -> Any:
    """Return the value that _dumps made `data` from (LAYOUT cut off); the out-of-band
    buffers in it are views of `data`."""
    (count,) = _SIZE.unpack_from(data)
    if not 0 < count <= (len(data) - _SIZE.size) // _SIZE.size:
        raise ValueError(f"{count} parts in {len(data)} bytes")
    sizes = struct.unpack_from(f"<{count}Q", data, _SIZE.size)
    at = _SIZE.size * (count + 1)
    if at + sum(sizes) != len(data):
        raise ValueError(f"parts of {sum(sizes)} bytes, {len(data) - at} found")
    parts = []
    for size in sizes:
        parts.append(data[at:at + size])
        at += size
    return pickle.loads(parts[0], buffers=parts[1:])


def save_store(store: Store) -> None:
    """Write the shards that changed or lost entries (stale entries are dropped)."""
    if signing_key() is None:
        return
    dropped = {_shard(k) for k in store.entries.keys() - store.used.keys()}
    write = store.changed | dropped
    parts: dict[int, dict[str, tuple[str, Any]]] = {shard: {} for shard in write}
    for k, v in store.used.items():
        part = parts.get(_shard(k))
        if part is not None:
            part[k] = v
    for shard in sorted(write):
        sealed = seal(_dumps(parts[shard]))
        if sealed is not None:
            atomic_write_bytes(store.path(shard), sealed, durable=False)
