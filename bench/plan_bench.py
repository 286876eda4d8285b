"""Benchmark ``sigma-migrate plan`` (load + match + rules + DAG + plan file + HTML report).

Usage::

    python bench/plan_bench.py [--sizes 1000,10000,100000] [--runs 3] [--cache DIR]
                               [--policy strict|settled] [--json results.json] [--no-check]
                               [--check-runs 3] [--no-plan]

For each size N (Sigma members; IdP users 1.1 N, groups N/20, memberships 5 N, as
in issue 7), a synthetic organization is generated once by bench/generate.py and
cached (``--cache``, default ``$TMPDIR/sigma-migrate-bench``; regenerated when
the generator changes). Then, in the same run:

- the full ``plan ... --report report.html`` (bench/_plan_child.py: ``python -m
  planner`` plus perf_counter / process_time timers around the stage functions, so
  the time per stage (load, match, decide, plan, render) comes from the real
  command; ``startup`` is the rest of the wall time: interpreter, imports, CLI), and
- bench/baseline.py, the floor: the same files loaded, emails lower-cased, members
  hash-joined to IdP users, groups flattened and team diffs computed in plain
  Python, nothing else,

each as a separate process, ``--runs`` times, in pairs whose order alternates
(plan first, then baseline first) so that the machine's load hits both alike.
At the largest size ``check`` is paired the same way with ``baseline.py
--load-only``. Before the measured runs, one warm-up run of each (not counted).
``--no-plan`` times ``check`` alone (at the largest size): a bisect of the load stage
between two commits, in one window, takes minutes instead of a quarter hour.

Every process's CPU time comes from ``os.wait4`` (its own); its peak RSS from
the process itself (``VmHWM`` at exit, bench/_peak.py), since ``ru_maxrss``
includes the peak of the bench process that started it. Byte code is compiled
first into a fixed ``PYTHONPYCACHEPREFIX`` under ``--cache`` (bench/_measure.py),
so every run reads the same ``.pyc`` files whatever the environment holds.

Printed: median / min / max wall, median CPU, the baseline's median CPU, the
ratio of the two medians (and each pair's), plan CPU per planned action, peak
RSS (max over runs), median per stage, the 100k/10k growth, check against the
baseline's load, and the targets of issue 10 with met / missed (at 100k; at a
smaller largest size they are printed as indicative). The baseline reads the
SCIM layout only: with ``--idp-format entra|okta`` no ratio is printed. The
machine is shared: medians, and the load average is printed with them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402  (bench/generate.py)
from _measure import (  # noqa: E402
    DEFAULT_CACHE, REPO, ChildRun, child_env, load_average, machine, median, mib, prepare_bytecode, run_child,
)

STAGES = ("load", "match", "decide", "plan", "render", "startup")
OVERHEAD = ("boot", "imports", "other", "exit")  # the parts of "startup"
# Targets of issue 10 item 5, on the 100k organization
TARGET_SIZE = 100_000
TARGET_PLAN_RATIO = 2.0  # plan + HTML report CPU / baseline CPU
TARGET_RSS = 1.2e9  # bytes, plan + HTML report peak RSS
TARGET_MS_PER_ACTION = 1.0  # ms of plan CPU per planned action
TARGET_CHECK_RATIO = 1.5  # check CPU / baseline load-only CPU


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


def run_plan(org: Path, run_dir: Path, policy: str, env: dict[str, str]) -> tuple[ChildRun, dict[str, float]]:
    run_dir.mkdir(parents=True, exist_ok=True)
    timings = run_dir / "timings.json"
    timings.unlink(missing_ok=True)
    env = {**env, "BENCH_TIMINGS": str(timings)}
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


def run_check(org: Path, run_dir: Path, env: dict[str, str]) -> ChildRun:
    """One ``check`` of ``org`` (bench/_plan_child.py without timers: the command's own imports only)."""
    argv = [sys.executable, str(REPO / "bench" / "_plan_child.py"), "check",
            "--sigma", str(org / "sigma"), "--idp", str(org / "idp")]
    run = run_child(argv, log_dir=run_dir, env=env)
    if run.returncode not in (0, 1):
        raise SystemExit(f"check crashed (exit {run.returncode}): {run.stderr.strip()[-400:]}")
    return run


def run_baseline(org: Path, run_dir: Path, env: dict[str, str], load_only: bool = False) -> tuple[ChildRun, dict]:
    """One run of bench/baseline.py on ``org``: the child's figures and the counts it printed."""
    argv = [sys.executable, str(REPO / "bench" / "baseline.py"), str(org),
            "--alias", f"{generate.ALIAS_DOMAIN}={generate.DOMAIN}"] + (["--load-only"] if load_only else [])
    run = run_child(argv, log_dir=run_dir, env=env)
    if run.returncode != 0:
        raise SystemExit(f"baseline failed (exit {run.returncode}): {run.stderr.strip()[-400:]}")
    return run, json.loads(run.stdout)


def paired(first, second, i: int):
    """Run ``first`` then ``second`` on even ``i``, the other way round on odd: a load trend hits both alike."""
    if i % 2:
        b = second()
        return first(), b
    a = first()
    return a, second()


def fmt_s(seconds: float) -> str:
    return f"{seconds:6.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated member counts")
    parser.add_argument("--runs", type=int, default=3, help="measured plan + baseline runs per size (median)")
    parser.add_argument("--check-runs", type=int, default=3,
                        help="measured check + baseline-load runs at the largest size (0: skip)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--idp-format", choices=("scim", "entra", "okta"), default="scim")
    parser.add_argument("--policy", choices=("strict", "settled"), default="strict",
                        help="strict: dirt becomes review items (default); settled: every decision taken")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--no-check", action="store_true", help="do not time `check`")
    parser.add_argument("--no-plan", action="store_true",
                        help="time `check` only (with --check-runs), not `plan`")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.no_plan and (args.no_check or args.check_runs < 1):
        parser.error("--no-plan times check only: it needs --check-runs 1 or more, without --no-check")
    baseline = args.idp_format == "scim"  # bench/baseline.py reads the SCIM layout only
    check_runs = 0 if args.no_check else args.check_runs

    env = child_env(args.cache / "pycache")
    prepare_bytecode(env)
    print(f"machine: {machine()}; load average {load_average()}")
    print(f"plan benchmark: sizes {sizes}, {args.runs} runs each after 1 warm-up run (not counted), "
          f"IdP format {args.idp_format}, policy {args.policy}, cache {args.cache}, "
          f"byte code {env['PYTHONPYCACHEPREFIX']}" + ("" if baseline else "; no baseline (SCIM layout only)"),
          flush=True)
    results: dict[str, object] = {"machine": machine(), "runs": args.runs, "policy": args.policy,
                                  "idp_format": args.idp_format, "load_average_start": load_average(),
                                  "sizes": {}}
    for members in [] if args.no_plan else sizes:
        org = organization(args.cache, members, args.seed, args.idp_format)
        counts = json.loads((org / "manifest.json").read_text())["counts"]
        runs_dir = args.cache / "runs" / f"{members}"
        plan = lambda d: run_plan(org, runs_dir / d, args.policy, env)  # noqa: E731
        base = lambda d: run_baseline(org, runs_dir / d, env) if baseline else None  # noqa: E731
        paired(lambda: plan("warmup"), lambda: base("warmup-baseline"), 0)
        runs, stage_runs, base_runs = [], [], []
        for i in range(args.runs):
            (run, stages), b = paired(lambda: plan(f"run{i}"), lambda: base(f"run{i}-baseline"), i)
            runs.append(run)
            stage_runs.append(stages)
            base_text = ""
            if b is not None:
                base_runs.append(b)
                base_text = f"; baseline cpu {b[0].cpu:.2f} s, ratio {run.cpu / b[0].cpu:.2f}x"
            print(f"  {members:>7,} run {i + 1}: wall {run.wall:.2f} s, cpu {run.cpu:.2f} s, "
                  f"peak RSS {mib(run.peak_rss)}  (" + ", ".join(f"{k} {stages.get(k, 0):.2f}" for k in STAGES) + ")"
                  + base_text, flush=True)
        last = runs_dir / f"run{args.runs - 1}"
        plan_doc = json.loads((last / "plan.json").read_text())
        kinds = [a.get("kind") for a in plan_doc.get("actions", [])]
        n_reviews = len(plan_doc.get("review_items", []))
        held_links = sum(r.get("code") == "user_name_guard.mismatch" for r in plan_doc.get("review_items", []))
        del plan_doc
        entry = {
            "counts": counts,
            "wall": [r.wall for r in runs],
            "cpu": [r.cpu for r in runs],
            "peak_rss": [r.peak_rss for r in runs],
            "peak_rss_source": sorted({r.peak_rss_source for r in runs}),
            "median_wall": median([r.wall for r in runs]),
            "median_cpu": median([r.cpu for r in runs]),
            "max_peak_rss": max(r.peak_rss for r in runs),
            "stages": {s: median([st.get(s, 0.0) for st in stage_runs]) for s in STAGES + OVERHEAD},
            "stages_cpu": {s: median([st.get("cpu:" + s, 0.0) for st in stage_runs]) for s in STAGES[:-1]},
            "calls": {k[5:]: median([st.get(k, 0.0) for st in stage_runs])
                      for k in sorted({k for st in stage_runs for k in st if k.startswith("call:")})},
            "plan_bytes": (last / "plan.json").stat().st_size,
            "report_bytes": (last / "report.html").stat().st_size,
            "actions": len(kinds),
            "link_actions": kinds.count("scim.link_user"),
            "held_links": held_links,
            "review_items": n_reviews,
            "load_average": load_average(),
        }
        entry["cpu_per_action_ms"] = entry["median_cpu"] / entry["actions"] * 1e3 if kinds else float("nan")
        if base_runs:
            entry["baseline"] = {
                "cpu": [b.cpu for b, _ in base_runs],
                "median_cpu": median([b.cpu for b, _ in base_runs]),
                "max_peak_rss": max(b.peak_rss for b, _ in base_runs),
                "steps_cpu": {k: median([c["cpu"].get(k, 0.0) for _, c in base_runs])
                              for k in ("load", "join", "flatten", "teams")},
                "counts": {k: v for k, v in base_runs[-1][1].items() if k != "cpu"},
            }
            entry["ratio_cpu"] = entry["median_cpu"] / entry["baseline"]["median_cpu"]
            entry["ratio_cpu_per_run"] = [r.cpu / b.cpu for r, (b, _) in zip(runs, base_runs)]
        results["sizes"][str(members)] = entry
    if check_runs > 0:
        big = max(sizes)
        org = organization(args.cache, big, args.seed, args.idp_format)
        check_dir = args.cache / "runs" / "check"
        chk = lambda d: run_check(org, check_dir / d, env)  # noqa: E731
        bload = lambda d: run_baseline(org, check_dir / d, env, load_only=True) if baseline else None  # noqa: E731
        paired(lambda: chk("warmup"), lambda: bload("warmup-baseline"), 0)
        checks, loads = [], []
        for i in range(check_runs):
            c, b = paired(lambda: chk(f"run{i}"), lambda: bload(f"run{i}-baseline"), i)
            checks.append(c)
            if b is not None:
                loads.append(b[0])
            print(f"  check {big:,} run {i + 1}: wall {c.wall:.2f} s, cpu {c.cpu:.2f} s, peak RSS {mib(c.peak_rss)}"
                  + (f"; baseline load cpu {b[0].cpu:.2f} s, ratio {c.cpu / b[0].cpu:.2f}x" if b else ""), flush=True)
        entry = {"members": big, "wall": [c.wall for c in checks], "cpu": [c.cpu for c in checks],
                 "median_wall": median([c.wall for c in checks]),
                 "median_cpu": median([c.cpu for c in checks]),
                 "max_peak_rss": max(c.peak_rss for c in checks),
                 "peak_rss_source": sorted({c.peak_rss_source for c in checks})}
        if loads:
            entry["baseline_load"] = {"cpu": [b.cpu for b in loads], "median_cpu": median([b.cpu for b in loads]),
                                      "max_peak_rss": max(b.peak_rss for b in loads)}
            entry["ratio_cpu"] = entry["median_cpu"] / entry["baseline_load"]["median_cpu"]
            entry["ratio_cpu_per_run"] = [c.cpu / b.cpu for c, b in zip(checks, loads)]
        results["check"] = entry
    results["load_average_end"] = load_average()
    report(results, [] if args.no_plan else sizes)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return 0


def report(results: dict, sizes: list[int]) -> None:
    """Print the figures of ``results``: the plan table of ``sizes`` (none with --no-plan), check, the targets."""
    if sizes:
        report_plans(results, sizes)
    if "check" in results:
        c = results["check"]
        bl = c.get("baseline_load")
        print(f"check at {c['members']:,}: median wall {c['median_wall']:.2f} s, CPU {c['median_cpu']:.2f} s, "
              f"peak RSS {mib(c['max_peak_rss'])}"
              + (f"; baseline load CPU {bl['median_cpu']:.2f} s, ratio {c['ratio_cpu']:.2f}x (per run "
                 + ", ".join(f"{r:.2f}" for r in c["ratio_cpu_per_run"]) + ")" if bl else ""))
    print()
    results["targets"] = targets(results, sizes)
    for t in results["targets"]:
        print(f"  [{'met' if t['met'] else 'MISSED':>6}] {t['target']}: {t['value']}")
    print(f"load average now {load_average()} (2 cores shared with other work: figures are medians)")


def report_plans(results: dict, sizes: list[int]) -> None:
    """Print the plan runs of ``sizes``: the table, the baseline's links, the stages, the growth."""
    by_size = results["sizes"]
    print()
    print(f"{'members':>9} {'median wall':>12} {'min':>8} {'max':>8} {'cpu':>8} {'baseline':>9} {'ratio':>6} "
          f"{'ms/action':>9} {'peak RSS':>10} {'actions':>8} {'reviews':>8} {'plan.json':>10} {'report':>10}")
    for n in sizes:
        e = by_size[str(n)]
        b = e.get("baseline")
        print(f"{n:>9,} {fmt_s(e['median_wall']):>12} {min(e['wall']):>7.2f}s {max(e['wall']):>7.2f}s "
              f"{e['median_cpu']:>7.2f}s "
              + (f"{b['median_cpu']:>8.2f}s {e['ratio_cpu']:>5.2f}x " if b else f"{'-':>9} {'-':>6} ")
              + f"{e['cpu_per_action_ms']:>9.3f} {mib(e['max_peak_rss']):>10} {e['actions']:>8,} "
              f"{e['review_items']:>8,} {mib(e['plan_bytes']):>10} {mib(e['report_bytes']):>10}")
    print("  cpu and baseline: median CPU seconds of the whole process (plan incl. HTML report; "
          "bench/baseline.py); ratio = their quotient; ms/action = plan CPU / planned actions")
    for n in sizes:
        e = by_size[str(n)]
        b = e.get("baseline")
        if not b:
            continue
        # a link the blocking user_name_guard.mismatch questions is held (planning.hold_questioned): the
        # floor's links are the plan's plus those (tests/test_bench_baseline.py)
        planned = e["link_actions"] + e.get("held_links", 0)
        same = "the same" if b["counts"].get("links") == planned else "NOT the same (another policy?)"
        print(f"  {n:,}: baseline links {b['counts'].get('links', 0):,}, plan scim.link_user actions "
              f"{e['link_actions']:,} + {e.get('held_links', 0):,} held by user_name_guard.mismatch: {same}; "
              "per-run ratios "
              + ", ".join(f"{r:.2f}" for r in e["ratio_cpu_per_run"])
              + "; baseline steps (median CPU s) " + ", ".join(f"{k} {v:.2f}" for k, v in b["steps_cpu"].items())
              + f"; baseline peak RSS {mib(b['max_peak_rss'])}")
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
    if "10000" in by_size and "100000" in by_size:
        small, big = by_size["10000"], by_size["100000"]
        ratios = {"total": big["median_wall"] / small["median_wall"],
                  "total_cpu": big["median_cpu"] / small["median_cpu"]}
        for s in STAGES:
            ratios[s] = big["stages"][s] / small["stages"][s] if small["stages"][s] > 0 else float("nan")
        print("growth 100k/10k" + " " * 18 + "".join(f"{ratios[s]:>8.1f}x" for s in STAGES)
              + f"   total {ratios['total']:.1f}x (CPU {ratios['total_cpu']:.1f}x)")
        results["growth_100k_over_10k"] = ratios


def targets(results: dict, sizes: list[int]) -> list[dict]:
    """The issue-10 targets, met or missed, at 100k members (or, marked indicative, at the largest size);
    with no ``sizes`` (--no-plan), check's only."""
    out = []

    def add(name: str, ok: bool, value: str) -> None:
        out.append({"target": name, "met": bool(ok), "value": value})

    if sizes:
        plan_targets(results, sizes, add)
    c = results.get("check")
    if c and "ratio_cpu" in c:
        cat = f"{c['members'] // 1000}k" + ("" if c["members"] == TARGET_SIZE else " (indicative)")
        add(f"check at {cat}: CPU <= {TARGET_CHECK_RATIO}x the baseline's load", c["ratio_cpu"] <= TARGET_CHECK_RATIO,
            f"{c['ratio_cpu']:.2f}x ({c['median_cpu']:.2f} s / {c['baseline_load']['median_cpu']:.2f} s)")
    return out


def plan_targets(results: dict, sizes: list[int], add) -> None:
    """The plan targets of issue 10 (CPU ratio, peak RSS, CPU per action), each passed to ``add``."""
    n = TARGET_SIZE if TARGET_SIZE in sizes else max(sizes)
    at = f"{n // 1000}k" + ("" if n == TARGET_SIZE else " (indicative: the targets are set at 100k)")
    e = results["sizes"][str(n)]
    if "ratio_cpu" in e:
        add(f"plan + HTML at {at}: CPU <= {TARGET_PLAN_RATIO}x the baseline's", e["ratio_cpu"] <= TARGET_PLAN_RATIO,
            f"{e['ratio_cpu']:.2f}x ({e['median_cpu']:.2f} s / {e['baseline']['median_cpu']:.2f} s)")
    add(f"plan + HTML at {at}: peak RSS <= {TARGET_RSS / 1e9:.1f} GB", e["max_peak_rss"] <= TARGET_RSS,
        f"{e['max_peak_rss'] / 1e9:.2f} GB (the child's own VmHWM)")
    add(f"plan at {at}: CPU per planned action <= {TARGET_MS_PER_ACTION:g} ms",
        e["cpu_per_action_ms"] <= TARGET_MS_PER_ACTION,
        f"{e['cpu_per_action_ms']:.3f} ms ({e['actions']:,} actions); apply's CPU per applied action "
        "is bench/apply_bench.py's")


if __name__ == "__main__":
    sys.exit(main())
