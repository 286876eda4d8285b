"""How long ``read_plan`` takes over a plan with many fingerprints (the stale check's planned-against
states: one per member and team a plan touches), medians of runs after a warm-up.

Usage::

    python bench/plan_read_bench.py [--members 100000] [--teams 2000] [--against /work/main]

``--against`` times another checkout too, alternating the two round by round in child processes
(each with its own ``PYTHONPATH``), and prints the ratio of the medians.

The plan file is written from plain JSON (:func:`planner.planfile.document_bytes`), so any version
of the tool that reads plan files reads the same bytes; everything but the fingerprints is empty.
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

from planner.outcomes import outcome_counts  # noqa: E402
from planner.planfile import document_bytes, read_plan  # noqa: E402
from planner.policy import Policy  # noqa: E402


def document(members: int, teams: int) -> dict:
    """A plan file's JSON with ``members`` member and ``teams`` team fingerprints (50 members each)."""
    import hashlib

    def sha(state: dict) -> str:
        return hashlib.sha256(json.dumps(state, sort_keys=True, separators=(",", ":")).encode()).hexdigest()

    prints = {}
    for i in range(members):
        state = {"email": f"p{i}@x.example", "isArchived": False, "isInactive": False, "memberId": f"m{i:06d}",
                 "memberType": "View", "userKind": "internal"}
        prints[f"member:m{i:06d}"] = {"sha256": sha(state), "state": state}
    for i in range(teams):
        state = {"isArchived": False, "memberIds": [f"m{j:06d}" for j in range(i, i + 50)], "name": f"Team {i}",
                 "teamId": f"t{i:05d}"}
        prints[f"team:t{i:05d}"] = {"sha256": sha(state), "state": state}
    return {
        "actions": [], "created_at": "", "fingerprints": prints, "format_version": 1, "inputs": [],
        "organization": {"name": "Bench", "organizationId": "org"},
        "outcomes": {"document_transfers": [], "owners": []}, "people": [],
        "policy": {"path": "", "resolved": Policy().resolved(), "sha256": "0" * 64}, "preflight": [],
        "review_items": [], "summary": {"actions": {}, "changes": False, "guards": [], "text": "",
                                        "outcomes": msgspec.to_builtins(outcome_counts(())), "total_actions": 0},
        "teams": [], "tool_version": "bench",
    }


def measure(members: int, teams: int, runs: int, plan: str | None = None) -> list[float]:
    """Wall times (s) of ``read_plan`` over the plan file (``plan``, else one made with ``members``
    and ``teams`` fingerprints), ``runs`` times after a warm-up."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(plan) if plan else Path(folder) / "plan.json"
        if not plan:
            path.write_bytes(document_bytes(document(members, teams)))
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
