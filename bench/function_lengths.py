"""Function lengths in a package, the readability figure of issue 10 item 1 (aim: p90 under 40 lines in planner/rules/).

Usage::

    python bench/function_lengths.py [PATH ...]      # default: planner/rules

A function's length is its ``def`` line to its last line (``ast`` line numbers, docstring and
comments included), nested functions counted on their own too. Printed: how many functions,
median, p90, how many over 40 and over 80 lines, and the 15 longest with file:line.
"""

from __future__ import annotations

import ast
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def lengths(paths: list[Path]) -> list[tuple[int, str]]:
    """``(length in lines, "file:line name")`` of every function under ``paths`` (files or folders), shortest first."""
    rows = []
    for root in paths:
        for path in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    rows.append((node.end_lineno - node.lineno + 1, f"{path}:{node.lineno} {node.name}"))
    return sorted(rows)


def main(argv: list[str]) -> int:
    rows = lengths([Path(a) for a in argv] or [REPO / "planner" / "rules"])
    if len(rows) < 2:
        print("fewer than two functions found")
        return 1
    sizes = [n for n, _ in rows]
    p90 = statistics.quantiles(sizes, n=10)[8]
    print(f"functions {len(sizes)}, median {statistics.median(sizes)}, p90 {p90:.0f}, "
          f"over 40 lines {sum(n > 40 for n in sizes)}, over 80 lines {sum(n > 80 for n in sizes)}")
    for n, name in rows[-15:]:
        print(f"{n:5d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
