"""Direct quotes with their speakers, grouped across outlets even when translated differently.

Only text that a source put inside quotation marks is a quote. A quote's speaker comes
from an attribution verb after the closing mark (“…,” he said) or before the opening
mark (Choe promised that “…”); pronouns and role nouns ("the Ukrainian leader")
resolve to the person last named before the quote, or to the article's main subject.
Quotes of one speaker group across articles when their content-word stems (with a
small list of general synonyms) overlap enough, each stem weighted by how rare it is
among the story's sentences (so the topic's own words, said by everyone, count little).
"""
from __future__ import annotations

import difflib
import functools
import html
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from digest.analyze import names
from digest.analyze.patterns import alternation
from digest.analyze.prepare import Prepared
from digest.analyze.similarity import STOPWORDS, stem, words
from digest.models import Article, Quote, QuoteVariant

log = logging.getLogger(__name__)

MIN_WORDS = 4  # 1-3 quoted words are scare quotes ("merely watching"), not statements
GROUP_OVERLAP = 0.5  # IDF-weighted share of the smaller quote's content stems both hold
MIN_CONTENT = 3  # quotes with fewer content stems only group when near-identical
MAX_SPAN = 2500  # an unclosed mark never swallows more than this

_OPEN, _CLOSE, _BOTH = "“«„", "”»", '"'
_MARK = re.compile(r"[“”«»„\"]")
VERBS = ("said says say added adds stressed stresses wrote writes declared declares told tells "
         "claimed claims noted notes emphasized emphasised emphasizes remarked remarks asserted "
         "asserts stated states explained explains continued continues insisted insists warned "
         "warns urged urges argued argues complained complains replied responded concluded "
         "promised promises acknowledged admitted announced posted commented reiterated "
         "recalled suggested predicted vowed pledged").split()
_ROLES = ("president|leader|minister|secretary|official|spokesperson|spokesman|spokeswoman|"
          "chancellor|premier|diplomat|envoy|ambassador|commander|general|mayor|governor|chief")
_GROUPS = "officials|analysts|experts|sources|witnesses|residents|critics|people|protesters"
_ANONYMOUS = (rf"(?:(?:[Aa]n?|[Oo]ne|[Ss]ome|[Ss]everal|[Tt]wo)\s+(?:[\w.’'-]+\s+){{0,3}}?"
              rf"(?:{_ROLES}|source|expert|witness|resident)|(?:{_GROUPS}))")
_SUBJECT = (rf"(?P<pron>\b(?:[Hh]e|[Ss]he)\b)|(?P<plural>\b(?:[Tt]hey|[Ww]e|{_ANONYMOUS})\b)|"
            rf"(?P<role>\b[Tt]he\s+(?:[A-Z][\w.-]+\s+){{0,2}}(?:{_ROLES})\b)|"
            rf"(?P<name>{names.NAME.pattern})")
_VERB = r"\b" + alternation(VERBS) + r"\b"  # (a verb scan: 0.33 s as "said|says|...", 0.13 s)
_ADVERBS = r"(?:(?:has|have|had|also|later|then|again|\w+ly)\s+){0,2}"
_AFTER = (re.compile(rf"[\s,—–-]*(?:{_SUBJECT})\s+{_ADVERBS}{_VERB}"),
          re.compile(rf"[\s,—–-]*{_VERB}\s+(?:{_SUBJECT})"))
_BEFORE = re.compile(rf"(?:{_SUBJECT})\s+{_ADVERBS}{_VERB}")
# Whitespace-delimited tokens a _BEFORE match can span before its verb (7, one spare).
_BEFORE_TOKENS = 8
# ”, said Zelenskyy: only right after a closing mark is "said X" an attribution
# ("urged China" names who was urged, not who spoke).
_INVERTED = re.compile(rf"[”»\"],?\s*{_VERB}\s+(?:{_SUBJECT})")
_BREAK = re.compile(r"\n\s*")
_BREAK_AT_END = re.compile(r"\n\s*$")
_SENTENCE_END = re.compile(r"[.!?…][\"”’)]*\s+(?=[A-Z“\"])")

# General English synonyms folded to one word before stemming; not tuned to any story.
_SYNONYMS = [
    "provide offer give supply grant deliver", "necessary crucial essential vital needed required",
    "observe watch monitor", "wait await", "begin start commence", "attack strike hit target",
    "say state tell declare", "stop halt cease", "help assist aid support",
    "everyone everybody all", "big large huge", "important significant key", "weapon arm",
    "fight combat battle", "allow permit let", "try attempt", "show demonstrate reveal",
    "need require must", "increase grow rise", "threat danger risk", "soldier troop",
    "merely just simply only", "act action", "country nation", "stand remain",
]


@dataclass(frozen=True)
class _Found:
    """One attributed quote: article index, span inside the marks, speaker key."""

    article: int
    start: int
    end: int
    speaker: str  # person key


@dataclass(frozen=True)
class _People:
    """What speaker resolution knows about the people of one article."""

    alias: dict[str, str]  # folded name token -> person key
    titles: dict[str, frozenset[str]]  # person key -> title words seen before the name
    spots: list[tuple[int, str]]  # (offset, key) of mentions in this article
    main: str  # the article's most mentioned person


_UNKNOWN = "?"  # attributed, but to a group or to no one we can name: not shown


def extract_quotes(articles: Sequence[Article],
                   prepared: Prepared | None = None) -> tuple[Quote, ...]:
    """Return the story's direct quotes grouped by statement, most-cited first."""
    prepared = Prepared() if prepared is None else prepared
    titled = [t for a in articles for t in prepared.titled_names(a.text)]
    people = names.build_people([n for n, _ in titled] + _speaker_names(articles))
    alias = names.aliases(people)
    titles: dict[str, frozenset[str]] = {}
    for name, words_ in titled:
        key = names.resolve(name, alias)
        titles[key] = titles.get(key, frozenset()) | words_
    found = []
    for i, a in enumerate(articles):
        spots = names.mentions(a.text, alias, prepared.lexicon.people)
        ctx = _People(alias, titles, spots, _main_subject(spots))
        found += _article_quotes(i, a.text, ctx)
    memo = prepared.lexicon.quote_words
    groups = _group(found, articles, _rarity(articles, prepared), memo)
    quotes = [_quote(g, articles, people) for g in groups]
    index = {a.id: i for i, a in enumerate(articles)}
    return tuple(sorted(quotes, key=lambda q: _order(q, articles, index)))


def _speaker_names(articles: Sequence[Article]) -> list[str]:
    """Return the names that attribution verbs follow or precede."""
    out: list[str] = []
    for a in articles:
        text = a.text
        out += [m.group("name") for lo, hi in _verb_windows(text)
                for m in _BEFORE.finditer(text, lo, hi) if m.group("name")]
        out += [m.group("name") for m in _INVERTED.finditer(text) if m.group("name")]
    return out


_VERB_AT = re.compile(_VERB)
_TOKENS_BACK = re.compile(rf"(?:\s*\S+(?!\S)){{{_BEFORE_TOKENS}}}")  # whole tokens


def _verb_windows(text: str) -> list[tuple[int, int]]:
    """Return the spans of `text` that can hold a match of _BEFORE, in order, disjoint.

    _BEFORE.finditer over the whole text tried its long subject alternation at every
    offset. Every match ends with a verb that starts a whitespace-delimited token, and
    spans at most _BEFORE_TOKENS tokens before it (a subject of at most five words, two
    adverbs), so finditer over the merged spans from that many tokens before each verb
    to its end finds the same matches: none can start or end elsewhere (\\b and
    lookbehinds at a span's start see the text before it, and a span ends where \\b holds).
    """
    spans: list[tuple[int, int]] = []
    for v in _VERB_AT.finditer(text):
        start, end = v.span()
        if start == 0 or not text[start - 1].isspace():
            continue  # _BEFORE puts whitespace before the verb
        lo = _tokens_back(text, start)
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((lo, end))
    return spans


def _tokens_back(text: str, start: int, reach: int = 240) -> int:
    """Return the offset where the _BEFORE_TOKENS-th whitespace-delimited token before
    `start` begins (0 when there are fewer)."""
    while True:
        lo = max(0, start - reach)
        m = _TOKENS_BACK.match(text[lo:start][::-1])  # read backwards from `start`
        if m and (m.end() < start - lo or lo == 0):
            return start - m.end()  # a whole token: the one before it is cut off, or none
        if lo == 0:
            return 0
        reach *= 4


def quote_spans(text: str) -> list[tuple[int, int]]:
    """Return spans of the insides of quotation marks, trimmed, in text order."""
    spans, open_at = [], -1
    for m in _MARK.finditer(text):
        pos, ch = m.start(), m.group()
        if open_at < 0:
            open_at = pos if ch in _OPEN + _BOTH else -1
        elif ch in _BOTH and text[open_at] in _BOTH and _opens_paragraph(text, open_at, pos):
            spans.append((open_at + 1, _paragraph_end(text, open_at)))  # an unclosed "
            open_at = pos
        elif ch in _CLOSE + _BOTH and pos - open_at <= MAX_SPAN:
            spans.append((open_at + 1, pos))
            open_at = -1
        elif ch in _OPEN and _continues(text, open_at, pos):
            continue  # a new paragraph of the same quote opens with a mark again
        else:
            spans.append((open_at + 1, _paragraph_end(text, open_at)))
            open_at = pos if ch in _OPEN + _BOTH else -1
    if open_at >= 0:
        spans.append((open_at + 1, _paragraph_end(text, open_at)))
    return [s for s in (_trim(text, a, b) for a, b in spans) if s[1] > s[0]]


def _continues(text: str, open_at: int, pos: int) -> bool:
    """True when the mark at `pos` opens the paragraph right after the quote's paragraph."""
    between = text[open_at:pos]
    return len(_BREAK.findall(between)) == 1 and bool(_BREAK_AT_END.search(between))


def _opens_paragraph(text: str, open_at: int, pos: int) -> bool:
    """True when a " at `pos`, in a later paragraph than `open_at`, opens a new quote."""
    if "\n" not in text[open_at:pos]:
        return False
    at_start = not text[text.rfind("\n", 0, pos) + 1:pos].strip()
    looks_open = (pos == 0 or text[pos - 1].isspace()) and text[pos + 1:pos + 2].isalnum()
    return at_start or looks_open


def _paragraph_end(text: str, pos: int) -> int:
    """Return the offset of the end of the paragraph holding `pos`."""
    end = text.find("\n", pos)
    return len(text) if end < 0 else end


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Return the span without surrounding whitespace and trailing commas."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == ","):
        end -= 1
    return start, end


def _article_quotes(index: int, text: str, ctx: _People) -> list[_Found]:
    """Return the attributed quotes of one article."""
    spans = [s for s in quote_spans(text) if len(words(text[s[0]:s[1]])) >= MIN_WORDS]
    out: list[_Found] = []
    previous: tuple[int, str] | None = None  # end and speaker of the last quote
    for start, end in spans:
        speaker = (_after(text, end, ctx) or _before(text, start, previous, ctx)
                   or _unattributed(text, start, previous, ctx))
        if speaker and speaker != _UNKNOWN:
            out.append(_Found(index, start, end, speaker))
        previous = (end, speaker)
    return out


def _main_subject(spots: list[tuple[int, str]]) -> str:
    """Return the key of the most mentioned person (earliest on ties), or ''."""
    counts: dict[str, list[int]] = {}
    for pos, key in spots:
        counts.setdefault(key, []).append(pos)
    ranked = sorted(counts.items(), key=lambda kv: (-len(kv[1]), kv[1][0]))
    return ranked[0][0] if ranked else ""


def _after(text: str, end: int, ctx: _People) -> str:
    """Return the speaker named after the closing mark (“…,” he said), or ''."""
    close = end
    while close < len(text) and text[close] in " ,\t" + _CLOSE + _BOTH:
        close += 1
    tail = text[close:close + 120].split("\n")[0]
    # “… and more.” He claims …: a full stop before the mark ends the attribution chance.
    if text[end - 1] in ".:;" and not tail[:1].islower():
        return ""
    m = _AFTER[0].match(tail) or _AFTER[1].match(tail)
    return _speaker(m, close, ctx) if m else ""


def _before(text: str, start: int, previous: tuple[int, str] | None, ctx: _People) -> str:
    """Return the speaker of a lead-in such as `Choe promised that “…`, or ''."""
    lead_from = _sentence_start(text, start, previous)
    found = list(_BEFORE.finditer(text[lead_from:start]))
    return _speaker(found[-1], lead_from, ctx) if found else ""


def _sentence_start(text: str, start: int, previous: tuple[int, str] | None) -> int:
    """Return where the sentence (or text after the previous quote) holding `start` begins."""
    floor = max(previous[0] + 1 if previous else 0, text.rfind("\n", 0, start) + 1)
    ends = _SENTENCE_END.finditer(text[floor:start])
    stops = [m.end() for m in ends]
    return floor + (stops[-1] if stops else 0)


def _speaker(m: re.Match, offset: int, ctx: _People) -> str:
    """Return the person key for a matched attribution subject."""
    if m.group("plural"):  # "they said", "a senior official said": no one we can name
        return _UNKNOWN
    if m.group("name"):
        name = names.clean_name(m.group("name"))
        if not name:
            return _UNKNOWN
        return names.resolve(name, ctx.alias)
    if m.group("role"):
        return _role_holder(m.group("role"), ctx, offset + m.start())
    return _last_mentioned(ctx.spots, offset + m.start()) or ctx.main


def _role_holder(role: str, ctx: _People, before: int) -> str:
    """Return who "the Ukrainian president" is: best title match, else the last named."""
    wanted = {w.lower() for w in role.split()[1:]}
    scores = {key: _title_score(wanted, ctx.titles.get(key, frozenset()))
              for _, key in ctx.spots}
    seen = [key for pos, key in ctx.spots if pos < before]
    best = max(reversed(seen), key=scores.__getitem__, default="")  # later mentions win ties
    return best if best and scores[best] else _last_mentioned(ctx.spots, before)


def _title_score(wanted: set[str], titles: frozenset[str]) -> int:
    """Return how well known title words match a role; nationalities count double."""
    return sum(2 if names.nationality(w) else 1 for w in wanted & titles)


def _last_mentioned(spots: list[tuple[int, str]], before: int) -> str:
    """Return the key of the person named last before `before`, or ''."""
    last = [key for pos, key in spots if pos < before]
    return last[-1] if last else ""


def _unattributed(text: str, start: int, previous: tuple[int, str] | None, ctx: _People) -> str:
    """Return the speaker of a quote with no attribution of its own, or ''."""
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start - 1].strip():  # mid-paragraph: the sentence's subject, if any
        if previous and previous[1] and text.count("\n", previous[0], start) == 0:
            return previous[1]
        lead_from = _sentence_start(text, start, None)
        return _last_mentioned([s for s in ctx.spots if s[0] >= lead_from], start)
    # A paragraph that is only a quote continues the last speaker, else the main subject.
    if previous and previous[1] and len(_BREAK.findall(text[previous[0]:start])) <= 2:
        return previous[1]
    return ctx.main


def content(text: str, table: dict[str, str] | None = None,
            memo: dict[str, str | None] | None = None) -> frozenset[str]:
    """Return the content stems of `text`, synonyms folded to one stem.

    `memo` (word -> stem or None) caches per-word results; only use it with the default table.
    """
    table = _synonym_table() if table is None else table
    return frozenset(_content_set(words(text), table, {} if memo is None else memo))


def _content_set(ws: Sequence[str], table: dict[str, str],
                 memo: dict[str, str | None]) -> set[str]:
    """Return the content stems of a text from its words (see `content`), as a set of its
    own. Words are looked up in `memo` in one pass made of builtins, the few unseen ones
    first stemmed into it."""
    for w in [w for w in ws if w not in memo]:
        memo[w] = _content_word(w, table)
    out = set(map(memo.__getitem__, ws))
    out.discard(None)
    return out  # type: ignore[return-value]  # None discarded


def _content_word(w: str, table: dict[str, str]) -> str | None:
    """Return the folded stem `w` contributes to `content`, or None for stopwords."""
    if w in STOPWORDS and w not in table:
        return None
    s = _root(w)
    s = table.get(w, table.get(s, s))
    return None if s in _STOP_ROOTS else s


def _root(word: str) -> str:
    """Return the stem of `word` without a final e, so "provide" and "providing" meet."""
    s = stem(word)
    return s[:-1] if len(s) > 4 and s.endswith("e") else s


_STOP_ROOTS = frozenset(_root(w) for w in STOPWORDS)  # dropped from every content set


@functools.cache  # a constant: made once per process, not twice per story
def _synonym_table() -> dict[str, str]:
    """Return word and stem -> canonical stem for the general synonym list (shared: not
    to be changed)."""
    table: dict[str, str] = {}
    for line in _SYNONYMS:
        group = line.split()
        for w in group:
            table[w] = table[_root(w)] = _root(group[0])
    return table


def _rarity(articles: Sequence[Article], prepared: Prepared | None = None) -> dict[str, float]:
    """Return stem -> log(N / sentences holding it) over all sentences of the story."""
    prepared = Prepared() if prepared is None else prepared
    table = _synonym_table()
    memo = prepared.lexicon.quote_words
    df: Counter[str] = Counter()
    n = 0
    for a in articles:
        for start, end in prepared.sentences(a.text):
            n += 1
            df.update(_content_set(prepared.words(a.text, start, end), table, memo))
    return {t: math.log((n + 1) / (c + 1)) for t, c in df.items()}


def similarity(a: frozenset[str], b: frozenset[str], weights: dict[str, float]) -> float:
    """Return the weighted overlap coefficient of two stem sets (unseen stems weigh 1)."""
    def mass(stems: frozenset[str]) -> float:  # fsum: the same sum in any set order
        return math.fsum(weights.get(t, 1.0) for t in stems)
    smaller = min(mass(a), mass(b))
    return mass(a & b) / smaller if smaller > 0 else 0.0


def _group(found: list[_Found], articles: Sequence[Article], weights: dict[str, float],
           memo: dict[str, str | None] | None = None) -> list[list[_Found]]:
    """Return quotes grouped by statement: same speaker, overlapping content, one per article."""
    groups: list[list[_Found]] = []
    stems: list[frozenset[str]] = []
    table = _synonym_table()
    for q in found:
        mine = content(articles[q.article].text[q.start:q.end], table, memo)
        best = _best_group(q, mine, groups, stems, weights)
        if best < 0:
            groups.append([q])
            stems.append(mine)
        else:
            groups[best].append(q)
    return groups


def _best_group(q: _Found, mine: frozenset[str], groups: list[list[_Found]],
                stems: list[frozenset[str]], weights: dict[str, float]) -> int:
    """Return the index of the most similar group `q` may join, or -1."""
    best, best_score = -1, 0.0
    for g, group in enumerate(groups):
        if group[0].speaker != q.speaker or any(x.article == q.article for x in group):
            continue
        if min(len(mine), len(stems[g])) < MIN_CONTENT and mine != stems[g]:
            continue  # too few words to tell a paraphrase from a different remark
        score = similarity(mine, stems[g], weights)
        if score >= GROUP_OVERLAP and score > best_score:
            best, best_score = g, score
    return best


def _quote(group: list[_Found], articles: Sequence[Article],
           people: dict[str, names.Person]) -> Quote:
    """Return one Quote with a diff of every variant against the first."""
    first = articles[group[0].article].text[group[0].start:group[0].end]
    variants = []
    for q in group:
        text = articles[q.article].text[q.start:q.end]
        variants.append(QuoteVariant(articles[q.article].id, text, q.start, q.end,
                                     diff_html(first, text)))
    person = people.get(group[0].speaker)
    return Quote(person.display if person else group[0].speaker.title(), tuple(variants))


_NON_WORD = re.compile(r"\W+")


def diff_html(base: str, text: str) -> str:
    """Return `text` as HTML with words missing from `base` in <ins>, removed ones in <del>."""
    a, b = base.split(), text.split()
    norm = lambda ws: [_NON_WORD.sub("", w.lower()) for w in ws]  # noqa: E731
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, norm(a), norm(b), autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(html.escape(" ".join(b[j1:j2])))
            continue
        if i2 > i1:
            out.append(f"<del>{html.escape(' '.join(a[i1:i2]))}</del>")
        if j2 > j1:
            out.append(f"<ins>{html.escape(' '.join(b[j1:j2]))}</ins>")
    return " ".join(out)


def _order(quote: Quote, articles: Sequence[Article], index: dict[str, int]) -> tuple:
    """Return the sort key: most outlets first, then speaker, then first appearance."""
    outlets = {articles[index[v.article]].outlet or v.article for v in quote.variants}
    first = quote.variants[0]
    return (-len(outlets), quote.speaker, index[first.article], first.start)
