"""Two site trees behind one symlink: bring the idle tree up to date, then flip the link.

`site` is a symbolic link to one of two trees kept in .digest/trees/. A build updates the tree that is not
being served, touching only the files whose fingerprint differs from what that tree holds
(its manifest), then replaces the link in one atomic rename. Readers always see one whole
site; a build that fails or is killed leaves the served tree untouched, and the next build
rewrites the idle tree from scratch because its manifest was withdrawn before any change.
"""
from __future__ import annotations

import contextlib
import glob
import hashlib
import itertools
import json
import logging
import os
import secrets
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Mapping

from digest.fsutil import atomic_write_bytes, link_or_copy, remove_detached
from digest.search import BUNDLE, SHARDS_FILE, Plan, Shard, write_shard_list
from digest.stages.export import Spliced, Staged, index_file, write_new
from digest.stages.write import confined

log = logging.getLogger(__name__)

Manifest = dict[str, str]  # output path -> fingerprint of its content


TREES_DIR = "trees"  # in .digest/: the two trees of each output folder, their manifests and indexes
TRASH = ".trash-"  # tree name + this + a random tag: what one build replaced, to be deleted


def output_key(out: Path, root: Path) -> str:
    """Return what names the output folder `out` of the site in `root`: its path within the
    site folder ("site"), so the site folder can be moved or renamed and keep its trees
    and caches (the link to the served tree is relative); else its absolute path."""
    out, root = os.path.abspath(out), os.path.abspath(root)
    inside = os.path.commonpath([out, root]) == root
    return Path(os.path.relpath(out, root)).as_posix() if inside else out


def trees(out: Path, state: Path) -> tuple[Path, Path]:
    """Return the two tree folders, under the state folder, that `out` can point to."""
    tag = hashlib.blake2b(output_key(out, state.parent).encode(), digest_size=4).hexdigest()
    return state / TREES_DIR / f"{out.name}-{tag}-a", state / TREES_DIR / f"{out.name}-{tag}-b"


def active(out: Path, state: Path) -> Path | None:
    """Return the tree `out` points to now, or None when `out` is missing or a plain folder."""
    if not out.is_symlink():
        return None
    target = Path(os.path.normpath(out.parent / os.readlink(out)))
    return target if target in trees(out, state) and target.is_dir() else None


def manifest_file(tree: Path) -> Path:
    """Return where the manifest of a tree is kept: beside it, as JSON (never runs code)."""
    return tree.with_name(tree.name + ".json")


def load_manifests(out: Path, state: Path) -> dict[str, Manifest]:
    """Return tree path -> manifest, for the trees of `out` whose manifest the last build
    left (a tree without one counts as unknown and is rewritten from scratch)."""
    found = {}
    for tree in trees(out, state):
        try:
            data = json.loads(manifest_file(tree).read_bytes())
        except (OSError, ValueError):  # missing or damaged
            continue
        if isinstance(data, dict) and all(isinstance(k, str) and isinstance(v, str)
                                          for k, v in data.items()):
            found[str(tree)] = data
    return found


def _save_manifest(tree: Path, manifest: Mapping[str, str]) -> None:
    # ASCII with escapes: any odd path (even a lone surrogate) round-trips
    atomic_write_bytes(manifest_file(tree),
                       json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode())


def search_stamp(tree: Path) -> Path:
    """Return the file beside `tree` that records its search shards: those its pages call
    for (digest.search.plan) and the key of each shard it holds."""
    return tree.with_name(tree.name + ".search")


def _read_stamp(tree: Path) -> tuple[dict[str, Shard], dict[str, str]]:
    """Return (the shards `tree` calls for, name -> key of each shard it holds made)."""
    try:
        data = json.loads(search_stamp(tree).read_bytes())
        wanted = {name: Shard(v["key"], tuple(v["pages"])) for name, v in data["wanted"].items()}
        made = {name: key for name, key in data["made"].items() if isinstance(key, str)}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):  # none, or damaged
        return {}, {}
    return wanted, made


def _write_stamp(tree: Path, wanted: Mapping[str, Shard], made: Mapping[str, str]) -> None:
    data = {"wanted": {n: {"key": s.key, "pages": list(s.pages)} for n, s in wanted.items()},
            "made": dict(made)}
    atomic_write_bytes(search_stamp(tree), json.dumps(data, sort_keys=True,
                                                      separators=(",", ":")).encode())


def plan_key(wanted: Mapping[str, Shard]) -> str:
    """Return a name for a whole plan of shards."""
    return hashlib.blake2b(json.dumps(sorted((n, s.key) for n, s in wanted.items())).encode(),
                           digest_size=16).hexdigest()


def search_pending(out: Path, state: Path) -> tuple[Path, dict[str, Shard], str] | None:
    """Return the served tree, the shards of its search index that are stale (a build put it
    up with them stale, deferring the index) and plan_key of all it calls for; None when
    none is stale."""
    tree = active(out, state)
    if tree is None or str(tree) not in load_manifests(out, state):
        return None
    wanted, made = _read_stamp(tree)
    stale = {n: s for n, s in wanted.items() if made.get(n) != s.key}
    return (tree, stale, plan_key(wanted)) if stale else None


def search_staging(tree: Path) -> Path:
    """Return where the stale shards of `tree` are made before they are moved in."""
    return tree.with_name(tree.name + ".search-new")


def install_search(out: Path, state: Path, tree: Path, key: str, made: Mapping[str, str],
                   aside: Path) -> bool:
    """Move the shards made in search_staging(tree) (`made`: name -> key) into `tree`, if
    `out` still serves `tree` and it calls for the shards named by `key` (plan_key), and
    the shards they replace into `aside` (a free name, for the caller to delete); else
    leave everything as it is and return False. Call with the build lock held.

    Each old shard is renamed aside and the new one renamed in: readers see one or the
    other, or for the microseconds between the renames neither (`digest serve` only)."""
    wanted, held = _read_stamp(tree)
    if active(out, state) != tree or str(tree) not in load_manifests(out, state) \
            or plan_key(wanted) != key:
        return False

    def put_aside(shard: Path, name: str) -> None:
        aside.mkdir(exist_ok=True)
        os.rename(shard, aside / name)
    _move_in(tree, made, held, put_aside)
    _record_shards(tree, wanted, held)
    return True


def _move_in(tree: Path, made: Mapping[str, str], have: dict[str, str],
             put_aside: Callable[[Path, str], None]) -> None:
    """Rename the shards made in search_staging(tree) (`made`: name -> key) into the tree's
    index, each after `put_aside(old shard, name)` of the one it replaces, and note them
    in `have` (name -> key of the shards the tree holds)."""
    staging, bundle = search_staging(tree), tree / BUNDLE
    bundle.mkdir(exist_ok=True)
    for name, key in sorted(made.items()):
        if os.path.lexists(bundle / name):
            put_aside(bundle / name, name)
        os.rename(staging / name, bundle / name)
        have[name] = key


def _record_shards(tree: Path, wanted: Mapping[str, Shard], have: Mapping[str, str]) -> None:
    """Write the list of shards the tree holds for the search page, and its stamp."""
    write_shard_list(tree / BUNDLE, [n for n in wanted if (tree / BUNDLE / n).is_dir()])
    _write_stamp(tree, wanted, have)


def _search_shown(tree: Path, search: Mapping[str, Shard] | None, deferred: bool) -> bool:
    """True when `tree` holds the search index `search` calls for (None: no index), or, when
    `deferred`, has it recorded as called for (the caller makes the stale shards)."""
    if search is None:
        return not os.path.lexists(tree / BUNDLE)
    wanted, made = _read_stamp(tree)
    return wanted == dict(search) and (deferred or made == {n: s.key for n, s in search.items()})


def publish(out: Path, files: Mapping[str, bytes | Spliced | Staged], fps: Mapping[str, str],
            state: Path, search: Plan | None = None,
            make_index: Callable[[Path, Plan, Path], None] | None = None,
            manifests: Mapping[str, Manifest] | None = None,
            published: Callable[[], None] | None = None,
            detach: bool = False) -> Callable[[], None]:
    """Make `out` show exactly the outputs in `fps`: new bytes from `files`, the rest unchanged
    from the served tree. `manifests` is load_manifests' result when the caller has read it
    already in this build. `published` is called once `out` shows the
    new tree, before its manifest is written (without one, the tree would only be
    rewritten in full the next time it is idle).

    `search` is the plan of the search index's shards (digest.search.plan; None: no index).
    Shards whose pages are unchanged are kept, or linked from the served tree;
    `make_index(tree, stale shards, staging folder)` makes the rest before the new tree
    goes up. Without `make_index` the new tree goes up with the stale shards it held, and
    search_stamp records which they are: the caller makes them afterwards (search_pending,
    install_search). A served tree whose index is not what `search` calls for is published
    anew even when its pages are not.

    Returns a function to call before the build ends: it waits until the files that were
    replaced are gone (they are deleted meanwhile, in the background). With `detach` they
    are deleted by a process of their own (fsutil.remove_detached), which nothing waits
    for: a command that ends after the build need not wait for the deletion.
    The replaced files go into a folder of their own per build (TRASH), so a later build
    never fills a folder that is still being deleted; each build deletes those that killed
    builds left."""
    for stale in out.parent.glob(f".{glob.escape(out.name)}.link-*"):  # from a killed build:
        if stale.is_dir() and not stale.is_symlink():  # the old plain folder, swapped out
            shutil.rmtree(stale, ignore_errors=True)
        else:                                          # a link never put in place
            stale.unlink(missing_ok=True)
    current = active(out, state)
    if manifests is None:
        manifests = load_manifests(out, state)
    if current is not None and _shows(current, manifests.get(str(current)), files, fps) \
            and _search_shown(current, search, make_index is None):
        return lambda: None  # nothing to write, link or flip: `out` shows this site already
    idle = next(t for t in trees(out, state) if t != current)
    left = [p for t in trees(out, state)  # and ".trash" of versions before TRASH
            for p in t.parent.glob(glob.escape(t.name) + ".trash*")]
    trash = idle.with_name(f"{idle.name}{TRASH}{secrets.token_hex(6)}")
    held = manifests.get(str(idle)) if idle.is_dir() else None
    shards = _read_stamp(idle)[1] if held is not None else {}
    manifest_file(idle).unlink(missing_ok=True)  # withdrawn before the idle tree changes
    search_stamp(idle).unlink(missing_ok=True)
    fresh = held is None
    if fresh:  # an unknown tree is set aside whole and deleted once the new one is up
        if os.path.lexists(idle):
            os.rename(idle, trash)
        idle.mkdir(parents=True)
        held = {}
    source = current or (out if out.is_dir() and not out.is_symlink() else None)
    _update(idle, source, files, fps, held, trash, fresh)
    _update_search(idle, current, search, make_index, shards, trash)
    _flip(out, idle)
    if published is not None:
        published()
    _save_manifest(idle, fps)
    doomed = [t for t in [trash, *left, *_renamed(out, state)] if t.exists()]
    if not doomed or (detach and remove_detached(doomed)):
        return lambda: None
    remover = threading.Thread(target=lambda: [shutil.rmtree(t, ignore_errors=True)
                                               for t in doomed])
    remover.start()
    return remover.join


CATCH_UP_MIN = 100  # fewer out-of-date files than this in the idle tree: left to the build
# digest.json changes with nearly every edit, so the next build writes it anyway, and the
# index beside the served tree (export.save_index) notes its copy's status, which a new
# link to it would change (its ctime): a `digest build` could then not reuse its lines.
LEFT_TO_BUILDS = frozenset({"digest.json"})


def catch_up_due(out: Path, state: Path) -> bool:
    """True when catch_up has work to do (a look at the manifests: no lock needed)."""
    return _behind(out, state) is not None


def _behind(out: Path, state: Path) -> tuple[Path, Path, Manifest, Manifest, list[str],
                                             list[str]] | None:
    """Return the served tree, the idle one, their manifests, the files the idle tree must
    take from the served one and those it must drop, when they are CATCH_UP_MIN or more."""
    current = active(out, state)
    if current is None:
        return None
    idle = next(t for t in trees(out, state) if t != current)
    manifests = load_manifests(out, state)
    fps, held = manifests.get(str(current)), manifests.get(str(idle))
    if not os.path.lexists(idle):
        held = {}
    elif held is None or not idle.is_dir():
        return None  # an unknown idle tree is set aside whole by the next build anyway
    if fps is None:
        return None
    todo, gone = out_of_date(held, fps)
    if len(todo) + len(gone) < CATCH_UP_MIN:
        return None
    return current, idle, fps, held, todo, gone


def out_of_date(held: Manifest, fps: Manifest) -> tuple[list[str], list[str]]:
    """Return the files a tree holding `held` must take from one holding `fps` (all but
    LEFT_TO_BUILDS), and those it must drop."""
    todo = [rel for rel, fp in fps.items() if held.get(rel) != fp and rel not in LEFT_TO_BUILDS]
    return todo, sorted(held.keys() - fps.keys())


def catch_up(out: Path, state: Path, stop: Callable[[], bool]) -> int:
    """Bring the idle tree of `out` to the files of the served tree, one file at a time until
    `stop()` is true, and return how many were put in place. Call with the build lock held,
    between builds (`digest serve` does, while nothing is being edited).

    After a change to every page (the theme, the config, a new digest), the idle tree holds
    the old version of every file, and the next build would have to relink them all before
    its site goes up: 1.9-4.8 s from an edit to the reload in `digest serve` at 10,000
    articles here instead of 0.4 s, 28 s at 50,000. Made up to date beforehand, it takes
    only what that build changes. Each out-of-date file is replaced by a link to the
    served one (link beside it, rename over it: nobody waits for the old one to be freed
    here). The tree's manifest is withdrawn meanwhile and written once at the end with
    what the tree then holds, also when `stop` or an error ends it early; a process killed
    meanwhile leaves the tree unknown, to be rewritten by the next build. A missing idle
    tree (after the first build, or a clean one into a new folder) is made; one without a
    manifest is left to the build, which sets it aside. The search index and
    LEFT_TO_BUILDS are left as they are (publish keeps the index per shard)."""
    found = _behind(out, state)
    if found is None:
        return 0
    current, idle, fps, held, todo, gone = found
    manifest_file(idle).unlink(missing_ok=True)  # withdrawn while the tree changes
    idle.mkdir(exist_ok=True)  # beside the served tree: not made again if removed meanwhile
    held = dict(held)
    done = 0
    try:
        for rel in todo:
            if stop():
                return done
            dest = str(confined(idle, rel))
            folder, name = os.path.split(dest)
            if not os.path.isdir(folder):
                if not os.path.isdir(idle):  # removed meanwhile (.digest/ deleted): it is
                    raise FileNotFoundError(2, "removed meanwhile", str(idle))  # not remade
                os.makedirs(folder, exist_ok=True)
            tmp = os.path.join(folder, f".{name}.catch-up.tmp")
            try:
                link_or_copy(os.path.join(current, rel), tmp)
                os.replace(tmp, dest)
            except BaseException:  # no stray file left in the tree
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            held[rel] = fps[rel]
            done += 1
        for rel in gone:
            if stop():
                return done
            _remove(idle, rel)
            del held[rel]
        return done
    finally:
        if os.path.isdir(idle):  # a manifest beside no tree would name files that are gone
            _save_manifest(idle, held)


def _update_search(tree: Path, source: Path | None, search: Plan | None,
                   make_index: Callable[[Path, Plan, Path], None] | None,
                   made: Mapping[str, str], trash: Path) -> None:
    """Bring the search shards in `tree` (`made`: name -> key of those it held) to what
    `search` calls for: keep those whose pages are unchanged, link those the `source` tree
    holds up to date (a few hundred files each), and make the rest with `make_index`, or
    leave them stale. Shards no longer called for, or not known, go to `trash`."""
    bundle = tree / BUNDLE
    if search is None:
        if os.path.lexists(bundle):
            _set_aside(bundle, trash)
        return
    have = {}
    if os.path.isdir(bundle):
        for name in sorted(os.listdir(bundle)):
            if name == SHARDS_FILE:
                continue
            if name in search and name in made:
                have[name] = made[name]
            else:  # no longer called for, or from a version that kept one index
                _set_aside(bundle / name, trash)
    theirs = _read_stamp(source)[1] if source is not None else {}
    for name, shard in search.items():
        if have.get(name) != shard.key and theirs.get(name) == shard.key \
                and os.path.isdir(source / BUNDLE / name):
            if name in have:
                _set_aside(bundle / name, trash)
            _link_tree(source / BUNDLE / name, bundle / name)
            have[name] = shard.key
    stale = {n: s for n, s in search.items() if have.get(n) != s.key}
    if stale and make_index is not None:
        staging = search_staging(tree)
        shutil.rmtree(staging, ignore_errors=True)  # left by a killed build
        make_index(tree, stale, staging)
        _move_in(tree, {n: s.key for n, s in stale.items()}, have,
                 lambda shard, _name: _set_aside(shard, trash))
        shutil.rmtree(staging, ignore_errors=True)
    _record_shards(tree, search, have)


_aside = itertools.count()


def _set_aside(path: Path, trash: Path) -> None:
    """Move `path` into `trash`, deleted once the new tree is up."""
    trash.mkdir(exist_ok=True)
    os.rename(path, trash / f"search-{next(_aside)}")


def _link_tree(src: Path, dest: Path) -> None:
    """Make `dest` a copy of the folder `src` whose files are links to those of `src`."""
    for folder, _, names in os.walk(src):
        target = os.path.join(dest, os.path.relpath(folder, src))
        os.makedirs(target, exist_ok=True)
        for name in names:
            link_or_copy(os.path.join(folder, name), os.path.join(target, name))


def _renamed(out: Path, state: Path) -> list[Path]:
    """Return the trees of `out` as earlier builds named them, by its absolute path (now
    only outputs outside the site folder are), having removed their manifests and
    digest.json indexes: only `out` pointed to them, and they would be kept forever."""
    tag = hashlib.blake2b(os.path.abspath(out).encode(), digest_size=4).hexdigest()
    old = [state / TREES_DIR / f"{out.name}-{tag}-{x}" for x in "ab"]
    if old == list(trees(out, state)):
        return []
    for tree in old:
        for extra in (manifest_file(tree), index_file(tree), search_stamp(tree)):
            extra.unlink(missing_ok=True)
    return old


def _shows(tree: Path, manifest: Manifest | None, files: Mapping[str, bytes | Spliced | Staged],
           fps: Mapping[str, str]) -> bool:
    """True when `tree` holds exactly the outputs in `fps`, with the bytes of `files`.

    A page's fingerprint is that of its inputs, and a change of digest's code re-renders
    pages without changing it, so each file made anew is compared with the tree's copy.
    digest.json is not: its fingerprint covers its records and the code's. A build that
    changed nothing (6 small files made anew) then writes nothing; before, it filled the
    other tree, and the first one after a clean build linked every file into it (0.4 s
    at 10,000 articles, 1.9 s at 50,000).
    """
    if manifest != fps:
        return False
    for path, data in files.items():
        if isinstance(data, (Spliced, Staged)):
            continue
        try:
            if (tree / path).read_bytes() != data:
                return False
        except OSError:
            return False
    return True


def _update(tree: Path, source: Path | None, files: Mapping[str, bytes | Spliced | Staged],
            fps: Mapping[str, str], held: Manifest, trash: Path, fresh: bool = False) -> None:
    """Write changed outputs into `tree`, link unchanged ones from `source`, drop stale ones.

    A file the tree holds already is first moved into `trash`, which is deleted in the
    background once the new tree is up; its place is then free for a new file (a new
    inode: the old one may be a link to the served tree's copy). Replacing it in place
    (write beside, rename over) freed the old file before the site went up, 100 us a file
    on this machine's disk (ext4 mounted with discard): the first build after a change to
    every page (the theme, the site's title, a new digest) relinks every file of the other
    tree, and at 10,000 articles put its site up after 2.1-2.5 s; now after 0.9 s. The
    deletion then took 2.0-2.6 s more (3.2 s in a slower period), which `digest build` no
    longer waits for (publish's `detach`), and `digest serve` reloads the browser as soon
    as the site is up. A `fresh` tree (made empty just now) has nothing in the way. The
    search index is _update_search's.

    Many files are put in place by several threads (UPDATE_THREADS), each over its own run
    of outputs and into its own folder of `trash`: the system calls let go of the
    interpreter lock, and files in different folders do not wait for one another."""
    todo = [rel for rel, fp in fps.items() if held.get(rel) != fp]
    runs = max(1, min(UPDATE_THREADS, len(todo) // UPDATE_RUN))
    size = max(1, -(-len(todo) // runs))  # ceiling division: `runs` runs, or none
    parts = [(todo[i:i + size], None if fresh else trash / str(n))
             for n, i in enumerate(range(0, len(todo), size))]
    if not fresh:
        trash.mkdir()
        for _, aside in parts:
            aside.mkdir()
    if len(parts) == 1:
        _put(tree, source, files, *parts[0])
    elif parts:
        with ThreadPoolExecutor(len(parts), "digest-update") as pool:
            for done in [pool.submit(_put, tree, source, files, *part) for part in parts]:
                done.result()
    for rel in sorted(set(held) - set(fps)):
        _remove(tree, rel)


UPDATE_THREADS = 4  # relinking 12,600 files here: 0.51-0.77 s in 1 thread, 0.39-0.43 in 2-4
UPDATE_RUN = 500  # fewer outputs than this per thread are put in place by this one


def _put(tree: Path, source: Path | None, files: Mapping[str, bytes | Spliced | Staged],
         rels: list[str], aside: Path | None) -> None:
    """Put the outputs `rels` in `tree` (see _update), moving what is in the way into
    `aside` (None: nothing can be)."""
    made: set[str] = set()
    for n, rel in enumerate(rels):
        dest = str(confined(tree, rel))
        if aside is not None:  # whatever is in the way, even a file no manifest listed
            try:
                os.rename(dest, os.path.join(aside, str(n)))
            except FileNotFoundError:
                pass
        folder = os.path.dirname(dest)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        data = files.get(rel)
        if isinstance(data, Staged):
            data.place(dest)
        elif data is not None:
            write_new(dest, data)
        elif source is not None:
            link_or_copy(os.path.join(source, rel), dest)
        else:
            raise RuntimeError(f"{rel}: unchanged output with no site to take it from")


def _remove(tree: Path, rel: str) -> None:
    """Remove a stale output and the folders it leaves empty."""
    path = tree / rel
    path.unlink(missing_ok=True)
    for parent in path.parents:
        if parent == tree:
            break
        try:
            parent.rmdir()
        except OSError:
            break


def _flip(out: Path, tree: Path) -> None:
    """Point `out` at `tree` in one atomic step."""
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.link-", dir=out.parent)
    os.close(fd)
    os.unlink(tmp)
    os.symlink(os.path.relpath(tree, out.parent), tmp)
    if out.is_dir() and not out.is_symlink():  # a plain folder from before: swap it out
        if _exchange(tmp, out):  # atomic: `out` is never missing
            shutil.rmtree(tmp, ignore_errors=True)  # `tmp` now names the old folder
            return
        old = tree.parent / f"{out.name}-replaced"  # elsewhere: two renames, a brief gap
        shutil.rmtree(old, ignore_errors=True)
        os.rename(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
        return
    os.replace(tmp, out)


def _exchange(a: str, b: Path) -> bool:
    """Swap two paths atomically with Linux's renameat2(RENAME_EXCHANGE); False where unsupported."""
    import ctypes  # 5 ms, for a site folder from before trees only

    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    return fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0
