"""Boilerplate removal and metadata on small fixtures and the five seeds."""
from __future__ import annotations

from datetime import date

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.ingest.boilerplate import classify
from digest.ingest.clean import clean_text
from digest.ingest.metadata import credits_of, dates_mentioned, is_label
from digest.ingest.repair import repair
from tests.ingest.support import ROOT, SEEDS, fixture_text

OUTLETS = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))["outlets"]


def cleaned(name: str, **kw):
    return clean_text(repair(fixture_text(name)).text, OUTLETS, **kw)


def seed(prefix: str):
    path = next(SEEDS.glob(prefix + "_*.txt"))
    return clean_text(repair(path.read_text(encoding="utf-8")).text, OUTLETS)


def reasons(c) -> dict[str, str]:
    return {r.line: r.reason for r in c.removed}


def test_comment_form_footer_removed_with_reasons():
    c = cleaned("comment_form_footer.txt")
    assert c.title == "City Council Approves New Budget After Long Debate"
    assert len(c.paragraphs) == 2
    assert reasons(c)["Leave a Reply"] == "comment form"
    assert reasons(c)["Source link"] == "source link"
    assert reasons(c)["Comments are closed."] == "comment form"


def test_copyright_and_label_above_headline():
    c = cleaned("copyright_above_headline.txt")
    assert c.title == "Parliament Passes Landmark Climate Law"
    assert reasons(c)["Politics"] == "section label"
    assert reasons(c)["Privacy Policy"] == "copyright or policy"
    assert reasons(c)["Related Posts"] == "related links"
    assert c.published == date(2024, 3, 3) and c.published_how == "inferred"


def test_credits_and_byline_moved_out_of_body():
    c = cleaned("credit_line_and_byline.txt")
    assert c.credits == ("The Associated Press", "Reuters")
    assert c.authors == ("Jane Doe", "John Roe")
    assert not any("contributed" in p or p.startswith("By ") for p in c.paragraphs)


def test_tweet_embed_residue_removed_but_tweet_text_kept():
    c = cleaned("tweet_embed.txt")
    assert "We will not stop until the job is done." in c.paragraphs
    assert reasons(c)["pic.twitter.com/AbC123xyZ"] == "social embed link"
    assert reasons(c)["— Jane Minister (@janeminister) November 1, 2024"] == \
        "social embed signature"


def test_captions_and_alt_text_removed():
    c = cleaned("caption_and_alt_text.txt")
    assert c.paragraphs == ("Rescue teams reached three flooded villages on Sunday, local "
                            "officials said.", "The river is expected to peak on Monday, "
                            "forecasters said.")
    assert set(reasons(c).values()) >= {"image caption", "image alt text"}


def test_donation_appeal_removed():
    c = cleaned("donation_appeal.txt")
    assert len(c.paragraphs) == 2 and "donation appeal" in reasons(c).values()


@pytest.mark.parametrize("prefix,title", [
    ("000", "Zelenskyy Criticizes Western Allies for Inaction Following Russian Deployment of "
            "North Korean Troops"),
    ("001", "Zelensky urges Western action against NK troops in Russia"),
    ("002", "World ‘merely watching’ as North Korea threat grows: Zelensky"),
    ("003", "Zelenskyy says international response to North Korean troops in Russia isn’t "
            "strong enough"),
    ("004", "Zelenskiy Criticizes Partners For Weak Response To North Korean Troops In Russia"),
])
def test_seed_headlines(prefix, title):
    assert seed(prefix).title == title


def test_seed_outlets_only_when_the_text_states_them():
    assert seed("000").outlet == "The Epoch Times"
    assert seed("003").outlet == "Euromaidan Press"
    assert [seed(p).outlet for p in ("001", "002", "004")] == ["", "", ""]


def test_seed_credits():
    assert seed("000").credits == ("Ryan Morgan", "Stephen Katte", "Reuters")
    assert seed("001").credits == ("Reuters", "Maariv")


def test_seed_dates_inferred_never_stated():
    c = seed("000")
    assert c.dates == (date(2024, 10, 31), date(2024, 11, 1))
    assert c.published == date(2024, 11, 1) and c.published_how == "inferred"
    assert seed("002").published is None and seed("002").published_how == ""


def test_seed_003_standfirst_and_repeated_headline():
    c = seed("003")
    assert c.standfirst.startswith("In a stark warning")
    assert "repeated headline" in reasons(c).values()
    assert c.paragraphs[0].startswith("On 30 October")


def test_dates_mentioned_formats():
    text = "On Nov. 1, 2024 and 30 October and 2024-10-29 and December 2023."
    assert dates_mentioned(text) == (date(2024, 10, 29), date(2024, 10, 30), date(2024, 11, 1))
    assert dates_mentioned("On November 1 it rained.") == ()  # no year anywhere: no date


def test_credit_and_label_helpers():
    assert credits_of("Reuters and Maariv contributed to this report.") == ("Reuters", "Maariv")
    assert credits_of("He contributed to this report by hiding evidence, police said.") == ()
    assert is_label("World News") and not is_label("Ukraine says troops advanced.")


# Real article prose: sentences of ordinary words, including the words boilerplate rules look
# for (photo, copyright, subscribe, related, comments, source, donate, support ...).
WORDS = ("the", "minister", "said", "on", "Friday", "that", "troops", "photo", "image",
         "copyright", "subscribe", "related", "comments", "source", "link", "reply", "donate",
         "support", "readers", "newsletter", "policy", "privacy", "via", "file", "more",
         "articles", "contributed", "report", "by", "and", "officials", "city", "2024", "Kyiv")
SUBJECTS = ("The minister", "Officials", "Residents", "The council", "Police", "She", "Reporters")
SENTENCE = st.builds(lambda s, ws: f"{s} {' '.join(ws)}.", st.sampled_from(SUBJECTS),
                     st.lists(st.sampled_from(WORDS), min_size=4, max_size=30))
PARAGRAPH = st.lists(SENTENCE, min_size=1, max_size=4).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(PARAGRAPH)
def test_article_prose_is_never_classified_as_boilerplate(paragraph):
    assert classify(paragraph) is None


@settings(max_examples=100, deadline=None)
@given(st.lists(PARAGRAPH, min_size=2, max_size=6))
def test_article_prose_is_never_removed(paragraphs):
    text = "Officials Announce New Measures for the City\n\n" + "\n\n".join(paragraphs)
    c = clean_text(text)
    assert c.title == "Officials Announce New Measures for the City"
    assert list(c.paragraphs) == paragraphs and not c.standfirst


def test_stated_publication_date_line():
    text = ("Published: November 2, 2024\n\nHarbour Ferry Returns After Long Repairs\n\n"
            "The ferry returned on Nov. 1, 2024 after repairs.\n\nPassengers cheered.")
    c = clean_text(text)
    assert c.title == "Harbour Ferry Returns After Long Repairs"
    assert c.published == date(2024, 11, 2) and c.published_how == "stated"
    assert reasons(c)["Published: November 2, 2024"] == "dateline"
    assert c.paragraphs == ("The ferry returned on Nov. 1, 2024 after repairs.",
                            "Passengers cheered.")


def test_outlet_from_text_without_registry():
    from digest.ingest.metadata import outlet_from_text

    assert outlet_from_text("The Epoch Times reached out to the White House for a response.",
                            ()) == "The Epoch Times"
    assert outlet_from_text("The Kremlin contacted Washington on Friday.", ()) == ""
    assert outlet_from_text("Copyright © 2024 Euromaidanpress.com", OUTLETS) == "Euromaidan Press"


def test_credits_with_places():
    assert credits_of("Ahmed al-Haj in Sanaa, Yemen; Hadeel al-Shalchi and Barbara Surk in "
                      "Manama, Bahrain contributed to this report.") == \
        ("Ahmed al-Haj", "Hadeel al-Shalchi", "Barbara Surk")
