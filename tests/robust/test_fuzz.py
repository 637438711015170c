"""Property tests over hostile and random input (Hypothesis).

CI runs DIGEST_FUZZ_EXAMPLES examples per property (default 200; whole builds get a tenth);
`scripts/fuzz` runs the long campaign with a larger number.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path

import yaml
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from digest import frontmatter as fm
from digest.config import Config
from digest.stages import clean
from digest.stages.read import SourceFile
from robust_support import build_site, write_site

EXAMPLES = int(os.environ.get("DIGEST_FUZZ_EXAMPLES", "200"))
BUILD_SHARE = int(os.environ.get("DIGEST_FUZZ_BUILD_SHARE", "10"))  # builds get 1/this


def fuzz(examples: int = EXAMPLES):
    return settings(max_examples=max(1, examples), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# --- values of random types, as YAML would give them ------------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                    st.text(max_size=40), st.dates(), st.datetimes(),
                    st.datetimes(timezones=st.just(timezone.utc)),
                    st.sampled_from(["", " ", "yesterday", "2024-13-45", "2024-02-29",
                                     "2024-03-04T25:61:00+02:00", "javascript:alert(1)",
                                     "https://example.org/a", "../../etc/passwd", "published",
                                     "draft", "hidden", "news", "-", "0" * 100, "\x00", "\ud800"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) |
                      st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
KEYS = sorted(fm.FIELDS) + list(fm.DATE_FIELDS) + ["unknown", "Title", "", "extra"]
front = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=12), values, max_size=8)
MD_PIECES = ["# ", "> ", "- ", "1. ", "* ", "_", "**", "`", "```\n", "[", "](", ")", "<", ">",
             "&amp;", "\n", "\n\n", "    ", "---", "|", "![", "\\", "“", "”", "\"", " said ",
             "The harbour reopened on Monday. ", "Officials said 1,200 people left. ", "é", "İ",
             "\u200b", "\r\n", "\t", "<script>", "{{ 7*7 }}", "{% raw %}"]
# a file's text is UTF-8: it cannot hold a lone surrogate (front-matter can, escaped in YAML)
FILE_TEXT = st.characters(blacklist_categories=("Cs",))
markdown = st.lists(st.sampled_from(MD_PIECES) | st.text(FILE_TEXT, max_size=20),
                    max_size=40).map("".join)


def dump(meta: dict) -> str:
    """Return YAML for `meta`, or a raw rendering when YAML cannot represent it."""
    try:
        return yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
    except yaml.YAMLError:
        return "".join(f"{k}: {v!r}\n" for k, v in meta.items())


CONFIG = Config(root=Path("."))


def _problems_are_wellformed(problems) -> None:
    for p in problems:
        assert p.level in ("error", "warning") and p.file and p.message
        assert p.line is None or p.line >= 1


# --- properties ---------------------------------------------------------------------------

@fuzz()
@given(st.text(max_size=400) | st.builds(lambda m, b: f"---\n{m}\n---\n{b}", st.text(max_size=200),
                                         st.text(max_size=100)))
def test_split_raises_only_front_matter_errors(text):
    try:
        parts = fm.split(text)
    except fm.FrontMatterError as exc:
        assert exc.message and (exc.line is None or exc.line >= 1)
        return
    assert isinstance(parts.meta, dict) and isinstance(parts.body, str) and parts.body_line >= 1


@fuzz()
@given(front, markdown)
def test_clean_one_never_raises(meta, body):
    text = f"---\n{dump(meta)}---\n\n{body}"
    article, problems = clean.clean_one(SourceFile("content/x.md", text), CONFIG,
                                        clean.markdown_parser())
    _problems_are_wellformed(problems)
    if article is None:
        assert any(p.level == "error" for p in problems)
    else:
        assert article.title.strip() and article.text.strip()
        assert article.id and fm.slugify(article.id) == article.id
        assert not article.story or fm.slugify(article.story) == article.story
        assert article.url == "" or re.match(r"^https?://", article.url)


@fuzz()
@given(st.sampled_from(sorted(fm.FIELDS)), values)
def test_field_checks_raise_only_front_matter_errors(key, value):
    try:
        fm.check(key, value)
    except fm.FrontMatterError as exc:
        assert exc.message.startswith("expected ") and ", found " in exc.message


@fuzz()
@given(values, st.sampled_from(["UTC", "Europe/Kyiv", "Pacific/Kiritimati", "America/St_Johns"]))
def test_dates_parse_or_raise_value_error(value, tz):
    try:
        when = fm.parse_when(value, tz)
    except (ValueError, TypeError):
        return
    assert isinstance(when, (date, datetime))
    assert not isinstance(when, datetime) or when.tzinfo is not None
    assert fm.sort_key(when)


NEWS = st.lists(st.sampled_from(
    "the harbour crane bridge reopened on Monday after repairs officials said 1,200 people "
    "left city council mayor Anna Müller told reporters storm flood “we are open” 3 March "
    "2024 police".split()), min_size=4, max_size=18).map(lambda ws: " ".join(ws).capitalize() + ".")
TEXT = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
               max_size=20)  # NUL: test_bad_input; lone surrogates: not in a UTF-8 file
news_body = st.lists(NEWS | NEWS | NEWS | st.sampled_from(MD_PIECES) | TEXT,
                     min_size=1, max_size=30).map(" ".join)
plausible = st.fixed_dictionaries(
    {"title": st.sampled_from(["Harbour reopens", "Crane fixed", "<b>Bridge</b>", "Ünïcode"])},
    optional={"published": st.dates(date(2000, 1, 1), date(2030, 1, 1)) | st.datetimes(),
              "outlet": st.sampled_from(["Harbour Times", "Valley Post", "<i>X</i>"])})
article_meta = st.builds(lambda good, bad: {**good, **bad}, plausible,
                         st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=12), values,
                                         max_size=2))
articles = st.lists(st.tuples(article_meta | article_meta | front, news_body | news_body | markdown,
                              st.sampled_from(["", "harbour", "bridge"])), min_size=1, max_size=4)


@fuzz(EXAMPLES // BUILD_SHARE)
@given(articles)
def test_random_sites_build_and_citations_index_the_text(items):
    root = Path(tempfile.mkdtemp(prefix="digest-fuzz-"))
    try:
        files = {}
        for n, (meta, body, story) in enumerate(items):
            meta = {"title": f"Report {n}", **meta} if n % 2 else meta
            if story and n % 3 != 2:
                meta = {**meta, "story": story}
            files[f"a{n}.md"] = f"---\n{dump(meta)}---\n\n{body}\n"
        write_site(root, files)
        report = build_site(root)
        _problems_are_wellformed(report.problems)
        assert report.written
        cited = _citations_index_the_text(json.loads((root / "site/digest.json").read_text()))
        event(f"articles built: {min(report.articles, 3)}; cited sentences: {min(cited, 3)}")
        for p in report.errors[:1]:
            event(f"first error: {p.message[:40]}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _citations_index_the_text(data: dict) -> int:
    texts = {a["id"]: a["text"] for a in data["articles"]}
    cited = 0
    for story in data["stories"]:
        for sentence in story["summary"]:
            assert sentence["citations"], sentence
            for c in sentence["citations"]:
                text = texts[c["article"]]
                assert 0 <= c["start"] < c["end"] <= len(text), (c, len(text))
            first = sentence["citations"][0]
            assert texts[first["article"]][first["start"]:first["end"]] == sentence["text"]
            cited += 1
    return cited


# --- ingest: text repair and boilerplate removal ------------------------------------------

from digest.ingest.boilerplate import classify  # noqa: E402
from digest.ingest.clean import clean_text  # noqa: E402
from digest.ingest.repair import repair  # noqa: E402


@fuzz()
@given(st.text(max_size=300) | st.text(st.characters(codec="latin-1"), max_size=200).map(
    lambda t: t.encode("utf-8").decode("latin-1")))          # mojibake on purpose
def test_repair_twice_equals_repair_once(text):
    once = repair(text).text
    assert repair(once).text == once


WORD = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzéüøçñßабвгдеёжзийклмнопрстуфхцчшщыэюяαβγδ"),
               min_size=1, max_size=10)
SENTENCE = st.lists(WORD, min_size=1, max_size=12).map(lambda ws: " ".join(ws).capitalize() + ".")
VALID = st.lists(st.lists(SENTENCE, min_size=1, max_size=4).map(" ".join), min_size=1,
                 max_size=4).map("\n\n".join)


@fuzz()
@given(VALID)
def test_repair_leaves_valid_text_unchanged(text):
    assert repair(text).text == text


PROSE_WORDS = ("the a of to and in that for on with as by at from was were has have will would "
               "after before officials government people city region week report according told "
               "also new first more than about over two three during while since including local "
               "national police minister president court members talks plan harbour bridge crane "
               "workers residents river election budget hospital school council mayor voters "
               "repairs flood storm road train station farmers prices market company").split()
PROSE = st.lists(st.sampled_from(PROSE_WORDS), min_size=12, max_size=60).map(
    lambda ws: " ".join(ws).capitalize() + ".")
NAMES = st.sampled_from(["Anna Müller", "Jon Delmar", "Ira Kotova", "the mayor"])


@fuzz()
@given(PROSE, NAMES, st.sampled_from(["said", "told reporters", "added"]))
def test_ordinary_prose_is_never_boilerplate(paragraph, name, verb):
    text = f"{paragraph[:-1]}, {name} {verb}."
    assert classify(text) is None


@fuzz()
@given(st.lists(PROSE, min_size=1, max_size=5))
def test_clean_text_keeps_every_prose_paragraph(paragraphs):
    assume(len(set(paragraphs)) == len(paragraphs))
    text = "Harbour crane repaired after storm\n\n" + "\n\n".join(paragraphs)
    kept = clean_text(text).paragraphs
    for p in paragraphs:
        assert p in kept, (p, kept)
