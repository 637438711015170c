"""Score digest's story grouping on ECB+ dev articles with B-cubed, against a TF-IDF baseline.

    python evals/grouping.py            # ours, baseline, threshold sensitivity, 10k timing
    python evals/grouping.py --check    # exit 1 when ours falls below evals/floors/grouping.json

Data: ../shared/data/ecbplus-dev.jsonl (never copied into the repository). The grouper sees
only the article texts: not the topic, not the number of stories, no dates (ECB+ has none).
"""
from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from digest.analyze import group  # noqa: E402
from digest.analyze.similarity import STOPWORDS  # noqa: E402
from digest.models import Article  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "ecbplus-dev.jsonl"
FLOOR = ROOT / "evals" / "floors" / "grouping.json"
BASELINE_DISTANCE = 0.8  # cosine distance at which the baseline stops merging (README)
SENSITIVITY = (0.14, 0.16, 0.18, 0.2, 0.22, 0.24, 0.26, 0.3)


def load(path: Path = DATA) -> list[dict]:
    """Return the articles of the dev file."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def articles_of(rows: Sequence[dict]) -> list[Article]:
    """Return rows as Articles: id and text only (no topic, no story, no date)."""
    return [Article(id=r["doc_id"], path="", title="", text=r["text"]) for r in rows]


def bcubed(groups: Sequence[Sequence[str]], gold: dict[str, str]) -> dict[str, float]:
    """Return B-cubed precision, recall and F1 of `groups` against gold labels by id."""
    predicted = {i: k for k, g in enumerate(groups) for i in g}
    by_pred: dict[int, list[str]] = defaultdict(list)
    by_gold: dict[str, list[str]] = defaultdict(list)
    for i in gold:
        by_pred[predicted[i]].append(i)
        by_gold[gold[i]].append(i)
    p = r = 0.0
    for i in gold:
        same = sum(gold[j] == gold[i] for j in by_pred[predicted[i]])
        p += same / len(by_pred[predicted[i]])
        r += same / len(by_gold[gold[i]])
    p, r = p / len(gold), r / len(gold)
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def baseline(articles: Sequence[Article],
             distance: float = BASELINE_DISTANCE) -> list[tuple[str, ...]]:
    """Return groups from TF-IDF (sublinear tf, stopwords out) cosine and average link, dense."""
    toks = [[w for w in re.findall(r"\b\w\w+\b", a.text.lower()) if w not in STOPWORDS]
            for a in articles]
    vocab = {t: k for k, t in enumerate(sorted({t for d in toks for t in d}))}
    x = np.zeros((len(toks), len(vocab)))
    for row, d in zip(x, toks):
        for t, c in Counter(d).items():
            row[vocab[t]] = 1 + math.log(c)
    df = (x > 0).sum(axis=0)
    x *= np.log((1 + len(toks)) / (1 + df)) + 1
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    sims = x @ x.T
    edges = {(i, j): float(sims[i, j]) for i in range(len(toks)) for j in range(i + 1, len(toks))}
    clusters = group.average_link(edges, len(toks), 1 - distance)
    return [tuple(articles[i].id for i in c) for c in clusters]


@contextmanager
def threshold(value: float) -> Iterator[None]:
    """Run the grouper with another THRESHOLD (neighbour floor and merge level together)."""
    old = group.THRESHOLD
    group.THRESHOLD = value
    try:
        yield
    finally:
        group.THRESHOLD = old


def subsample(rows: Sequence[dict], per_story: int, seed: int = 0) -> list[dict]:
    """Return at most `per_story` rows of each gold story (smaller stories than ECB+ has)."""
    by_story: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_story[r["event_cluster"]].append(r)
    rng = random.Random(seed)
    return [r for s in sorted(by_story)
            for r in rng.sample(by_story[s], min(per_story, len(by_story[s])))]


def synthetic(rows: Sequence[dict], copies: int,
              seed: int = 0) -> tuple[list[Article], dict[str, str]]:
    """Return a larger corpus: each copy renames names, shifts numbers, drops lines, adds dates."""
    rng = random.Random(seed)
    articles, gold = [], {}
    for c in range(copies):
        tag = "".join(chr(97 + int(d)) for d in str(c))
        start = {s: date(2020, 1, 1) + timedelta(days=rng.randrange(365))
                 for s in sorted({r["event_cluster"] for r in rows})}
        for r in rows:
            lines = [ln for ln in r["text"].split("\n") if rng.random() > 0.2] or [r["text"]]
            text = _perturb("\n".join(lines), tag, c)
            aid = f"{r['doc_id']}~{c}"
            when = start[r["event_cluster"]] + timedelta(days=rng.randrange(3))
            articles.append(Article(id=aid, path="", title="", text=text, published=when))
            gold[aid] = f"{r['event_cluster']}~{c}"
    return articles, gold


def _perturb(text: str, tag: str, copy: int) -> str:
    """Return `text` with capitalised words suffixed by `tag` and integers shifted by `copy`."""
    text = re.sub(r"\b([A-Z][a-z]+)", lambda m: m.group(1) + tag, text)
    return re.sub(r"\b\d+\b", lambda m: str(int(m.group()) + copy), text)


def check(rows: Sequence[dict] | None = None) -> tuple[bool, dict[str, float], dict]:
    """Return (passed, our scores, floor file) for the pinned floor."""
    floors = json.loads(FLOOR.read_text(encoding="utf-8"))
    rows = rows if rows is not None else load()
    if len(rows) != floors["articles"]:
        raise SystemExit(f"the floor is pinned for {floors['articles']} articles; got {len(rows)}")
    got = score(rows)
    return got["f1"] >= floors["f1"], got, floors


def score(rows: Sequence[dict]) -> dict[str, float]:
    """Return B-cubed scores of digest's grouper on rows."""
    return bcubed(group.group_articles(articles_of(rows)), _gold(rows))


def _gold(rows: Sequence[dict]) -> dict[str, str]:
    """Return article id -> gold story."""
    return {r["doc_id"]: r["event_cluster"] for r in rows}


def _mean(scores: Sequence[dict[str, float]]) -> dict[str, float]:
    """Return the mean of each score over several runs."""
    return {k: sum(s[k] for s in scores) / len(scores) for k in scores[0]}


def _row(name: str, s: dict[str, float]) -> str:
    return f"{name:<34}{s['precision']:>10.3f}{s['recall']:>8.3f}{s['f1']:>8.3f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 below the pinned floor")
    parser.add_argument("--copies", type=int, default=21,
                        help="copies of ECB+ in the timing corpus")
    args = parser.parse_args(argv)
    rows = load()
    if args.check:
        passed, got, floors = check(rows)
        verdict = "ok" if passed else "BELOW FLOOR"
        print(f"B-cubed F1 {got['f1']:.3f} (floor {floors['f1']:.3f}): {verdict}")
        return 0 if passed else 1
    gold = _gold(rows)
    stories = len(set(gold.values()))
    print(f"ECB+ dev: {len(rows)} articles, {stories} stories (B-cubed)")
    print(f"{'system':<34}{'precision':>10}{'recall':>8}{'F1':>8}")
    t0 = time.perf_counter()
    ours = group.group_articles(articles_of(rows))
    elapsed = time.perf_counter() - t0
    print(_row(f"digest (threshold {group.THRESHOLD})", bcubed(ours, gold))
          + f"   {len(ours)} groups")
    base = bcubed(baseline(articles_of(rows)), gold)
    print(_row(f"TF-IDF average link (d={BASELINE_DISTANCE})", base) + "   (README: 0.869)")
    print("\nthreshold sensitivity (neighbour floor and merge level move together):")
    for value in SENSITIVITY:
        with threshold(value):
            print(_row(f"  threshold {value:.2f}", score(rows)))
    print("\nsmaller stories: at most N random articles per story, mean of 3 draws")
    for n in (3, 5, 8):
        draws = [subsample(rows, n, seed) for seed in range(3)]
        ours_n = _mean([score(d) for d in draws])
        base_n = _mean([bcubed(baseline(articles_of(d)), _gold(d)) for d in draws])
        print(_row(f"  N={n} ({len(draws[0])} articles): digest", ours_n))
        print(_row(f"  N={n}: TF-IDF average link", base_n))
    big, bgold = synthetic(rows, args.copies)
    t0 = time.perf_counter()
    groups = group.group_articles(big)
    took = time.perf_counter() - t0
    print(f"\ntiming: {len(rows)} articles in {elapsed:.2f}s; synthetic {len(big)} articles "
          f"({args.copies} renamed, dated copies) in {took:.1f}s, {len(groups)} groups")
    print(_row("  digest on the synthetic corpus", bcubed(groups, bgold)))
    undated = [replace(a, published=None) for a in big]
    t0 = time.perf_counter()
    groups = group.group_articles(undated)
    took = time.perf_counter() - t0
    print(f"  same corpus without dates (no time windows): {took:.1f}s, {len(groups)} groups")
    print(_row("  digest on the undated synthetic corpus", bcubed(groups, bgold)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
