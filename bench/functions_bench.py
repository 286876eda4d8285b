"""CPU of the functions inside one ``plan`` + HTML report (decide, plan and render stages), for two
checkouts alternately: where a change of a few percent of ``plan`` went, paired in one window.

Usage::

    python bench/functions_bench.py [--against DIR] [--rounds 2] [--runs 2] [--org DIR]

Each round runs one child process per checkout (this one, then ``--against``; the other way round in odd
rounds, so a load trend hits both alike). A child loads the organization (``--org``, default plan_bench's
cached 100k one, with its ``policy.yaml``) once, then ``--runs`` times builds the plan
(:func:`planner.planning.build_plan`, ``created_at`` fixed), writes its file (``dump_plan``) and its report
(``stream_html``) into a temporary directory, with the cyclic garbage collector paused as ``plan`` runs
them. Every function of :data:`FUNCTIONS` is wrapped with a ``time.process_time`` timer wherever a
``planner`` module refers to it (inclusive CPU seconds). Printed: per function, the median of each
checkout's runs, their ratio and difference; the load average; and whether both wrote the same plan
digest and report bytes (they must, for a change that only makes planning faster).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_ORG = Path(tempfile.gettempdir()) / "sigma-migrate-bench" / "org-100000-seed1-scim"

FUNCTIONS = [
    "planner.directory:build_directory", "planner.matching:match_identities",
    "planner.rules.linking:decide", "planner.rules.linking:hint_people", "planner.rules.linking:unreadable_emails",
    "planner.rules.linking:takeover_items",
    "planner.rules.scim_values:hold_refused", "planner.planning:fold_account_types",
    "planner.rules.linking:link_actions", "planner.planning:fold_teams", "planner.rules.teams:decide_team",
    "planner.planning:fold_unmatched", "planner.planning:add_cross_dependencies", "planner.rules.guards:evaluate",
    "planner.rules.teams:removals_by_final_pushes", "planner.planning:rows_with_final_actions",
    "planner.planning:decide", "planner.planning:order_actions", "planner.planning:acted_on",
    "planner.planning:person_rows", "planner.planning:build_summary", "planner.planning:build_outcomes",
    "planner.rules.preflight:evaluate", "planner.rules.app_assignment:app_groups", "planner.planning:fingerprints",
    "planner.planning:build_plan",
    "planner.planfile:dump_plan", "planner.report:report_context", "planner.report:script_json",
    "planner.report:stream_html",
]
"""``module:function``: the stage functions of ``plan`` and the largest steps inside them."""


def child(org: Path, runs: int) -> dict:
    """Time :data:`FUNCTIONS` over ``runs`` plans of ``org`` in this process (the checkout on ``sys.path``)."""
    import msgspec

    from _stage import policy_loader  # bench/_stage.py
    from planner.gc_pause import gc_paused
    from planner.sources import load_snapshot

    spent: dict[str, float] = {}

    def timed(fn, name):
        def wrapper(*args, **kwargs):
            start = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.process_time() - start
        return wrapper

    originals = {}
    for spec in FUNCTIONS:
        module, name = spec.split(":")
        fn = getattr(importlib.import_module(module), name, None)
        if fn is not None:
            originals[id(fn)] = (fn, timed(fn, spec.split(".")[-1]))
    for module in [m for n, m in sys.modules.items() if n.startswith("planner") and m is not None]:
        for attr, value in list(vars(module).items()):
            hit = originals.get(id(value))
            if hit is not None and hit[0] is value:
                setattr(module, attr, hit[1])
    from planner import planfile, planning, report

    policy = policy_loader()(org / "policy.yaml")
    with gc_paused(freeze=True):
        snapshot = load_snapshot(str(org / "sigma"), [str(org / "idp")], None)
    out: dict = {"runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            spent.clear()
            with gc_paused():
                plan = planning.build_plan(snapshot, policy, created_at="2026-01-01T00:00:00Z")
                with open(Path(tmp) / "plan.json", "w", encoding="utf-8", newline="") as fh:
                    digest = planfile.dump_plan(plan, fh)
                with open(Path(tmp) / "report.html", "w", encoding="utf-8", newline="") as fh:
                    report.stream_html(msgspec.structs.replace(plan, digest=digest), fh)
            del plan
            out["runs"].append(dict(spent))
        out["digest"] = digest
        out["report"] = hashlib.sha256((Path(tmp) / "report.html").read_bytes()).hexdigest()[:16]
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
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--runs", type=int, default=2, help="plans per child process")
    parser.add_argument("--against", type=Path, help="another checkout (the baseline), timed alternately")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.org, args.runs)))
        return 0
    here = Path(__file__).resolve().parent.parent
    checkouts = [here] + ([args.against.resolve()] if args.against else [])
    runs: dict[Path, list[dict]] = {c: [] for c in checkouts}
    written: dict[Path, tuple[str, str]] = {}
    load = [os.getloadavg()[0]]
    for round_ in range(args.rounds):
        for c in (checkouts if round_ % 2 == 0 else checkouts[::-1]):
            result = run_checkout(c, args.org, args.runs)
            runs[c] += result["runs"]
            written[c] = (result["digest"], result["report"])
    load.append(os.getloadavg()[0])
    print(f"load average {load[0]:.1f} at the start, {load[1]:.1f} at the end; CPU seconds, median of "
          f"{len(runs[here])} runs per checkout")
    for c in checkouts:
        print(f"  {c}: plan {written[c][0]}, report sha256 {written[c][1]}")
    if args.against:
        print("  same plan and report bytes" if len(set(written.values())) == 1 else "  THE BYTES DIFFER")
    base = checkouts[-1]
    print(f"  {'function':<31} {'this':>7}" + (f" {'against':>7}  ratio  difference" if args.against else ""))
    for name in runs[here][0]:
        mine = statistics.median(r.get(name, 0.0) for r in runs[here])
        theirs = statistics.median(r.get(name, 0.0) for r in runs[base])
        line = f"  {name:<31} {mine:7.3f}"
        if args.against:
            line += f" {theirs:7.3f}  {mine / theirs if theirs else float('nan'):5.2f}x  {mine - theirs:+.3f}"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
