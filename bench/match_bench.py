"""CPU of the match stage's two steps: :func:`planner.directory.build_directory` and
:func:`planner.matching.match_identities`, on a generated organization.

Usage::

    python bench/match_bench.py [--repo DIR] [--size 100000] [--runs 5]

``--repo``: the source tree to import ``planner`` from (default: this one), so that two trees (before
and after a change) are measured alike, one after the other. The organization is bench/generate.py's
(cached like bench/plan_bench.py's, under ``--cache``); the snapshot is loaded once, then each step
runs ``--runs`` times with the cyclic garbage collector paused, as :func:`planner.planning.build_plan`
runs them. ``match_identities`` gets the pins and exclusions :func:`planner.planning.decide` gives it.
Prints the median CPU seconds (``time.process_time``) of each step with the fewest and most, and a
digest of the identity graph (links, ambiguous groups, rivals as JSON): two trees that match alike
print the same digest.
"""

from __future__ import annotations

import hashlib
import sys

from _stage import cpu_runs, median_line, org_inputs, prepare, stage_parser  # bench/_stage.py


def main() -> int:
    parser = stage_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    org = prepare(args)
    import msgspec

    from planner.directory import build_directory
    from planner.matching import match_identities
    from planner.rules import duplicates, linking, scim_state

    policy, snapshot = org_inputs(org)
    directory = build_directory(snapshot, policy)
    pinned, never, _ = linking.resolve_overrides(policy, directory)
    pinned, _ = scim_state.merge_pins(pinned, scim_state.scim_links(directory))
    excluded = duplicates.resolve_excluded(policy, directory)
    runs = {"build_directory": cpu_runs(lambda: build_directory(snapshot, policy), args.runs),
            "match_identities": cpu_runs(lambda: match_identities(
                directory, policy.linking, pinned, never | excluded.idp_ids), args.runs)}
    print(f"match at {args.size:,} members, {args.repo.resolve()}, {args.runs} runs (CPU s: median [min, max])")
    for name, seconds in runs.items():
        print(median_line(name, seconds))
    graph = match_identities(directory, policy.linking, pinned, never | excluded.idp_ids)
    shape = [graph.links, [(a.key, a.member_ids, a.idp_ids, a.edges) for a in graph.ambiguous],
             sorted(graph.never), graph.rivals]
    print(f"graph: {len(graph.links)} links, {len(graph.ambiguous)} ambiguous, {len(graph.rivals)} rivals, "
          f"sha256:{hashlib.sha256(msgspec.json.encode(shape)).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
