"""Load an evaluation script from evals/ as a module, for the quality-floor tests."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_eval(name: str) -> ModuleType:
    """Return evals/<name>.py loaded as module `evals_<name>`."""
    spec = importlib.util.spec_from_file_location(f"evals_{name}", ROOT / "evals" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module
