"""Benchmark ``sigma-migrate apply`` against the sandbox on loopback, at parallelism 1, 4 and 16.

Usage::

    python bench/apply_bench.py [--members 7500] [--parallelism 1,4,16] [--cache DIR] [--json FILE]
                                [--profile FILE]

1. A synthetic organization (bench/generate.py) is planned once with its
   *settled* policy (every review decided, so the plan can be applied); at the
   default 7,500 members the plan has about 10,000 actions.
2. For each parallelism, a fresh sandbox (``python -m planner sandbox serve``,
   seeded from the same Sigma export) runs in **its own process**, and
   ``apply --auto-approve --parallelism P`` runs in another (bench/_apply_child.py:
   the real command plus timers around its phases).
3. Printed per parallelism: actions per second during the write phase, the
   apply process's own CPU per action (``time.process_time`` in the phase, and
   the whole process from ``os.wait4``), and the sandbox's CPU per action
   (``/proc/<pid>/stat``) over the same interval; then the throughput each side
   could sustain alone (1 / CPU per action, the sandbox being one Python process
   whose request handling is bound to one core by the GIL). When the sandbox's
   ceiling is the lower one and the sandbox is busy most of the phase, the
   throughput is bounded by the sandbox, not by the planner.

The apply process's CPU includes the HTTP client work (httpx2, JSON, SCIM
payloads), the journal (SQLite) and progress; it is "the planner's" cost per
action. Both processes share the 2 cores: the figures are medians of
``--runs`` applies, each against a freshly seeded sandbox.

``--baseline DIR``: another checkout (e.g. ``git worktree add --detach /tmp/base main``) applies the
same plan too, run by run against its own freshly seeded sandbox (this checkout's sandbox code for
both), the order alternating per run (baseline first in even runs), so load on the shared machine
hits both alike; printed after the table: each pair's planner CPU per action (write phase and whole
process) and the ratio this checkout / baseline, and their medians.

``--profile FILE``: the apply's worker threads (write phase and verification) and the runner's own
thread (while ``run_actions`` runs) are profiled
(bench/_apply_child.py, ``cProfile`` timed by each thread's CPU) and the ``pstats`` of the last
run are written to FILE; read it with ``python -m pstats FILE``. The CPU figures of a profiled
run are inflated by the profiler: measure and profile in separate runs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import (  # noqa: E402
    REPO, child_env, load_average, machine, median, prepare_bytecode, proc_cpu_seconds, run_child,
)
from plan_bench import organization  # noqa: E402

CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-secret-not-a-real-one"
SCIM_TOKEN = "bench-scim-token-not-a-real-one"
TARGET_CPU_PER_ACTION = 1e-3  # seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sandbox:
    """``sigma-migrate sandbox serve`` in a child process, seeded from ``seed_dir``."""

    def __init__(self, seed_dir: Path, log_dir: Path):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        log_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(log_dir / "sandbox.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "planner", "sandbox", "serve", "--seed", str(seed_dir),
             "--port", str(self.port), "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET,
             "--scim-token", SCIM_TOKEN],
            cwd=REPO, env=child_env(), stdout=self._log, stderr=subprocess.STDOUT,
        )
        t0 = time.perf_counter()
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"sandbox exited with {self.proc.returncode}; see {log_dir / 'sandbox.log'}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if time.perf_counter() - t0 > 300:
                    self.stop()
                    raise SystemExit("sandbox did not start listening within 300 s")
                time.sleep(0.2)
        self.seed_seconds = time.perf_counter() - t0

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu(self) -> float:
        return proc_cpu_seconds(self.proc.pid)

    def stats(self) -> dict:
        with urllib.request.urlopen(f"{self.base_url}/_sandbox/stats", timeout=30) as resp:
            return json.loads(resp.read())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def make_plan(org: Path, work: Path) -> tuple[Path, dict]:
    work.mkdir(parents=True, exist_ok=True)
    plan = work / "plan.json"
    run = run_child([sys.executable, "-m", "planner", "plan", "--sigma", str(org / "sigma"),
                     "--idp", str(org / "idp"), "--policy", str(org / "policy-settled.yaml"),
                     "--out", str(plan)], log_dir=work)
    if run.returncode not in (0, 2):
        raise SystemExit(f"plan failed (exit {run.returncode}): {run.stderr.strip()[-600:]}")
    doc = json.loads(plan.read_text())
    blocking = [r["code"] for r in doc["review_items"] if r["blocking"]]
    if blocking:
        from collections import Counter

        raise SystemExit(f"the settled plan still has {len(blocking)} blocking review item(s): "
                         f"{dict(Counter(blocking))}; the bench policy needs another decision")
    print(f"  planned {len(doc['actions']):,} actions in {run.wall:.1f} s -> {plan}", flush=True)
    return plan, doc


def apply_once(org: Path, plan: Path, parallelism: int, work: Path, profile: Path | None = None,
               tree: Path = REPO) -> dict:
    """One apply of ``plan`` by the checkout ``tree`` (its ``planner`` and ``bench/_apply_child.py``)
    against a fresh sandbox of this checkout; the run's figures (see :func:`summarize`)."""
    run_dir = work / f"p{parallelism}"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    shutil.copy(plan, run_dir / "plan.json")
    sandbox = Sandbox(org / "sigma", run_dir)
    try:
        before_stats = sandbox.stats()
        phases_file = run_dir / "phases.json"
        env = {**child_env(), "BENCH_TIMINGS": str(phases_file), "BENCH_SANDBOX_PID": str(sandbox.pid),
               "PYTHONPATH": str(tree),
               "SIGMA_CLIENT_ID": CLIENT_ID, "SIGMA_CLIENT_SECRET": CLIENT_SECRET,
               "SIGMA_SCIM_TOKEN": SCIM_TOKEN}
        if profile is not None:
            env["BENCH_PROFILE"] = str(profile)
        argv = [sys.executable, str(tree / "bench" / "_apply_child.py"), "apply", str(run_dir / "plan.json"),
                "--auto-approve", "--parallelism", str(parallelism), "--json",
                "--rest-base-url", sandbox.base_url, "--scim-base-url", f"{sandbox.base_url}/scim/v2"]
        sandbox_cpu0 = sandbox.cpu()
        run = run_child(argv, cwd=tree, log_dir=run_dir, env=env)
        sandbox_cpu = sandbox.cpu() - sandbox_cpu0
        after_stats = sandbox.stats()
    finally:
        sandbox.stop()
    try:
        summary = json.loads(run.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"apply (p={parallelism}) printed no JSON summary (exit {run.returncode}): "
                         f"{run.stderr.strip()[-800:]}") from None
    phases = json.loads(phases_file.read_text()) if phases_file.exists() else {}
    requests = sum(after_stats["requests"].values()) - sum(before_stats["requests"].values())
    by_endpoint = {k: v - before_stats["requests"].get(k, 0) for k, v in after_stats["requests"].items()
                   if v - before_stats["requests"].get(k, 0)}
    return {"requests_by_endpoint": by_endpoint, "parallelism": parallelism, "exit": run.returncode, "summary": summary, "phases": phases,
            "wall": run.wall, "cpu": run.cpu, "peak_rss": run.peak_rss, "sandbox_cpu": sandbox_cpu,
            "sandbox_seed_seconds": sandbox.seed_seconds, "requests": requests}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=7500, help="organization size (7,500 -> ~10k actions)")
    parser.add_argument("--parallelism", default="1,4,16")
    parser.add_argument("--runs", type=int, default=1, help="applies per parallelism (median reported)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "sigma-migrate-bench")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--profile", type=Path, help="profile the apply's worker threads and its runner; pstats written here")
    parser.add_argument("--baseline", type=Path, help="another checkout applying the same plan, paired run by run")
    args = parser.parse_args(argv)
    baseline = args.baseline.resolve() if args.baseline else None
    if baseline is not None and not (baseline / "bench" / "_apply_child.py").is_file():
        raise SystemExit(f"--baseline {baseline}: no bench/_apply_child.py there (not a checkout of this project)")
    levels = [int(p) for p in args.parallelism.split(",") if p.strip()]

    print(f"machine: {machine()}; load average {load_average()}")
    prepare_bytecode(child_env())  # every child reads the same .pyc files (bench/_measure.py)
    if baseline is not None:
        prepare_bytecode({**child_env(), "PYTHONPATH": str(baseline)}, baseline)
    org = organization(args.cache, args.members, args.seed, "scim")
    work = args.cache / "apply" / f"{args.members}"
    plan, doc = make_plan(org, work)
    n_actions = len(doc["actions"])
    results = {"machine": machine(), "members": args.members, "actions": n_actions,
               "action_kinds": doc["summary"].get("actions") if isinstance(doc.get("summary"), dict) else None,
               "levels": {}}
    pairs: dict[int, list[tuple[dict, dict]]] = {}
    for p in levels:
        runs = []
        for i in range(args.runs):
            base_run = None
            if baseline is not None and i % 2 == 0:
                base_run = _one(org, plan, p, work / f"base{i}", None, baseline, f"run {i + 1} baseline")
            r = _one(org, plan, p, work / f"run{i}", args.profile, REPO, f"run {i + 1}")
            runs.append(r)
            if baseline is not None and base_run is None:
                base_run = _one(org, plan, p, work / f"base{i}", None, baseline, f"run {i + 1} baseline")
            if base_run is not None:
                pairs.setdefault(p, []).append((base_run, r))
        results["levels"][str(p)] = summarize(runs, n_actions)
    report(results, levels)
    if baseline is not None:
        results["pairs"] = report_pairs(pairs, n_actions, baseline)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return 0


def _one(org: Path, plan: Path, p: int, work: Path, profile: Path | None, tree: Path, label: str) -> dict:
    r = apply_once(org, plan, p, work, profile, tree)
    ph = r["phases"].get("run_actions", {})
    print(f"  p={p:<2} {label}: {r['summary'].get('status')}, exit {r['exit']}, wall {r['wall']:.1f} s "
          f"(writes {ph.get('wall', float('nan')):.1f} s), apply cpu {r['cpu']:.1f} s, "
          f"sandbox cpu {r['sandbox_cpu']:.1f} s, {r['requests']:,} requests; load average {load_average()}",
          flush=True)
    return r


def report_pairs(pairs: dict[int, list[tuple[dict, dict]]], n_actions: int, baseline: Path) -> dict:
    """Print each pair's planner CPU per action (ms) and the ratio this checkout / ``baseline``."""
    out: dict = {}
    print(f"\npaired with the baseline {baseline} (planner CPU per action, ms; ratio = this checkout / baseline):")
    for p, runs in pairs.items():
        write = [(b["phases"]["run_actions"]["cpu"] / n_actions * 1e3, a["phases"]["run_actions"]["cpu"] / n_actions * 1e3)
                 for b, a in runs]
        process = [(b["cpu"] / n_actions * 1e3, a["cpu"] / n_actions * 1e3) for b, a in runs]
        for (bw, aw), (bp, ap) in zip(write, process):
            print(f"  p={p:<2} write phase {bw:.3f} -> {aw:.3f} ({aw / bw:.2f})   whole process {bp:.3f} -> {ap:.3f} "
                  f"({ap / bp:.2f})")
        med = {"write_baseline": median([w[0] for w in write]), "write": median([w[1] for w in write]),
               "write_ratios": [round(w[1] / w[0], 3) for w in write],
               "process_baseline": median([q[0] for q in process]), "process": median([q[1] for q in process]),
               "process_ratios": [round(q[1] / q[0], 3) for q in process]}
        print(f"  p={p:<2} medians: write phase {med['write_baseline']:.3f} -> {med['write']:.3f} ms "
              f"(ratio median {median(med['write_ratios']):.2f}), whole process {med['process_baseline']:.3f} -> "
              f"{med['process']:.3f} ms (ratio median {median(med['process_ratios']):.2f})")
        out[str(p)] = med
    return out


def summarize(runs: list[dict], n_actions: int) -> dict:
    def med(f):
        return median([f(r) for r in runs])

    def phase(r, name, key):
        return r["phases"].get(name, {}).get(key, float("nan"))

    return {
        "status": [r["summary"].get("status") for r in runs],
        "writes": [r["summary"].get("writes") for r in runs],
        "requests": med(lambda r: r["requests"]),
        "requests_by_endpoint": runs[-1]["requests_by_endpoint"],
        "wall": med(lambda r: r["wall"]),
        "write_phase_wall": med(lambda r: phase(r, "run_actions", "wall")),
        "actions_per_second": med(lambda r: n_actions / phase(r, "run_actions", "wall")),
        "planner_cpu_per_action_write_phase": med(lambda r: phase(r, "run_actions", "cpu") / n_actions),
        "planner_cpu_per_action_process": med(lambda r: r["cpu"] / n_actions),
        "sandbox_cpu_per_action_write_phase": med(lambda r: phase(r, "run_actions", "sandbox_cpu") / n_actions),
        "sandbox_cpu_per_action_process": med(lambda r: r["sandbox_cpu"] / n_actions),
        "planner_busy_write_phase": med(lambda r: phase(r, "run_actions", "cpu") / phase(r, "run_actions", "wall")),
        "sandbox_busy_write_phase": med(lambda r: phase(r, "run_actions", "sandbox_cpu") / phase(r, "run_actions", "wall")),
        "phases": {name: {k: med(lambda r, n=name, k=k: phase(r, n, k)) for k in ("wall", "cpu", "sandbox_cpu")}
                   for name in ("read_plan", "stale_check", "run_actions", "verify", "write_results")},
        "peak_rss": max(r["peak_rss"] for r in runs),
    }


def report(results: dict, levels: list[int]) -> None:
    n = results["actions"]
    print()
    print(f"apply of {n:,} actions ({results['members']:,}-member organization) against the sandbox on loopback")
    print(f"{'p':>3} {'status':>10} {'actions/s':>10} {'writes s':>9} {'total s':>8} "
          f"{'planner ms/act':>15} {'(process)':>10} {'sandbox ms/act':>15} {'planner busy':>13} {'sandbox busy':>13} "
          f"{'req/act':>8}")
    for p in levels:
        e = results["levels"][str(p)]
        print(f"{p:>3} {','.join(map(str, e['status'])):>10} {e['actions_per_second']:>10.0f} "
              f"{e['write_phase_wall']:>9.1f} {e['wall']:>8.1f} "
              f"{e['planner_cpu_per_action_write_phase'] * 1e3:>15.3f} {e['planner_cpu_per_action_process'] * 1e3:>10.3f} "
              f"{e['sandbox_cpu_per_action_write_phase'] * 1e3:>15.3f} "
              f"{e['planner_busy_write_phase']:>12.0%} {e['sandbox_busy_write_phase']:>12.0%} "
              f"{e['requests'] / n:>8.2f}")
    print()
    top_requests = results["levels"][str(max(levels))]["requests_by_endpoint"]
    print(f"requests per endpoint (p={max(levels)}): "
          + ", ".join(f"{k} {v:,}" for k, v in sorted(top_requests.items(), key=lambda kv: -kv[1])))
    print()
    print("phases (median wall s / apply cpu s / sandbox cpu s):")
    for p in levels:
        ph = results["levels"][str(p)]["phases"]
        print(f"  p={p:<2} " + "  ".join(f"{k} {v['wall']:.1f}/{v['cpu']:.1f}/{v['sandbox_cpu']:.1f}" for k, v in ph.items()))
    print()
    top = results["levels"][str(max(levels))]
    planner_ceiling = 1 / top["planner_cpu_per_action_write_phase"]
    sandbox_ceiling = 1 / top["sandbox_cpu_per_action_write_phase"]
    cpu_ok = all(results["levels"][str(p)]["planner_cpu_per_action_write_phase"] <= TARGET_CPU_PER_ACTION for p in levels)
    bounded = sandbox_ceiling < planner_ceiling
    print(f"  [{'met' if cpu_ok else 'MISSED':>6}] planner CPU <= 1 ms per action (write phase): "
          + ", ".join(f"p={p} {results['levels'][str(p)]['planner_cpu_per_action_write_phase'] * 1e3:.2f} ms" for p in levels))
    print(f"  [{'met' if bounded else 'MISSED':>6}] p={max(levels)} bounded by the sandbox: sandbox alone could "
          f"serve {sandbox_ceiling:,.0f} actions/s (one core), the planner alone could drive "
          f"{planner_ceiling:,.0f} actions/s; measured {top['actions_per_second']:,.0f} actions/s "
          f"with the sandbox busy {top['sandbox_busy_write_phase']:.0%} of a core")
    results["targets"] = [
        {"target": "planner CPU <= 1 ms per action", "met": cpu_ok},
        {"target": f"p={max(levels)} throughput bounded by the sandbox", "met": bounded,
         "sandbox_ceiling_actions_per_s": sandbox_ceiling, "planner_ceiling_actions_per_s": planner_ceiling},
    ]
    print(f"load average now {load_average()} (2 cores shared by apply, the sandbox and other work)")


if __name__ == "__main__":
    sys.exit(main())
