"""Frozen records passed between the build stages."""
from __future__ import annotations

import functools
import pickle
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Mapping, SupportsIndex

from digest.cache import text_fingerprint

@dataclass(frozen=True)
class Removed:
    """One line that cleaning removed, and why."""

    line: str
    reason: str


@dataclass(frozen=True)
class ImportRecord:
    """What `digest import` did to produce a content file (front-matter key `import`)."""

    source: str = ""
    sha256: str = ""
    imported: str = ""
    extractor: str = ""
    repairs: tuple[str, ...] = ()
    removed: tuple[Removed, ...] = ()
    history: tuple[Mapping[str, Any], ...] = ()
    date_source: str = ""  # how `published` is known: stated | inferred | front-matter


@dataclass(frozen=True)
class Article:
    """One source article as read from content/ and cleaned."""

    id: str
    path: str  # content file relative to the site folder
    title: str
    text: str  # cleaned plain text that analysis uses; spans index into it
    outlet: str = ""
    url: str = ""
    published: date | datetime | None = None
    updated: date | datetime | None = None
    authors: tuple[str, ...] = ()
    credits: tuple[str, ...] = ()
    story: str = ""
    status: str = "published"
    tags: tuple[str, ...] = ()
    pinned: bool = False
    weight: int = 0
    note: str = ""
    kind: str = ""  # type of work: news | opinion | analysis
    standfirst: str = ""
    published_source: str = ""  # front-matter | stated | inferred
    updated_source: str = ""
    record: ImportRecord | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    sha256: str = ""

    # Digests of what grouping and analysis read of the article, for their cache keys.
    # Kept on the object once made, and so in the build cache with it: a rebuild after one
    # edit does not hash every article's fields again.
    @functools.cached_property
    def grouping_key(self) -> str:
        """A digest of the fields grouping reads: id, story key, date, title, text."""
        return text_fingerprint(repr((self.id, self.story, self.published, self.title,
                                      self.sha256)))

    @functools.cached_property
    def analysis_key(self) -> str:
        """A digest of the fields story analysis reads: id, text, title, dates, outlet."""
        return text_fingerprint(repr((self.id, self.sha256, self.title, self.published,
                                      self.updated, self.outlet)))

    @functools.cached_property
    def word_count(self) -> int:
        """The number of words of the text (whitespace-separated), as pages and digest.json
        give it. Counted as the article is cleaned (clean.clean_one), and so kept in the
        build cache: a full render counted each text three times (a story page's source
        card, the article page, digest.json), 0.13 ms of a story page's 2.2."""
        return len(self.text.split())

    @functools.cached_property
    def listing_key(self) -> str:
        """A digest of the fields pages that list articles read (LISTING_FIELDS): the home,
        archive and outlet pages and the feeds. An edit to another field (a note, tags, the
        import record) leaves those pages as they are."""
        return text_fingerprint(repr(tuple(getattr(self, name) for name in LISTING_FIELDS)))

    # The build cache holds every article and story, and a rebuild after one edit loads it
    # whole but renders few pages: so the bulky parts (an article's text, a story's
    # analysis) are pickled apart, as bytes, and decoded only when something reads them.
    # Decoding all of them took 0.3 s of a 1.2 s rebuild at 10,000 articles. With pickle
    # protocol 5 the bytes go out of band (cache.save_store puts them after the pickle),
    # and a loaded article holds a view of the cache file's bytes: no copy is made.
    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        """Pickle the text as UTF-8 bytes (see __getattr__), the fields as one tuple
        (_restore)."""
        state = dict(self.__dict__)
        text = state.pop("text", None)
        raw = state.pop("_text") if text is None else text.encode("utf-8", "surrogatepass")
        state["_text"] = _blob(raw, protocol)
        return _reduced(self, state)

    def __getattr__(self, name: str) -> Any:
        """Reached only for the text of an unpickled article that nothing has read yet."""
        raw = self.__dict__.get("_text")
        if name != "text" or raw is None:
            raise AttributeError(f"'Article' object has no attribute {name!r}")
        self.__dict__["text"] = str(raw, "utf-8", "surrogatepass")
        del self.__dict__["_text"]
        return self.__dict__["text"]


def _blob(data: bytes | memoryview, protocol: SupportsIndex) -> Any:
    """Return bytes to pickle: out of band where the protocol allows (5 and later; the
    pickler keeps them in band when it takes no buffer_callback), else as bytes."""
    return pickle.PickleBuffer(data) if int(protocol) >= 5 else bytes(data)


_NAMES: dict[tuple[str, ...], tuple[str, ...]] = {}  # one tuple per set of field names


def _reduced(obj: Any, state: dict[str, Any]) -> tuple[Any, ...]:
    """Return what pickle makes `obj` from: _restore, with the names of its fields (one
    tuple object for all objects with the same names, which pickle writes once) and their
    values. Unpickled by a call instead of a dict given to __setstate__: 10,000 articles
    load in 0.08 s instead of 0.13 s."""
    names = tuple(state)
    return _restore, (type(obj), _NAMES.setdefault(names, names), tuple(state.values()))


def _restore(cls: type, names: tuple[str, ...], values: tuple[Any, ...]) -> Any:
    """Return an object of `cls` holding `values` under `names` (see _reduced)."""
    obj = cls.__new__(cls)
    obj.__dict__.update(zip(names, values))
    return obj


# What an article contributes to the pages that list it (Article.listing_key). `sha256`
# stands for the text, whose hash it is: listings quote passages and first paragraphs.
LISTING_FIELDS = ("id", "title", "sha256", "outlet", "url", "published", "updated", "authors",
                  "story", "status", "pinned", "weight", "standfirst")


@dataclass(frozen=True)
class Citation:
    """A character span [start, end) in one article's `text` that supports a claim."""

    article: str
    start: int
    end: int


@dataclass(frozen=True)
class SummarySentence:
    text: str
    citations: tuple[Citation, ...]


@dataclass(frozen=True)
class QuoteVariant:
    article: str
    text: str
    start: int
    end: int
    diff_html: str = ""  # the wording with differences from the first variant marked


@dataclass(frozen=True)
class Quote:
    speaker: str
    variants: tuple[QuoteVariant, ...]


@dataclass(frozen=True)
class FigureValue:
    value: str
    article: str
    start: int
    end: int
    context: str = ""


@dataclass(frozen=True)
class Figure:
    what: str
    values: tuple[FigureValue, ...]
    conflict: bool


@dataclass(frozen=True)
class TimelineEvent:
    date: str  # YYYY-MM-DD or YYYY-MM
    text: str
    articles: tuple[str, ...]
    citations: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class SourceCoverage:
    """How much of one article other sources also carry, and the sentences only it has."""

    article: str
    sentences: int
    shared: int
    unique: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class Story:
    id: str
    title: str
    articles: tuple[str, ...]
    summary: tuple[SummarySentence, ...] = ()
    quotes: tuple[Quote, ...] = ()
    figures: tuple[Figure, ...] = ()
    timeline: tuple[TimelineEvent, ...] = ()
    coverage: tuple[SourceCoverage, ...] = ()
    independent: int = 0  # sources after collapsing copies of one wire text
    pinned: bool = False
    weight: int = 0

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        """Pickle the analysis apart, as bytes (see Article.__reduce_ex__, __getattr__)."""
        state = {k: v for k, v in self.__dict__.items() if k not in STORY_ANALYSIS}
        raw = state.pop("_analysis", None)
        if raw is None:
            raw = pickle.dumps(tuple(self.__dict__[n] for n in STORY_ANALYSIS),
                               protocol=pickle.HIGHEST_PROTOCOL)
        state["_analysis"] = _blob(raw, protocol)
        return _reduced(self, state)

    def __getattr__(self, name: str) -> Any:
        """Reached only for the analysis of an unpickled story that nothing has read yet
        (the STORY_ANALYSIS fields have no class defaults, so lookup falls through here)."""
        raw = self.__dict__.get("_analysis")
        if name not in STORY_ANALYSIS or raw is None:
            raise AttributeError(f"'Story' object has no attribute {name!r}")
        self.__dict__.update(zip(STORY_ANALYSIS, pickle.loads(raw)))
        del self.__dict__["_analysis"]
        return self.__dict__[name]


STORY_ANALYSIS = ("summary", "quotes", "figures", "timeline", "coverage")
for _name in STORY_ANALYSIS:  # __init__ keeps its defaults
    delattr(Story, _name)


@dataclass(frozen=True)
class Problem:
    """An error or warning about one input, with where and what."""

    level: str  # "error" | "warning"
    file: str
    message: str
    line: int | None = None
    key: str | None = None

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        key = f" [{self.key}]" if self.key else ""
        return f"{where}:{key} {self.level}: {self.message}"
