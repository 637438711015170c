"""Quality floors of the importer (evals/seeds_cleaning.py, evals/extraction.py), in-process."""
from __future__ import annotations

from evalkit import load_eval as _load


def test_seed_cleaning_checks_at_or_above_floor(capsys):
    evals = _load("seeds_cleaning")
    assert evals.SEEDS.is_dir(), f"seeds missing: {evals.SEEDS}"
    assert evals.main(["--check"]) == 0, capsys.readouterr().out


def test_extraction_f1_at_or_above_floor(capsys):
    evals = _load("extraction")
    assert evals.DATA.exists(), f"evaluation data missing: {evals.DATA}"
    assert evals.main(["--check"]) == 0, capsys.readouterr().out
