"""Line rules that recognise page furniture in scraped text: forms, appeals, captions, links.

Each rule names a reason; a line is removed only when a rule matches the *whole* line, or a
short line, so that a paragraph of article prose is never taken (see tests/ingest).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

log = logging.getLogger(__name__)

ICASE = re.IGNORECASE


@dataclass(frozen=True)
class Rule:
    """A reason, a pattern, and the longest line (in words) the rule may remove."""

    reason: str
    pattern: re.Pattern[str]
    max_words: int = 25


def _r(reason: str, pattern: str, max_words: int = 25, flags: int = ICASE) -> Rule:
    return Rule(reason, re.compile(pattern, flags), max_words)


RULES: tuple[Rule, ...] = (
    _r("comment form", r"^(leave a reply|leave a comment|comments are closed\.?|cancel reply|"
       r"post a comment|add a comment|please enter your (comment|name|email)( here)?!?\.?|"
       r"you have entered an incorrect email address!?|"
       r"save my name, email, and website in this browser.*|"
       r"this site uses akismet to reduce spam\..*|"
       r"the recaptcha verification period has expired\..*|"
       r"(log|sign) in to (comment|reply)\.?|(\d+ )?comments?|tell us what you think\W*|"
       r"your email address will not be published\..*)$"),
    _r("subscribe appeal", r"^[›»>•\W]*(subscribe|subscribe now|subscribe to our newsletter|"
       r"sign up for our newsletter|sign up|newsletter|follow us( on .{1,40})?|"
       r"get the latest news.{0,40}|join our (telegram|mailing list).{0,40})[.!:]?$", 10),
    _r("copyright or policy", r"^(copyright\s*)?(©|\(c\))\s*(\d{4}([-–]\d{4})?)?.{0,120}$", 20),
    _r("copyright or policy", r"^copyright\s+\d{4}([-–]\d{4})?\b.{0,120}$", 20),
    _r("copyright or policy", r"^(all rights reserved\.?|privacy( and cookie)? polic(y|ies)\.?|"
       r"cookie policy\.?|terms of (use|service)\.?|privacy policy \| terms of (use|service)\.?)$"),
    _r("copyright or policy", r"^when referencing our materials, please include an active "
       r"hyperlink.*$", 80),
    _r("copyright or policy", r"^the work of .{3,60} is supported by .{3,120}$", 20),
    _r("feedback prompt", r"^(to suggest a correction or clarification, write to us here\.?|"
       r"you can also highlight the text and press ctrl ?\+ ?enter\.?|"
       r"please leave your suggestions or corrections here\.?|"
       r"(have a|got a) (news )?tip\?.{0,60})$"),
    _r("source link", r"^(source link|source|read the original article|original article)"
       r"( here)?\s*[:.]?$"),
    _r("related links", r"^(related( posts| articles| stories| news| content| coverage)?|"
       r"more articles|more stories|more from .{1,40}|read more|read also|read next|"
       r"you may also like|recommended( for you)?|trending( now)?|most read|popular posts)"
       r"\s*:?$"),
    _r("related links", r"^(see also|see more|read also|related|read more|also read|also see|"
       r"more on this|related article|don'?t miss|must read)\s*:\s*\S.*$", 25),
    _r("related links", r"^(don'?t miss|must read|see more|watch|latest|top stories)\W*$", 3),
    # Teaser links tagged in capitals: "Headline of another story [VIDEO]"
    _r("related links", r"\[(VIDEO|PICTURES|PHOTOS|INSIGHT|REACTION|REVEALED|LATEST|POLL|"
       r"ANALYSIS|LIVE|MAP|GRAPHIC|UPDATE)\]\W*$", 25, 0),
    _r("shortcode residue", r"^\[\w+\b[^\]]*\].*\[/\w+\]$|^\[/?\w+( \w+=[^\]]*)?\]$", 40),
    _r("image caption", r"(^|[.:|/,]\s*)(Photos?|Images?|Pictures?|Illustration)"
       r"( via| by| courtesy of|:| credit)\s*\S.*$", 30, 0),
    _r("image caption", r"\(\s*(file )?(photo|image|picture)( illustration)?\s*\)\.?$", 25),
    _r("image caption", r"\billustrative (image|photo|picture)\b", 25),
    _r("image caption", r"\b(Getty Images|AFP via Getty|AP Photo|Shutterstock|"
       r"Wikimedia Commons)\.?$", 30, 0),
    _r("image alt text", r"^[a-z][a-z0-9'’ -]*$", 30, 0),
    _r("social embed signature", r"^[—–-]\s*[^()\n]{1,120}\(@\w{1,30}\)\s+"
       r"[A-Z][a-z]+\.? \d{1,2}, \d{4}$", 40, 0),
    _r("social embed", r"^(pic\.twitter\.com/\w+|https?://t\.co/\w+|"
       r"a post shared by .{1,80}|view this post on instagram)$", 15),
    _r("ad-blocker appeal", r"\b(disabl(e|ing) your ad ?blocker|whitelist(ing)? (us|our site))\b",
       120),
)

# Donation and membership appeals: a short line needs one strong signal, a long paragraph two
# signals of which one strong ("co-creator" or "readers like you" alone occur in prose).
APPEAL_STRONG = re.compile(r"\b(become a (patron|paying member|supporter)|donate (now|today)|"
                           r"support (us|our (work|journalism|reporting|newsroom)) (today|now)|"
                           r"see other ways to support|you could close this page)\b", ICASE)
APPEAL_WEAK = re.compile(r"\b(readers like you|join our community|cup of coffee|co-creator|"
                         r"support (us|our (work|journalism|reporting|newsroom)))\b", ICASE)
SOCIAL_LINK = re.compile(r"\s*\b(pic\.twitter\.com/\w+|https?://t\.co/\w+)")


def classify(line: str) -> str | None:
    """Return why a line is page furniture, or None when it may be article text."""
    text = line.strip()
    words = len(text.split())
    for rule in RULES:
        if words <= rule.max_words and rule.pattern.search(text):
            if rule.reason == "image alt text" and words < 5:
                continue
            return rule.reason
    strong = {m.group(0).lower() for m in APPEAL_STRONG.finditer(text)}
    weak = {m.group(0).lower() for m in APPEAL_WEAK.finditer(text)}
    if strong and (words <= 25 or len(strong | weak) >= 2):
        return "donation appeal"
    return None


def strip_social_links(line: str) -> tuple[str, tuple[str, ...]]:
    """Return the line without embedded social-media links, and the links removed."""
    links = tuple(m.group(1) for m in SOCIAL_LINK.finditer(line))
    return (SOCIAL_LINK.sub("", line).strip(), links) if links else (line, ())
