from __future__ import annotations

from hypothesis import given, settings, strategies as st

from digest.stages.passages import anchor, paragraphs


def test_span_across_paragraphs_has_one_anchor_and_marks_both_parts():
    text = "First para here.\n\nSecond para there."
    paras = paragraphs(text, [(6, 29)])
    opens = [o for p in paras for seg in p.segments for o in seg.opens]
    assert opens == [anchor(6, 29)]
    marked = "".join(seg.text for p in paras for seg in p.segments if seg.marks)
    assert marked == "para here.Second para"


def test_overlapping_spans_split_into_segments():
    text = "abcdefghij"
    (para,) = paragraphs(text, [(0, 6), (3, 9), (3, 9)])
    assert [(s.text, s.marks) for s in para.segments] == [
        ("abc", ("p0-6",)), ("def", ("p0-6", "p3-9")), ("ghi", ("p3-9",)), ("j", ())]


def test_out_of_range_spans_are_ignored():
    (para,) = paragraphs("short", [(3, 99), (-1, 2)])
    assert [s.text for s in para.segments] == ["short"]


def _reference(text, spans):
    """The plain definition: every piece between span boundaries, with the spans covering it."""
    import re
    cited = sorted({(s, e) for s, e in spans if 0 <= s < e <= len(text)})
    placed, out = set(), []
    for m in re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]*)*", text):
        start, end = m.start(), m.end()
        inside = [(s, e) for s, e in cited if s < end and e > start]
        cuts = sorted({start, end} | {max(start, min(end, x)) for s, e in inside for x in (s, e)})
        segs = []
        for a, b in zip(cuts, cuts[1:]):
            marks = tuple(anchor(s, e) for s, e in inside if s <= a and e >= b)
            opens = tuple(x for x in marks if x not in placed)
            placed.update(opens)
            segs.append((text[a:b], marks, opens))
        out.append((start, end, segs))
    return out


@given(st.text(alphabet="ab \n", max_size=60),
       st.lists(st.tuples(st.integers(-2, 62), st.integers(-2, 62)), max_size=12))
@settings(max_examples=400, deadline=None)
def test_sweep_matches_the_plain_definition(text, spans):
    got = [(p.start, p.end, [(s.text, s.marks, s.opens) for s in p.segments])
           for p in paragraphs(text, spans)]
    assert got == _reference(text, spans)


def test_thousands_of_spans_in_one_paragraph():
    # a 100,000-line article with a figure on every line once took minutes here
    text = "".join(f"Line {i:05} about cranes.\n" for i in range(20_000))
    spans = [(i * 23, i * 23 + 10) for i in range(20_000)]
    (para,) = paragraphs(text, spans)
    assert len([s for s in para.segments if s.marks]) == 20_000


_LOOP = """{% for p in paragraphs(text, spans) %}
<p>{% for seg in p.segments %}{% for id in seg.opens %}<span id="{{ id }}" class="anchor"></span>{% endfor %}{% if seg.marks %}<mark class="{{ 'cited' if seg.marks | select('in', summary_ids) | list else 'linked' }}" data-passage="{{ seg.marks | join(' ') }}">{{ seg.text }}</mark>{% else %}{{ seg.text }}{% endif %}{% endfor %}</p>
{% endfor %}
"""


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab <&\"'>\n", max_size=60),
       st.lists(st.tuples(st.integers(-2, 62), st.integers(-2, 62)), max_size=6),
       st.integers(0, 6))
def test_text_html_writes_what_the_template_loop_wrote(text, spans, cited):
    """text_html replaced this loop in article.html: same bytes, text escaped."""
    import jinja2
    from digest.stages.passages import text_html
    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    summary_ids = {anchor(s, e) for s, e in spans[:cited]}
    loop = env.from_string(_LOOP).render(paragraphs=paragraphs, text=text, spans=spans,
                                         summary_ids=summary_ids)
    assert str(text_html(text, spans, summary_ids)) == loop
    assert "<script" not in str(text_html("<script>x</script>"))
