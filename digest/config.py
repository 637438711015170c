"""Typed schema for config.yaml: every error reported at once, unknown keys warned."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from digest.models import Problem

log = logging.getLogger(__name__)

CONFIG_FILE = "config.yaml"


@dataclass(frozen=True)
class Outlet:
    """One entry of the outlets registry that provenance cards draw on."""

    name: str
    domains: tuple[str, ...] = ()
    homepage: str = ""
    description: str = ""


@dataclass(frozen=True)
class Config:
    """The validated site configuration."""

    root: Path
    title: str = "digest"
    description: str = ""
    base_url: str = "/"
    language: str = "en"
    timezone: str = "UTC"
    theme: str = "default"
    summary_max_words: int = 120
    outlets: tuple[Outlet, ...] = ()
    search: bool = True  # build a Pagefind full-text index
    deploy_remote: str = "origin"
    deploy_branch: str = "gh-pages"
    cname: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def base_path(self) -> str:
        """Return the URL path prefix the site is served under, always ending in '/'."""
        m = re.match(r"^[a-z][a-z0-9+.-]*://[^/]+(/.*)?$", self.base_url, re.I)
        path = (m.group(1) if m else self.base_url) or "/"
        return path if path.endswith("/") else path + "/"

    def outlet(self, name: str) -> Outlet | None:
        """Return the registry entry for an outlet name (case-insensitive)."""
        key = name.casefold()
        return next((o for o in self.outlets if o.name.casefold() == key), None)


class ConfigError(Exception):
    """config.yaml is invalid; `problems` lists every error found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _positive_int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) and v > 0 else None


def _bool(v: Any) -> bool | None:
    return v if isinstance(v, bool) else None


def _timezone(v: Any) -> str | None:
    if not isinstance(v, str):
        return None
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return v


def _base_url(v: Any) -> str | None:
    if not isinstance(v, str) or not v:
        return None
    ok = v.startswith("/") or re.match(r"^https?://[^/\s]+(/\S*)?$", v)
    return v if ok else None


# key -> (validator, what was expected)
_FIELDS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "title": (_str, "a string"),
    "description": (_str, "a string"),
    "base_url": (_base_url, "a path starting with '/' or an http(s) URL"),
    "language": (_str, "a language tag such as 'en'"),
    "timezone": (_timezone, "an IANA time zone such as 'Europe/Kyiv'"),
    "theme": (_str, "a theme folder name under themes/"),
    "search": (_bool, "true or false"),
}
_KNOWN = set(_FIELDS) | {"summary", "outlets", "extra", "deploy"}


def load_config(root: Path) -> tuple[Config, list[Problem]]:
    """Return the config of the site at `root` and its warnings; raise ConfigError on errors."""
    path = root / CONFIG_FILE
    if not path.is_file():
        raise ConfigError([Problem("error", CONFIG_FILE, "not found: run digest in a site folder "
                                   "(or create one with `digest new DIR`)")])
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise ConfigError([Problem("error", CONFIG_FILE, f"invalid YAML: {_first_line(exc)}",
                                   line=line + 1 if line is not None else None)]) from None
    if not isinstance(raw, dict):
        raise ConfigError([Problem("error", CONFIG_FILE, f"expected a mapping, found {_kind(raw)}")])
    return parse_config(raw, root)


def parse_config(raw: Mapping[str, Any], root: Path) -> tuple[Config, list[Problem]]:
    """Validate a config mapping; raise ConfigError listing every error at once."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    lines = _key_lines(root / CONFIG_FILE)
    for key, value in raw.items():
        if key in _FIELDS:
            check, expected = _FIELDS[key]
            ok = check(value)
            if ok is None:
                problems.append(_bad(key, expected, value, lines))
            else:
                values[key] = ok
        elif key not in _KNOWN:
            problems.append(Problem("warning", CONFIG_FILE, f"unknown key {key!r} is ignored",
                                    line=lines.get(key), key=str(key)))
    values["summary_max_words"] = _summary(raw.get("summary"), problems, lines)
    values["outlets"] = _outlets(raw.get("outlets"), problems, lines)
    values.update(_deploy(raw.get("deploy"), problems, lines))
    extra = raw.get("extra", {})
    if not isinstance(extra, dict):
        problems.append(_bad("extra", "a mapping", extra, lines))
        extra = {}
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise ConfigError(errors)
    return Config(root=root, extra=extra, **values), problems


def _summary(raw: Any, problems: list[Problem], lines: dict[str, int]) -> int:
    if raw is None:
        return 120
    if not isinstance(raw, dict):
        problems.append(_bad("summary", "a mapping with max_words", raw, lines))
        return 120
    for key in sorted(set(raw) - {"max_words"}):
        problems.append(Problem("warning", CONFIG_FILE, f"unknown key 'summary.{key}' is ignored",
                                key=f"summary.{key}"))
    words = raw.get("max_words", 120)
    if _positive_int(words) is None:
        problems.append(_bad("summary.max_words", "a positive whole number", words, lines))
        return 120
    return words


def _deploy(raw: Any, problems: list[Problem], lines: dict[str, int]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(_bad("deploy", "a mapping with remote, branch, cname", raw, lines))
        return {}
    out = {}
    for key, field_name in (("remote", "deploy_remote"), ("branch", "deploy_branch"),
                            ("cname", "cname")):
        if key in raw:
            if isinstance(raw[key], str) and raw[key].strip():
                out[field_name] = raw[key].strip()
            else:
                problems.append(_bad(f"deploy.{key}", "a non-empty string", raw[key], lines))
    for key in sorted(set(raw) - {"remote", "branch", "cname"}):
        problems.append(Problem("warning", CONFIG_FILE, f"unknown key 'deploy.{key}' is ignored",
                                key=f"deploy.{key}"))
    return out


def _outlets(raw: Any, problems: list[Problem], lines: dict[str, int]) -> tuple[Outlet, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(_bad("outlets", "a list of outlets", raw, lines))
        return ()
    out = []
    for i, item in enumerate(raw):
        key = f"outlets[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            problems.append(_bad(key, "a mapping with a 'name' string", item, lines))
            continue
        domains = item.get("domains", [])
        if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
            problems.append(_bad(f"{key}.domains", "a list of domain names", domains, lines))
            domains = []
        for sub in ("homepage", "description"):
            if sub in item and not isinstance(item[sub], str):
                problems.append(_bad(f"{key}.{sub}", "a string", item[sub], lines))
        for extra_key in sorted(set(item) - {"name", "domains", "homepage", "description"}):
            problems.append(Problem("warning", CONFIG_FILE,
                                    f"unknown key '{key}.{extra_key}' is ignored", key=key))
        out.append(Outlet(item["name"], tuple(d.lower() for d in domains),
                          _as_str(item.get("homepage")), _as_str(item.get("description"))))
    return tuple(out)


def _as_str(v: Any) -> str:
    return v if isinstance(v, str) else ""


def _bad(key: str, expected: str, found: Any, lines: dict[str, int]) -> Problem:
    top = key.split(".")[0].split("[")[0]
    return Problem("error", CONFIG_FILE, f"expected {expected}, found {_describe(found)}",
                   line=lines.get(top), key=key)


def _key_lines(path: Path) -> dict[str, int]:
    """Return the 1-based line of each top-level key in a YAML file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    out: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(r"^([A-Za-z_][\w-]*)\s*:", line)
        if m:
            out.setdefault(m.group(1), n)
    return out


def _kind(v: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "nothing"}.get(type(v), type(v).__name__)


def _describe(v: Any) -> str:
    text = repr(v)
    return f"{_kind(v)} {text[:60]}" if v is not None else "nothing"


def _first_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]
