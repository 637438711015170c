"""Timeline: explicit and relative dates resolved against publication, merged across articles."""
from __future__ import annotations

from datetime import date

from digest.analyze.timeline import build_timeline
from digest.models import Article

from analyze_support import FIXTURES, SEED_DATES, article, seeds  # noqa: F401


def dated(events) -> dict[str, str]:
    return {e.date: e.text for e in events}


def test_relative_dates_resolve_against_publication():
    # Published Friday 2024-11-01.
    got = dated(build_timeline([article("timeline_relative_dates.txt")]))
    assert got["2024-11-01"].startswith("The minister resigned on Friday")
    assert got["2024-10-31"].startswith("Police arrested two organisers yesterday")
    assert got["2024-08"] == "The protests began in August"
    assert got["2024-10-30"] == "and a first inquiry opened on 30 October."
    assert got["2019-03"] == "The last general strike was in March 2019."


def test_forward_looking_month_resolves_ahead():
    got = dated(build_timeline([article("timeline_relative_dates.txt")]))
    assert got["2024-12"].startswith("Parliament will vote")
    got = dated(build_timeline([article("figure_number_words.txt")]))
    assert "2024-12" in got  # "plans to deploy 10,000 by December"


def test_weekday_falls_back_a_week_at_most():
    a = article("timeline_relative_dates.txt", published=date(2024, 11, 4))  # a Monday
    assert "2024-11-01" in dated(build_timeline([a]))


def test_no_publication_date_keeps_only_explicit_years():
    a = article("timeline_relative_dates.txt", published=None)
    assert [e.date for e in build_timeline([a])] == ["2019-03"]


def test_events_sorted_and_cited():
    arts = seeds()
    events = build_timeline(arts)
    assert [(e.date, e.text) for e in events] == sorted((e.date, e.text) for e in events)
    for e in events:
        assert e.citations and {c.article for c in e.citations} == set(e.articles)
        for c in e.citations:
            assert 0 <= c.start < c.end <= len(arts[int(c.article)].text)


def test_seeds_timeline_has_the_three_days():
    events = build_timeline(seeds())
    dates = {e.date for e in events}
    assert {"2024-10-30", "2024-10-31", "2024-11-01"} <= dates
    assert any(len(e.articles) > 1 for e in events if e.date == "2024-11-01")
    assert "2024-12" in dates and "2024-08" in dates  # "by December", "in August"


def test_until_without_a_future_cue_looks_back():
    text = "The talks lasted until Friday, officials said. The army plans to finish by Friday."
    a = Article(id="a", path="", title="", text=text, published=date(2024, 11, 2))
    assert [e.date for e in build_timeline([a])] == ["2024-11-01", "2024-11-08"]


def test_undated_article_resolves_against_the_story_dates():
    dated = Article(id="d", path="", title="", text="Officials met on Friday in Velden.",
                    published=date(2024, 11, 1))
    undated = Article(id="u", path="", title="", published=None,
                      text="The United States said on October 31 that 8,000 soldiers are there.")
    dates = {e.date: e.articles for e in build_timeline([dated, undated])}
    assert dates.get("2024-10-31") == ("u",)
