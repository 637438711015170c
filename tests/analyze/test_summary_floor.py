"""Quality floor: ROUGE of the summaries on the Multi-News dev clusters (evals/summary.py)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _evals():
    spec = importlib.util.spec_from_file_location("evals_summary", ROOT / "evals" / "summary.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_summary_rouge_at_or_above_floor():
    evals = _evals()
    assert evals.DATA.exists(), f"evaluation data missing: {evals.DATA} (../shared beside the repo)"
    passed, got, floors = evals.check()
    assert passed, f"ROUGE {got} below floor {floors}"
