"""Shared by the analysis tests: small fixture articles and the five raw seeds."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from digest.models import Article

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
SEED_DATES = {"000": date(2024, 11, 1), "001": date(2024, 11, 1), "002": date(2024, 11, 1),
              "003": date(2024, 10, 31), "004": date(2024, 11, 1)}


def article(name: str, id: str = "", published: date | None = date(2024, 11, 1),
            folder: Path = FIXTURES) -> Article:
    """Return an Article whose text is a fixture file."""
    text = (folder / name).read_text(encoding="utf-8")
    return Article(id=id or name.rsplit(".", 1)[0], path="", title="", text=text,
                   published=published)


def seeds() -> list[Article]:
    """Return the five raw seed articles from ../shared/seeds, ids 000-004."""
    paths = sorted(SEEDS.glob("*.txt"))
    assert len(paths) == 5, f"expected the five seeds in {SEEDS}"
    return [article(p.name, p.name[:3], SEED_DATES[p.name[:3]], SEEDS) for p in paths]
