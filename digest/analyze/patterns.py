"""Regular-expression building blocks shared by the analyzers."""
from __future__ import annotations

import re
from typing import Iterable


def alternation(phrases: Iterable[str]) -> str:
    """Return a regex (no groups) that matches exactly one of `phrases`, common prefixes
    factored out, longer phrases tried first where one extends another.

    Python's engine tries the branches of "said|says|say" one by one at every offset;
    "sa(?:id|ys?)" fails after one or two letters instead. The matched strings are the
    same; where one phrase extends another ("hundred", "hundreds"), the longer is tried
    first, as in an alternation sorted longest first.
    """
    tree: dict[str, dict] = {}
    for phrase in phrases:
        node = tree
        for c in phrase:
            node = node.setdefault(c, {})
        node[""] = {}  # a phrase ends here

    def emit(node: dict[str, dict]) -> str:
        branches = [re.escape(c) + emit(node[c]) for c in sorted(node) if c]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(tree)
