"""CPU of the plan stage's per-person and per-team steps (issue 10 item 5): inside
:func:`planner.planning.decide`, :func:`~planner.planning.fold_teams`; after it, everything
:func:`planner.planning.build_plan` does with the decisions (order, person rows, summary,
outcomes, pre-flight, fingerprints).

Usage::

    python bench/rows_bench.py [--repo DIR] [--size 100000] [--runs 5]

``--repo``: the source tree to import ``planner`` from (default: this one), so that two trees
(before and after a change) are measured alike, back to back, on the same machine. The
organization is bench/generate.py's with its strict policy, cached like bench/plan_bench.py's
under ``--cache``; the snapshot and its :class:`~planner.directory.Directory` are built once,
then each run calls ``decide`` and the steps after it with the cyclic garbage collector paused,
as ``build_plan`` does. Prints the median CPU seconds (``time.process_time``) of each step, with
the fewest and most, and their total.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=HERE.parent)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/sigma-migrate-bench"))
    args = parser.parse_args()
    sys.path.insert(0, str(args.repo.resolve()))
    sys.path.insert(1, str(HERE))
    import generate  # bench/generate.py
    from planner import planning
    from planner.directory import build_directory
    from planner.gc_pause import gc_paused
    from planner.policy import load_policy
    from planner.rules import inputs, preflight
    from planner.sources import load_snapshot

    org = args.cache / f"org-{args.size}-seed1-scim"
    if not (org / "manifest.json").exists():
        generate.generate(org, args.size)
    policy = load_policy(org / "policy.yaml")
    snapshot = load_snapshot(str(org / "sigma"), [str(org / "idp")], None)
    directory = build_directory(snapshot, policy)
    spent: dict[str, float] = {}
    planning.fold_teams = _timed(planning.fold_teams, "fold_teams", spent)
    runs: dict[str, list[float]] = {}
    for _ in range(args.runs):
        gc.collect()
        spent.clear()
        with gc_paused():
            decided = planning.decide(policy, directory)
            actions = _step(spent, "order_actions", planning.order_actions, decided.actions)
            items = _step(spent, "sort_review_items", planning.sort_review_items,
                          decided.review_items + inputs.truncation_items(snapshot.findings, decided.actions))
            people = _step(spent, "person_rows", planning.person_rows, policy, directory, decided.people,
                           decided.types, decided.unmatched, actions, items)
            summary = _step(spent, "build_summary", planning.build_summary, directory, decided, actions, items)
            _step(spent, "build_outcomes", planning.build_outcomes, policy, directory, decided.guards, actions, people)
            _step(spent, "preflight", preflight.evaluate, policy, directory, summary.guards, actions, people)
            _step(spent, "fingerprints", planning.fingerprints, directory, actions)
        for name, value in spent.items():
            runs.setdefault(name, []).append(value)
        runs.setdefault("total", []).append(sum(spent.values()))
    print(f"plan steps at {args.size:,} members, {args.repo.resolve()}, {args.runs} runs (CPU s: median [min, max])")
    for name, values in runs.items():
        print(f"  {name:<18} {statistics.median(values):6.3f}  [{min(values):.3f}, {max(values):.3f}]")
    return 0


def _step(spent: dict[str, float], name: str, fn, *args):
    start = time.process_time()
    out = fn(*args)
    spent[name] = spent.get(name, 0.0) + time.process_time() - start
    return out


def _timed(fn, name: str, spent: dict[str, float]):
    def wrapper(*args, **kwargs):
        start = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.process_time() - start
    return wrapper


if __name__ == "__main__":
    sys.exit(main())
