"""import_paths end to end: every input kind, bad input, re-import, history, conflicts."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from digest import frontmatter as fm
from digest.ingest import import_paths
from tests.ingest.support import FIXTURES, SEEDS

OUTLETS = [{"name": "Harbour Times", "domains": ["harbourtimes.example"], "homepage": "",
            "description": ""}]


@pytest.fixture(autouse=True)
def fixed_time(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1730505600")


def only(content: Path) -> str:
    files = sorted(content.glob("*.md"))
    assert len(files) == 1, files
    return files[0].read_text(encoding="utf-8")


def assert_readable(text: str) -> fm.Split:
    """The lead's reader accepts every key the importer writes."""
    parts = fm.split(text)
    for key, value in parts.meta.items():
        if key in fm.DATE_FIELDS:
            fm.parse_when(value, "UTC")
        else:
            fm.check(key, value)
    return parts


def test_seeds_import_and_reimport_is_byte_identical(tmp_path):
    seeds = sorted(str(p) for p in SEEDS.glob("*.txt"))
    first = import_paths(seeds, tmp_path, [{"name": "The Epoch Times",
                                            "domains": ["theepochtimes.com"]}])
    assert len(first.written) == 5 and not first.skipped
    before = {p.name: p.read_bytes() for p in tmp_path.glob("*.md")}
    second = import_paths(seeds, tmp_path)
    assert len(second.unchanged) == 5 and not second.written
    assert {p.name: p.read_bytes() for p in tmp_path.glob("*.md")} == before
    for text in before.values():
        parts = assert_readable(text.decode("utf-8"))
        assert parts.meta["import"]["imported"] == "2024-11-02T00:00:00Z"
        assert len(parts.meta["import"]["sha256"]) == 64


def test_text_record_fields(tmp_path):
    import_paths([str(FIXTURES / "mojibake_cp874.txt")], tmp_path)
    meta = assert_readable(only(tmp_path)).meta
    record = meta["import"]
    assert record["source"] == "mojibake_cp874.txt"
    assert record["extractor"] == "digest-text 0.1.0"
    assert "mojibake cp874" in record["repairs"]
    assert record["removed"] == [{"line": "Troops Gather Near the Border",
                                  "reason": "headline (moved to title)"}]


def test_html_page(tmp_path):
    report = import_paths([str(FIXTURES / "article.html")], tmp_path, OUTLETS)
    assert len(report.written) == 1
    meta = assert_readable(only(tmp_path)).meta
    assert meta["title"] == "Bridge Opens to Traffic After Years of Delay"
    assert meta["outlet"] == "Harbour Times"
    assert meta["url"] == "https://harbourtimes.example/news/bridge-opens"
    assert meta["authors"] == ["Alex Writer"]
    assert str(meta["published"]) == "2024-10-30"
    assert meta["import"]["published_how"] == "stated"
    assert meta["import"]["extractor"].startswith("trafilatura ")


def test_feeds_one_article_per_entry_with_full_text(tmp_path):
    report = import_paths([str(FIXTURES / "feed_rss.xml"), str(FIXTURES / "feed_atom.xml")],
                          tmp_path, OUTLETS)
    assert len(report.written) == 3 and not report.skipped
    ferry = (tmp_path / "ferry-service-resumes-after-strike.md").read_text(encoding="utf-8")
    assert "The operator said all routes" in ferry  # content:encoded, not the teaser
    meta = assert_readable(ferry).meta
    assert meta["published"] == "2024-11-01T08:30:00Z" and meta["authors"] == ["Sam Reporter"]
    assert meta["import"]["extractor"].startswith("feedparser ")


def test_json_lines(tmp_path):
    report = import_paths([str(FIXTURES / "articles.jsonl")], tmp_path)
    assert len(report.written) == 2
    assert [e.reason.split(":")[0] for e in report.skipped] == ["articles.jsonl line 2",
                                                                "articles.jsonl line 3"]
    meta = assert_readable((tmp_path / "harbour-tunnel-plan-approved.md").read_text()).meta
    assert meta["authors"] == ["Lee Writer"] and str(meta["published"]) == "2024-10-28"


def test_legacy_encoding_detected(tmp_path):
    import_paths([str(FIXTURES / "cp1252_encoded.txt")], tmp_path)
    text = only(tmp_path)
    assert "The café owners said the rules were “unfair” and would cost them €2,000" in text
    assert "decoded from cp1252" in text


@pytest.mark.parametrize("name,reason", [
    ("empty.txt", "empty file"),
    ("whitespace_only.txt", "empty file"),
    ("binary.png", "binary file"),
    ("invalid_utf8.txt", "invalid UTF-8"),
    ("no_article.html", "no article"),
])
def test_bad_input_is_skipped_with_one_line_reason(tmp_path, name, reason):
    report = import_paths([str(FIXTURES / name)], tmp_path / "content")
    assert not report.written and len(report.skipped) == 1
    entry = report.skipped[0]
    assert reason in entry.reason and "\n" not in str(entry)
    assert not (tmp_path / "content").exists() or not any((tmp_path / "content").iterdir())


def test_size_cap(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"Word " * 30_000)
    report = import_paths([str(big)], tmp_path / "content", max_bytes=100_000)
    assert "over the 0.1 MB limit" in report.skipped[0].reason
    assert import_paths(["-"], tmp_path / "c2", stdin=b"x" * 200, max_bytes=100).skipped
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as fh:  # a sparse 50 MB file: rejected by its size, never read
        fh.truncate(50_000_000)
    assert "50.0 MB, over the 20 MB limit" in import_paths([str(huge)], tmp_path / "c3").skipped[0].reason


def test_missing_path_and_folder_walk(tmp_path):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    shutil.copy(FIXTURES / "tweet_embed.txt", src / "sub" / "b.txt")
    shutil.copy(FIXTURES / "donation_appeal.txt", src / "a.txt")
    (src / ".hidden.txt").write_text("Hidden Article Headline Here\n\nText.", encoding="utf-8")
    report = import_paths([str(src), str(tmp_path / "nope.txt")], tmp_path / "content")
    assert [e.source for e in report.written] == ["a.txt", "b.txt"]
    assert "cannot read" in report.skipped[0].reason


def test_stdin(tmp_path):
    data = (FIXTURES / "comment_form_footer.txt").read_bytes()
    report = import_paths(["-"], tmp_path, stdin=data)
    assert report.written[0].source.startswith("stdin:")
    assert import_paths(["-"], tmp_path, stdin=data).unchanged


def test_changed_source_keeps_history_and_edit_is_a_conflict(tmp_path):
    src = tmp_path / "story.txt"
    src.write_text("Council Votes on the New Harbour Plan\n\nThe council voted on Monday.\n\n"
                   "The plan passed.\n", encoding="utf-8")
    content = tmp_path / "content"
    import_paths([str(src)], content)
    src.write_text("Council Votes on the New Harbour Plan\n\nThe council voted on Monday "
                   "evening.\n\nThe plan passed.\n", encoding="utf-8")
    report = import_paths([str(src)], content)
    assert len(report.written) == 1
    meta = fm.split(only(content)).meta
    assert meta["import"]["history"][0]["changed"] == "1 paragraph changed"
    path = next(content.glob("*.md"))
    path.write_text(path.read_text(encoding="utf-8").replace("title: Council", "title: The "
                    "Council"), encoding="utf-8")
    edited = path.read_bytes()
    src.write_text("Council Votes on the New Harbour Plan\n\nA third version.\n", encoding="utf-8")
    report = import_paths([str(src)], content)
    assert len(report.conflicts) == 1 and "edited since import" in report.conflicts[0].reason
    assert path.read_bytes() == edited


def test_no_temporary_files_left(tmp_path):
    import_paths([str(FIXTURES)], tmp_path / "content", OUTLETS)
    assert not [p for p in (tmp_path / "content").iterdir() if p.name.startswith(".")]


def test_failed_write_leaves_no_half_written_file(tmp_path, monkeypatch):
    import digest.fsutil

    def disk_full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(digest.fsutil.os, "replace", disk_full)
    report = import_paths([str(FIXTURES / "tweet_embed.txt")], tmp_path)
    assert "No space left on device" in report.skipped[0].reason
    assert list(tmp_path.iterdir()) == []
