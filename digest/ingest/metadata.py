"""What an article's text states about itself: headline, credits, bylines, outlet, dates."""
from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH = (r"(?P<mon>Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|"
          r"June?|July?|Aug(?:ust|\.)?|Sept?(?:ember|\.)?|Oct(?:ober|\.)?|Nov(?:ember|\.)?|"
          r"Dec(?:ember|\.)?)")
_YEAR = r"(?P<year>(?:19|20)\d\d)"
DATE_PATTERNS = (
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b"),
    re.compile(_MONTH + r"\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\b(?:,?\s+" + _YEAR + r"\b)?"),
    re.compile(r"\b(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"\b(?:,?\s+"
               + _YEAR + r"\b)?"),
)
MONTH_YEAR = re.compile(_MONTH + r"\s+" + _YEAR + r"\b")
WEEKDAY = re.compile(r"\b(Mon|Tues?|Wed(nes)?|Thu(rs)?|Fri|Sat(ur)?|Sun)(day)?\b\.?")
BARE_YEAR = re.compile(r"\b((?:19|20)\d\d)\b")
STATED = re.compile(r"^(published|posted|updated|date)(\s+on)?\s*:?\s*(?P<rest>.{6,60})$", re.I)

CREDIT = re.compile(r"^(?P<names>[^.!?]{2,200}?)\s+contributed(?: reporting)? to this "
                    r"(?:report|story|article)\.?$")
REPORTING = re.compile(r"^\(?reporting by (?P<names>[^;)]{2,200})[;)]?.*$", re.I)
BYLINE = re.compile(r"^by\s+(?P<names>[A-Z][^.!?]{1,120})$", re.I)
_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*")
# How outlets speak of themselves: "The Epoch Times reached out to X for a response."
SELF_REFERENCE = re.compile(r"\b(?P<name>The(?: [A-Z][\w&'’-]+){1,4}) (?:has |had )?"
                            r"(?:(?:reached out to|contacted) [^.]{1,80}? for (?:a )?"
                            r"(?:comment|response|reaction)|requested comment|"
                            r"could not independently (?:verify|confirm))")
COPYRIGHT_DOMAIN = re.compile(r"(?:©|\(c\)|copyright)[^\n]{0,40}?\b(?P<domain>[a-z0-9-]+"
                              r"(?:\.[a-z0-9-]+)*\.(?:com|org|net|info|news|co\.uk|ua|eu|io))\b",
                              re.I)


def is_label(line: str) -> bool:
    """Return True for a section label such as 'World News' or 'POLITICS' (not a list item)."""
    words = line.split()
    return 0 < len(words) <= 3 and not line.endswith((".", ",", ";")) and \
        not re.match(r"\d+[.)]", line) and \
        all(w[:1].isupper() or not w[:1].isalpha() for w in words)


def is_headline(line: str) -> bool:
    """Return True when a line reads like a headline: short, capitalised, no closing period."""
    words = line.split()
    return (3 < len(words) <= 30 and len(line) <= 220 and not line.endswith((".", ",", ";", ":"))
            and not line[:1].islower() and not is_dateline(line) and not STATED.match(line))


def is_dateline(line: str) -> bool:
    """Return True for a line that is only a date, such as 'Tuesday, October 16, 2018'."""
    if not any(p.search(line) for p in (*DATE_PATTERNS, MONTH_YEAR)):
        return False
    rest = line
    for pattern in (*DATE_PATTERNS, MONTH_YEAR, WEEKDAY, BARE_YEAR):
        rest = pattern.sub(" ", rest)
    return len(re.findall(r"[^\W\d]{2,}", rest)) < 2


def names_of(text: str) -> tuple[str, ...]:
    """Return the names in 'A, B, and C' or 'A in Paris; B and C in Rome'."""
    names: list[str] = []
    for part in text.split(";"):
        part = re.sub(r"\s+in\s+[A-Z].*$", "", part.strip())
        names.extend(n.strip(" .") for n in _SPLIT.split(part) if n.strip(" ."))
    return tuple(names)


def credits_of(line: str) -> tuple[str, ...]:
    """Return the names a credit line ('X and Reuters contributed to this report.') credits."""
    m = CREDIT.match(line) or REPORTING.match(line)
    if not m or len(line.split()) > 30:
        return ()
    return names_of(m.group("names"))


def byline_of(line: str) -> tuple[str, ...]:
    """Return the authors of a byline ('By A and B'), else ()."""
    m = BYLINE.match(line)
    if not m or len(line.split()) > 12:
        return ()
    return names_of(m.group("names"))


def outlet_from_url(url: str, outlets: Sequence[Mapping[str, Any]]) -> str:
    """Return the registry name whose domain serves the URL, else ''."""
    host = (urlsplit(url).hostname or "").lower()
    return outlet_for_domain(host, outlets) if host else ""


def outlet_for_domain(host: str, outlets: Sequence[Mapping[str, Any]]) -> str:
    """Return the registry outlet whose domains include host (or a parent domain), else ''."""
    host = host.lower().removeprefix("www.")
    for outlet in outlets:
        for domain in outlet.get("domains") or ():
            d = str(domain).lower().removeprefix("www.")
            if host == d or host.endswith("." + d):
                return str(outlet.get("name", ""))
    return ""


def outlet_from_text(text: str, outlets: Sequence[Mapping[str, Any]]) -> str:
    """Return the outlet the text names as itself (copyright line, 'X reached out'), else ''."""
    for m in COPYRIGHT_DOMAIN.finditer(text):
        name = outlet_for_domain(m.group("domain"), outlets)
        if name:
            return name
    for m in SELF_REFERENCE.finditer(text):
        found = m.group("name")
        known = [str(o.get("name", "")) for o in outlets]
        match = next((k for k in known if k and k.lower() == found.lower()), "")
        return match or found
    return ""


def dates_mentioned(text: str, hints: str = "") -> tuple[date, ...]:
    """Return the full dates a text mentions, sorted; a missing year is inferred from `hints`."""
    years = [int(y) for y in BARE_YEAR.findall(text + "\n" + hints)]
    latest_month = max(((int(m.group("year")), _month(m.group("mon")))
                        for m in MONTH_YEAR.finditer(text)), default=None)
    found: set[date] = set()
    for pattern in DATE_PATTERNS:
        for m in pattern.finditer(text):
            d = _date_of(m, max(years, default=None), latest_month)
            if d is not None:
                found.add(d)
    return tuple(sorted(found))


def _month(name: str) -> int:
    return MONTHS[name[:3].lower()]


def _date_of(m: re.Match[str], year_hint: int | None,
             latest_month: tuple[int, int] | None) -> date | None:
    """Return the date of a match; a yearless one falls after the latest month-year mentioned."""
    groups = m.groupdict()
    month = int(groups["month"]) if groups.get("month") else _month(groups["mon"])
    day, year = int(groups["day"]), groups.get("year")
    if year is None:
        if year_hint is None:
            return None
        year = year_hint + (1 if latest_month and (year_hint, month) < latest_month else 0)
    try:
        return date(int(year), month, day)
    except ValueError:
        return None


def stated_date(lines: Iterable[str]) -> date | None:
    """Return the date a 'Published: ...' line states, else None."""
    for line in lines:
        m = STATED.match(line)
        if m:
            found = dates_mentioned(m.group("rest"))
            if found:
                return found[0]
    return None
