"""Benchmark ``sigma-migrate plan`` (load + match + rules + DAG + plan file + HTML report).

Usage::

    python bench/plan_bench.py [--sizes 1000,10000,100000] [--runs 3] [--cache DIR]
                               [--policy strict|settled] [--json results.json] [--no-check]

For each size N (Sigma members; IdP users 1.1 N, groups N/20, memberships 5 N, as
in issue 7), a synthetic organization is generated once by bench/generate.py and
cached (``--cache``, default ``$TMPDIR/sigma-migrate-bench``; regenerated when
the generator changes). Then the full ``plan ... --report report.html`` runs as
a separate process ``--runs`` times; each run's wall time, CPU time and peak RSS
are its own (``os.wait4``). The child is bench/_plan_child.py, which is
``python -m planner`` plus perf_counter timers around the stage functions, so
the time per stage (load, match, decide, plan, render) comes from the real
command. ``startup`` is the rest of the wall time: interpreter, imports, CLI.

Printed: median / min / max wall, median CPU, peak RSS (max over runs), median per
stage, the 100k/10k growth ratio for the total and each stage, and the
targets of issue 7 with met / missed. ``check`` is timed at the largest size.
The machine is shared: medians, and the load average is printed with them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402  (bench/generate.py)
from _measure import REPO, ChildRun, child_env, load_average, machine, median, mib, run_child  # noqa: E402

STAGES = ("load", "match", "decide", "plan", "render", "startup")
OVERHEAD = ("boot", "imports", "other", "exit")  # the parts of "startup"
TARGET_WALL = 10.0  # seconds, plan at 100k incl. HTML
TARGET_RSS = 1.5e9  # bytes
TARGET_GROWTH = 12.0  # 100k / 10k
TARGET_CHECK = 3.0  # seconds


def generator_digest() -> str:
    return hashlib.sha256((REPO / "bench" / "generate.py").read_bytes()).hexdigest()[:16]


def organization(cache: Path, members: int, seed: int, idp_format: str, duplicates: bool = True) -> Path:
    """The cached synthetic organization for ``members`` (generated on first use)."""
    out = cache / (f"org-{members}-seed{seed}-{idp_format}" + ("" if duplicates else "-nodup"))
    stamp = out / "generator.sha256"
    if stamp.exists() and stamp.read_text() == generator_digest() and (out / "manifest.json").exists():
        return out
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    if stamp.exists():
        stamp.unlink()
    generate.generate(out, members=members, seed=seed, idp_format=idp_format, duplicates=duplicates)
    stamp.write_text(generator_digest())
    print(f"  generated {members:,} members in {time.perf_counter() - t0:.1f} s -> {out}", flush=True)
    return out


def plan_argv(org: Path, run_dir: Path, policy: str) -> list[str]:
    return [
        sys.executable, str(REPO / "bench" / "_plan_child.py"), "plan",
        "--sigma", str(org / "sigma"), "--idp", str(org / "idp"),
        "--policy", str(org / ("policy-settled.yaml" if policy == "settled" else "policy.yaml")),
        "--out", str(run_dir / "plan.json"), "--report", str(run_dir / "report.html"),
    ]


def run_plan(org: Path, run_dir: Path, policy: str) -> tuple[ChildRun, dict[str, float]]:
    run_dir.mkdir(parents=True, exist_ok=True)
    timings = run_dir / "timings.json"
    if timings.exists():
        timings.unlink()
    env = {**child_env(), "BENCH_TIMINGS": str(timings)}
    t_before = time.time()
    run = run_child(plan_argv(org, run_dir, policy), log_dir=run_dir, env=env)
    t_after = time.time()
    if run.returncode not in (0, 2):
        tail = (run.stderr or run.stdout).strip().splitlines()[-5:]
        raise SystemExit(f"plan failed (exit {run.returncode}) on {org}:\n  " + "\n  ".join(tail))
    doc = json.loads(timings.read_text()) if timings.exists() else {}
    stages = dict(doc.get("stages", {}))
    for name, seconds in doc.get("calls", {}).items():
        stages["call:" + name] = seconds
    for name, seconds in doc.get("stages_cpu", {}).items():
        stages["cpu:" + name] = seconds
    stages["startup"] = max(0.0, run.wall - sum(stages.get(s, 0.0) for s in STAGES[:-1]))
    marks = doc.get("marks")
    if marks:
        stages["boot"] = marks["script_start"] - t_before
        stages["imports"] = marks["main_start"] - marks["script_start"]
        stages["other"] = marks["main_end"] - marks["main_start"] - sum(stages.get(s, 0.0) for s in STAGES[:-1])
        stages["exit"] = t_after - marks["main_end"]
    return run, stages


def run_check(org: Path, run_dir: Path) -> ChildRun:
    argv = [sys.executable, "-m", "planner", "check", "--sigma", str(org / "sigma"), "--idp", str(org / "idp")]
    run = run_child(argv, log_dir=run_dir)
    if run.returncode not in (0, 1):
        raise SystemExit(f"check crashed (exit {run.returncode}): {run.stderr.strip()[-400:]}")
    return run


def fmt_s(seconds: float) -> str:
    return f"{seconds:6.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated member counts")
    parser.add_argument("--runs", type=int, default=3, help="plan runs per size (median reported)")
    parser.add_argument("--check-runs", type=int, default=3, help="check runs at the largest size (0: skip)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--idp-format", choices=("scim", "entra", "okta"), default="scim")
    parser.add_argument("--policy", choices=("strict", "settled"), default="strict",
                        help="strict: dirt becomes review items (default); settled: every decision taken")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "sigma-migrate-bench")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--no-check", action="store_true", help="do not time `check`")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    print(f"machine: {machine()}; load average {load_average()}")
    print(f"plan benchmark: sizes {sizes}, {args.runs} runs each, IdP format {args.idp_format}, "
          f"policy {args.policy}, cache {args.cache}", flush=True)
    results: dict[str, object] = {"machine": machine(), "runs": args.runs, "policy": args.policy,
                                  "idp_format": args.idp_format, "sizes": {}}
    for members in sizes:
        org = organization(args.cache, members, args.seed, args.idp_format)
        counts = json.loads((org / "manifest.json").read_text())["counts"]
        runs, stage_runs = [], []
        for i in range(args.runs):
            run, stages = run_plan(org, args.cache / "runs" / f"{members}" / f"run{i}", args.policy)
            runs.append(run)
            stage_runs.append(stages)
            print(f"  {members:>7,} run {i + 1}: wall {run.wall:.2f} s, cpu {run.cpu:.2f} s, "
                  f"peak RSS {mib(run.peak_rss)}  (" + ", ".join(f"{k} {stages.get(k, 0):.2f}" for k in STAGES) + ")",
                  flush=True)
        last = args.cache / "runs" / f"{members}" / f"run{args.runs - 1}"
        plan_doc = json.loads((last / "plan.json").read_text())
        entry = {
            "counts": counts,
            "wall": [r.wall for r in runs],
            "cpu": [r.cpu for r in runs],
            "peak_rss": [r.peak_rss for r in runs],
            "median_wall": median([r.wall for r in runs]),
            "median_cpu": median([r.cpu for r in runs]),
            "max_peak_rss": max(r.peak_rss for r in runs),
            "stages": {s: median([st.get(s, 0.0) for st in stage_runs]) for s in STAGES + OVERHEAD},
            "stages_cpu": {s: median([st.get("cpu:" + s, 0.0) for st in stage_runs]) for s in STAGES[:-1]},
            "calls": {k[5:]: median([st.get(k, 0.0) for st in stage_runs])
                      for k in sorted({k for st in stage_runs for k in st if k.startswith("call:")})},
            "plan_bytes": (last / "plan.json").stat().st_size,
            "report_bytes": (last / "report.html").stat().st_size,
            "actions": len(plan_doc.get("actions", [])),
            "review_items": len(plan_doc.get("review_items", [])),
            "load_average": load_average(),
        }
        results["sizes"][str(members)] = entry
    if not args.no_check and args.check_runs > 0:
        big = max(sizes)
        org = organization(args.cache, big, args.seed, args.idp_format)
        checks = [run_check(org, args.cache / "runs" / "check") for _ in range(args.check_runs)]
        results["check"] = {"members": big, "wall": [c.wall for c in checks],
                            "median_wall": median([c.wall for c in checks]),
                            "median_cpu": median([c.cpu for c in checks]),
                            "max_peak_rss": max(c.peak_rss for c in checks)}
    report(results, sizes)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return 0


def report(results: dict, sizes: list[int]) -> None:
    by_size = results["sizes"]
    print()
    print(f"{'members':>9} {'median wall':>12} {'min':>8} {'max':>8} {'cpu':>8} {'peak RSS':>10} "
          f"{'actions':>8} {'reviews':>8} {'plan.json':>10} {'report':>10}")
    for n in sizes:
        e = by_size[str(n)]
        print(f"{n:>9,} {fmt_s(e['median_wall']):>12} {min(e['wall']):>7.2f}s {max(e['wall']):>7.2f}s "
              f"{e['median_cpu']:>7.2f}s {mib(e['max_peak_rss']):>10} {e['actions']:>8,} "
              f"{e['review_items']:>8,} {mib(e['plan_bytes']):>10} {mib(e['report_bytes']):>10}")
    print()
    print("median seconds per stage" + " " * 3 + "".join(f"{s:>9}" for s in STAGES))
    for n in sizes:
        st = by_size[str(n)]["stages"]
        print(f"{n:>9,} members{' ' * 13}" + "".join(f"{st[s]:>9.2f}" for s in STAGES))
    print("median CPU seconds per stage" + "".join(f"{s:>9}" for s in STAGES[:-1]))
    for n in sizes:
        st = by_size[str(n)].get("stages_cpu", {})
        print(f"{n:>9,} members{' ' * 13}" + "".join(f"{st.get(s, 0.0):>9.2f}" for s in STAGES[:-1]))
    print("  startup = " + ", ".join(
        f"{n:,}: " + " + ".join(f"{k} {by_size[str(n)]['stages'][k]:.2f}" for k in OVERHEAD) for n in sizes))
    big_n = max(sizes)
    calls = by_size[str(big_n)].get("calls", {})
    if calls:
        print(f"  inclusive seconds per function at {big_n:,} (median): " + ", ".join(
            f"{k.split('.', 1)[1]} {v:.2f}" for k, v in sorted(calls.items(), key=lambda kv: -kv[1])))
    ratios = {}
    if "10000" in by_size and "100000" in by_size:
        small, big = by_size["10000"], by_size["100000"]
        ratios = {"total": big["median_wall"] / small["median_wall"],
                  "total_cpu": big["median_cpu"] / small["median_cpu"]}
        for s in STAGES:
            ratios[s] = big["stages"][s] / small["stages"][s] if small["stages"][s] > 0 else float("nan")
        print("growth 100k/10k" + " " * 18 + "".join(f"{ratios[s]:>8.1f}x" for s in STAGES)
              + f"   total {ratios['total']:.1f}x (CPU {ratios['total_cpu']:.1f}x)")
        results["growth_100k_over_10k"] = ratios
    print()
    targets = []
    if "100000" in by_size:
        big = by_size["100000"]
        targets.append(("plan 100k wall <= 10 s", big["median_wall"] <= TARGET_WALL,
                        f"{big['median_wall']:.2f} s wall, {big['median_cpu']:.2f} s CPU "
                        "(CPU ~ wall on an idle machine: the work is single-threaded)"))
        targets.append(("plan 100k peak RSS <= 1.5 GB", big["max_peak_rss"] <= TARGET_RSS, f"{big['max_peak_rss'] / 1e9:.2f} GB"))
    if ratios:
        targets.append(("growth 100k/10k <= 12x", ratios["total"] <= TARGET_GROWTH,
                        f"{ratios['total']:.1f}x wall, {ratios['total_cpu']:.1f}x CPU"))
    if "check" in results:
        c = results["check"]
        targets.append((f"check {c['members'] // 1000}k <= 3 s", c["median_wall"] <= TARGET_CHECK,
                        f"{c['median_wall']:.2f} s wall, {c['median_cpu']:.2f} s CPU (median of {len(c['wall'])})"))
    for name, ok, value in targets:
        print(f"  [{'met' if ok else 'MISSED':>6}] {name}: {value}")
    results["targets"] = [{"target": n, "met": ok, "value": v} for n, ok, v in targets]
    print(f"load average now {load_average()} (2 cores shared with other work: figures are medians)")


if __name__ == "__main__":
    sys.exit(main())
