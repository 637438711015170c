"""Frozen records passed between the build stages."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Mapping

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
