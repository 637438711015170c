"""Quality floor: ROUGE of the summaries on the Multi-News dev clusters (evals/summary.py)."""
from __future__ import annotations

from evalkit import load_eval


def _evals():
    return load_eval("summary")


def test_summary_rouge_at_or_above_floor():
    evals = _evals()
    assert evals.DATA.exists(), f"evaluation data missing: {evals.DATA} (../shared beside the repo)"
    passed, got, floors = evals.check()
    assert passed, f"ROUGE {got} below floor {floors}"
