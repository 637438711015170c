"""Score digest's summaries on Multi-News dev clusters with ROUGE, against two baselines.

    python evals/summary.py            # ours, lead and LexRank baselines
    python evals/summary.py --check    # exit 1 when ours falls below evals/floors/summary.json

Data: ../shared/data/multinews-dev.jsonl (never copied into the repository).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Callable, Sequence

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from digest.analyze.sentences import split_sentences  # noqa: E402
from digest.analyze.similarity import content_stems, cosine, idf, tfidf  # noqa: E402
from digest.analyze.summarize import summarize  # noqa: E402
from digest.models import Article  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "multinews-dev.jsonl"
FLOOR = ROOT / "evals" / "floors" / "summary.json"
MAX_WORDS = 300
METRICS = ("rouge1", "rouge2", "rougeL")


def load(path: Path = DATA) -> list[dict]:
    """Return the clusters of the dev file."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def articles_of(cluster: dict) -> list[Article]:
    """Return the documents of a cluster as Articles, ids keeping their order."""
    return [Article(id=f"{cluster['cluster_id']}-{i}", path="", title="", text=text)
            for i, text in enumerate(cluster["documents"])]


def ours(cluster: dict) -> str:
    """Return digest's summary of a cluster."""
    return "\n".join(s.text for s in summarize(articles_of(cluster), max_words=MAX_WORDS))


def lead(cluster: dict) -> str:
    """Return the first MAX_WORDS words of the first document."""
    return " ".join(cluster["documents"][0].split()[:MAX_WORDS])


def lexrank(cluster: dict) -> str:
    """Return a LexRank-style summary: TF-IDF cosine graph, PageRank, redundancy cut."""
    sents = [d[a:b] for d in cluster["documents"] for a, b in split_sentences(d)]
    sents = [s for s in sents if len(s.split()) >= 5]
    toks = [content_stems(s) for s in sents]
    weights = idf(toks)
    vecs = [tfidf(t, weights) for t in toks]
    ranks = _pagerank([[1.0 if cosine(a, b) > 0.1 else 0.0 for b in vecs] for a in vecs])
    out: list[int] = []
    words = 0
    for i in sorted(range(len(sents)), key=lambda i: -ranks[i]):
        if words >= MAX_WORDS:
            break
        if all(cosine(vecs[i], vecs[j]) < 0.5 for j in out):
            out.append(i)
            words += len(sents[i].split())
    return " ".join(" ".join(sents[i] for i in sorted(out)).split()[:MAX_WORDS])


def _pagerank(matrix: list[list[float]], damping: float = 0.85, steps: int = 30) -> list[float]:
    """Return PageRank scores of an unweighted adjacency matrix."""
    import numpy as np

    m = np.array(matrix)
    if not len(m):
        return []
    m = m / np.maximum(m.sum(axis=1, keepdims=True), 1e-9)
    r = np.full(len(m), 1.0 / len(m))
    for _ in range(steps):
        r = (1 - damping) / len(m) + damping * (m.T @ r)
    return list(r)


def score(system: Callable[[dict], str], clusters: Sequence[dict]) -> dict[str, float]:
    """Return mean ROUGE F1 x100 of a system over clusters."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    totals = dict.fromkeys(METRICS, 0.0)
    for c in clusters:
        result = scorer.score(c["summary"], system(c))
        for m in METRICS:
            totals[m] += result[m].fmeasure * 100
    return {m: totals[m] / len(clusters) for m in METRICS}


def check(clusters: Sequence[dict] | None = None) -> tuple[bool, dict[str, float], dict[str, float]]:
    """Return (passed, our scores, floors) for the pinned floor."""
    floors = json.loads(FLOOR.read_text(encoding="utf-8"))
    clusters = clusters if clusters is not None else load()
    if len(clusters) != floors["clusters"] or MAX_WORDS != floors["max_words"]:
        raise SystemExit(f"the floor is pinned for {floors['clusters']} clusters at "
                         f"{floors['max_words']} words; got {len(clusters)} at {MAX_WORDS}")
    got = score(ours, clusters)
    passed = all(got[m] >= floors[m] for m in METRICS if m in floors)
    return passed, got, floors


def _row(name: str, s: dict[str, float]) -> str:
    return f"{name:<10}" + "".join(f"{s[m]:>9.2f}" for m in METRICS)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 below the pinned floor")
    parser.add_argument("--limit", type=int, default=0,
                        help="score only the first N clusters (not with --check)")
    args = parser.parse_args(argv)
    clusters = load()[: args.limit or None]
    if args.check:
        passed, got, floors = check(clusters)
        print(_row("ours", got))
        print(_row("floor", {m: floors.get(m, math.nan) for m in METRICS}))
        return 0 if passed else 1
    print(f"{len(clusters)} clusters, {MAX_WORDS} words" + "".join(f"{m:>9}" for m in METRICS))
    for name, system in (("ours", ours), ("lead", lead), ("lexrank", lexrank)):
        print(_row(name, score(system, clusters)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
