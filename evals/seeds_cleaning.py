"""Check the importer's cleaning on the five seed articles against a hand annotation.

    python evals/seeds_cleaning.py            # table of checks and counts
    python evals/seeds_cleaning.py --check    # exit 1 when fewer checks pass than the floor

Data: ../shared/seeds/*.txt (read in place). The annotation below (GOLD) was written by reading
the seeds: which lines are page furniture, the headline, standfirst, credits, outlet, and the
two mojibake sequences. Every other line of a seed is a body paragraph and must be kept.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from digest.ingest.clean import Cleaned, clean_text  # noqa: E402
from digest.ingest.repair import repair  # noqa: E402

SEEDS = ROOT.parent / "shared" / "seeds"
FLOOR = ROOT / "evals" / "floors" / "seeds_cleaning.json"

# Per seed (by file-name prefix): the expected metadata and the lines (after repair) that are
# not body text. `furniture` lines must be removed; everything else must stay in the body.
GOLD: dict[str, dict[str, Any]] = {
    "000": {
        "headline": "Zelenskyy Criticizes Western Allies for Inaction Following Russian "
                    "Deployment of North Korean Troops",
        "standfirst": "Ukraine’s President expressed concern that Western allies are simply "
                      "biding their time until the North Korean military begins targeting "
                      "Ukrainians.",
        "outlet": "The Epoch Times",
        "credits": ["Ryan Morgan", "Stephen Katte", "Reuters"],
        "furniture": ["World News", "Source link", "Leave a Reply",
                      "This site uses Akismet to reduce spam. Learn how your comment data is "
                      "processed."],
    },
    "001": {
        "headline": "Zelensky urges Western action against NK troops in Russia",
        "outlet": "",
        "credits": ["Reuters", "Maariv"],
        "furniture": ["Comments are closed.",
                      "— Volodymyr Zelenskyy / Володимир Зеленський (@ZelenskyyUa) November 1, "
                      "2024"],
        "embedded": ["pic.twitter.com/LwAv51LwdX"],
    },
    "002": {
        "headline": "World ‘merely watching’ as North Korea threat grows: Zelensky",
        "outlet": "",
        "credits": [],
        "furniture": ["› Subscribe", "LEAVE A REPLY", "Please enter your comment!",
                      "Please enter your name here",
                      "The reCAPTCHA verification period has expired. Please reload the page.",
                      "More Articles"],
        "repaired": ["accumulating—every camp”", "Choe told Lavrov"],
    },
    "003": {
        "headline": "Zelenskyy says international response to North Korean troops in Russia "
                    "isn’t strong enough",
        "standfirst": "In a stark warning about the implications of North Korean military "
                      "involvement in Russia’s war against Ukraine, President Volodymyr Zelenskyy "
                      "has criticized the lack of a robust international reaction, likening the "
                      "situation to the early days of Crimea’s occupation.",
        "outlet": "Euromaidan Press",
        "credits": [],
        "furniture": [
            "Copyright © 2024 Euromaidanpress.com",
            "The work of Euromaidan Press is supported by the International Renaissance "
            "Foundation",
            "When referencing our materials, please include an active hyperlink to the "
            "Euromaidan Press material and a maximum 500-character extract of the story. To "
            "reprint anything longer, written permission must be acquired from [email "
            "protected].",
            "Privacy and Cookie Policies.",
            "yonhap north korea isolates families soldiers sent russia conceals deployment "
            "domestically korean",
            "North Korean soldiers, illustrative image. Photo via Wikimedia Commons.",
            "Related:", "To suggest a correction or clarification, write to us here",
            "You can also highlight the text and press Ctrl + Enter",
            "Please leave your suggestions or corrections here", "Euromaidan Press",
            "Related Posts",
        ],
        "furniture_starts": ["You could close this page.", "We are an independent media outlet"],
        "repeated_headline": True,
    },
    "004": {
        "headline": "Zelenskiy Criticizes Partners For Weak Response To North Korean Troops In "
                    "Russia",
        "outlet": "",
        "credits": [],
        "furniture": ["Ukrainian President Volodymyr Zelenskiy (file photo)",
                      "SEE ALSO: U.S. Says 8,000 North Korean Troops Ready For Combat In Kursk "
                      "Region"],
    },
}


@dataclass(frozen=True)
class Check:
    """One named check on one seed."""

    seed: str
    name: str
    ok: bool
    detail: str = ""


def outlets() -> list[dict[str, Any]]:
    """Return the demo config's outlets registry."""
    return yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8")).get("outlets") or []


def checks_for(seed: str, raw: str, cleaned: Cleaned, repaired: str) -> list[Check]:
    """Return every check of one seed."""
    gold = GOLD[seed]
    body = set(cleaned.paragraphs)
    removed = {r.line for r in cleaned.removed}
    out = [Check(seed, "headline", cleaned.title == gold["headline"], cleaned.title),
           Check(seed, "standfirst", cleaned.standfirst == gold.get("standfirst", ""),
                 cleaned.standfirst[:50]),
           Check(seed, "outlet", cleaned.outlet == gold["outlet"], cleaned.outlet),
           Check(seed, "credits", list(cleaned.credits) == gold["credits"],
                 ", ".join(cleaned.credits))]
    furniture = set(gold["furniture"])
    starts = tuple(gold.get("furniture_starts", ()))
    for line in gold["furniture"] + list(gold.get("embedded", ())):
        out.append(Check(seed, f"removed: {line[:40]}", line in removed and line not in body))
    for start in starts:
        out.append(Check(seed, f"removed: {start[:40]}",
                         not any(p.startswith(start) for p in body)
                         and any(r.startswith(start) for r in removed)))
    if gold.get("repeated_headline"):
        out.append(Check(seed, "removed: headline repeated in body",
                         any(r.reason == "repeated headline" for r in cleaned.removed)))
    out.extend(_body_checks(seed, gold, repaired, cleaned, furniture, starts))
    for text in gold.get("repaired", ()):
        out.append(Check(seed, f"mojibake repaired: {text}",
                         any(text in p for p in body) and "โ€" not in repaired))
    return out


def _body_checks(seed: str, gold: dict[str, Any], repaired: str, cleaned: Cleaned,
                 furniture: set[str], starts: tuple[str, ...]) -> list[Check]:
    """Return one check per body paragraph of the seed: kept, word for word."""
    not_body = furniture | {gold["headline"], gold.get("standfirst", "")}
    credit_lines = [ln for ln in repaired.split("\n") if "contributed to this report" in ln]
    expected = []
    for line in repaired.split("\n"):
        line = line.strip()
        for link in gold.get("embedded", ()):
            line = line.replace(" " + link, "").replace(link, "").strip()
        if line and line not in not_body and line not in credit_lines \
                and not line.startswith(starts):
            expected.append(line)
    kept = list(cleaned.paragraphs)
    missing = [line for line in expected if line not in kept]
    return [Check(seed, "body paragraphs kept", not missing,
                  f"{len(expected) - len(missing)}/{len(expected)}" +
                  (f" missing: {missing[0][:40]}" if missing else "")),
            Check(seed, "nothing else in body", len(kept) == len(expected),
                  f"{len(kept)} kept, {len(expected)} expected")]


def run() -> list[Check]:
    """Return the checks of all five seeds."""
    registry = outlets()
    checks: list[Check] = []
    for path in sorted(SEEDS.glob("*.txt")):
        seed = path.name[:3]
        raw = path.read_text(encoding="utf-8")
        fixed = repair(raw).text
        checks.extend(checks_for(seed, raw, clean_text(fixed, registry), fixed))
    return checks


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 below the floor")
    args = parser.parse_args(argv)
    checks = run()
    for c in checks:
        print(f"{c.seed}  {'ok  ' if c.ok else 'FAIL'}  {c.name:48.48} {c.detail[:60]}")
    passed = sum(c.ok for c in checks)
    print(f"\n{passed}/{len(checks)} checks pass; "
          f"{sum('removed' in c.name for c in checks)} furniture checks, "
          f"{sum(c.name.startswith('body') for c in checks)} seeds with every body paragraph kept")
    if args.check:
        floor = json.loads(FLOOR.read_text(encoding="utf-8"))
        if passed < floor["passed"] or len(checks) < floor["total"]:
            print(f"below floor: {passed}/{len(checks)} < {floor['passed']}/{floor['total']}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
