from __future__ import annotations

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
