"""Quality floor: B-cubed F1 of story grouping on the ECB+ dev articles (evals/grouping.py)."""
from __future__ import annotations

from evalkit import load_eval


def _evals():
    return load_eval("grouping")


def test_grouping_bcubed_at_or_above_floor():
    evals = _evals()
    assert evals.DATA.exists(), f"evaluation data missing: {evals.DATA} (../shared beside the repo)"
    passed, got, floors = evals.check()
    assert passed, f"B-cubed {got} below floor {floors['f1']}"


def test_check_exits_1_below_floor(tmp_path, monkeypatch):
    evals = _evals()
    floor = tmp_path / "grouping.json"
    floor.write_text('{"articles": 496, "f1": 1.01}', encoding="utf-8")
    monkeypatch.setattr(evals, "FLOOR", floor)
    assert evals.main(["--check"]) == 1
