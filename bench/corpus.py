"""Write a deterministic synthetic digest site: N articles of ~620 words in stories of 2 to 8.

    python bench/corpus.py OUT_DIR --articles 10000 [--seed 1]

Each story has its own people, places, organisations and numbers, reported by several
outlets in different words, so grouping, summaries, quotes and figures all have work to do.
"""
from __future__ import annotations

import argparse
import random
from datetime import date, timedelta
from pathlib import Path

SYLLABLES = ["ka", "lo", "mi", "ra", "ten", "vo", "shi", "an", "del", "mar", "tor", "ine",
             "bel", "cor", "dan", "es", "fi", "gar", "hul", "is", "jon", "kel", "lin", "mo"]
COMMON = ("the a of to and in that for on with as by at from said was were has have will "
          "would could after before officials government people city region week report "
          "according statement told also new first more than about over two three during "
          "while since including local national police minister president court members "
          "talks plan said") .split()
NOUNS = ["troops", "containers", "residents", "votes", "workers", "homes", "flights",
         "patients", "students", "vehicles", "tonnes", "firefighters"]
VERBS = ["said", "added", "told reporters", "wrote", "stressed", "noted"]
OUTLETS = [f"{w.title()} {kind}" for w, kind in
           zip(["harbour", "valley", "northern", "capital", "coastal", "metro", "daily", "river",
                "summit", "plains", "island", "central", "eastern", "western", "southern"],
               ["Gazette", "Times", "Herald", "Post", "Wire", "Courier", "Tribune", "Chronicle",
                "Observer", "Journal", "News", "Record", "Review", "Ledger", "Star"])]


def name(rng: random.Random, parts: int = 2) -> str:
    """Return an invented capitalised name."""
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).title()


def story_facts(rng: random.Random, n: int) -> dict:
    """Return the facts one story's articles share."""
    return {"person": f"{name(rng)} {name(rng, 3)}", "place": name(rng, 3),
            "org": f"{name(rng)} {rng.choice(['Council', 'Agency', 'Ministry', 'Union'])}",
            "noun": rng.choice(NOUNS), "count": rng.randrange(100, 90000),
            "topic": [name(rng, 2).lower() for _ in range(12)],
            "day": date(2024, 1, 1) + timedelta(days=rng.randrange(360)), "size": n}


def sentence(rng: random.Random, facts: dict, k: int) -> str:
    """Return one sentence mixing the story's facts with common words."""
    words = [rng.choice(COMMON if rng.random() < 0.7 else facts["topic"]) for _ in range(k)]
    slot = rng.randrange(4)
    fact = [f"{facts['person']} of the {facts['org']}", f"in {facts['place']}",
            f"about {facts['count'] + rng.choice([0, 0, 0, 500]):,} {facts['noun']}",
            f"the {facts['org']}"][slot]
    words.insert(rng.randrange(len(words)), fact)
    text = " ".join(words) + "."
    return text[0].upper() + text[1:]


def article(rng: random.Random, facts: dict, outlet: str, idx: int) -> tuple[dict, str]:
    """Return front-matter and ~620 words of text for one report of a story."""
    paras, words = [], 0
    while words < 620:
        sents = [sentence(rng, facts, rng.randrange(12, 24)) for _ in range(rng.randrange(2, 4))]
        if rng.random() < 0.25:
            sents.append(f"\u201c{sentence(rng, facts, 14)[:-1]},\u201d {facts['person']} "
                         f"{rng.choice(VERBS)}.")
        para = " ".join(sents)
        paras.append(para)
        words += len(para.split())
    meta = {"title": f"{facts['person']} and the {facts['org']} in {facts['place']}"
                     f" ({outlet} report {idx})",
            "outlet": outlet,
            "published": (facts["day"] + timedelta(days=rng.randrange(3))).isoformat()}
    return meta, "\n\n".join(paras)


def write_site(out: Path, articles: int, seed: int = 1) -> int:
    """Write config.yaml and content/ for `articles` articles; return the number written."""
    rng = random.Random(seed)
    content = out / "content"
    content.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_text("title: Benchmark digest\nbase_url: /\nsearch: true\n"
                                     "summary:\n  max_words: 120\n", encoding="utf-8")
    written, story = 0, 0
    while written < articles:
        n = min(rng.randrange(2, 9), articles - written)
        facts = story_facts(rng, n)
        for i, outlet in enumerate(rng.sample(OUTLETS, n)):
            meta, text = article(rng, facts, outlet, i)
            lines = ["---"] + [f'{k}: "{v}"' if k == "title" else f"{k}: {v}" for k, v in meta.items()]
            (content / f"s{story:05d}-{i}.md").write_text("\n".join(lines) + "\n---\n\n" + text + "\n",
                                                          encoding="utf-8")
            written += 1
        story += 1
    return written


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", type=Path)
    p.add_argument("--articles", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    print(f"wrote {write_site(args.out, args.articles, args.seed)} articles to {args.out}")


if __name__ == "__main__":
    main()
