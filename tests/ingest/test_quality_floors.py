"""Quality floors of the importer (evals/seeds_cleaning.py, evals/extraction.py), in-process."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"evals_{name}", ROOT / "evals" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


def test_seed_cleaning_checks_at_or_above_floor(capsys):
    evals = _load("seeds_cleaning")
    assert evals.SEEDS.is_dir(), f"seeds missing: {evals.SEEDS}"
    assert evals.main(["--check"]) == 0, capsys.readouterr().out


def test_extraction_f1_at_or_above_floor(capsys):
    evals = _load("extraction")
    assert evals.DATA.exists(), f"evaluation data missing: {evals.DATA}"
    assert evals.main(["--check"]) == 0, capsys.readouterr().out
