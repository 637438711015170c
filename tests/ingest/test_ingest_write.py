"""Content files: Markdown escaping round trip, deterministic YAML, history and conflicts."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from digest.ingest.write import Draft, body_of, compose, decide, escape, paragraphs_of
from digest.stages.clean import markdown_to_text

MD = MarkdownIt("commonmark", {"html": False})
PARAGRAPH = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
                    min_size=1).map(lambda s: " ".join(s.split())).filter(bool)


def draft(paragraphs=("First paragraph.", "Second paragraph."), sha="a" * 64, title="Title"):
    return Draft({"title": title, "published": None, "authors": [], "credits": ["Reuters"]},
                 {"source": "x.txt", "sha256": sha, "imported": "2024-11-02T00:00:00Z",
                  "extractor": "digest-text 0.1.0", "removed": []}, tuple(paragraphs))


@settings(max_examples=500, deadline=None)
@given(st.lists(PARAGRAPH, min_size=1, max_size=4))
def test_markdown_renders_each_paragraph_exactly(paragraphs):
    body = body_of(paragraphs)
    assert paragraphs_of(body) == tuple(paragraphs)
    assert markdown_to_text(body, MD) == "\n\n".join(p.strip() for p in paragraphs)


def test_escape_examples():
    assert escape("1. first") == "1\\. first"
    assert escape("# not a heading") == "\\# not a heading"
    assert escape("- not a list") == "\\- not a list"
    assert escape("a *b* _c_ [d](e) <f> `g`") == "a \\*b\\* \\_c\\_ \\[d\\](e) \\<f\\> \\`g\\`"
    assert escape("1.5 million people, 3 a.m.") == "1.5 million people, 3 a.m."
    assert paragraphs_of(body_of(["AT&T &amp; co &#35; 5 & 6"])) == ("AT&T &amp; co &#35; 5 & 6",)


def test_compose_is_deterministic_and_omits_empty_fields():
    text = compose(draft())
    assert text == compose(draft())
    assert text.startswith("---\ntitle: Title\ncredits:\n- Reuters\nimport:\n")
    assert "authors" not in text and "published" not in text
    assert text.endswith("---\n\nFirst paragraph.\n\nSecond paragraph.\n")


def test_same_source_is_unchanged():
    assert decide(compose(draft()), draft()).action == "unchanged"


def test_changed_source_keeps_history():
    old = compose(draft())
    out = decide(old, draft(("First paragraph.", "Second paragraph, revised.", "Third."),
                            sha="b" * 64))
    assert out.action == "write"
    assert "history:\n  - sha256: " + "a" * 64 in out.text
    assert "changed: 1 paragraph changed, 1 paragraph added" in out.text
    again = decide(out.text, draft(("Only one now.",), sha="c" * 64))
    assert again.text.count("- sha256: ") == 2


def test_editor_change_is_a_conflict():
    edited = compose(draft()).replace("title: Title", "title: Better Title\nstory: one")
    out = decide(edited, draft(sha="b" * 64))
    assert out.action == "conflict" and "edited since import" in out.reason
    body_edit = compose(draft()).replace("Second paragraph.", "Second paragraph (fixed).")
    assert decide(body_edit, draft(sha="b" * 64)).action == "conflict"
