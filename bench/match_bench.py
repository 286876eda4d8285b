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

import gc
import hashlib
import statistics
import sys
import time

from _stage import prepare, stage_parser  # bench/_stage.py


def main() -> int:
    parser = stage_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    org = prepare(args)
    import msgspec

    from planner.directory import build_directory
    from planner.gc_pause import gc_paused
    from planner.matching import match_identities
    from planner.policy import load_policy
    from planner.rules import duplicates, linking, scim_state
    from planner.sources import load_snapshot

    policy = load_policy(org / "policy.yaml")
    snapshot = load_snapshot(str(org / "sigma"), [str(org / "idp")], None)
    runs: dict[str, list[float]] = {"build_directory": [], "match_identities": []}
    graph = None
    for _ in range(args.runs):
        gc.collect()
        with gc_paused():
            start = time.process_time()
            directory = build_directory(snapshot, policy)
            runs["build_directory"].append(time.process_time() - start)
            pinned, never, _ = linking.resolve_overrides(policy, directory)
            pinned, _ = scim_state.merge_pins(pinned, scim_state.scim_links(directory))
            excluded = duplicates.resolve_excluded(policy, directory)
            start = time.process_time()
            graph = match_identities(directory, policy.linking, pinned, never | excluded.idp_ids)
            runs["match_identities"].append(time.process_time() - start)
    for name, seconds in runs.items():
        print(f"{name:18} median {statistics.median(seconds):.3f} s CPU "
              f"(min {min(seconds):.3f}, max {max(seconds):.3f}, {len(seconds)} runs)")
    shape = [graph.links, [(a.key, a.member_ids, a.idp_ids, a.edges) for a in graph.ambiguous],
             sorted(graph.never), graph.rivals]
    print(f"graph: {len(graph.links)} links, {len(graph.ambiguous)} ambiguous, {len(graph.rivals)} rivals, "
          f"sha256:{hashlib.sha256(msgspec.json.encode(shape)).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
