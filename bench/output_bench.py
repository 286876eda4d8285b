"""CPU of ``plan``'s output stages on one plan: the plan file (``dump_plan``) and the HTML report
(``stream_html``), medians of runs in one process, optionally against another checkout.

Usage::

    python bench/output_bench.py [--org DIR] [--runs 5] [--against /work/main]

The plan is built once per process from the organization ``--org`` (default: plan_bench's cached
100k organization, with its ``policy.yaml``), ``created_at`` fixed, so both checkouts write the same
bytes. Each run writes the plan file and the report into a temporary directory; printed: the median
(min, max) CPU seconds (``time.process_time``) of each, and the sha256 of the bytes written, so
a change that alters them shows. ``--against`` runs the same in a child process per checkout
(``PYTHONPATH``), the two checkouts alternating run by run, and prints the ratio of the medians.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_ORG = Path(tempfile.gettempdir()) / "sigma-migrate-bench" / "org-100000-seed1-scim"
STAGES = ("dump_plan", "stream_html")


def child(org: Path, runs: int) -> dict:
    """Build the plan, then time each stage ``runs`` times; ``{stage: [cpu seconds], "sha256": {...}}``."""
    import msgspec

    from planner.planfile import dump_plan
    from planner.planning import plan_from_paths
    from planner.report import stream_html

    plan, _ = plan_from_paths(str(org / "sigma"), [str(org / "idp")], str(org / "policy.yaml"))
    plan = msgspec.structs.replace(plan, created_at="2026-01-01T00:00:00Z")
    out: dict = {s: [] for s in STAGES}
    out["sha256"] = {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {"dump_plan": Path(tmp) / "plan.json", "stream_html": Path(tmp) / "report.html"}
        digest = None
        for _ in range(runs):
            for stage in STAGES:
                with open(paths[stage], "w", encoding="utf-8", newline="") as fh:
                    c0 = time.process_time()
                    if stage == "dump_plan":
                        digest = dump_plan(plan, fh)
                    else:
                        stream_html(msgspec.structs.replace(plan, digest=digest), fh)
                    out[stage].append(time.process_time() - c0)
        for stage, path in paths.items():
            out["sha256"][stage] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return out


def run_checkout(checkout: Path, org: Path, runs: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    proc = subprocess.run([sys.executable, __file__, "--child", "--org", str(org), "--runs", str(runs)],
                          env=env, capture_output=True, text=True, cwd=checkout)
    if proc.returncode:
        raise SystemExit(f"{checkout}: exit {proc.returncode}\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--org", type=Path, default=DEFAULT_ORG)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--against", type=Path, help="another checkout, timed alternately")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.org, args.runs)))
        return 0
    here = Path(__file__).resolve().parent.parent
    checkouts = [here] + ([args.against.resolve()] if args.against else [])
    results: dict[Path, dict] = {c: {s: [] for s in STAGES} for c in checkouts}
    hashes: dict[Path, dict] = {}
    for round_ in range(2 if args.against else 1):  # two children per checkout, order alternating
        for c in (checkouts if round_ % 2 == 0 else checkouts[::-1]):
            r = run_checkout(c, args.org, args.runs)
            for s in STAGES:
                results[c][s].extend(r[s])
            hashes[c] = r["sha256"]
    print(f"load average {os.getloadavg()[0]:.1f}; CPU seconds, median (min-max) of {len(results[here][STAGES[0]])} runs")
    for c in checkouts:
        cells = [f"{s} {statistics.median(results[c][s]):.3f} ({min(results[c][s]):.3f}-{max(results[c][s]):.3f})"
                 for s in STAGES]
        print(f"  {c}: " + ", ".join(cells) + f"  bytes {hashes[c]}")
    if args.against:
        base = checkouts[1]
        for s in STAGES:
            ratio = statistics.median(results[here][s]) / statistics.median(results[base][s])
            print(f"  {s}: {ratio:.2f}x of {base}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
