"""HTML pages -> main text and stated metadata, with trafilatura; HTML fragments -> text."""
from __future__ import annotations

import logging
import re
from typing import Any

from digest.ingest.sources import RawArticle, SkipInput, sha256

log = logging.getLogger(__name__)

MIN_WORDS = 20  # a page with less main text than this has no article
# Chosen on evals/extraction.py (see its docstring): precision mode drops link lists and
# teasers that plain trafilatura keeps; comments are never article text.
OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "favor_precision": True,
    "include_tables": True,
    "deduplicate": False,
}
BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "figcaption", "td")


def extractor_name() -> str:
    """Return 'trafilatura <version>'."""
    import trafilatura

    return f"trafilatura {trafilatura.__version__}"


def extract_document(html: str, url: str = "") -> Any:
    """Return trafilatura's Document (text and metadata) of a page, or None."""
    import trafilatura

    return trafilatura.bare_extraction(
        html, url=url or None, with_metadata=True,
        date_extraction_params={"extensive_search": False, "original_date": True}, **OPTIONS)


def extract_text(html: str, url: str = "") -> str:
    """Return the main text of a page (paragraphs separated by newlines), or ''."""
    doc = extract_document(html, url)
    return (getattr(doc, "text", "") or "") if doc is not None else ""


def read_html(name: str, data: bytes, html: str, repairs: tuple[str, ...]) -> RawArticle:
    """Return the article of an HTML page; raise SkipInput when the page has none."""
    url = name if re.match(r"https?://", name) else ""
    try:
        doc = extract_document(html, url)
    except Exception as exc:  # trafilatura/lxml raise many kinds on hostile markup
        raise SkipInput(f"HTML could not be parsed ({type(exc).__name__})") from None
    text = (getattr(doc, "text", "") or "") if doc is not None else ""
    if len(text.split()) < MIN_WORDS:
        raise SkipInput("HTML page with no article text (nothing like a main text found)")
    page_url = str(getattr(doc, "url", "") or url or "")
    authors = tuple(a.strip() for a in re.split(r";|\band\b", getattr(doc, "author", "") or "")
                    if a.strip())
    return RawArticle(
        source=page_url or name, sha256=sha256(data), text=text.replace("\n", "\n\n"),
        extractor=extractor_name(), title=str(getattr(doc, "title", "") or ""),
        url=page_url if re.match(r"https?://", page_url) else "", authors=authors,
        published=str(getattr(doc, "date", "") or ""),
        site_name=str(getattr(doc, "sitename", "") or ""), repairs=repairs, structured=True)


def fragment_text(fragment: str) -> str:
    """Return the text of an HTML fragment (a feed entry), one block element per paragraph."""
    import lxml.html

    if not re.search(r"<[a-zA-Z]", fragment):
        return fragment
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # lxml rejects some fragments outright
        return re.sub(r"<[^>]+>", " ", fragment)
    for bad in root.xpath(".//script|.//style"):
        bad.drop_tree()
    blocks = [el.text_content().strip() for el in root.iter(*BLOCKS)
              if not any(a.tag in BLOCKS for a in el.iterancestors())]
    blocks = [b for b in blocks if b]
    return "\n\n".join(blocks) if blocks else root.text_content().strip()
