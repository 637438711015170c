"""Incremental builds equal clean builds, byte for byte, after any sequence of edits."""
from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest import cache
from digest.config import load_config
from digest.pipeline import build
from digest.stages import render

PLACES = ["Velden", "Harrow", "Osterby", "Kalmar", "Tarn"]
EVENTS = ["flood", "fire", "election", "strike", "festival"]


def article(n: int, place: str, event: str, story: str | None, day: int, outlet: str) -> str:
    key = f"story: {story}\n" if story else ""
    return (f"---\ntitle: The {event} in {place} ({n})\noutlet: {outlet}\n"
            f"published: 2024-05-{day:02d}\n{key}---\n\n"
            f"The {event} in {place} drew about {n * 100} people on day {day}, officials in "
            f"{place} said. \u201cWe have never seen a {event} like this,\u201d Mayor Ann {place} said.\n\n"
            f"Reporters from {outlet} counted {n * 90} people at the {event} in {place}.\n")


FIELD_VALUES = {"note": ["Checked.", "Checked twice."], "tags": ["[a]", "[a, b]"],
                "kind": ["news", "analysis"], "outlet": ["Wire", "Post"],
                "standfirst": ["In short.", "Briefly."],
                "published": ["2024-04-30", "2024-05-02T23:30:00+02:00"]}  # moves month or day

edit = st.one_of(
    st.tuples(st.just("add"), st.integers(1, 40), st.sampled_from(PLACES), st.sampled_from(EVENTS),
              st.sampled_from([None, "one", "two"]), st.integers(1, 28),
              st.sampled_from(["Gazette", "Wire", "Post"])),
    st.tuples(st.just("delete"), st.integers(0, 99)),
    st.tuples(st.just("move"), st.integers(0, 99), st.sampled_from([None, "one", "two", "three"])),
    st.tuples(st.just("retitle"), st.integers(0, 99), st.text("abcdef ", min_size=1, max_size=12)),
    st.tuples(st.just("config"), st.integers(40, 200)),
    # front-matter the pages that list an article read (outlet, standfirst) or do not
    st.tuples(st.just("set"), st.integers(0, 99), st.sampled_from(sorted(FIELD_VALUES)),
              st.integers(0, 1)),
)


def apply(root: Path, step: tuple) -> set[str]:
    """Make the change `step` says; return the paths it wrote or removed (as a file
    watcher reports them)."""
    content = root / "content"
    files = sorted(content.glob("*.md"))
    kind = step[0]
    if kind == "add":
        n = len(list(content.glob("*.md"))) + step[1]
        path = content / f"a{n:03d}.md"
        path.write_text(article(*step[1:2], *step[2:]), encoding="utf-8")
        return {str(path)}
    if kind == "config":
        (root / "config.yaml").write_text(f"title: T\nsearch: false\nsummary:\n  max_words: {step[1]}\n")
        return {str(root / "config.yaml")}
    if files:
        path = files[step[1] % len(files)]
        text = path.read_text(encoding="utf-8")
        if kind == "delete":
            path.unlink()
        elif kind == "set":
            key, value = step[2], FIELD_VALUES[step[2]][step[3]]
            lines = [l for l in text.split("\n") if not l.startswith(f"{key}:")]
            lines.insert(1, f"{key}: {value}")
            path.write_text("\n".join(lines), encoding="utf-8")
        elif kind == "move":
            lines = [l for l in text.split("\n") if not l.startswith("story:")]
            if step[2]:
                lines.insert(1, f"story: {step[2]}")
            path.write_text("\n".join(lines), encoding="utf-8")
        else:
            path.write_text(text.replace("title: ", f"title: {step[2].strip() or 'x'} ", 1),
                            encoding="utf-8")
        return {str(path)}
    return set()


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def inodes(folder: Path) -> dict[str, int]:
    folder = folder.resolve()  # `site` is a link to the tree served now
    return {str(p.relative_to(folder)): p.stat().st_ino for p in folder.rglob("*") if p.is_file()}


def three_stories(make_site) -> Path:
    """Return a site folder with three articles, each in a story of its own."""
    return make_site({f"a{n}.md": article(n, PLACES[n % 5], EVENTS[n % 5], f"s{n}", 3 + n, "Wire")
                      for n in range(1, 4)}, config="title: T\nsearch: false\n")


def assert_equals_clean_build(root: Path, config) -> None:
    """What site/ holds after incremental builds equals a clean build's, byte for byte."""
    clean = build(config, out=root / "clean-site", clean_cache=True)
    assert clean.written and tree(root / "site") == tree(root / "clean-site")


@settings(max_examples=16, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(edit, min_size=1, max_size=6),
       mode=st.sampled_from(["disk", "memory", "watched"]))
def test_incremental_build_equals_clean_build(tmp_path_factory, monkeypatch, steps, mode):
    """Disk cache (`digest build`), the cache kept in memory (`digest serve`), or that and
    the paths a watcher reports (`digest serve`: only those files are looked at). Listings
    split by month over 3 articles, and by day over 4 in a month: edits cross both limits."""
    monkeypatch.setattr(render, "LIST_LIMIT", 3)
    monkeypatch.setattr(render, "MONTH_LIMIT", 4)
    warm = None if mode == "disk" else {}
    root = tmp_path_factory.mktemp("site")
    (root / "content").mkdir()
    (root / "config.yaml").write_text("title: T\nsearch: false\n")
    for n in range(4):
        apply(root, ("add", n + 1, PLACES[n % 5], EVENTS[n % 3], None, 3 + n, "Gazette"))
    config, _ = load_config(root)
    build(config, warm=warm)
    for step in steps:
        changed = apply(root, step)
        config, _ = load_config(root)
        incremental = build(config, warm=warm, changed=changed if mode == "watched" else None)
        clean = build(config, out=root / "clean-site", clean_cache=True)
        assert incremental.written and clean.written and not incremental.unreported
        assert tree(root / "site") == tree(root / "clean-site"), step


def test_a_front_matter_edit_rewrites_only_the_pages_it_affects(make_site):
    root = make_site({f"a{n}.md": article(n, PLACES[n % 5], EVENTS[n % 5], f"s{n}", 3 + n, "Wire")
                      for n in range(1, 9)}, config="title: T\nsearch: false\n")
    config, _ = load_config(root)
    first = build(config)
    assert first.rewritten == first.files
    path = root / "content" / "a3.md"
    path.write_text(path.read_text().replace("outlet: Wire", "outlet: Wire\nnote: Checked."))
    noted = build(config)
    before = inodes(root / "site")
    again = build(config)  # nothing changed: only digest.json and static files are redone
    assert again.rewritten < first.rewritten / 2
    after = inodes(root / "site")  # unchanged outputs are linked from the served tree
    assert [p for p in after if p.endswith((".html", ".xml")) and after[p] != before[p]] == []
    # a note shows on its article and story pages only: the pages that list the article
    # (home, archive, outlet, feeds) read none of it and are kept
    assert noted.rewritten == again.rewritten + 2, (noted.rewritten, again.rewritten)
    path.write_text(path.read_text().replace("title: ", "title: New ", 1))
    retitled = build(config)
    # a title adds the pages that list the article: the home page (the story's title is
    # its first article's), archive and outlet pages, the site's Atom and JSON feeds and
    # its outlet's
    assert retitled.rewritten == again.rewritten + 8, (retitled.rewritten, again.rewritten)
    assert "New The" in (root / "site" / "archive" / "index.html").read_text()


def test_the_served_trees_manifest_alone_says_which_pages_are_current(make_site):
    """The pages cache keeps no entry per page (12,600 at 10,000 articles, put and saved at
    every build): the manifests written with the trees name what each file was made from.
    Without any cache a note edit still renders its two pages alone, and a plain site
    folder (from before the trees) is rendered whole."""
    root = make_site({f"a{n}.md": article(n, PLACES[n % 5], EVENTS[n % 5], f"s{n}", 3 + n, "Wire")
                      for n in range(1, 7)}, config="title: T\nsearch: false\n")
    config, _ = load_config(root)
    first = build(config)
    again = build(config)
    names = {p.name.split(".")[0] for p in (root / ".digest" / "cache").glob("pages-*.pickle")}
    assert names and all(key.startswith(render.WIDE) for name in names
                         for key in cache.open_store(root, name).entries)
    shutil.rmtree(root / ".digest" / "cache")
    path = root / "content" / "a3.md"
    path.write_text(path.read_text().replace("outlet: Wire", "outlet: Wire\nnote: Checked."))
    noted = build(config)
    assert noted.rewritten == again.rewritten + 2, (noted.rewritten, again.rewritten)
    assert "Checked." in (root / "site" / "articles" / "a3" / "index.html").read_text()
    plain = root / "plain"
    shutil.copytree(root / "site", plain, symlinks=False)
    (root / "site").unlink()
    plain.rename(root / "site")
    assert build(config).rewritten == first.rewritten
    assert_equals_clean_build(root, config)


def test_an_added_article_renders_only_its_month_and_the_archive_index(make_site):
    # over LIST_LIMIT articles: an archive index and a page per month
    months = ("03", "04", "05")
    root = make_site({f"a{n:03d}.md": article(n, PLACES[n % 5], EVENTS[n % 5], None, 1 + n % 28,
                                              "Post").replace("2024-05-", f"2024-{months[n % 3]}-")
                      for n in range(1, 112)}, config="title: T\nsearch: false\n")
    config, _ = load_config(root)
    build(config)
    build(config)  # both trees hold the site: pages kept are linked, not written
    before = inodes(root / "site")
    (root / "content" / "a200.md").write_text(
        article(200, "Velden", "flood", None, 9, "Wire").replace("2024-05-", "2024-04-"))
    build(config)
    after = inodes(root / "site")
    archive = sorted(p for p in after if p.startswith("archive/") and after[p] != before.get(p))
    assert archive == ["archive/2024-04/index.html", "archive/index.html"]
    assert "(38)" in (root / "site/archive/index.html").read_text()  # 37 before
    assert "(3" not in (root / "site/archive/2024-03/index.html").read_text().split("<h2")[0]
    assert_equals_clean_build(root, config)


def test_a_theme_listing_more_of_an_article_is_rebuilt_when_that_changes(make_site, caplog):
    """A theme's archive that shows each article's note: the first render finds out that it
    reads beyond the listing fields, and from then on a note edit renders it again."""
    root = three_stories(make_site)
    default = (Path(__file__).parent.parent / "digest" / "themes" / "default" / "templates")
    listing = (default / "_listing.html").read_text()  # the list items of archive.html
    (root / "templates").mkdir()
    (root / "templates" / "_listing.html").write_text(
        listing.replace("{{ a.title }}</a>", "{{ a.title }}</a> {{ a.note }}"))
    config, _ = load_config(root)
    with caplog.at_level("INFO", logger="digest.stages.render"):
        build(config)
    assert "archive.html reads Article.note" in caplog.text
    path = root / "content" / "a2.md"
    path.write_text(path.read_text().replace("outlet: Wire", "outlet: Wire\nnote: Checked twice."))
    build(config)
    assert "Checked twice." in (root / "site" / "archive" / "index.html").read_text()
    assert_equals_clean_build(root, config)


def test_a_template_edited_between_builds_of_one_process_is_used(make_site):
    """A long-running process (digest serve) keeps its template environment between builds,
    and Jinja does not look at loaded templates again: the edit must still show, through
    the new environment that the theme's new fingerprint makes."""
    root = three_stories(make_site)
    (root / "templates").mkdir()
    missing = root / "templates" / "404.html"
    missing.write_text('{% extends "base.html" %}{% block main %}Lost at sea{% endblock %}')
    config, _ = load_config(root)
    warm: dict = {}
    build(config, warm=warm)
    assert "Lost at sea" in (root / "site" / "404.html").read_text()
    missing.write_text('{% extends "base.html" %}{% block main %}Nothing here{% endblock %}')
    build(config, warm=warm)
    assert "Nothing here" in (root / "site" / "404.html").read_text()
    assert_equals_clean_build(root, config)


def test_a_page_found_reading_more_is_rendered_again_even_when_the_cache_is_lost(make_site):
    """The pages cache keeps which templates read beyond the listing fields; it is saved
    after the site goes up. Lost with it (a build killed then, a deleted .digest/cache),
    the page that read more must still follow a note edit."""
    root = three_stories(make_site)
    (root / "templates").mkdir()
    (root / "templates" / "archive.html").write_text(
        '{% for day, arts in days %}{% for a in arts %}{{ a.title }} {{ a.note }}\n'
        '{% endfor %}{% endfor %}')
    config, _ = load_config(root)
    build(config)
    shutil.rmtree(root / ".digest" / "cache")
    path = root / "content" / "a2.md"
    path.write_text(path.read_text().replace("outlet: Wire", "outlet: Wire\nnote: Checked twice."))
    build(config)
    assert "Checked twice." in (root / "site" / "archive" / "index.html").read_text()


def built_site(make_site) -> tuple[Path, object, dict[str, bytes]]:
    """Return a built one-article site, its config and what its site/ holds."""
    root = make_site({"a.md": article(1, "Tarn", "fire", None, 4, "Post")},
                     config="title: T\nsearch: false\n")
    config, _ = load_config(root)
    build(config)
    return root, config, tree(root / "site")


def test_damaged_cache_is_detected_and_rebuilt(make_site):
    root, config, before = built_site(make_site)
    for f in (root / ".digest" / "cache").glob("*.pickle"):
        f.write_bytes(b"not a pickle")
    report = build(config)
    assert report.written and tree(root / "site") == before


class _Payload:
    """Unpickling this runs code: it stands for a cache file planted by someone else."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_foreign_cache_files_are_never_unpickled(make_site, tmp_path_factory):
    import pickle

    from digest.cache import FORMAT, MAGIC
    root, config, before = built_site(make_site)
    marker = tmp_path_factory.mktemp("planted") / "ran"
    shards = sorted((root / ".digest" / "cache").glob("*.pickle"))
    evil = pickle.dumps((FORMAT, {"x": ("fp", _Payload(str(marker)))}))
    for i, f in enumerate(shards):  # plain pickles, and ones posing as signed with a wrong key
        f.write_bytes(evil if i % 2 else MAGIC + b"\0" * 32 + evil)
    report = build(config)
    assert not marker.exists()
    assert report.written and tree(root / "site") == before


def test_cache_files_of_other_code_are_dropped_before_unpickling(make_site, tmp_path_factory,
                                                                caplog):
    """After an upgrade the cache's pickles may name classes whose shape changed (a field
    added): a file written by other code is told by its tag and dropped without a word,
    never unpickled, rather than failing to load with a warning."""
    from digest import cache
    root, config, before = built_site(make_site)
    marker = tmp_path_factory.mktemp("other") / "ran"
    real = cache.FORMAT
    try:
        cache.FORMAT = real + "-older"
        other = cache.seal(cache._dumps({"x": ("fp", _Payload(str(marker)))}))
    finally:
        cache.FORMAT = real
    for f in (root / ".digest" / "cache").glob("*.pickle"):
        f.write_bytes(other)
    with caplog.at_level("DEBUG", logger="digest.cache"):
        report = build(config)
    assert not marker.exists()
    assert "another digest version or code" in caplog.text
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
    assert report.written and tree(root / "site") == before


def test_compiled_templates_are_kept_signed_and_foreign_ones_never_run(make_site):
    import io
    import marshal
    import pickle

    from jinja2.bccache import bc_magic

    from digest.cache import MAGIC, unseal
    root, config, before = built_site(make_site)
    compiled = sorted((root / ".digest" / "cache" / "templates").glob("*.jinja"))
    assert compiled and all(f.read_bytes().startswith(MAGIC) for f in compiled)
    code = compile("raise SystemExit('planted template code ran')", "evil", "exec")
    for f in compiled:  # Jinja's own format, for the right source, posing as signed
        genuine = io.BytesIO(unseal(f.read_bytes())[len(bc_magic):])
        checksum = pickle.load(genuine)
        evil = bc_magic + pickle.dumps(checksum, 2) + marshal.dumps(code)
        f.write_bytes(MAGIC + b"\0" * 32 + evil)
    from digest.stages import render
    render._ENVIRONMENTS.clear()  # as in a new process: templates come from the files
    report = build(config, out=root / "again")  # every page rendered anew
    assert report.written and tree(root / "again") == before


def test_stories_kept_between_serve_builds_follow_every_field_they_are_made_from(make_site):
    """form_stories' memo (digest serve) gives what a call without it gives, after edits to
    each field stories are made from, and to the story ids known from earlier builds."""
    from dataclasses import replace

    from digest.stages import clean, group, read
    root = make_site({f"a{n}.md": article(n, PLACES[n % 2], EVENTS[n % 2], None, 3 + n, "Wire")
                      for n in range(1, 5)},
                     config="title: T\nsearch: false\n")
    config, _ = load_config(root)
    articles, _ = clean.clean_all(read.read_content(root)[0], config)
    memo: dict = {}
    known: dict[str, str] = {}
    steps = [lambda a: a, lambda a: [replace(a[0], pinned=True), *a[1:]],
             lambda a: [replace(a[0], weight=5), *a[1:]],
             lambda a: [replace(a[1], title="Another title"), *a[:1], *a[2:]],
             lambda a: [replace(a[1], story="s9"), *a[:1], *a[2:]],
             lambda a: a[:3]]
    ids = set()
    for step in steps:
        articles = step(articles)
        for known in ({}, {"a1": "kept-id"}):
            fresh = group.form_stories(articles, known)
            assert group.form_stories(articles, known, memo=memo) == fresh
            assert group.form_stories(articles, dict(known), memo=memo) == fresh  # from the memo
            ids |= {s.id for s in fresh[0]}
    assert "kept-id" in ids and "s9" in ids


def test_unchanged_files_are_not_read_again_and_same_tick_edits_are_not_missed(make_site,
                                                                               monkeypatch):
    from digest.stages import read
    root = make_site({f"a{n}.md": article(n, PLACES[n % 5], EVENTS[n % 3], None, 3 + n, "Post")
                      for n in range(1, 5)}, config="title: T\nsearch: false\n")
    config, _ = load_config(root)
    build(config)
    # an edit right after the build, same size, same second: the times may not change, but
    # the last look was too soon after the previous write to vouch for the content
    path = root / "content" / "a2.md"
    path.write_text(path.read_text().replace("Post", "Wire"))
    build(config)
    assert b"Wire" in (root / "site" / "articles" / "a2" / "index.html").read_bytes()
    monkeypatch.setattr(read, "SETTLED_NS", -10**18)  # as if every look came long after
    seen = read.load_seen(root / ".digest", root)
    files, _ = read.read_content(root, seen=seen)
    assert {type(f) for f in files} == {read.KnownFile}
    assert not any("text" in f.__dict__ for f in files)  # nothing read
    assert files[1].digest == read.SourceFile(files[1].path, path.read_text()).digest
    # the files are trusted unread, but a config change misses the cache: texts are read then
    (root / "config.yaml").write_text("title: T\nsearch: false\ntimezone: Asia/Tokyo\n")
    config, _ = load_config(root)
    incremental = build(config)
    clean = build(config, out=root / "clean-site", clean_cache=True)
    assert incremental.written and tree(root / "site") == tree(root / "clean-site")


def test_cached_articles_and_stories_are_decoded_only_when_read(make_site):
    import pickle

    from digest.models import Story
    from digest.stages import analyze, clean, read
    root = make_site({f"a{n}.md": article(n, "Tarn", "fire", "one", 3 + n, "Post")
                      for n in range(1, 4)}, config="title: T\nsearch: false\n")
    config, _ = load_config(root)
    articles, _ = clean.clean_all(read.read_content(root)[0], config)
    story = analyze.analyze_story(Story("one", "T", tuple(a.id for a in articles)), articles, 80)
    assert story.summary and story.quotes
    back = pickle.loads(pickle.dumps(story))  # as the build cache keeps it
    assert "_analysis" in back.__dict__ and "summary" not in back.__dict__
    assert back.title == story.title and "_analysis" in back.__dict__  # no decoding for that
    again = pickle.loads(pickle.dumps(back))  # pickled again unread: the same bytes kept
    assert again.__dict__["_analysis"] is not None and again == story
    assert back == story and "_analysis" not in back.__dict__  # comparing reads the analysis
    one = pickle.loads(pickle.dumps(articles[0]))
    assert "text" not in one.__dict__ and one.title == articles[0].title
    assert one.text == articles[0].text and one == articles[0]
    assert not hasattr(one, "no_such_field") and not hasattr(back, "no_such_field")


def built_events(make_site, count: int) -> tuple[Path, object]:
    """Return a built site of `count` articles on different events, and its config."""
    root = make_site({f"a{n}.md": article(n, PLACES[n % 5], EVENTS[n % 5], None, 3 + n, "Post")
                      for n in range(1, count + 1)}, config="title: T\nsearch: false\n")
    config, _ = load_config(root)
    build(config)
    return root, config


def calls(monkeypatch, module, name: str, ids) -> list[str]:
    """Wrap module.name to note the article ids `ids(args)` of each call; return the notes."""
    seen: list[str] = []
    real = getattr(module, name)
    monkeypatch.setattr(module, name, lambda *args: seen.extend(ids(*args)) or real(*args))
    return seen


def test_digest_json_copies_unchanged_lines_from_the_served_file(make_site, monkeypatch):
    from digest.stages import export
    root, config = built_events(make_site, 8)
    encoded = calls(monkeypatch, export, "article_record", lambda a: [a.id])
    path = root / "content" / "a3.md"
    path.write_text(path.read_text().replace("outlet: Post", "outlet: Post\nnote: Checked."))
    build(config)
    assert encoded == ["a3"]  # the other seven articles' lines were copied
    clean = build(config, out=root / "clean-site", clean_cache=True)
    assert (root / "site/digest.json").read_bytes() == (root / "clean-site/digest.json").read_bytes()
    # a served file changed by hand is not that the index describes: nothing is copied from it
    served = (root / "site/digest.json").resolve()
    served.write_bytes(served.read_bytes().replace(b"(5)", b"(X)"))  # another article's line
    encoded.clear()
    path.write_text(path.read_text().replace("Checked.", "Checked twice."))
    build(config)
    assert sorted(encoded) == [f"a{n}" for n in range(1, 9)]
    build(config, out=root / "clean-site", clean_cache=True)
    assert (root / "site/digest.json").read_bytes() == (root / "clean-site/digest.json").read_bytes()
    assert clean.written


def test_spliced_file_writes_through_memory_where_the_kernel_cannot_copy(tmp_path):
    import os

    from digest.stages.export import Spliced
    source = tmp_path / "old"
    source.write_bytes(b"0123456789")
    spliced = Spliced((b"<", (2, 3), b"|", (7, 3), b">"), str(source))
    assert bytes(spliced) == b"<234|789>" and len(spliced) == 9
    out = tmp_path / "new"
    fd = os.open(out, os.O_WRONLY | os.O_CREAT)
    spliced.write(fd)  # copy_file_range between two files
    os.close(fd)
    assert out.read_bytes() == b"<234|789>"
    read_end, write_end = os.pipe()  # the kernel will not copy a file range into a pipe
    spliced.write(write_end)
    os.close(write_end)
    assert os.read(read_end, 100) == b"<234|789>"
    os.close(read_end)


def test_digest_json_is_written_ahead_and_what_no_tree_takes_is_deleted(make_site, monkeypatch):
    """digest.json is written into a temporary file beside the trees while the pages render
    (export.Staged) and renamed into the tree; a build that stops before that (--strict,
    an error) or needs none leaves no temporary file behind."""
    import os
    import stat

    import pytest

    from digest.stages import export
    root, config = built_events(make_site, 8)
    trees_dir = root / ".digest" / "trees"
    made: list[str] = []
    placed: list[str] = []

    class Spy(export.Staged):
        def __init__(self, name, data, folder):
            super().__init__(name, data, folder)
            made.append(self.path)

        def place(self, path):
            super().place(path)
            placed.append(path)
    monkeypatch.setattr(render, "Staged", Spy)

    def litter() -> list[str]:
        return sorted(p.name for p in trees_dir.iterdir() if p.name.endswith(".tmp"))

    path = root / "content" / "a3.md"
    path.write_text(path.read_text().replace("outlet: Post", "outlet: Post\nnote: Checked."))
    assert build(config).written
    assert len(made) == 1 and len(placed) == 1 and placed[0].endswith("/digest.json")
    assert litter() == []
    served = root / "site"
    assert (served / "digest.json").stat().st_mode == (served / "index.html").stat().st_mode
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE((served / "digest.json").stat().st_mode) == 0o666 & ~umask
    build(config)  # nothing changed: nothing staged
    assert len(made) == 1
    assert_equals_clean_build(root, config)  # its digest.json too, and it stages one itself
    made.clear(), placed.clear()
    (root / "content" / "a9.md").write_text(article(9, "Tarn", "fire", None, 5, "Wire"))
    (root / "content" / "a10.md").write_text("---\ntitle: [unclosed\n---\n\nText.\n")
    assert not build(config, strict=True).written  # stops before the tree is touched
    assert len(made) == 1 and placed == [] and litter() == []
    (root / "content" / "a10.md").unlink()
    path.write_text(path.read_text().replace("Checked.", "Checked twice."))

    def fail(*args):
        raise RuntimeError("a page failed")
    monkeypatch.setattr(render, "_render_pages", fail)
    with pytest.raises(RuntimeError, match="a page failed"):
        build(config)
    assert len(made) == 2 and placed == [] and litter() == []


def test_cache_files_read_ahead_are_used_only_while_they_are_unchanged(make_site, monkeypatch):
    """`digest build` reads its cache files on a thread before it imports the build
    (cache.Prefetch); a file replaced since, or one that fails its signature check, is
    read as it is now, and the build equals a clean one."""
    from digest import cli
    root, config = built_events(make_site, 8)
    names = (cache.ARTICLE_STORE, cache.STORY_STORE)
    folder = root / cache.CACHE_DIR
    shards = sorted(folder.glob("articles.*.pickle"))
    assert len(shards) >= 3
    ahead = cache.Prefetch(root, names)
    ahead.wait()
    files = sorted(str(p) for name in names for p in folder.glob(f"{name}.*.pickle"))
    assert sorted(ahead.read) == files
    replaced, damaged = shards[0], shards[1]
    other = shards[2].read_bytes()  # signed, with other entries
    replaced.with_suffix(".new").write_bytes(other)
    replaced.with_suffix(".new").replace(replaced)  # a build saved it meanwhile
    taken = [p for p in shards if ahead.take(p) is not None]
    assert replaced not in taken and damaged in taken and len(taken) == len(shards) - 1
    # each file is handed over as soon as it is read: the first while the last is not
    import threading
    gate, calls, late, real_unseal = threading.Event(), [], [], cache.unseal

    def held(raw):
        calls.append(1)
        if len(calls) == len(files):
            late.append(not gate.wait(5))  # True: the test waited for this file too
        return real_unseal(raw)
    monkeypatch.setattr(cache, "unseal", held)
    ahead = cache.Prefetch(root, names)
    assert ahead.take(Path(files[0])) is not None
    assert ahead.take(root / cache.CACHE_DIR / "pages-x.00.pickle") is None  # not read ahead
    assert len(ahead.read) < len(files) - 1  # the last one is still being read
    gate.set()
    ahead.wait()
    assert late == [False]
    monkeypatch.setattr(cache, "unseal", real_unseal)
    ahead = cache.Prefetch(root, names)  # read ahead again, now with a damaged file
    damaged.write_bytes(b"not a cache file")
    ahead.wait()
    assert sorted(ahead.read) == [f for f in files if f != str(damaged)]
    assert (cache.open_store(root, cache.ARTICLE_STORE, ahead=ahead).entries.keys()
            == cache.open_store(root, cache.ARTICLE_STORE).entries.keys())
    used: list[str] = []
    real = cache.Prefetch.take

    def take(self, path):
        data = real(self, path)
        if data is not None:
            used.append(path.name)
        return data
    monkeypatch.setattr(cache.Prefetch, "take", take)
    path = root / "content" / "a3.md"
    path.write_text(path.read_text().replace("outlet: Post", "outlet: Post\nnote: Checked."))
    monkeypatch.setattr(cli, "_ENDS_AFTER", False)
    assert cli.main(["build", "-q", "-C", str(root)]) == 0
    assert {name.split(".")[0] for name in used} == set(names)
    assert_equals_clean_build(root, config)


def test_adding_an_article_extracts_grouping_features_for_it_alone(make_site, monkeypatch):
    from digest.analyze import group
    root, config = built_events(make_site, 6)
    made = calls(monkeypatch, group, "_features_chunk", lambda _, arts: [a.id for a in arts])
    (root / "content" / "a9.md").write_text(article(9, "Tarn", "fire", None, 5, "Wire"))
    build(config)
    assert made == ["a9"]  # the six others' features came from the cache
    assert_equals_clean_build(root, config)


def test_builds_to_two_output_folders_keep_their_own_digest_json_index(make_site, monkeypatch):
    from digest.stages import export
    root, config = built_events(make_site, 6)
    build(config, out=root / "other")  # its index must not replace site/'s
    encoded = calls(monkeypatch, export, "article_record", lambda a: [a.id])
    path = root / "content" / "a2.md"
    path.write_text(path.read_text().replace("outlet: Post", "outlet: Post\nnote: Checked."))
    build(config)
    assert encoded == ["a2"]


def test_a_moved_site_folder_keeps_its_trees_and_rerenders_nothing(make_site, monkeypatch):
    """Where the site folder lies is no input of any page: renamed, or named by a relative
    path, it keeps its two trees, and the build rewrites no more than a no-change build."""
    root = make_site({f"a{n}.md": article(n, PLACES[n % 5], EVENTS[n % 5], f"s{n}", 3 + n, "Wire")
                      for n in range(1, 7)}, config="title: T\nsearch: false\n")
    config, _ = load_config(root)
    build(config)
    unchanged = build(config).rewritten
    made = sorted(t.name for t in (root / ".digest" / "trees").iterdir() if t.is_dir())
    moved = root.with_name(root.name + "-moved")
    root.rename(moved)
    config, _ = load_config(moved)
    after_move = build(config)
    assert after_move.written and after_move.rewritten == unchanged
    monkeypatch.chdir(moved.parent)
    config, _ = load_config(Path(moved.name))  # relative
    assert build(config).rewritten == unchanged
    assert sorted(t.name for t in (moved / ".digest" / "trees").iterdir() if t.is_dir()) == made


def test_a_change_of_code_reaches_pages_whose_inputs_did_not_change(make_site, monkeypatch):
    """The search and 404 pages read nothing but the config and theme. A new digest that
    renders them differently (here: every canonical link) must still put them up, with
    both trees holding the old rendering under the same inputs."""
    from digest import cache
    from digest.stages import feeds, render, trees
    root = make_site({"a.md": article(1, "Tarn", "fire", None, 4, "Post")},
                     config="title: T\nsearch: false\n")
    config, _ = load_config(root)
    build(config)
    path = root / "content" / "a.md"
    path.write_text(path.read_text().replace("outlet: Post", "outlet: Post\nnote: Checked."))
    build(config)  # both trees now hold the search page, under one fingerprint
    assert len(trees.load_manifests(root / "site", root / ".digest")) == 2
    monkeypatch.setattr(cache, "FORMAT", cache.FORMAT + "-next")  # as another digest's code
    monkeypatch.setattr(render, "CODE_FORMAT", cache.FORMAT)
    real = feeds.absolute
    monkeypatch.setattr(feeds, "absolute", lambda config, path: real(config, path) + "#next")
    build(config)
    assert "#next" in (root / "site" / "search" / "index.html").read_text()
    assert "#next" in (root / "site" / "index.html").read_text()


def test_a_build_killed_before_saving_its_cache_leaves_no_stale_page(make_site, monkeypatch):
    """The site goes up before the cache is saved: builds killed in between leave a cache
    behind the served pages. Reverting the edits then must not keep edited pages, which the
    stale cache says were made from the reverted inputs (two killed builds: each of the two
    trees holds an edited page)."""
    root = three_stories(make_site)
    config, _ = load_config(root)
    build(config)
    path = root / "content" / "a2.md"
    before = path.read_text()
    for word in ("Edited", "Again"):
        path.write_text(before.replace("title: ", f"title: {word} ", 1))
        with monkeypatch.context() as m:  # killed once the site is up: nothing after is saved
            m.setattr("digest.cache.save_store", lambda store: None)
            m.setattr("digest.stages.read.save_seen", lambda state, seen: None)
            assert build(config).written
        assert word in (root / "site" / "articles" / "a2" / "index.html").read_text()
    path.write_text(before)
    build(config)
    assert_equals_clean_build(root, config)


def test_a_site_given_by_a_relative_path_builds_again(make_site, monkeypatch):
    """The API takes a site folder relative to the working directory too, and finds the
    trees a build given its absolute path (as the CLI gives) left."""
    root = three_stories(make_site)
    for word in ("", "First "):  # two builds: both trees hold a site
        first = root / "content" / "a1.md"
        first.write_text(first.read_text().replace("title: ", f"title: {word}", 1))
        build(load_config(root)[0])
    monkeypatch.chdir(root)
    config, _ = load_config(Path("."))
    path = root / "content" / "a2.md"
    path.write_text(path.read_text().replace("title: ", "title: Edited ", 1))
    assert build(config).written
    assert "Edited" in (root / "site" / "archive" / "index.html").read_text()
    assert_equals_clean_build(root, config)
