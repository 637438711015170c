"""URL checks for untrusted links."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

SAFE_SCHEMES = ("http", "https")


def safe_url(url: str | None) -> str:
    """Return `url` when it is an http(s) link, else "" so that no unsafe link is rendered."""
    if not url:
        return ""
    cleaned = re.sub(r"[\x00-\x20\x7f]", "", url)
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return ""
    if parts.scheme.lower() not in SAFE_SCHEMES or not parts.netloc:
        return ""
    return url.strip()


def domain(url: str) -> str:
    """Return the host of a URL without a leading 'www.'."""
    host = urlsplit(url).hostname or ""
    return host[4:] if host.startswith("www.") else host
