"""How long ``read_plan`` takes over a plan with many fingerprints (the stale check's planned-against
states: one per member and team a plan touches), medians of runs after a warm-up.

Usage::

    python bench/plan_read_bench.py [--members 100000] [--teams 2000] [--against /work/main]

``--against`` times another checkout too, alternating the two round by round in child processes
(each with its own ``PYTHONPATH``), and prints the ratio of the medians.

The plan file is the bundled acme sample's plan with generated fingerprints, built and written by each
checkout's own code (:func:`plan_with_fingerprints`), so checkouts of different plan formats each read a
plan of their own format holding the same states.
Prints the median, min and max wall time of ``read_plan`` (digest checked) per checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, "") and not os.environ.get("PYTHONPATH"):  # the checkout: this one, unless PYTHONPATH says
    sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import msgspec  # noqa: E402

from planner.model import Fingerprints, MemberState, Plan, TeamState  # noqa: E402
from planner.planfile import fingerprint_of, read_plan, write_plan  # noqa: E402
from planner.planning import plan_from_paths  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def plan_with_fingerprints(members: int, teams: int) -> Plan:
    """The bundled acme sample's plan (samples/acme, its reviewed Okta policy), its fingerprints replaced by
    ``members`` member and ``teams`` team fingerprints (50 members each). Built with the checkout's own types
    and written by its own :func:`planner.planfile.write_plan`, so any plan format the checkout writes is
    timed (was: a hand-written format-1 document, which every later build refuses)."""
    sample = REPO / "samples" / "acme"
    plan, _ = plan_from_paths(str(sample / "sigma"), [str(sample / "okta")], str(sample / "policy-okta-reviewed.yaml"))
    prints = Fingerprints()
    for i in range(members):
        prints[f"member:m{i:06d}"] = fingerprint_of(MemberState(
            member_id=f"m{i:06d}", email=f"p{i}@x.example", member_type="View", user_kind="internal",
            is_archived=False, is_inactive=False))
    for i in range(teams):
        prints[f"team:t{i:05d}"] = fingerprint_of(TeamState(
            team_id=f"t{i:05d}", name=f"Team {i}", is_archived=False,
            member_ids=tuple(f"m{j:06d}" for j in range(i, i + 50))))
    return msgspec.structs.replace(plan, fingerprints=prints)


def measure(members: int, teams: int, runs: int, plan: str | None = None) -> list[float]:
    """Wall times (s) of ``read_plan`` over the plan file (``plan``, else one made with ``members``
    and ``teams`` fingerprints), ``runs`` times after a warm-up."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(plan) if plan else Path(folder) / "plan.json"
        if not plan:
            write_plan(plan_with_fingerprints(members, teams), path)
        read_plan(path)  # warm-up (imports, caches)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            read_plan(path)
            times.append(time.perf_counter() - start)
        return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--teams", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3, help="reads per round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds, each checkout in turn (with --against)")
    parser.add_argument("--against", metavar="CHECKOUT", help="another checkout to compare with, in the same run")
    parser.add_argument("--plan", metavar="FILE", help="time this plan file instead (e.g. one `plan` wrote)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.members, args.teams, args.runs, args.plan)))
        return
    import subprocess

    here = str(Path(__file__).resolve().parent.parent)
    checkouts = [here] + ([str(Path(args.against).resolve())] if args.against else [])
    times: dict[str, list[float]] = {c: [] for c in checkouts}
    for _ in range(args.rounds):
        for checkout in checkouts:
            out = subprocess.run(
                [sys.executable, __file__, "--child", f"--members={args.members}", f"--teams={args.teams}",
                 f"--runs={args.runs}"] + ([f"--plan={args.plan}"] if args.plan else []), env={**os.environ, "PYTHONPATH": checkout}, check=True,
                capture_output=True, text=True).stdout
            times[checkout] += json.loads(out)
    what = args.plan or f"{args.members} member + {args.teams} team fingerprints"
    print(f"read_plan: {what}; "
          f"{args.rounds} rounds x {args.runs} reads per checkout, alternated")
    for checkout, found in times.items():
        print(f"  {checkout}: median {statistics.median(found) * 1000:.0f} ms "
              f"(min {min(found) * 1000:.0f}, max {max(found) * 1000:.0f})")
    if args.against:
        first, other = (statistics.median(times[c]) for c in checkouts)
        print(f"  ratio {checkouts[0]} / {checkouts[1]}: {first / other:.2f}")


if __name__ == "__main__":
    main()
