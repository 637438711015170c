"""Score digest's HTML article extraction on the Scrapinghub benchmark pages, with a baseline.

    python evals/extraction.py            # ours and plain trafilatura
    python evals/extraction.py --check    # exit 1 when ours falls below evals/floors/extraction.json

Data: ../shared/data/extraction-dev.jsonl (91 pages: id, url, html, article_body); never copied
into the repository.

Metric (exactly what this script computes): each text is lowercased and split into word tokens
with the regex \\w+ (Unicode letters, digits, underscore; punctuation dropped). Per page,
overlap = size of the multiset intersection of the predicted and the gold tokens;
precision = overlap / predicted tokens (0 when nothing was extracted), recall = overlap / gold
tokens. Precision and recall are averaged over the pages, and F1 is the harmonic mean of the two
means. This follows the benchmark's token-level precision/recall; its own scorer differs in
tokenisation, so compare systems only when scored by this script.

"ours" is what `digest import` keeps of a page: trafilatura with digest.ingest.html.OPTIONS,
then the same repair and line cleaning as plain-text input (title given by the page). "plain
trafilatura" is `trafilatura.extract(html, url=url)` with its default options.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Callable, Sequence

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from digest.ingest.clean import clean_text  # noqa: E402
from digest.ingest.html import extract_document  # noqa: E402
from digest.ingest.repair import repair  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "extraction-dev.jsonl"
FLOOR = ROOT / "evals" / "floors" / "extraction.json"
METRICS = ("precision", "recall", "f1")


def load(path: Path = DATA) -> list[dict]:
    """Return the benchmark pages."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def tokens(text: str) -> Counter[str]:
    """Return the multiset of lowercased word tokens of a text."""
    return Counter(re.findall(r"\w+", (text or "").lower()))


def page_scores(predicted: str, gold: str) -> tuple[float, float]:
    """Return (precision, recall) of one page by multiset token overlap."""
    p, g = tokens(predicted), tokens(gold)
    overlap = sum((p & g).values())
    precision = overlap / sum(p.values()) if p else 0.0
    recall = overlap / sum(g.values()) if g else 1.0
    return precision, recall


def score(extract: Callable[[dict], str], pages: Sequence[dict]) -> dict[str, float]:
    """Return mean precision, mean recall and their F1 for an extractor over the pages."""
    pairs = [page_scores(extract(page), page["article_body"]) for page in pages]
    p = sum(a for a, _ in pairs) / len(pairs)
    r = sum(b for _, b in pairs) / len(pairs)
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def ours(page: dict) -> str:
    """Return the body `digest import` keeps of a page."""
    doc = extract_document(page["html"], page["url"])
    text = (getattr(doc, "text", "") or "") if doc is not None else ""
    title = repair(getattr(doc, "title", "") or "").text
    cleaned = clean_text(repair(text.replace("\n", "\n\n")).text, title=title, url=page["url"])
    return "\n\n".join(cleaned.paragraphs)


def plain_trafilatura(page: dict) -> str:
    """Return trafilatura's text with default options (the baseline)."""
    import trafilatura

    return trafilatura.extract(page["html"], url=page["url"]) or ""


def check(measured: dict[str, float], floor_path: Path = FLOOR) -> list[str]:
    """Return the metrics that fall below their floor."""
    floors = json.loads(floor_path.read_text(encoding="utf-8"))
    return [f"{m} {measured[m]:.4f} < floor {floors[m]}" for m in METRICS
            if measured[m] < floors[m]]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 below the floors")
    args = parser.parse_args(argv)
    pages = load()
    rows = {"ours": score(ours, pages)}
    if not args.check:
        rows["plain trafilatura"] = score(plain_trafilatura, pages)
    print(f"{len(pages)} pages     precision  recall     F1")
    for name, s in rows.items():
        print(f"{name:18} {s['precision']:.4f}    {s['recall']:.4f}    {s['f1']:.4f}")
    if args.check:
        failed = check(rows["ours"])
        for line in failed:
            print("below floor:", line)
        return 1 if failed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
