"""Run ``sigma-migrate apply`` as ``python -m planner`` does, timing its phases.

Usage (what bench/apply_bench.py runs)::

    BENCH_TIMINGS=phases.json BENCH_SANDBOX_PID=1234 \\
        python bench/_apply_child.py apply plan.json --auto-approve --parallelism 16 ...

The phase functions of apply are wrapped (wherever a module holds a reference
to them) with a timer that records, per phase: ``wall`` (perf_counter), ``cpu``
(this process's CPU, all threads: ``time.process_time``) and, when
``BENCH_SANDBOX_PID`` names the sandbox process, ``sandbox_cpu`` (its user +
system time from ``/proc/<pid>/stat``). Phases:

- ``read_plan``: :func:`planner.planfile.read_plan` (parse and validate the plan)
- ``stale_check``: :func:`planner.execute.stale.check_stale` (re-read live state)
- ``run_actions``: :func:`planner.execute.runner.run_actions` (the writes)
- ``verify``: :func:`planner.execute.verify.verify` (re-read the end state)
- ``write_results``: :func:`planner.execute.apply.write_results` (result JSON + HTML)

The JSON written at exit is ``{phase: {"wall", "cpu", "sandbox_cpu", "calls"}}``.

``BENCH_PROFILE=FILE`` (``apply_bench.py --profile FILE``): every task the thread pools run
(apply's workers: the write phase and the verification) is profiled by a ``cProfile`` per
worker thread, and so is the thread that calls ``run_actions`` while it runs (the runner:
scheduling, progress lines, the results), each timed by ``time.thread_time`` (that thread's
CPU, not the wall clock, so waits on the sandbox do not count); the merged ``pstats`` are
dumped to FILE at exit. cProfile inflates CPU (about 2.5x here): read the shares, not the seconds.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _peak  # noqa: E402  (this process's own peak RSS, written at exit)
from _measure import proc_cpu_seconds  # noqa: E402

PHASE_FUNCTIONS = [
    ("planner.planfile", "read_plan", "read_plan"),
    ("planner.execute.stale", "check_stale", "stale_check"),
    ("planner.execute.runner", "run_actions", "run_actions"),
    ("planner.execute.verify", "verify", "verify"),
    ("planner.execute.apply", "write_results", "write_results"),
]

_phases: dict[str, dict[str, float]] = {}
_WRAPPERS: dict = {}
"""phase -> a wrapper applied inside the phase's timer (``BENCH_PROFILE``: the runner's own thread)."""
_sandbox_pid = int(os.environ.get("BENCH_SANDBOX_PID", "0") or 0)


def _sandbox_cpu() -> float:
    if not _sandbox_pid:
        return 0.0
    try:
        return proc_cpu_seconds(_sandbox_pid)
    except OSError:
        return 0.0


def _timed(fn, phase: str):
    def wrapper(*args, **kwargs):
        w0, c0, s0 = time.perf_counter(), time.process_time(), _sandbox_cpu()
        try:
            return fn(*args, **kwargs)
        finally:
            rec = _phases.setdefault(phase, {"wall": 0.0, "cpu": 0.0, "sandbox_cpu": 0.0, "calls": 0})
            rec["wall"] += time.perf_counter() - w0
            rec["cpu"] += time.process_time() - c0
            rec["sandbox_cpu"] += _sandbox_cpu() - s0
            rec["calls"] += 1

    wrapper.__wrapped__ = fn
    wrapper.__name__ = getattr(fn, "__name__", phase)
    wrapper.__doc__ = getattr(fn, "__doc__", None)
    return wrapper


def install() -> None:
    """Wrap every phase function in every loaded ``planner`` module."""
    import planner.cli  # noqa: F401
    import planner.execute.apply  # noqa: F401

    originals = {}
    for module_name, attr, phase in PHASE_FUNCTIONS:
        try:
            fn = getattr(importlib.import_module(module_name), attr, None)
        except ImportError:
            continue
        if fn is not None:
            originals[id(fn)] = (fn, _timed(_WRAPPERS.get(phase, lambda f: f)(fn), phase))
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "planner" or name.startswith("planner.")):
            continue
        for attr, value in list(vars(module).items()):
            hit = originals.get(id(value))
            if hit is not None and hit[0] is value:
                setattr(module, attr, hit[1])


def profile_workers(out: Path) -> None:
    """Profile every task of every ``ThreadPoolExecutor`` worker (see module docstring), dumped to ``out`` at exit."""
    import atexit
    import concurrent.futures.thread as pool_thread
    import cProfile
    import pstats
    import threading

    profiles: list[cProfile.Profile] = []
    local = threading.local()
    run_task = pool_thread._WorkItem.run

    # CPython 3.11 refuses to install a profile function while another thread installs one
    # ("RuntimeError: Cannot install a profile function while another profile function is being
    # installed"): every enable and disable goes through one lock, so no task's future is left
    # unresolved by an error the profiler raised (the apply then waited for ever).
    switching = threading.Lock()

    def switch(profile: cProfile.Profile, on: bool) -> None:
        with switching:
            profile.enable() if on else profile.disable()

    def profiled_run(self):
        profile = getattr(local, "profile", None)
        if profile is None:
            profile = local.profile = cProfile.Profile(time.thread_time)
            profiles.append(profile)
        switch(profile, True)
        try:
            return run_task(self)
        finally:
            switch(profile, False)

    def dump() -> None:
        merged = None
        for profile in profiles:
            profile.create_stats()
            merged = pstats.Stats(profile) if merged is None else merged.add(profile)
        if merged is not None:
            merged.dump_stats(str(out))

    pool_thread._WorkItem.run = profiled_run
    atexit.register(dump)

    def profile_runner(fn):
        """``run_actions`` with its calling thread profiled while it runs (the workers are, by ``profiled_run``)."""
        def runner(*args, **kwargs):
            profile = cProfile.Profile(time.thread_time)
            profiles.append(profile)
            switch(profile, True)
            try:
                return fn(*args, **kwargs)
            finally:
                switch(profile, False)
        return runner

    _WRAPPERS["run_actions"] = profile_runner


def main() -> None:
    _peak.report_at_exit()
    if os.environ.get("BENCH_PROFILE"):
        profile_workers(Path(os.environ["BENCH_PROFILE"]))
    install()
    from planner.cli import main as cli_main

    out = os.environ.get("BENCH_TIMINGS")
    try:
        cli_main(sys.argv[1:])
    finally:
        if out:
            Path(out).write_text(json.dumps(_phases, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
