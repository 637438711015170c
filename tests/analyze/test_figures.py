"""Figures: number phrases, what they count, grouping and conflicts across articles."""
from __future__ import annotations


from digest.analyze.figures import extract_figures

from analyze_support import FIXTURES, SEED_DATES, article, seeds  # noqa: F401


def by_what(figures) -> dict[str, list[str]]:
    return {f.what: [v.value for v in f.values] for f in figures}


def test_values_that_differ_across_articles_are_a_conflict():
    figures = extract_figures([article("figure_conflict_a.txt"), article("figure_conflict_b.txt")])
    first = figures[0]
    assert first.conflict and first.what == "firefighters in Northern County"
    assert [v.value for v in first.values] == ["about 1,200", "At least 400"]
    assert [v.article for v in first.values] == ["figure_conflict_a", "figure_conflict_b"]
    assert "battling the blaze" in first.values[0].context
    assert not any(f.conflict for f in figures[1:])


def test_spans_cover_the_number_phrase():
    arts = [article("figure_conflict_a.txt"), article("figure_number_words.txt")]
    for f in extract_figures(arts):
        for v in f.values:
            text = next(a.text for a in arts if a.id == v.article)
            assert text[v.start:v.end] == v.value


def test_years_dates_and_hyphenated_numbers_are_not_figures():
    assert by_what(extract_figures([article("figure_years_dates.txt")])) == {"workers": ["250"]}


def test_number_words_hedges_and_inherited_units():
    got = by_what(extract_figures([article("figure_number_words.txt")]))
    assert got["protesters"] == ["Thousands"]
    assert got["people"] == ["three"]
    assert got["injured"] == ["at least 36"]
    # "plans to deploy 10,000 by December" counts the soldiers named just before.
    assert got["troops"] == ["3,000", "10,000"]


def test_money_and_percentages_carry_their_unit():
    got = by_what(extract_figures([article("figure_money_percent.txt")]))
    assert got == {"dollars in aid": ["$5 million"], "percent": ["64%"]}


def test_same_figure_from_one_article_is_no_conflict():
    figures = extract_figures([article("figure_number_words.txt")])
    assert not any(f.conflict for f in figures)


def test_seeds_flag_the_troop_count_disagreement():
    figures = extract_figures(seeds())
    conflicts = [f for f in figures if f.conflict]
    assert conflicts, "the seeds disagree on how many North Korean troops are in Russia"
    russia = next(f for f in conflicts if f.what == "North Korean troops in Russia")
    values = {(v.article, v.value) for v in russia.values}
    assert ("001", "approximately 10,000") in values and ("003", "3,000") in values
    kursk = next(f for f in figures if f.what == "North Korean troops in Kursk")
    assert not kursk.conflict
    assert {v.article for v in kursk.values} >= {"000", "001", "002", "004"}
    assert all("8,000" in v.value for v in kursk.values)
