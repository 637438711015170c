"""Grouping articles into stories: story keys, determinism, similar events kept apart."""
from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from digest.analyze.group import group_articles
from digest.analyze import textfeatures
from digest.analyze.textfeatures import entities, numbers, title_line
from digest.models import Article

CHILE = (
    "Strong earthquake shakes northern Chile\n"
    "A magnitude 6.1 earthquake struck near Iquique in northern Chile on Tuesday, the US "
    "Geological Survey said. Buildings swayed in Iquique and Arica and power was cut in parts "
    "of the Tarapaca region. Chilean officials reported two people injured.",
    "Quake of magnitude 6.1 hits Chile's Tarapaca region\n"
    "The earthquake hit 40 km east of Iquique at a depth of 95 km, the USGS said. Chile's "
    "emergency office ONEMI said two people were hurt in Iquique and no tsunami was expected.",
    "Iquique residents flee homes after 6.1 quake\n"
    "Residents of Iquique ran into the streets when the magnitude 6.1 earthquake struck on "
    "Tuesday. ONEMI said power failed in Arica and the Tarapaca region, with two injured.",
)
JAPAN = (
    "Powerful earthquake strikes off Japan's Fukushima coast\n"
    "A magnitude 7.3 earthquake struck off Fukushima in northeastern Japan on Saturday, the "
    "Japan Meteorological Agency said, and a tsunami advisory was issued for Miyagi. Tokyo "
    "Electric Power said the Fukushima Daiichi plant reported no problems.",
    "Magnitude 7.3 quake off Fukushima prompts tsunami advisory\n"
    "The Japan Meteorological Agency issued a tsunami advisory for Fukushima and Miyagi after "
    "the 7.3 earthquake at a depth of 60 km. Tokyo Electric Power checked the Daiichi plant.",
    "Fukushima shaken by 7.3 earthquake, no damage at Daiichi\n"
    "Buildings shook in Sendai and Tokyo as the magnitude 7.3 earthquake hit off Fukushima on "
    "Saturday. Tokyo Electric Power said the Fukushima Daiichi plant was safe; Miyagi lifted "
    "its tsunami advisory.",
)
BUDGET = ("City council approves new library budget\n"
          "The council voted 7-2 on Monday to fund the Riverside branch library for 2025, "
          "after a long debate about opening hours and staff.")


def art(id: str, text: str, published: date | datetime | None = None, story: str = "") -> Article:
    """Return a minimal Article."""
    return Article(id=id, path="", title="", text=text, published=published, story=story)


def corpus() -> list[Article]:
    """Return two earthquakes (three reports each) and one unrelated article."""
    return ([art(f"chile-{i}", t) for i, t in enumerate(CHILE)]
            + [art(f"japan-{i}", t) for i, t in enumerate(JAPAN)] + [art("budget", BUDGET)])


def test_two_earthquakes_stay_apart():
    assert group_articles(corpus()) == [
        ("budget",), ("chile-0", "chile-1", "chile-2"), ("japan-0", "japan-1", "japan-2")]


def test_same_groups_in_any_order():
    expected = group_articles(corpus())
    for seed in range(5):
        shuffled = corpus()
        random.Random(seed).shuffle(shuffled)
        assert group_articles(shuffled) == expected


def test_every_article_in_exactly_one_sorted_group():
    groups = group_articles(corpus())
    ids = [i for g in groups for i in g]
    assert sorted(ids) == sorted(a.id for a in corpus())
    assert all(list(g) == sorted(g) for g in groups)
    assert groups == sorted(groups, key=lambda g: g[0])


def test_story_key_overrides_text():
    articles = corpus()
    articles[6] = replace(articles[6], story="mixed")  # budget
    articles[0] = replace(articles[0], story="mixed")  # chile-0
    articles[3] = replace(articles[3], story="japan-alone")  # japan-0
    assert group_articles(articles) == [
        ("budget", "chile-0"), ("chile-1", "chile-2"), ("japan-0",), ("japan-1", "japan-2")]


def test_same_text_different_story_keys_stay_apart():
    articles = [art("a", CHILE[0], story="one"), art("b", CHILE[0], story="two")]
    assert group_articles(articles) == [("a",), ("b",)]


def test_dates_far_apart_do_not_join_but_close_ones_do():
    close = [art("a", CHILE[0], date(2024, 3, 1)), art("b", CHILE[1], datetime(2024, 3, 2, 9)),
             art("c", CHILE[2], date(2024, 3, 1))]
    assert group_articles(close) == [("a", "b", "c")]
    far = [art("a", CHILE[0], date(2024, 3, 1)), art("b", CHILE[0], date(2024, 5, 1))]
    assert group_articles(far) == [("a",), ("b",)]


def test_undated_mixed_with_dated():
    articles = [art("a", CHILE[0]), art("b", CHILE[1], date(2024, 3, 1)), art("c", BUDGET)]
    assert group_articles(articles) == [("a", "b"), ("c",)]


def test_empty_and_tiny_inputs():
    assert group_articles([]) == []
    assert group_articles([art("x", "")]) == [("x",)]
    assert group_articles([art("x", "Hello."), art("y", "")]) == [("x",), ("y",)]


def test_feature_helpers():
    text = "Wladimir Klitschko's win over Tony Thompson\nThe 36-year-old (58-3) won 6.1 million."
    assert {"klitschko", "wladimir klitschko", "tony thompson"} <= set(entities(text))
    assert {"36-year-old", "58-3", "6.1"} <= set(numbers(text))
    assert numbers("about 1,200 people") == ["1200"]
    assert title_line("", text) == "Wladimir Klitschko's win over Tony Thompson"
    assert title_line("Given", text) == "Given"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab1 2.,:/-_’'\n\t\u00a0٣xZ\u2028")), max_size=80)
       | st.text(max_size=80))
def test_number_tokens_match_the_pattern_on_the_whole_text(text):
    assert textfeatures._number_tokens(text) == textfeatures._NUMBER.findall(text)


def _shared_neighbours_reference(edges: dict, n: int) -> dict:
    """The plain form of with_shared_neighbours: one article at a time, frozensets."""
    from digest.analyze import group as g
    near: list[list[tuple[float, int]]] = [[] for _ in range(n)]
    for (i, j), s in edges.items():
        if s >= g.THRESHOLD:
            near[i].append((-s, j))
            near[j].append((-s, i))
    hood = [frozenset([i] + [j for _, j in sorted(near[i])[:g.NEIGHBOURS]]) for i in range(n)]
    mixed = {(i, j): (1 - g.SHARED_WEIGHT) * s
             + g.SHARED_WEIGHT * len(hood[i] & hood[j]) / min(len(hood[i]), len(hood[j]))
             for (i, j), s in edges.items()}
    return {pair: s for pair, s in mixed.items() if s >= g.WEAK}


def test_shared_neighbours_match_the_plain_form():
    """Dense random graphs with tied similarities: past NEIGHBOURS, ties must pick
    neighbours by index, as the sorted tuples did (one case spelt out first)."""
    import numpy as np
    from digest.analyze.group import Links, with_shared_neighbours
    graphs = [(7, {**{(0, k): 0.3 for k in range(1, 7)}, (5, 6): 0.9})]
    rnd = random.Random(7)
    for _ in range(300):
        n = rnd.randint(1, 9)
        pairs = [(a, b) for a in range(n) for b in range(a + 1, n) if rnd.random() < 0.6]
        graphs.append((n, {p: rnd.choice([0.01, 0.1, 0.2, 0.3, 0.3, 0.9]) for p in pairs}))
    for n, edges in graphs:
        links = Links(np.array([i for i, _ in edges], dtype=np.int64),
                      np.array([j for _, j in edges], dtype=np.int64),
                      np.array(list(edges.values()), dtype=np.float64))
        got = with_shared_neighbours(links, n)
        assert dict(zip(zip(got.i.tolist(), got.j.tolist()), got.s.tolist())) == \
            _shared_neighbours_reference(edges, n), edges
