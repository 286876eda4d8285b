"""CPU of the rule families: :func:`planner.planning.decide` on a generated organization, with the
shares of linking (:func:`planner.rules.linking.decide`, :func:`planner.rules.linking.link_actions`),
account types (:func:`planner.planning.fold_account_types`) and the guards
(:func:`planner.rules.guards.evaluate`), and of :func:`planner.planning.person_rows` over its decisions.

Usage::

    python bench/decide_bench.py [--repo DIR] [--size 100000] [--runs 5]

``--repo``: the source tree to import ``planner`` from (default: this one), so that two trees (before
and after a change) are measured alike, one after the other, on the same machine. The organization
is bench/generate.py's with its strict policy (cached like bench/plan_bench.py's, under ``--cache``);
the snapshot and its :class:`~planner.directory.Directory` are built once, then ``decide`` runs ``--runs`` times with
the cyclic garbage collector paused, as :func:`planner.planning.build_plan` runs it. Prints the
median CPU seconds (``time.process_time``) of ``decide``, of the linking steps inside it, and of
``person_rows`` (the plan's person rows from the decisions), with the fewest and most.
"""

from __future__ import annotations

import gc
import sys
import time

from _stage import median_line, org_inputs, prepare, stage_parser, timed  # bench/_stage.py


def main() -> int:
    parser = stage_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    org = prepare(args)
    from planner import planning
    from planner.directory import build_directory
    from planner.gc_pause import gc_paused
    from planner.rules import guards, linking

    policy, snapshot = org_inputs(org)
    directory = build_directory(snapshot, policy)
    spent: dict[str, float] = {}
    wrapped = [(linking, "decide"), (linking, "link_actions"), (planning, "fold_account_types"), (guards, "evaluate")]
    for module, name in wrapped:  # timed where planning.decide calls them: <module>.<name>
        setattr(module, name, timed(getattr(module, name), _short(module) + "." + name, spent))
    inner = [_short(module) + "." + name for module, name in wrapped]
    runs: dict[str, list[float]] = {"planning.decide": [], **{name: [] for name in inner}, "planning.person_rows": []}
    for _ in range(args.runs):
        gc.collect()
        spent.clear()
        with gc_paused():
            start = time.process_time()
            decided = planning.decide(policy, directory)
            runs["planning.decide"].append(time.process_time() - start)
            people = decided.people
            start = time.process_time()
            planning.person_rows(policy, directory, people, decided.types, decided.unmatched, decided.actions, decided.review_items)
            runs["planning.person_rows"].append(time.process_time() - start)
        for name in inner:
            runs[name].append(spent.get(name, 0.0))
    print(f"decide at {args.size:,} members, {args.repo.resolve()}, {args.runs} runs (CPU s: median [min, max])")
    for name, values in runs.items():
        print(median_line(name, values))
    return 0


def _short(module) -> str:
    """``planning`` for :mod:`planner.planning`, ``linking`` for :mod:`planner.rules.linking`."""
    return module.__name__.rpartition(".")[2]


if __name__ == "__main__":
    sys.exit(main())
