"""CPU of the plan stage's per-person and per-team steps (issue 10 item 5): inside
:func:`planner.planning.decide`, :func:`~planner.planning.fold_teams`; after it, everything
:func:`planner.planning.build_plan` does with the decisions (order, person rows, summary,
outcomes, pre-flight, fingerprints).

Usage::

    python bench/rows_bench.py [--repo DIR] [--baseline DIR] [--size 100000] [--runs 5]

``--repo``: the source tree to import ``planner`` from (default: this one). ``--baseline``: a
second tree (say a checkout of main) imported in the same process under another package name;
each run then times the baseline's steps and the repo's back to back, so that both see the same
load on a shared machine, and the ratio of the medians is printed per step. The organization is
bench/generate.py's with its strict policy, cached like bench/plan_bench.py's under ``--cache``;
each tree loads it and builds its :class:`~planner.directory.Directory` once, then each run calls
``decide`` and the steps after it with the cyclic garbage collector paused, as ``build_plan``
does. Prints the median CPU seconds (``time.process_time``) of each step, with the fewest and
most, and their total.
"""

from __future__ import annotations

import gc
import importlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _stage import median_line, policy_loader, prepare, stage_parser, timed  # bench/_stage.py


def main() -> int:
    parser = stage_parser(__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path)
    args = parser.parse_args()
    org = prepare(args)

    trees = {"repo": Tree("planner", org)}
    if args.baseline is not None:
        # the baseline's planner package under another name (its imports are all relative)
        alias = Path(tempfile.mkdtemp(prefix="rows-bench-"))
        (alias / "planner_baseline").symlink_to(args.baseline.resolve() / "planner")
        sys.path.insert(0, str(alias))
        trees = {"baseline": Tree("planner_baseline", org)} | trees
    runs: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
    for _ in range(args.runs):
        for name, tree in trees.items():
            for step, value in tree.run().items():
                runs[name].setdefault(step, []).append(value)
    for name, tree in trees.items():
        where = args.baseline if name == "baseline" else args.repo
        print(f"{name}: plan steps at {args.size:,} members, {where.resolve()}, {args.runs} runs "
              "(CPU s: median [min, max])")
        for step, values in runs[name].items():
            ratio = ""
            if name == "repo" and "baseline" in runs:
                base = statistics.median(runs["baseline"][step])
                ratio = f"  {statistics.median(values) / base:.2f}x the baseline" if base else ""
            print(median_line(step, values, 18) + ratio)
    return 0


class Tree:
    """One source tree's ``planner`` package (imported as ``package``), its policy, snapshot and
    directory of the organization at ``org``, built once."""

    def __init__(self, package: str, org: Path) -> None:
        self.planning = importlib.import_module(f"{package}.planning")
        self.inputs = importlib.import_module(f"{package}.rules.inputs")
        self.preflight = importlib.import_module(f"{package}.rules.preflight")
        self.gc_paused = importlib.import_module(f"{package}.gc_pause").gc_paused
        self.policy = policy_loader(package)(org / "policy.yaml")
        load_snapshot = importlib.import_module(f"{package}.sources").load_snapshot
        self.snapshot = load_snapshot(str(org / "sigma"), [str(org / "idp")], None)
        self.directory = importlib.import_module(f"{package}.directory").build_directory(self.snapshot, self.policy)
        self.spent: dict[str, float] = {}
        self.planning.fold_teams = timed(self.planning.fold_teams, "fold_teams", self.spent)

    def run(self) -> dict[str, float]:
        """CPU seconds of each step in one run, and their ``total``."""
        planning, policy, directory, spent = self.planning, self.policy, self.directory, self.spent
        gc.collect()
        spent.clear()
        with self.gc_paused():
            decided = planning.decide(policy, directory)
            actions = _step(spent, "order_actions", planning.order_actions, decided.actions)
            items = _step(spent, "sort_review_items", planning.sort_review_items,
                          decided.review_items + self.inputs.truncation_items(self.snapshot.findings,
                                                                              decided.actions))
            # the index of the actions person_rows and fingerprints share (planning.acted_on), where the tree has it
            shared = (_step(spent, "acted_on", planning.acted_on, actions),) if hasattr(planning, "acted_on") else ()
            spent.setdefault("acted_on", 0.0)
            people = _step(spent, "person_rows", planning.person_rows, policy, directory, decided.people,
                           decided.types, decided.unmatched, actions, items, *shared)
            summary = _step(spent, "build_summary", planning.build_summary, directory, decided, actions, items)
            _step(spent, "build_outcomes", planning.build_outcomes, policy, directory, decided.guards, actions, people)
            _step(spent, "preflight", self.preflight.evaluate, policy, directory, summary.guards, actions, people)
            _step(spent, "fingerprints", planning.fingerprints, directory, actions, *shared)
        return dict(spent) | {"total": sum(spent.values())}


def _step(spent: dict[str, float], name: str, fn, *args):
    start = time.process_time()
    out = fn(*args)
    spent[name] = spent.get(name, 0.0) + time.process_time() - start
    return out


if __name__ == "__main__":
    sys.exit(main())
