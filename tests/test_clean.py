"""Front-matter validation and Markdown -> text, per fixture file."""
from __future__ import annotations

from datetime import date, datetime, timezone

from hypothesis import given, settings, strategies as st

from digest.config import load_config
from digest.stages.clean import clean_all, markdown_parser, markdown_to_text
from digest.stages.read import read_content


def build_articles(root):
    config, _ = load_config(root)
    files, problems = read_content(root)
    articles, found = clean_all(files, config)
    return articles, problems + found


def test_missing_date_is_fine(fixture_article):
    articles, problems = build_articles(fixture_article("article_missing_date.md"))
    assert articles[0].published is None and problems == []


def test_word_count_is_counted_as_cleaned_and_kept_in_the_cache(fixture_article):
    """Pages and digest.json show each article's number of words: counted once, when the
    article is cleaned, and pickled with it (the build cache), not per page."""
    import pickle
    (article,), _ = build_articles(fixture_article("article_missing_date.md"))
    assert "word_count" in article.__dict__
    assert article.word_count == len(article.text.split()) > 0
    again = pickle.loads(pickle.dumps(article, protocol=5))
    assert again.__dict__["word_count"] == article.word_count


def test_bad_date_names_file_line_key_expected_found(fixture_article):
    articles, problems = build_articles(fixture_article("article_bad_date.md"))
    assert articles == []
    (p,) = problems
    assert (p.file, p.line, p.key, p.level) == ("content/article_bad_date.md", 3, "published", "error")
    assert "expected a date (YYYY-MM-DD)" in p.message and "'yesterday'" in p.message


def test_unclosed_fence(fixture_article):
    _, (p,) = build_articles(fixture_article("article_unclosed_fence.md"))
    assert p.line == 1 and "never closed" in p.message


def test_malformed_yaml_has_line(fixture_article):
    _, (p,) = build_articles(fixture_article("article_malformed_yaml.md"))
    assert p.level == "error" and "invalid YAML" in p.message and p.line is not None


def test_unknown_key_warns_and_lands_in_extra(fixture_article):
    (a,), (p,) = build_articles(fixture_article("article_unknown_key.md"))
    assert a.extra == {"section": "World"}
    assert (p.level, p.key, p.line) == ("warning", "section", 3)


def test_empty_body_is_an_error(fixture_article):
    articles, (p,) = build_articles(fixture_article("article_empty_body.md"))
    assert articles == [] and "empty body" in p.message


def test_wrong_types_all_reported(fixture_article):
    _, problems = build_articles(fixture_article("article_wrong_types.md"))
    assert {p.key for p in problems} == {"authors", "pinned", "status"}
    assert all(p.level == "error" for p in problems)


def test_one_bad_file_does_not_stop_the_others(fixture_article):
    articles, problems = build_articles(fixture_article("article_bad_date.md", "article_missing_date.md"))
    assert [a.id for a in articles] == ["article-missing-date"] and len(problems) == 1


def test_duplicate_ids(make_site):
    root = make_site({"a.md": "---\ntitle: A\nid: same\n---\n\nx\n",
                      "b.md": "---\ntitle: B\nid: same\n---\n\ny\n"})
    articles, (p,) = build_articles(root)
    assert [a.path for a in articles] == ["content/a.md"] and "duplicate id 'same'" in p.message


def test_drafts_excluded(make_site):
    root = make_site({"a.md": "---\ntitle: A\nstatus: draft\n---\n\nx\n"})
    articles, _ = build_articles(root)
    assert articles == []


def test_dates_and_zones(make_site):
    root = make_site({"a.md": "---\ntitle: A\npublished: 2024-11-01T10:00:00+02:00\n"
                              "updated: 2024-11-02\n---\n\nx\n"},
                     config="timezone: UTC\n")
    (a,), _ = build_articles(root)
    assert a.published == datetime(2024, 11, 1, 8, 0, tzinfo=timezone.utc)
    assert a.updated == date(2024, 11, 2) and a.published_source == "front-matter"


def test_markdown_to_text_keeps_words_drops_markup():
    md = markdown_parser()
    text = markdown_to_text("# Head\n\nA *b* [link](http://x) `c`\nnext\n\n> quoted\n\n- item", md)
    assert text == "Head\n\nA b link c next\n\nquoted\n\nitem"


def test_raw_html_is_text_not_markup():
    text = markdown_to_text("Hi <script>alert(1)</script>", markdown_parser())
    assert text == "Hi <script>alert(1)</script>"


_PLAIN = ["word", "Two words", "10.5", "2024. Then", "(b)", "!", "“q”", "é", "—", ":", "@x",
          "%", "$5", "{", "}", "^", "a-b", "x=y", "3 #4"]
_SYNTAX = ["1.", "2)", "-", "- item", "+ x", "#", "# H", "=", "===", ">", "*", "_", "`", "[a]",
           "&amp;", "<i>", "\\", "~~~", "|", " ", "  ", "\t", "\u00a0", "\r", "\x00", "\u2028"]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_PLAIN * 8 + _SYNTAX),
                          st.sampled_from(["", " ", "\n", "\n", "\n\n", "\n \n"])), max_size=12))
def test_plain_bodies_skip_the_parser_and_get_its_text(parts):
    """plain_text either declines or gives exactly what parsing gives."""
    from digest.stages.clean import plain_text
    body = "".join(piece + sep for piece, sep in parts)
    fast = plain_text(body)
    if fast is not None:
        assert fast == markdown_to_text(body, markdown_parser()), repr(body)


def test_plain_text_takes_the_plain_articles():
    from digest.stages.clean import plain_text
    body = "First line of a paragraph\nand its second, with 2,000 troops.\n\n\n2024 was a year.\n"
    assert plain_text(body) == markdown_to_text(body, markdown_parser())
    assert plain_text(body) is not None
    assert plain_text("A\n- list") is None and plain_text("x  \ny") is None
