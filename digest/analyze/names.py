"""Person names: strip titles, fold transliteration variants, pick one display spelling."""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

# Words that come before a name but are not part of it ("U.S. Secretary of State").
TITLES = frozenset("""
president vice prime minister foreign defense defence interior finance secretary state
general gen gov governor senator sen rep representative chancellor king queen prince
premier mayor leader chief spokesperson spokesman spokeswoman ambassador envoy director
commander colonel col adviser advisor official officials head chairman chair deputy
minister's mr mrs ms dr prof pope sheikh of the former acting national security council
counterpart lawmaker judge justice speaker admiral marshal lt lieutenant captain sergeant
""".split())
# Place and group words that look like names but are not people ("North Korean").
_NOT_PERSON = frozenset("""
north south east west eastern western northern southern far middle united new great
the a an in on at and but if as while after before during since when with for to from
this that these those there it its he she they we our their his her i you
monday tuesday wednesday thursday friday saturday sunday january february march april
may june july august september october november december jan feb mar apr jun jul aug
sep sept oct nov dec ukrainian russian american british german chinese korean european
""".split())
_DIRECTIONS = frozenset("north south east west".split())
_CAP_WORD = r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)*"
NAME = re.compile(rf"{_CAP_WORD}(?:[ \u00a0]+{_CAP_WORD}){{0,4}}")
_POSSESSIVE = re.compile(r"[’']s?$")
_POSSESSIVE_AFTER = re.compile(r"[’']s\b")
_DOUBLED = re.compile(r"(.)\1+")
_ENDING = re.compile(r"(?:iy|yi|ij|ii|y|i|j)$")


@dataclass(frozen=True)
class Person:
    """One person of a story: identity key, display spelling and all surface forms."""

    key: str
    display: str
    forms: frozenset[str]


@dataclass(frozen=True)
class NameMemo:
    """Memoised `fold` and `clean_name` results, for one analyze call."""

    folds: dict[str, str] = field(default_factory=dict)
    clean: dict[str, str] = field(default_factory=dict)

    def fold(self, token: str) -> str:
        """Return `fold(token)`, memoised."""
        f = self.folds.get(token)
        if f is None:
            f = self.folds[token] = fold(token)
        return f

    def clean_name(self, phrase: str) -> str:
        """Return `clean_name(phrase)`, memoised."""
        c = self.clean.get(phrase)
        if c is None:
            c = self.clean[phrase] = clean_name(phrase)
        return c

    def name_key(self, name: str) -> str:
        """Return `name_key(name)` using the memoised folds."""
        tokens = name.split()
        if len(tokens) >= 2:
            return f"{self.fold(tokens[0])} {self.fold(tokens[-1])}"
        return self.fold(tokens[0]) if tokens else ""


def fold(token: str) -> str:
    """Return a transliteration-insensitive key for one name token (Zelenskyy -> zelensk)."""
    t = unicodedata.normalize("NFKD", token.lower())
    t = "".join(c for c in t if c.isalpha())
    t = _DOUBLED.sub(r"\1", t)  # doubled letters: Zelenskyy, Mohammad/Muhammad
    stripped = _ENDING.sub("", t)
    return stripped if len(stripped) >= 3 else t


def strip_title(phrase: str) -> str:
    """Return `phrase` without leading titles and nationality words."""
    tokens = phrase.split()
    # "Health Minister Maria Lopez": everything up to the last title word goes.
    cut = max((i + 1 for i, t in enumerate(tokens[:-1]) if _is_title(t)), default=0)
    tokens = tokens[cut:]
    while len(tokens) > 1 and _is_direction(tokens):
        tokens = tokens[1:]
    return " ".join(tokens)


def _is_direction(tokens: list[str]) -> bool:
    """True for "North" in "North Korean Foreign Minister ...": part of a nationality."""
    return tokens[0].lower() in _DIRECTIONS and len(tokens) > 1 and nationality(tokens[1])


def nationality(token: str) -> bool:
    """True for nationality adjectives and abbreviations (Ukrainian, Korean, U.S.)."""
    low = token.lower()
    return low.endswith(("ian", "ean", "ese", "ish")) or low in ("u.s.", "us", "uk", "u.k.", "eu")


def _is_title(token: str) -> bool:
    """True for a title or role word, or a nationality, that may precede a name."""
    return token.lower().rstrip(".") in TITLES or nationality(token)


def title_words(phrase: str) -> frozenset[str]:
    """Return the lower-cased title words that precede the name in `phrase`."""
    tokens = phrase.split()
    name = strip_title(phrase).split()
    return frozenset(t.lower() for t in tokens[: len(tokens) - len(name)])


def clean_name(phrase: str) -> str:
    """Return a person name from a capitalised phrase, or '' when it is not one."""
    name = _POSSESSIVE.sub("", strip_title(phrase.strip()))
    tokens = name.split()
    if not tokens or len(tokens) > 3:
        return ""
    if any(_is_title(t) or t.lower() in _NOT_PERSON for t in tokens):
        return ""
    return name


def name_key(name: str) -> str:
    """Return the identity key of a name: folded first name and surname, or the one word."""
    tokens = name.split()
    if len(tokens) >= 2:
        return f"{fold(tokens[0])} {fold(tokens[-1])}"
    return fold(tokens[0]) if tokens else ""


def build_people(mentions: Iterable[str]) -> dict[str, Person]:
    """Return people by key from name mentions; the display is the most common full form."""
    names = [n for n in (clean_name(m) for m in mentions) if n]
    forms: dict[str, Counter[str]] = {}
    for name in (n for n in names if " " in n):
        forms.setdefault(name_key(name), Counter())[name] += 1
    # A one-word mention joins the full name holding that word (surname or, for
    # family-name-first names like "Choe Son Hui", the first word).
    known = aliases(forms)
    for name in (n for n in names if " " not in n):
        forms.setdefault(known.get(fold(name), fold(name)), Counter())[name] += 1
    return {key: Person(key, _display(counts), frozenset(counts)) for key, counts in forms.items()}


def aliases(forms: dict[str, Counter[str]] | dict[str, Person]) -> dict[str, str]:
    """Return folded token or key -> person key; a surname goes to its most named holder."""
    counts = {k: sum(v.values()) if isinstance(v, Counter) else len(v.forms)
              for k, v in forms.items()}
    ranked = sorted(forms, key=lambda k: (-counts[k], k))
    out: dict[str, str] = {}
    for key in ranked:
        out.setdefault(key.split()[-1], key)
    for key in ranked:
        value = forms[key]
        for name in sorted(value.forms if isinstance(value, Person) else value):
            for token in name.split()[:-1]:
                out.setdefault(fold(token), key)
    out.update({key: key for key in forms})
    return out


def resolve(name: str, alias: dict[str, str]) -> str:
    """Return the person key of a clean name: the full name if known, else by its surname."""
    key = name_key(name)
    return alias.get(key) or alias.get(fold(name.split()[-1])) or key


def _display(counts: Counter[str]) -> str:
    """Return the most common longest spelling (full names beat surnames)."""
    longest = max(len(n.split()) for n in counts)
    full = [(c, n) for n, c in counts.items() if len(n.split()) == longest]
    # Most mentions of that surname spelling decide ties between full spellings.
    surname = Counter()
    for n, c in counts.items():
        surname[n.split()[-1]] += c
    return max(full, key=lambda cn: (cn[0], surname[cn[1].split()[-1]], cn[1]))[1]


def titled_names(text: str) -> list[tuple[str, frozenset[str]]]:
    """Return (name, title words) for names after a title ("President Volodymyr Zelensky")."""
    found = []
    for m in NAME.finditer(text):
        tokens = m.group(0).split()
        if len(tokens) >= 2 and any(_is_title(t) for t in tokens[:-1]):
            name = clean_name(m.group(0))
            if len(name.split()) >= 2:
                found.append((name, title_words(m.group(0))))
    return found


def mentions(text: str, keys: dict[str, str],
             memo: NameMemo | None = None) -> list[tuple[int, str]]:
    """Return (offset, person key) of every non-possessive mention; `keys` from aliases()."""
    memo = NameMemo() if memo is None else memo
    out = []
    for m in NAME.finditer(text):
        if _POSSESSIVE_AFTER.match(text, m.end(), m.end() + 3):
            continue  # "Putin’s leadership": not the subject of what follows
        full = memo.clean_name(m.group(0))
        if full and memo.name_key(full) in keys:
            out.append((m.start(), keys[memo.name_key(full)]))
            continue
        for token in reversed(m.group(0).split()):
            if memo.fold(token) in keys and token.lower() not in _NOT_PERSON:
                out.append((m.start(), keys[memo.fold(token)]))
                break
    return out
