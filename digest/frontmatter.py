"""Split a content file into front-matter and body, and validate the front-matter keys."""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Callable, Mapping
from zoneinfo import ZoneInfo

import yaml

FENCE = "---"
STATUSES = ("published", "draft", "hidden")
KINDS = ("news", "opinion", "analysis", "interview", "review", "explainer")


class FrontMatterError(Exception):
    """A content file's front-matter cannot be used; carries line and key."""

    def __init__(self, message: str, line: int | None = None, key: str | None = None):
        super().__init__(message)
        self.message, self.line, self.key = message, line, key


@dataclass(frozen=True)
class Split:
    """Front-matter mapping, the line of each key, and the body with its first line number."""

    meta: Mapping[str, Any]
    lines: Mapping[str, int]
    body: str
    body_line: int


def split(text: str) -> Split:
    """Return the parsed front-matter and body of a content file's text."""
    text = text.lstrip("\ufeff")
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != FENCE:
        return Split({}, {}, text, 1)
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in (FENCE, "...")), None)
    if end is None:
        raise FrontMatterError("front-matter opened with '---' on line 1 is never closed "
                               "(expected a line with '---')", line=1)
    source = "\n".join(lines[1:end])
    meta, key_lines = _load(source)
    return Split(meta, key_lines, "\n".join(lines[end + 1:]), end + 2)


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x faster


def _load(source: str) -> tuple[dict[str, Any], dict[str, int]]:
    """Parse front-matter YAML once; return the mapping and the line of each top-level key."""
    loader = _Loader(source)
    try:
        node = loader.get_single_node()
        meta = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 2 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and start is not None and start.line + 2 != line:
            problem += f" ({context} that starts on line {start.line + 2})"
        raise FrontMatterError(f"invalid YAML in front-matter: {problem}", line=line) from None
    finally:
        loader.dispose()
    if meta is None:
        return {}, {}
    if not isinstance(meta, dict):
        raise FrontMatterError(f"front-matter must be a mapping of keys, found {type(meta).__name__}",
                               line=2)
    key_lines: dict[str, int] = {}
    for key_node, _ in node.value:
        key = str(key_node.value)
        if key in key_lines:
            raise FrontMatterError(f"key {key!r} appears twice (first on line {key_lines[key]})",
                                   line=key_node.start_mark.line + 2, key=key)
        key_lines[key] = key_node.start_mark.line + 2
    return {str(k): v for k, v in meta.items()}, key_lines


def parse_when(value: Any, tz: str) -> date | datetime:
    """Return a date, or an aware datetime (naive ones are read in zone `tz`); raise ValueError."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(tz))
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        s = value.strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
            return date.fromisoformat(s)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?", s):
            return parse_when(datetime.fromisoformat(s.replace("Z", "+00:00")), tz)
    raise ValueError(value)


def day_of(value: date | datetime | None) -> date | None:
    """Return the calendar day of a date or datetime."""
    if isinstance(value, datetime):
        return value.date()
    return value


@functools.lru_cache(maxsize=1 << 16)  # ranking and listings ask for every article's, every build
def sort_key(value: date | datetime | None) -> str:
    """Return a string that orders dates and datetimes chronologically (missing first)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(ZoneInfo("UTC")).isoformat()
    return datetime.combine(value, time(12, 0), ZoneInfo("UTC")).isoformat()


def iso(value: date | datetime | None) -> str | None:
    """Return ISO 8601 text for a date or datetime."""
    return value.isoformat() if value is not None else None


def _string(v: Any) -> Any:
    return v.strip() if isinstance(v, str) and v.strip() else _BAD


def _opt_string(v: Any) -> Any:
    return v.strip() if isinstance(v, str) else _BAD


def _str_list(v: Any) -> Any:
    if isinstance(v, str):
        v = [v]
    if isinstance(v, list) and all(isinstance(x, str) and x.strip() for x in v):
        return tuple(x.strip() for x in v)
    return _BAD


def _int(v: Any) -> Any:
    return v if isinstance(v, int) and not isinstance(v, bool) else _BAD


def _bool(v: Any) -> Any:
    return v if isinstance(v, bool) else _BAD


def _choice(options: tuple[str, ...]) -> Callable[[Any], Any]:
    return lambda v: v if v in options else _BAD


def _url(v: Any) -> Any:
    return v.strip() if isinstance(v, str) and re.match(r"^https?://[^\s/]+\S*$", v.strip()) else _BAD


def _slug_value(v: Any) -> Any:
    if isinstance(v, (str, int)) and not isinstance(v, bool) and slugify(str(v)):
        return slugify(str(v))
    return _BAD


def _mapping(v: Any) -> Any:
    return v if isinstance(v, dict) else _BAD


_BAD = object()

# key -> (check returning the value or _BAD, what was expected)
FIELDS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "title": (_string, "a non-empty string"),
    "id": (_slug_value, "an id of letters, digits and dashes"),
    "outlet": (_string, "the outlet's name as a string"),
    "url": (_url, "an http(s) URL"),
    "authors": (_str_list, "a list of names"),
    "credits": (_str_list, "a list of names (wire services, contributors)"),
    "story": (_slug_value, "a story id of letters, digits and dashes"),
    "status": (_choice(STATUSES), "one of " + ", ".join(STATUSES)),
    "tags": (_str_list, "a list of tags"),
    "pinned": (_bool, "true or false"),
    "weight": (_int, "a whole number"),
    "note": (_opt_string, "a string"),
    "kind": (_choice(KINDS), "one of " + ", ".join(KINDS)),
    "standfirst": (_opt_string, "a string"),
    "extra": (_mapping, "a mapping"),
    "import": (_mapping, "the import record written by `digest import`"),
}
DATE_FIELDS = ("published", "updated")
DATE_EXPECTED = "a date (YYYY-MM-DD) or a datetime with zone (YYYY-MM-DDTHH:MM:SS+00:00)"


def check(key: str, value: Any) -> Any:
    """Return the validated value of a known key, or raise FrontMatterError(expected, found)."""
    fn, expected = FIELDS[key]
    out = fn(value)
    if out is _BAD:
        raise FrontMatterError(f"expected {expected}, found {describe(value)}", key=key)
    return out


def describe(value: Any) -> str:
    """Return a short description of a found value for error messages."""
    kind = {str: "the string", bool: "the boolean", int: "the number", float: "the number",
            list: "the list", dict: "a mapping", type(None): "nothing"}.get(type(value), "")
    text = repr(value) if not isinstance(value, dict) else ""
    return f"{kind} {text[:80]}".strip() if kind or text else type(value).__name__


@functools.lru_cache(maxsize=1 << 16)
def slugify(text: str) -> str:
    """Return a URL- and file-safe id: lowercase ASCII letters, digits and single dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80].strip("-")
